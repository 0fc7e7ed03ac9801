// Where the images come from (`--data`): `mnist` (the embedded copy), `fashion-mnist` (Debian's package), a
// CSV file, or a folder recognized by the first of FOLDER_LAYOUTS that matches it (add a layout there to read
// a new kind of folder). A labelled CSV file finds its test set in `--test`, else a labelled sibling named
// with "test" for "train"; when there is none, or the sibling is Kaggle's unlabelled test.csv, a stratified
// test split is held out from its rows, and the unlabelled rows are kept to be predicted (Kaggle's
// submission.csv); an image folder without train/ and test/ holds one out too. Every set comes with its
// class names, and is made into the input shape asked for (`shape`) when it has another. Node-only.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { classNamesFile, nameClasses } from './class-names.js';
import { conformSet } from './conform.js';
import { readMnistCsv, type CsvImages, type PixelRange } from './csv.js';
import { FASHION_CLASSES, FASHION_MNIST, fashionMnistDir } from './fashion-mnist.js';
import { pixelsPer, type ImageSet } from './idx.js';
import { describeCounts, looksLikeImageFolder, readImageFolder, trainTestFolders, type FolderImages } from './image-folder.js';
import { embeddedMnistDir, loadMnist } from './mnist.js';
import { foreignDigits, FOREIGN_STYLES } from './foreign.js';
import { indexNames } from './model-input.js';
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
  /** The name of each class, by label (the indices themselves when the data names none). */
  classNames: string[];
  /** What is worth saying about the data: an image folder's classes and counts, files left out. */
  notes: string[];
}

/** What a layout reads; loadData names the classes and fits the shape. */
export type FolderData = Omit<LoadedData, 'classNames' | 'notes'> & { notes?: string[] };

/** The shape images are made into: [height, width, channels]. */
export type InputShape = [number, number, number];

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
  /** Image folders are read at this shape (default 28x28x1); other sets are resized to it when they differ. */
  shape?: InputShape;
  /** A class-names file for data that does not name its classes (default: classes.txt beside a CSV). */
  classNames?: string;
  /** Train on only the first this many images of each class (a small labelled set). */
  perClass?: number;
}

export const CSV_TRAIN = 'mnist_train.csv';
export const CSV_TEST = 'mnist_test.csv';
export const KAGGLE_TRAIN = 'train.csv';
export const KAGGLE_TEST = 'test.csv';
export const DEFAULT_TEST_SPLIT = 0.1;
/** `--data foreign`: MNIST's first 1,000 test digits re-rendered in other styles (data/foreign.ts), as a test set. */
export const FOREIGN = 'foreign';
const FOREIGN_SOURCE = `foreign digits: MNIST test digits re-rendered ${FOREIGN_STYLES.map((s) => s.name).join(', ')} as dark ink on paper, through the user-image preprocessing`;
/** The shape an image folder is read at unless one is asked for: MNIST's. */
export const DEFAULT_SHAPE: InputShape = [28, 28, 1];

/** A kind of data folder: how to tell it, and how to read it. */
export interface FolderLayout {
  name: string;
  /** What the folder holds, for the message when no layout matches. */
  holds: string;
  matches(dir: string): boolean;
  load(dir: string, o: LoadOptions): Promise<FolderData>;
  /** The folder's labelled test set alone, its labels those of `classNames` (default: load's test set). */
  loadTest?(dir: string, o: LoadOptions, classNames?: string[]): Promise<ImageSet>;
}

/** The folder layouts, tried in this order. */
export const FOLDER_LAYOUTS: FolderLayout[] = [
  {
    name: 'idx',
    holds: 'MNIST IDX files (train-images-idx3-ubyte[.gz] ...)',
    matches: (dir) => readdirSync(dir).some((n) => /idx\d-ubyte/.test(n)),
    load: async (dir, o) => idxSets(dir, o, `${dir} (IDX)`),
  },
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
    name: 'image-folder',
    holds: 'one sub-folder of PNG or JPEG images per class (or train/ and test/ folders laid out so)',
    matches: looksLikeImageFolder,
    load: async (dir, o) => {
      const shape = o.shape ?? DEFAULT_SHAPE;
      const split = trainTestFolders(dir);
      if (!split) {
        const all = readImageFolder(dir, shapeOf(shape), { limit: o.limit || undefined });
        // With --test, every image trains (loadData puts the test set in place).
        if (o.test) return { train: all, test: all, trainSource: dir, testSource: dir, heldOut: null, unlabeled: null, notes: folderNotes(dir, all) };
        return { ...holdOut(all, dir, o, 'images'), unlabeled: null, notes: folderNotes(dir, all) };
      }
      const train = readImageFolder(split.train, shapeOf(shape), { limit: o.limit || undefined });
      const test = readImageFolder(split.test, shapeOf(shape), { limit: o.testLimit || undefined, classNames: train.classNames });
      return { train, test, trainSource: split.train, testSource: split.test, heldOut: null, unlabeled: null, notes: folderNotes(split.train, train) };
    },
    loadTest: async (dir, o, classNames) => {
      const split = trainTestFolders(dir);
      return readImageFolder(split?.test ?? dir, shapeOf(o.shape ?? DEFAULT_SHAPE), { limit: o.testLimit || undefined, classNames });
    },
  },
];

/** Training and test sets for `spec` ('mnist', 'fashion-mnist' or a path), with their class names, in `o.shape`. */
export async function loadData(spec: string, o: LoadOptions = {}): Promise<LoadedData> {
  const data = await loadSpec(spec, o);
  const classNames = namesOf(data, spec, o, !o.test);
  const test = o.test ? await labeledCsvOrFolder(o.test, o, classNames) : data.test;
  checkLabels(test, classNames, o.test ?? data.testSource);
  const fit = <T extends ImageSet>(set: T): T => (o.shape ? conformSet(set, o.shape) : set);
  const train = o.perClass ? firstPerClass(data.train, o.perClass) : data.train;
  const notes = [...(data.notes ?? []), ...(o.perClass ? [`Training on the first ${o.perClass} images of each class: ${train.count.toLocaleString('en-US')} of ${data.train.count.toLocaleString('en-US')}`] : [])];
  return {
    ...data, train: fit(train), test: fit(test), classNames, notes,
    ...(o.test ? { testSource: resolve(o.test), heldOut: null } : {}),
  };
}

/** The data's own class names (an image folder's, Fashion-MNIST's), else a class-names file's, else the indices. */
function namesOf(data: FolderData, spec: string, o: LoadOptions, withTest: boolean): string[] {
  const own = data.train.classNames;
  if (own && o.classNames) throw new Error(`--class-names ${o.classNames}: ${spec} names its own classes (${own.slice(0, 5).join(', ')}${own.length > 5 ? ', ...' : ''})`);
  if (own) return own;
  const path = spec === 'mnist' || spec === '' ? null : resolve(spec);
  const file = classNamesFile(path && existsSync(path) ? (statSync(path).isDirectory() ? path : dirname(path)) : null, o.classNames);
  const names = nameClasses(withTest ? [data.train, data.test] : [data.train], file);
  return names.length < 2 ? indexNames(2) : names;
}

function checkLabels(set: ImageSet, classNames: string[], source: string): void {
  for (let i = 0; i < set.count; i++) {
    if (set.labels[i] >= classNames.length) {
      throw new Error(`${source}: test image ${i} has label ${set.labels[i]}, but the training data has ${classNames.length} classes (0..${classNames.length - 1})`);
    }
  }
}

/** The four IDX files of a folder (MNIST's names), as training and test sets. */
function idxSets(dir: string, o: LoadOptions, source: string, classNames?: string[]): FolderData {
  const m = loadMnist(dir);
  const named = (s: ImageSet): ImageSet => (classNames ? { ...s, classNames } : s);
  return { train: named(cap(m.train, o.limit)), test: named(cap(m.test, o.testLimit)), trainSource: source, testSource: source, heldOut: null, unlabeled: null };
}

function shapeOf(shape: InputShape): { height: number; width: number; channels: number } {
  return { height: shape[0], width: shape[1], channels: shape[2] };
}

function folderNotes(dir: string, set: FolderImages): string[] {
  const notes = [`${dir}: ${describeCounts(set.classNames, set.counts)}`];
  if (set.skipped.length) notes.push(`${dir}: left out ${set.skipped.length} entries that are not class folders or images (${set.skipped.slice(0, 3).map((p) => basename(p)).join(', ')}${set.skipped.length > 3 ? ', ...' : ''})`);
  return notes;
}

async function loadSpec(spec: string, o: LoadOptions): Promise<FolderData> {
  if (spec === 'mnist' || spec === '') {
    const m = loadMnist(embeddedMnistDir());
    return { train: cap(m.train, o.limit), test: cap(m.test, o.testLimit), trainSource: 'MNIST training set (embedded)', testSource: 'MNIST test set (embedded)', heldOut: null, unlabeled: null };
  }
  if (spec === FASHION_MNIST) {
    const dir = fashionMnistDir();
    return { ...idxSets(dir, o, '', FASHION_CLASSES), trainSource: `Fashion-MNIST training set (${dir})`, testSource: `Fashion-MNIST test set (${dir})` };
  }
  const path = resolve(spec);
  if (!existsSync(path)) throw new Error(`${spec}: no such file or folder (give 'mnist', '${FASHION_MNIST}', a CSV file, or a folder of CSV files, IDX files or class folders of images)`);
  if (statSync(path).isDirectory()) return folderSets(path, o);
  if (!/\.csv$/i.test(path)) throw new Error(`${spec}: expected a .csv file or a folder of MNIST CSV or IDX files, or of class folders of images`);
  return csvFileSets(path, o);
}

async function folderSets(dir: string, o: LoadOptions): Promise<FolderData> {
  const layout = FOLDER_LAYOUTS.find((l) => l.matches(dir));
  if (!layout) throw new Error(`${dir}: holds none of the folder layouts digitnet reads: ${FOLDER_LAYOUTS.map((l) => l.holds).join('; ')}`);
  return layout.load(dir, o);
}

/**
 * A labelled CSV file: its test set is `--test` (applied by loadData), a labelled sibling (train → test in
 * the name), or held out from its rows; an unlabelled sibling is kept for prediction.
 */
async function csvFileSets(path: string, o: LoadOptions): Promise<FolderData> {
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

async function csvPair(train: string, test: string, o: LoadOptions): Promise<FolderData> {
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
function holdOut(rows: ImageSet, path: string, o: LoadOptions, noun = 'rows'): Omit<FolderData, 'unlabeled'> {
  const fraction = o.testSplit ?? DEFAULT_TEST_SPLIT;
  const seed = o.seed ?? 0;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`--test-split must be above 0 and below 1, got ${fraction}`);
  const held = Math.round(rows.count * fraction);
  if (held === 0 || held === rows.count) {
    throw new Error(`${path}: ${rows.count} ${noun} are too few to hold out a test set of ${fraction} of them; give a test set with --test ${noun === 'rows' ? 'FILE' : 'FOLDER'}`);
  }
  const split = validationSplit(rows.labels, fraction, { seed: seed ^ 0x7e57 });
  const test = cap(subset(rows, Int32Array.from(split.validation).sort()), o.testLimit);
  const pct = `${+(fraction * 100).toFixed(2)}%`;
  return {
    train: subset(rows, Int32Array.from(split.train).sort()),
    test,
    trainSource: path,
    testSource: `${test.count.toLocaleString('en-US')} ${noun} held out from ${basename(path)} (${pct}, stratified, seed ${seed})`,
    heldOut: { fraction, seed, rows: test.count },
  };
}

/** The images at `idx`, in that order. */
export function subset<T extends ImageSet>(set: T, idx: Int32Array): T {
  const per = pixelsPer(set);
  const images = new Uint8Array(idx.length * per);
  const labels = new Uint8Array(set.labels.length ? idx.length : 0);
  idx.forEach((src, r) => {
    images.set(set.images.subarray(src * per, (src + 1) * per), r * per);
    if (labels.length) labels[r] = set.labels[src];
  });
  return { ...set, images, labels, count: idx.length };
}

/**
 * Only the test set (for `digitnet evaluate`): a labelled CSV file, or an image folder without train/ and
 * test/, is taken as the test set itself. `model` gives the model's input shape and class names: the set is
 * made into that shape, and an image folder's classes are those names.
 */
export async function loadTestData(spec: string, limit?: number, pixelRange?: PixelRange, model?: { shape: InputShape; classNames: string[] }): Promise<{ test: ImageSet; source: string }> {
  const path = resolve(spec);
  const o: LoadOptions = { limit: 1, testLimit: limit, pixelRange, shape: model?.shape };
  const fit = (set: ImageSet, source: string): { test: ImageSet; source: string } => {
    if (model) checkLabels(set, model.classNames, source);
    return { test: model ? conformSet(set, model.shape) : set, source };
  };
  if (spec === FOREIGN) return fit(foreignDigits(loadMnist().test, { count: limit ? Math.ceil(limit / FOREIGN_STYLES.length) : undefined }), FOREIGN_SOURCE);
  if (spec !== 'mnist' && spec !== '' && existsSync(path) && statSync(path).isDirectory()) return fit(await folderTestSet(path, o, model?.classNames), path);
  if (/\.csv$/i.test(spec)) return fit(await readMnistCsv(spec, { kind: 'labeled', limit: limit || undefined, pixelRange }), path);
  const data = await loadSpec(spec, o);
  return fit(data.test, data.testSource);
}

/** The labelled test set of a data folder (a Kaggle folder has none: its test.csv is unlabelled). */
async function folderTestSet(dir: string, o: LoadOptions, classNames?: string[]): Promise<ImageSet> {
  const layout = FOLDER_LAYOUTS.find((l) => l.matches(dir));
  if (layout?.name === 'kaggle') {
    throw new Error(`${dir}: holds no labelled test set (Kaggle's ${KAGGLE_TEST} has no labels); give a labelled CSV file instead`);
  }
  if (layout?.loadTest) return layout.loadTest(dir, o, classNames);
  return (await folderSets(dir, { ...o, limit: 1 })).test;
}

async function labeledCsvOrFolder(path: string, o: LoadOptions, classNames?: string[]): Promise<ImageSet> {
  if (existsSync(path) && statSync(path).isDirectory()) return folderTestSet(resolve(path), o, classNames);
  if (/\.csv$/i.test(path)) return readMnistCsv(path, { kind: 'labeled', limit: o.testLimit || undefined, pixelRange: o.pixelRange });
  throw new Error(`${path}: the test set must be a labelled CSV file, a folder of MNIST files or an image folder`);
}

/** The first `n` images of each class, in the set's order. */
export function firstPerClass<T extends ImageSet>(set: T, n: number): T {
  const seen = new Map<number, number>();
  const keep: number[] = [];
  for (let i = 0; i < set.count; i++) {
    const k = seen.get(set.labels[i]) ?? 0;
    if (k < n) keep.push(i);
    seen.set(set.labels[i], k + 1);
  }
  return subset(set, Int32Array.from(keep));
}

/** The first `limit` images of a set (all when limit is 0 or absent). */
export function cap<T extends ImageSet>(set: T, limit?: number): T {
  if (!limit || limit >= set.count) return set;
  const per = pixelsPer(set);
  return { ...set, images: set.images.subarray(0, limit * per), labels: set.labels.subarray(0, limit), count: limit };
}
