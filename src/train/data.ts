// Where the images come from: `mnist` (the embedded copy), a folder of IDX files (gzipped or not), a
// folder holding mnist_train.csv and mnist_test.csv (what `digitnet data export-csv` writes), or one
// labelled CSV file (its test set is `--test`, or the sibling file named with "test" for "train").
// Node-only.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readMnistCsv } from '../data/csv.js';
import type { ImageSet } from '../data/idx.js';
import { embeddedMnistDir, loadMnist } from '../data/mnist.js';

export interface LoadedData {
  train: ImageSet;
  test: ImageSet;
  /** Human-readable origin of each set. */
  trainSource: string;
  testSource: string;
}

export const CSV_TRAIN = 'mnist_train.csv';
export const CSV_TEST = 'mnist_test.csv';

/** Training and test sets for `spec` ('mnist' or a path); `test` overrides where the test set comes from. */
export async function loadData(spec: string, o: { test?: string; limit?: number; testLimit?: number } = {}): Promise<LoadedData> {
  const { train, trainSource, test, testSource } = await resolveSets(spec, o.test, o.limit, o.testLimit);
  return { train: await train(), test: await test(), trainSource, testSource };
}

/** Only the test set (for `digitnet evaluate`): a labelled CSV file is taken as the test set itself. */
export async function loadTestData(spec: string, limit?: number): Promise<{ test: ImageSet; source: string }> {
  if (isCsvFile(spec)) return { test: await labeledCsv(spec, limit), source: resolve(spec) };
  const sets = await resolveSets(spec, undefined, 0, limit);
  return { test: await sets.test(), source: sets.testSource };
}

type Loader = () => Promise<ImageSet>;

async function resolveSets(spec: string, testPath: string | undefined, limit?: number, testLimit?: number): Promise<{ train: Loader; trainSource: string; test: Loader; testSource: string }> {
  const testOverride = testPath ? { test: () => labeledCsvOrIdx(testPath, testLimit), testSource: resolve(testPath) } : null;
  if (spec === 'mnist' || spec === '') {
    const dir = embeddedMnistDir();
    const m = once(() => loadMnist(dir));
    return {
      train: async () => cap(m().train, limit),
      trainSource: 'MNIST training set (embedded)',
      test: async () => cap(m().test, testLimit),
      testSource: 'MNIST test set (embedded)',
      ...testOverride,
    };
  }
  const path = resolve(spec);
  if (!existsSync(path)) throw new Error(`${spec}: no such file or folder (give 'mnist', a CSV file, or a folder of CSV or IDX files)`);
  if (statSync(path).isDirectory()) return { ...folderSets(path, limit, testLimit), ...testOverride };
  if (!isCsvFile(path)) throw new Error(`${spec}: expected a .csv file or a folder of MNIST CSV or IDX files`);
  const sibling = join(dirname(path), basename(path).replace(/train/i, (m) => (m === 'TRAIN' ? 'TEST' : m[0] === 'T' ? 'Test' : 'test')));
  if (!testOverride && (sibling === path || !existsSync(sibling))) {
    throw new Error(`${spec}: no test set to go with this training CSV; give one with --test FILE (or put it beside as ${basename(sibling === path ? 'test.csv' : sibling)})`);
  }
  return {
    train: () => labeledCsv(path, limit),
    trainSource: path,
    test: () => labeledCsv(sibling, testLimit),
    testSource: sibling,
    ...testOverride,
  };
}

function folderSets(dir: string, limit?: number, testLimit?: number): { train: Loader; trainSource: string; test: Loader; testSource: string } {
  const trainCsv = join(dir, CSV_TRAIN);
  const testCsv = join(dir, CSV_TEST);
  if (existsSync(trainCsv) || existsSync(testCsv)) {
    for (const p of [trainCsv, testCsv]) if (!existsSync(p)) throw new Error(`${dir}: holds ${basename(p === trainCsv ? testCsv : trainCsv)} but no ${basename(p)}`);
    return { train: () => labeledCsv(trainCsv, limit), trainSource: trainCsv, test: () => labeledCsv(testCsv, testLimit), testSource: testCsv };
  }
  const idx = readdirSync(dir).filter((n) => /idx\d-ubyte/.test(n));
  if (idx.length === 0) throw new Error(`${dir}: holds neither ${CSV_TRAIN}/${CSV_TEST} nor MNIST IDX files (train-images-idx3-ubyte[.gz] ...)`);
  const m = once(() => loadMnist(dir));
  return {
    train: async () => cap(m().train, limit),
    trainSource: `${dir} (IDX)`,
    test: async () => cap(m().test, testLimit),
    testSource: `${dir} (IDX)`,
  };
}

async function labeledCsv(path: string, limit?: number): Promise<ImageSet> {
  return readMnistCsv(path, { kind: 'labeled', limit: limit || undefined });
}

async function labeledCsvOrIdx(path: string, limit?: number): Promise<ImageSet> {
  if (isCsvFile(path)) return labeledCsv(path, limit);
  if (existsSync(path) && statSync(path).isDirectory()) return folderSets(resolve(path), 0, limit).test();
  throw new Error(`${path}: the test set must be a labelled CSV file or a folder of MNIST files`);
}

function isCsvFile(p: string): boolean {
  return /\.csv$/i.test(p) && (!existsSync(p) || statSync(p).isFile());
}

/** The first `limit` images of a set (all when limit is 0 or absent). */
export function cap(set: ImageSet, limit?: number): ImageSet {
  if (!limit || limit >= set.count) return set;
  const per = set.height * set.width;
  return { ...set, images: set.images.subarray(0, limit * per), labels: set.labels.subarray(0, limit), count: limit };
}

function once<T>(f: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= f());
}
