// The IDX reader: the embedded MNIST files, the same files gzipped in a folder, other file names MNIST
// mirrors use, and clear errors for broken files (bad magic, truncation, mismatched counts, bad labels).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { idxImageSet, parseIdx } from '../src/data/idx.js';
import { embeddedMnistDir, loadMnist, readIdxFile } from '../src/data/mnist.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'digitnet-idx-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An IDX file: magic 0x0000 TT NN, big-endian dimensions, then the bytes. */
function idxBytes(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, (type << 8) | dims.length);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.byteLength + data.length);
  out.set(new Uint8Array(header.buffer));
  out.set(Uint8Array.from(data), header.byteLength);
  return out;
}

/** A folder with tiny train/test IDX files under MNIST's names (or the given ones). */
function tinyMnistDir(o: { trainImages?: Uint8Array; trainLabels?: Uint8Array; names?: Partial<Record<string, string>>; gz?: boolean } = {}): string {
  const dir = tmp();
  const images = (n: number): Uint8Array => idxBytes([n, 4, 3], Array.from({ length: n * 12 }, (_, i) => (i * 7) % 256));
  const labels = (n: number): Uint8Array => idxBytes([n], Array.from({ length: n }, (_, i) => i % 10));
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': o.trainImages ?? images(5),
    'train-labels-idx1-ubyte': o.trainLabels ?? labels(5),
    't10k-images-idx3-ubyte': images(3),
    't10k-labels-idx1-ubyte': labels(3),
  };
  for (const [name, bytes] of Object.entries(files)) {
    const file = (o.names?.[name] ?? name) + (o.gz ? '.gz' : '');
    writeFileSync(join(dir, file), o.gz ? gzipSync(bytes) : bytes);
  }
  return dir;
}

describe('embedded MNIST', () => {
  const mnist = loadMnist();

  test('60,000 training and 10,000 test images of 28x28 with labels 0..9', () => {
    for (const [set, count] of [[mnist.train, 60000], [mnist.test, 10000]] as const) {
      assert.equal(set.count, count);
      assert.equal(set.height, 28);
      assert.equal(set.width, 28);
      assert.equal(set.images.length, count * 28 * 28);
      assert.equal(set.labels.length, count);
      const seen = new Set(set.labels);
      assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });

  test('the first training label is 5 and the first test label is 7; images use the whole 0..255 range', () => {
    assert.equal(mnist.train.labels[0], 5);
    assert.equal(mnist.test.labels[0], 7);
    const first = mnist.train.images.subarray(0, 784);
    assert.equal(Math.min(...first), 0);
    assert.equal(Math.max(...first), 255);
    // The border of an MNIST digit is blank: the top row of the first image is all zeros.
    assert.ok(first.subarray(0, 28).every((v) => v === 0));
  });

  test('the same files gzipped in a folder load the same', () => {
    const dir = tmp();
    const src = embeddedMnistDir();
    for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      writeFileSync(join(dir, `${name}.gz`), gzipSync(readFileSync(join(src, name)), { level: 1 }));
    }
    const gz = loadMnist(dir);
    assert.equal(gz.source, dir);
    for (const k of ['train', 'test'] as const) {
      assert.equal(gz[k].count, mnist[k].count);
      assert.ok(Buffer.from(gz[k].images).equals(Buffer.from(mnist[k].images)), `${k} images differ`);
      assert.ok(Buffer.from(gz[k].labels).equals(Buffer.from(mnist[k].labels)), `${k} labels differ`);
    }
  });
});

describe('IDX files in a folder', () => {
  test('plain and gzipped tiny sets load with their shapes and bytes', () => {
    for (const gz of [false, true]) {
      const m = loadMnist(tinyMnistDir({ gz }));
      assert.deepEqual([m.train.count, m.train.height, m.train.width, m.test.count], [5, 4, 3, 3]);
      assert.deepEqual(Array.from(m.train.labels), [0, 1, 2, 3, 4]);
      assert.equal(m.train.images[13], (13 * 7) % 256);
    }
  });

  test("the 'train-images.idx3-ubyte' spelling of the names is found too", () => {
    const names = { 'train-images-idx3-ubyte': 'train-images.idx3-ubyte', 'train-labels-idx1-ubyte': 'train-labels.idx1-ubyte' };
    assert.equal(loadMnist(tinyMnistDir({ names })).train.count, 5);
  });

  test('a missing file is named with the folder', () => {
    const dir = tinyMnistDir();
    rmSync(join(dir, 't10k-labels-idx1-ubyte'));
    assert.throws(() => loadMnist(dir), new RegExp(`${escape(dir)}: no t10k-labels-idx1-ubyte \\(or t10k-labels-idx1-ubyte\\.gz\\) in this folder`));
  });
});

describe('broken IDX files', () => {
  test('bad magic number names the file and the magic', () => {
    const bytes = idxBytes([2], [1, 2]);
    bytes[0] = 0x12;
    assert.throws(() => parseIdx(bytes, 'labels.idx'), /labels\.idx: not an IDX file \(magic number 0x12000801/);
    assert.throws(() => parseIdx(new Uint8Array([0, 0]), 'short.idx'), /short\.idx: not an IDX file \(only 2 bytes\)/);
  });

  test('gzip bytes given to the plain parser point at the .gz suffix', () => {
    assert.throws(() => parseIdx(gzipSync(idxBytes([2], [1, 2])), 'x.idx'), /x\.idx: not an IDX file \(magic number 0x1f8b0800; gzipped files end in \.gz\)/);
  });

  test('an unsupported element type or rank', () => {
    assert.throws(() => parseIdx(idxBytes([2], [0, 0, 0, 0, 0, 0, 0, 0], 0x0d), 'f.idx'), /f\.idx: IDX element type 0xd is not supported/);
    assert.throws(() => parseIdx(idxBytes([1, 1, 1, 1, 1], [0]), 'r.idx'), /r\.idx: IDX rank 5 is not supported/);
  });

  test('truncated data and a truncated header, named with the file path, through loadMnist', () => {
    const full = idxBytes([5, 4, 3], new Uint8Array(60));
    const dir = tinyMnistDir({ trainImages: full.subarray(0, full.length - 10) });
    const file = join(dir, 'train-images-idx3-ubyte');
    assert.throws(() => loadMnist(dir), new RegExp(`${escape(file)}: IDX dimensions \\[5,4,3\\] need 60 bytes of data, the file has 50`));
    assert.throws(() => parseIdx(full.subarray(0, 9), 'h.idx'), /h\.idx: truncated IDX header/);
    // Extra bytes after the data are as wrong as missing ones.
    assert.throws(() => parseIdx(new Uint8Array([...full, 1]), 'long.idx'), /need 60 bytes of data, the file has 61/);
  });

  test('a truncated gzip stream says the gzip data is corrupt', () => {
    const dir = tinyMnistDir({ gz: true });
    const file = join(dir, 'train-labels-idx1-ubyte.gz');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 12));
    assert.throws(() => readIdxFile(file), new RegExp(`${escape(file)}: gzip data is corrupt`));
  });

  test('images and labels count mismatch names both files and counts', () => {
    const dir = tinyMnistDir({ trainLabels: idxBytes([4], [1, 2, 3, 4]) });
    assert.throws(() => loadMnist(dir), /train-images-idx3-ubyte holds 5 images but .*train-labels-idx1-ubyte holds 4 labels/);
  });

  test('a label outside 0..9, and files of the wrong rank', () => {
    const images = parseIdx(idxBytes([2, 2, 2], new Uint8Array(8)), 'i');
    assert.throws(() => idxImageSet(images, parseIdx(idxBytes([2], [3, 12]), 'l'), ['i', 'l']), /l: label 1 is 12, outside 0\.\.9/);
    assert.throws(() => idxImageSet(parseIdx(idxBytes([8], new Uint8Array(8)), 'i'), parseIdx(idxBytes([2], [0, 1]), 'l'), ['i', 'l']), /i: expected an image IDX of rank 3 \(count, rows, cols\), got rank 1/);
    assert.throws(() => idxImageSet(images, parseIdx(idxBytes([2, 1], [0, 1]), 'l'), ['i', 'l']), /l: expected a label IDX of rank 1, got rank 2/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
