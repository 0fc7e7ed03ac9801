// Input budgets, checked before the work an input asks for: images refused from their header (a 30000x30000
// PNG of 69 bytes, a JPEG that lies about its size, an interlaced PNG whose data inflates past its size),
// IDX data bounded by its header (gzipped or not, longer or shorter, found at most one byte past the end),
// CSV lines and files read with bounded memory, devices and pipes refused. Each refusal is one line naming
// the file and the limit, and costs little: the hostile cases run in a child process whose peak memory is
// measured.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { createGzip } from 'node:zlib';
import { readMnistCsv } from '../src/data/csv.js';
import { decodeImage, ImageTooLargeError, readImageFile } from '../src/data/images.js';
import { readIdxFile } from '../src/data/mnist.js';
import { gzippedIdx, idxFile, jpegDeclaring, pngBomb } from './helpers/bombs.js';
import { callInChild } from './helpers/child.js';
import { fails } from './helpers/cli.js';
import { sharedFixtureRun } from './helpers/shared-fixture.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('digitnet-limits-');
/** A Node process that has imported the data readers peaks near 60 MB; hostile inputs must not add much. */
const CHEAP_MB = 150;

function file(name: string, bytes: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Writes `header` then `zeros` zero bytes through gzip, streaming (the test never holds the expanded data). */
async function gzipZeros(path: string, header: Buffer, zeros: number): Promise<void> {
  const gz = createGzip({ level: 1 });
  const out = createWriteStream(path);
  gz.pipe(out);
  gz.write(header);
  const block = Buffer.alloc(1 << 20);
  for (let left = zeros; left > 0; left -= block.length) {
    if (!gz.write(left >= block.length ? block : block.subarray(0, left))) await once(gz, 'drain');
  }
  gz.end();
  await once(out, 'finish');
}

test('a PNG declaring 30000x30000 pixels is refused from its header, in a tiny fraction of the memory it asks for', () => {
  const bomb = pngBomb(30000, 30000, 1000);
  assert.ok(bomb.length < 120, `${bomb.length} bytes`);
  assert.throws(() => decodeImage(bomb, 'bomb.png'), (e: Error) => {
    assert.ok(e instanceof ImageTooLargeError);
    assert.equal(e.message, 'bomb.png: the PNG image is 30000x30000 pixels (900 megapixels); the limit is 50 megapixels and 65,535 pixels a side');
    return true;
  });
  const path = file('bomb.png', bomb);
  const child = callInChild('src/data/images.js', 'readImageFile', [path]);
  assert.match(child.error ?? '', /bomb\.png: the PNG image is 30000x30000 pixels/);
  assert.ok(child.peakMb < CHEAP_MB, `peak ${child.peakMb.toFixed(0)} MB`);
});

test('a JPEG whose frame header declares 60000x60000 is refused before decoding; a small one decodes', () => {
  assert.throws(() => decodeImage(jpegDeclaring(60000, 60000), 'big.jpg'), /^Error: big\.jpg: the JPEG image is 60000x60000 pixels \(3,600 megapixels\); the limit is 50 megapixels/);
  assert.equal(decodeImage(jpegDeclaring(16, 16), 'ok.jpg').width, 16);
  assert.throws(() => decodeImage(pngBomb(100, 200, 100), 'small.png', { pixels: 10_000, side: 1000 }), /small\.png: the PNG image is 100x200 pixels .*the limit is 0\.01 megapixels/);
});

test('an interlaced PNG whose data inflates far past its declared size is refused, not inflated', () => {
  // 64x64 pixels need about 4 KB; this data inflates to 64 MB.
  const bomb = pngBomb(64, 64, 64 << 20, true);
  const path = file('interlaced-bomb.png', bomb);
  assert.throws(() => decodeImage(bomb, 'i.png'), /i\.png: the PNG data is corrupt or unsupported \(its compressed data inflates to more than its declared size needs\)/);
  const child = callInChild('src/data/images.js', 'readImageFile', [path]);
  assert.match(child.error ?? '', /inflates to more than its declared size needs/);
  assert.ok(child.peakMb < CHEAP_MB, `peak ${child.peakMb.toFixed(0)} MB`);
});

test('a gzipped IDX file that expands past its header is stopped one byte past the declared size', async () => {
  // The header declares 10 images of 28x28 (7,840 bytes); the data goes on for 300 MB.
  const path = join(dir, 'bomb-idx3-ubyte.gz');
  await gzipZeros(path, idxFile([10, 28, 28], 0), 300 << 20);
  const child = callInChild('src/data/mnist.js', 'readIdxFile', [path]);
  assert.equal(child.error, `${path}: IDX dimensions [10,28,28] need 7840 bytes of data, the file holds more (found 7841 bytes and stopped): it is longer than its header declares`);
  assert.ok(child.peakMb < CHEAP_MB, `peak ${child.peakMb.toFixed(0)} MB`);
});

test('IDX data longer or shorter than its header, or declaring more than the limit, is refused from the header and the file size', () => {
  const longer = file('long-idx1-ubyte', idxFile([5], 6));
  assert.throws(() => readIdxFile(longer), /long-idx1-ubyte: IDX dimensions \[5\] need 5 bytes of data, the file has 6: it is longer than its header declares/);
  const shorter = file('short-idx1-ubyte', idxFile([5], 4));
  assert.throws(() => readIdxFile(shorter), /need 5 bytes of data, the file has 4: it is shorter than its header declares/);
  const gzShort = file('short-idx1-ubyte.gz', gzippedIdx([5], 3));
  assert.throws(() => readIdxFile(gzShort), /need 5 bytes of data, the file has 3: it is shorter/);
  const huge = file('huge-idx3-ubyte.gz', gzippedIdx([100000, 1000, 1000], 16));
  assert.throws(() => readIdxFile(huge), /huge-idx3-ubyte\.gz: the IDX header declares dimensions \[100000,1000,1000\], 93 GB of data, more than the 1\.0 GB an IDX file may hold/);
});

test('a CSV line of 100 MB is refused at the line limit with bounded memory, not read whole', async () => {
  const path = join(dir, 'one-line.csv');
  const out = createWriteStream(path);
  const piece = '1,'.repeat(1 << 19);
  for (let i = 0; i < 100; i++) if (!out.write(piece)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  await assert.rejects(readMnistCsv(path), /one-line\.csv:1: the line is longer than 65,536 characters/);
  const child = callInChild('src/data/csv.js', 'readMnistCsv', [path]);
  assert.match(child.error ?? '', /one-line\.csv:1: the line is longer than 65,536 characters/);
  assert.ok(child.peakMb < CHEAP_MB, `peak ${child.peakMb.toFixed(0)} MB`);
});

test('devices and pipes are refused as inputs: /dev/zero is never read', async () => {
  await assert.rejects(readMnistCsv('/dev/zero'), /^Error: \/dev\/zero: is a character device, not a regular file; give a CSV file$/);
  assert.throws(() => readImageFile('/dev/zero'), /^Error: \/dev\/zero: is a character device, not a regular file; give an image file$/);
  assert.throws(() => readIdxFile('/dev/zero'), /\/dev\/zero: is a character device, not a regular file; give an IDX file/);
  const fifo = join(dir, 'pipe.csv');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  await assert.rejects(readMnistCsv(fifo), /pipe\.csv: is a pipe, not a regular file/);
});

test('image files above the file size limit are refused before they are read', () => {
  const big = file('huge.png', Buffer.concat([pngBomb(10, 10, 100), Buffer.alloc(65 * 1024 * 1024)]));
  assert.throws(() => readImageFile(big), /huge\.png: 65 MB is more than the 64 MB an image file may be/);
});

test('digitnet predict refuses /dev/zero and the PNG bomb with one line each, at once', async () => {
  const { runDir } = await sharedFixtureRun();
  file('bomb-cli.png', pngBomb(30000, 30000, 1000));
  fails(dir, ['predict', '--model', runDir, '/dev/zero'], /^\/dev\/zero: is a character device, not a regular file; give an image file$/, { timeoutMs: 30_000 });
  fails(dir, ['predict', '--model', runDir, 'bomb-cli.png'], /^bomb-cli\.png: the PNG image is 30000x30000 pixels \(900 megapixels\); the limit is 50 megapixels/, { timeoutMs: 30_000 });
});
