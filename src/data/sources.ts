// Where the images come from (`--data`): `mnist` (the embedded copy), a CSV file, or a folder recognized by
// the first of FOLDER_LAYOUTS that matches it (add a layout there to read a new kind of folder). A labelled
// CSV file finds its test set in `--test`, else a labelled sibling named with "test" for "train"; when there
// is none, or the sibling is Kaggle's unlabelled test.csv, a stratified test split is held out from its
// rows, and the unlabelled rows are kept to be predicted (Kaggle's submission.csv). Node-only.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readMnistCsv, type CsvImages, type PixelRange } from './csv.js';
import type { ImageSet } from './idx.js';
import { embeddedMnistDir, loadMnist } from './mnist.js';
import { foreignDigits, FOREIGN_STYLES } from './foreign.js';
import { validationSplit } from './split.js';

export interface LoadedData {
  train: ImageSet;
  test: ImageSet;
  /** Human-readable origin of each set. */
  trainSource: string;
  testSource: string;
  /** Set when the test set was held out from the training rows. */
  heldOut: { fraction: number; seed: number; rows: number } | null;
  /** Unlabelled rows to predict after training (Kaggle's test.csv), or null. */
  unlabeled: { set: CsvImages; source: string } | null;
}

export interface LoadOptions {
  /** Where the test set comes from instead (a labelled CSV file or a folder). */
  test?: string;
  /** Use at most this many training rows (0: all), and at most testLimit test rows. */
  limit?: number;
  testLimit?: number;
  /** The fraction held out as the test set when there is none (default 0.1), and its seed. */
  testSplit?: number;
  seed?: number;
  pixelRange?: PixelRange;
}

export const CSV_TRAIN = 'mnist_train.csv';
export const CSV_TEST = 'mnist_test.csv';
export const KAGGLE_TRAIN = 'train.csv';
export const KAGGLE_TEST = 'test.csv';
export const DEFAULT_TEST_SPLIT = 0.1;
/** `--data foreign`: MNIST's first 1,000 test digits re-rendered in other styles (data/foreign.ts), as a test set. */
export const FOREIGN = 'foreign';
const FOREIGN_SOURCE = `foreign digits: MNIST test digits re-rendered ${FOREIGN_STYLES.map((s) => s.name).join(', ')} as dark ink on paper, through the user-image preprocessing`;

/** A kind of data folder: how to tell it, and how to read it. */
export interface FolderLayout {
  name: string;
  /** What the folder holds, for the message when no layout matches. */
  holds: string;
  matches(dir: string): boolean;
  load(dir: string, o: LoadOptions): Promise<LoadedData>;
}

/** The folder layouts, tried in this order. */
export const FOLDER_LAYOUTS: FolderLayout[] = [
  {
    name: 'mnist-csv',
    holds: `${CSV_TRAIN} and ${CSV_TEST} (what \`digitnet data export-csv\` writes)`,
    matches: (dir) => existsSync(join(dir, CSV_TRAIN)) || existsSync(join(dir, CSV_TEST)),
    load: async (dir, o) => {
      for (const [have, want] of [[CSV_TRAIN, CSV_TEST], [CSV_TEST, CSV_TRAIN]]) {
        if (!existsSync(join(dir, want))) throw new Error(`${dir}: holds ${have} but no ${want}`);
      }
      return csvPair(join(dir, CSV_TRAIN), join(dir, CSV_TEST), o);
    },
  },
  {
    name: 'kaggle',
    holds: `Kaggle's ${KAGGLE_TRAIN} (labelled) and optionally ${KAGGLE_TEST} (unlabelled)`,
    matches: (dir) => existsSync(join(dir, KAGGLE_TRAIN)),
    load: (dir, o) => csvFileSets(join(dir, KAGGLE_TRAIN), o),
  },
  {
    name: 'idx',
    holds: 'MNIST IDX files (train-images-idx3-ubyte[.gz] ...)',
    matches: (dir) => readdirSync(dir).some((n) => /idx\d-ubyte/.test(n)),
    load: async (dir, o) => {
      const m = loadMnist(dir);
      return { train: cap(m.train, o.limit), test: cap(m.test, o.testLimit), trainSource: `${dir} (IDX)`, testSource: `${dir} (IDX)`, heldOut: null, unlabeled: null };
    },
  },
];

/** Training and test sets for `spec` ('mnist' or a path). */
export async function loadData(spec: string, o: LoadOptions = {}): Promise<LoadedData> {
  const data = await loadSpec(spec, o);
  if (!o.test) return data;
  return { ...data, test: await labeledCsvOrFolder(o.test, o), testSource: resolve(o.test), heldOut: null };
}

async function loadSpec(spec: string, o: LoadOptions): Promise<LoadedData> {
  if (spec === 'mnist' || spec === '') {
    const m = loadMnist(embeddedMnistDir());
    return { train: cap(m.train, o.limit), test: cap(m.test, o.testLimit), trainSource: 'MNIST training set (embedded)', testSource: 'MNIST test set (embedded)', heldOut: null, unlabeled: null };
  }
  const path = resolve(spec);
  if (!existsSync(path)) throw new Error(`${spec}: no such file or folder (give 'mnist', a CSV file, or a folder of CSV or IDX files)`);
  if (statSync(path).isDirectory()) return folderSets(path, o);
  if (!/\.csv$/i.test(path)) throw new Error(`${spec}: expected a .csv file or a folder of MNIST CSV or IDX files`);
  return csvFileSets(path, o);
}

async function folderSets(dir: string, o: LoadOptions): Promise<LoadedData> {
  const layout = FOLDER_LAYOUTS.find((l) => l.matches(dir));
  if (!layout) throw new Error(`${dir}: holds none of the folder layouts digitnet reads: ${FOLDER_LAYOUTS.map((l) => l.holds).join('; ')}`);
  return layout.load(dir, o);
}

/**
 * A labelled CSV file: its test set is `--test` (applied by loadData), a labelled sibling (train → test in
 * the name), or held out from its rows; an unlabelled sibling is kept for prediction.
 */
async function csvFileSets(path: string, o: LoadOptions): Promise<LoadedData> {
  const sibling = testSibling(path);
  const siblingRows = sibling ? await readMnistCsv(sibling, { kind: 'auto', pixelRange: o.pixelRange, limit: 1 }) : null;
  if (sibling && siblingRows?.labeled && !o.test) return csvPair(path, sibling, o);
  const unlabeled = sibling && !siblingRows!.labeled ? { set: await readMnistCsv(sibling, { kind: 'unlabeled', pixelRange: o.pixelRange }), source: sibling } : null;
  const rows = await readMnistCsv(path, { kind: 'labeled', limit: o.limit || undefined, pixelRange: o.pixelRange });
  if (o.test) return { train: rows, test: rows, trainSource: path, testSource: path, heldOut: null, unlabeled };
  return { ...holdOut(rows, path, o), unlabeled };
}

/** The sibling named like `path` with "test" for "train" (train.csv → test.csv), when it exists. */
function testSibling(path: string): string | null {
  const name = basename(path);
  const swapped = name.replace(/train/i, (m) => (m === 'TRAIN' ? 'TEST' : m[0] === 'T' ? 'Test' : 'test'));
  const p = join(dirname(path), swapped);
  return swapped !== name && existsSync(p) ? p : null;
}

async function csvPair(train: string, test: string, o: LoadOptions): Promise<LoadedData> {
  return {
    train: await readMnistCsv(train, { kind: 'labeled', limit: o.limit || undefined, pixelRange: o.pixelRange }),
    test: await readMnistCsv(test, { kind: 'labeled', limit: o.testLimit || undefined, pixelRange: o.pixelRange }),
    trainSource: train,
    testSource: test,
    heldOut: null,
    unlabeled: null,
  };
}

/** A stratified test split held out from labelled rows (seeded, so the same run holds out the same rows). */
function holdOut(rows: ImageSet, path: string, o: LoadOptions): Omit<LoadedData, 'unlabeled'> {
  const fraction = o.testSplit ?? DEFAULT_TEST_SPLIT;
  const seed = o.seed ?? 0;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`--test-split must be above 0 and below 1, got ${fraction}`);
  const held = Math.round(rows.count * fraction);
  if (held === 0 || held === rows.count) {
    throw new Error(`${path}: ${rows.count} rows are too few to hold out a test set of ${fraction} of them; give a test set with --test FILE`);
  }
  const split = validationSplit(rows.labels, fraction, { seed: seed ^ 0x7e57 });
  const test = cap(subset(rows, Int32Array.from(split.validation).sort()), o.testLimit);
  const pct = `${+(fraction * 100).toFixed(2)}%`;
  return {
    train: subset(rows, Int32Array.from(split.train).sort()),
    test,
    trainSource: path,
    testSource: `${test.count.toLocaleString('en-US')} rows held out from ${basename(path)} (${pct}, stratified, seed ${seed})`,
    heldOut: { fraction, seed, rows: test.count },
  };
}

/** The images at `idx`, in that order. */
export function subset(set: ImageSet, idx: Int32Array): ImageSet {
  const per = set.height * set.width;
  const images = new Uint8Array(idx.length * per);
  const labels = new Uint8Array(set.labels.length ? idx.length : 0);
  idx.forEach((src, r) => {
    images.set(set.images.subarray(src * per, (src + 1) * per), r * per);
    if (labels.length) labels[r] = set.labels[src];
  });
  return { ...set, images, labels, count: idx.length };
}

/** Only the test set (for `digitnet evaluate`): a labelled CSV file is taken as the test set itself. */
export async function loadTestData(spec: string, limit?: number, pixelRange?: PixelRange): Promise<{ test: ImageSet; source: string }> {
  if (spec === FOREIGN) return { test: foreignDigits(loadMnist().test, { count: limit ? Math.ceil(limit / FOREIGN_STYLES.length) : undefined }), source: FOREIGN_SOURCE };
  const path = resolve(spec);
  if (spec !== 'mnist' && spec !== '' && existsSync(path) && statSync(path).isDirectory()) return { test: await folderTestSet(path, limit, pixelRange), source: path };
  if (/\.csv$/i.test(spec)) return { test: await readMnistCsv(spec, { kind: 'labeled', limit: limit || undefined, pixelRange }), source: path };
  const data = await loadSpec(spec, { limit: 1, testLimit: limit, pixelRange });
  return { test: data.test, source: data.testSource };
}

/** The labelled test set of a data folder (a Kaggle folder has none: its test.csv is unlabelled). */
async function folderTestSet(dir: string, limit?: number, pixelRange?: PixelRange): Promise<ImageSet> {
  const layout = FOLDER_LAYOUTS.find((l) => l.matches(dir));
  if (layout?.name === 'kaggle') {
    throw new Error(`${dir}: holds no labelled test set (Kaggle's ${KAGGLE_TEST} has no labels); give a labelled CSV file instead`);
  }
  return (await folderSets(dir, { limit: 1, testLimit: limit, pixelRange })).test;
}

async function labeledCsvOrFolder(path: string, o: LoadOptions): Promise<ImageSet> {
  if (existsSync(path) && statSync(path).isDirectory()) return folderTestSet(resolve(path), o.testLimit, o.pixelRange);
  if (/\.csv$/i.test(path)) return readMnistCsv(path, { kind: 'labeled', limit: o.testLimit || undefined, pixelRange: o.pixelRange });
  throw new Error(`${path}: the test set must be a labelled CSV file or a folder of MNIST files`);
}

/** The first `limit` images of a set (all when limit is 0 or absent). */
export function cap(set: ImageSet, limit?: number): ImageSet {
  if (!limit || limit >= set.count) return set;
  const per = set.height * set.width;
  return { ...set, images: set.images.subarray(0, limit * per), labels: set.labels.subarray(0, limit), count: limit };
}
