// Image decoding: PNG (grey, RGB, RGBA) and JPEG chosen by magic bytes, not by name, into RGBA pixels;
// clear errors for anything else, for empty files and for corrupt data.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage, encodeGrayPng, readImageFile, sniffImage } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { toMnist } from '../src/data/preprocess.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('digitnet-img-');

/** A 3x2 RGBA test pattern. */
const W = 3;
const H = 2;
const RGBA = Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 128, 200, 200, 200, 255, 0, 0, 0, 0]);

function png(colorType: 0 | 2 | 6): Buffer {
  const p = new PNG({ width: W, height: H });
  p.data = Buffer.from(RGBA);
  return PNG.sync.write(p, { colorType });
}

test('RGBA PNG decodes to the same pixels', () => {
  const img = decodeImage(png(6));
  assert.deepEqual({ w: img.width, h: img.height, c: img.channels }, { w: W, h: H, c: 4 });
  assert.deepEqual(Array.from(img.data), Array.from(RGBA));
});

test('RGB and grey PNGs decode to opaque RGBA', () => {
  const rgb = decodeImage(png(2));
  assert.deepEqual(Array.from(rgb.data.subarray(0, 8)), [255, 0, 0, 255, 0, 255, 0, 255]);
  const grayBytes = encodeGrayPng(Uint8Array.from([0, 64, 128, 255]), 2, 2);
  const g = decodeImage(grayBytes);
  assert.deepEqual(Array.from(g.data), [0, 0, 0, 255, 64, 64, 64, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
});

test('JPEG decodes by its magic bytes whatever the file is called', () => {
  const data = new Uint8Array(16 * 16 * 4);
  for (let i = 0; i < 256; i++) data.set([i, i, i, 255], i * 4);
  const bytes = jpeg.encode({ data, width: 16, height: 16 }, 95).data;
  const p = join(dir, 'photo.png'); // misnamed on purpose
  writeFileSync(p, bytes);
  assert.equal(sniffImage(bytes), 'jpeg');
  const img = readImageFile(p);
  assert.deepEqual([img.width, img.height, img.channels], [16, 16, 4]);
  let err = 0;
  for (let i = 0; i < 256; i++) err = Math.max(err, Math.abs(img.data[i * 4] - i));
  assert.ok(err < 12, `JPEG error ${err}`);
});

test('anything that is not PNG or JPEG is refused, saying what it looks like', () => {
  assert.throws(() => decodeImage(Buffer.from('label,pixel0\n1,0\n'), 'digits.csv'), /^Error: digits\.csv: not a PNG or JPEG image \(it starts with text: "label,pixel0\\n1,0\\n"\)$/);
  assert.throws(() => decodeImage(Buffer.from('GIF89a\x01\x00\x01\x00\x80\xff', 'latin1'), 'x.gif'), /x\.gif: not a PNG or JPEG image \(it starts with bytes 47 49 46 38 39 61 01 00\)/);
  assert.throws(() => decodeImage(new Uint8Array(0), 'empty.png'), /empty\.png: not a PNG or JPEG image \(the file is empty\)/);
});

test('a truncated PNG or JPEG is reported as corrupt', () => {
  const p = png(6);
  assert.throws(() => decodeImage(p.subarray(0, 40), 'cut.png'), /cut\.png: the PNG data is corrupt or unsupported/);
  const j = jpeg.encode({ data: new Uint8Array(8 * 8 * 4).fill(200), width: 8, height: 8 }, 90).data;
  assert.throws(() => decodeImage(j.subarray(0, 30), 'cut.jpg'), /cut\.jpg: the JPEG data is corrupt or unsupported/);
});

test('a missing file is named', () => {
  assert.throws(() => readImageFile(join(dir, 'nope.png')), /nope\.png: no such file$/);
});

test('an MNIST digit saved as a large dark-on-light PNG comes back to MNIST form', () => {
  const t = loadMnist().test;
  const src = t.images.subarray(0, 784);
  // 3x larger, black ink on white, placed off-centre in a 120x100 page.
  const page = new Uint8Array(120 * 100).fill(255);
  for (let y = 0; y < 84; y++) for (let x = 0; x < 84; x++) page[(y + 5) * 120 + x + 30] = 255 - src[Math.floor(y / 3) * 28 + Math.floor(x / 3)];
  const file = join(dir, 'seven.png');
  writeFileSync(file, encodeGrayPng(page, 120, 100));
  const r = toMnist(readImageFile(file));
  let d = 0;
  for (let i = 0; i < 784; i++) d += Math.abs(r.pixels[i] - src[i] / 255);
  assert.ok(d / 784 < 0.03, `mean difference ${d / 784}`);
});
