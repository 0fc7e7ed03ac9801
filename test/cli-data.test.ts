// Where training data comes from and how validation is held out: the stratified split (seeded,
// disjoint, proportional per class), and the resolution of --data (embedded MNIST, a CSV file with its
// test sibling, a folder of CSVs, a folder of IDX files) with the messages for each wrong case.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { csvLines } from '../src/data/csv.js';
import { embeddedMnistDir, loadMnist } from '../src/data/mnist.js';
import { validationSplit } from '../src/data/split.js';
import { cap, loadData, loadTestData } from '../src/data/sources.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('digitnet-data-');
const mnist = loadMnist();

test('the stratified split is disjoint, complete, proportional per class and fixed by the seed', () => {
  const labels = mnist.train.labels.subarray(0, 5000);
  const s = validationSplit(labels, 0.1, { seed: 7 });
  assert.equal(s.validation.length, 500);
  assert.equal(s.train.length, 4500);
  const all = new Set([...s.train, ...s.validation]);
  assert.equal(all.size, 5000, 'every index once');
  const count = (idx: Int32Array, c: number): number => idx.reduce((n, i) => n + (labels[i] === c ? 1 : 0), 0);
  for (let c = 0; c < 10; c++) {
    const inClass = labels.reduce((n, l) => n + (l === c ? 1 : 0), 0);
    assert.ok(Math.abs(count(s.validation, c) - inClass * 0.1) <= 1, `class ${c}: ${count(s.validation, c)} of ${inClass}`);
  }
  assert.deepEqual(validationSplit(labels, 0.1, { seed: 7 }), s);
  assert.notDeepEqual(validationSplit(labels, 0.1, { seed: 8 }).validation, s.validation);
  const plain = validationSplit(labels, 0.1, { seed: 7, stratify: false });
  assert.equal(new Set([...plain.train, ...plain.validation]).size, 5000);
});

test('split fractions that leave nothing are refused', () => {
  assert.throws(() => validationSplit([1, 2, 3], 0.1, { seed: 1 }), /leaves no validation examples/);
  assert.throws(() => validationSplit([1, 2], 1, { seed: 1 }), /at least 0 and below 1/);
  assert.equal(validationSplit([1, 2, 3], 0, { seed: 1 }).validation.length, 0);
});

test('a training CSV finds its test sibling; a folder of CSVs and a folder of IDX files load too', async () => {
  const csvDir = join(dir, 'csv');
  mkdirSync(csvDir);
  writeFileSync(join(csvDir, 'mnist_train.csv'), [...csvLines(cap(mnist.train, 30), 'kaggle')].join(''));
  writeFileSync(join(csvDir, 'mnist_test.csv'), [...csvLines(cap(mnist.test, 20))].join(''));
  const a = await loadData(join(csvDir, 'mnist_train.csv'));
  assert.deepEqual([a.train.count, a.test.count], [30, 20]);
  assert.deepEqual(Uint8Array.from(a.test.labels), Uint8Array.from(mnist.test.labels.subarray(0, 20)));
  const b = await loadData(csvDir, { limit: 10, testLimit: 5 });
  assert.deepEqual([b.train.count, b.test.count], [10, 5]);
  const idxDir = join(dir, 'idx');
  mkdirSync(idxDir);
  // Images as they are, labels gzipped: both forms are read.
  for (const f of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte']) copyFileSync(join(embeddedMnistDir(), f), join(idxDir, f));
  for (const f of ['train-labels-idx1-ubyte', 't10k-labels-idx1-ubyte']) {
    writeFileSync(join(idxDir, `${f}.gz`), gzipSync(readFileSync(join(embeddedMnistDir(), f))));
  }
  const c = await loadData(idxDir, { limit: 100, testLimit: 50 });
  assert.deepEqual([c.train.count, c.test.count], [100, 50]);
  assert.deepEqual(Uint8Array.from(c.test.labels), Uint8Array.from(mnist.test.labels.subarray(0, 50)));
  assert.deepEqual((await loadTestData(join(csvDir, 'mnist_test.csv'))).test.count, 20);
});

test('data that cannot be resolved is refused with what to give instead', async () => {
  const lone = join(dir, 'digits.csv');
  writeFileSync(lone, [...csvLines(cap(mnist.test, 3))].join(''));
  await assert.rejects(loadData(lone), /digits\.csv: 3 rows are too few to hold out a test set of 0\.1 of them; give a test set with --test FILE$/);
  const withTest = await loadData(lone, { test: lone });
  assert.equal(withTest.test.count, 3);
  await assert.rejects(loadData(join(dir, 'missing')), /no such file or folder \(give 'mnist', 'fashion-mnist', a CSV file, or a folder of CSV files, IDX files or class folders of images\)/);
  const empty = join(dir, 'empty-folder');
  mkdirSync(empty);
  await assert.rejects(loadData(empty), /empty-folder: holds none of the folder layouts digitnet reads: MNIST IDX files .*; mnist_train\.csv and mnist_test\.csv .*; Kaggle's train\.csv .*; one sub-folder of PNG or JPEG images per class/);
  const half = join(dir, 'half');
  mkdirSync(half);
  writeFileSync(join(half, 'mnist_train.csv'), '1\n');
  await assert.rejects(loadData(half), /holds mnist_train\.csv but no mnist_test\.csv/);
});
