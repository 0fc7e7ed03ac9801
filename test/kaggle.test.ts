// Kaggle's Digit Recognizer layout trains as it comes: train.csv (labelled, with Kaggle's header) beside an
// unlabelled test.csv, given as the file or as the folder. A stratified test split is held out from
// train.csv (said on the console and recorded in run.json), and test.csv is predicted after training into
// submission.csv in Kaggle's format. A labelled CSV alone trains the same way.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { csvLines } from '../src/data/csv.js';
import { loadMnist } from '../src/data/mnist.js';
import { cap, loadData } from '../src/data/sources.js';
import type { RunJson } from '../src/train/run-files.js';
import { fails, ok } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

const cwd = tempDir('digitnet-kaggle-');
const mnist = loadMnist();
const TRAIN_ROWS = 1500;
const TEST_ROWS = 300;
const unlabeled = { ...cap(mnist.test, TEST_ROWS), labels: new Uint8Array(0) };

before(() => {
  mkdirSync(join(cwd, 'digit-recognizer'));
  writeFileSync(join(cwd, 'digit-recognizer', 'train.csv'), [...csvLines(cap(mnist.train, TRAIN_ROWS), 'kaggle')].join(''));
  writeFileSync(join(cwd, 'digit-recognizer', 'test.csv'), [...csvLines(unlabeled, 'kaggle')].join(''));
});

const QUICK = ['--epochs', '2', '--batch-size', '32'];

/** Checks submission.csv: Kaggle's header, ImageId 1..n, a digit each, mostly right on these MNIST test images. */
function checkSubmission(path: string): void {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'ImageId,Label');
  assert.equal(lines.length, TEST_ROWS + 1);
  const labels = lines.slice(1).map((l, i) => {
    const [id, label] = l.split(',').map(Number);
    assert.equal(id, i + 1);
    assert.ok(Number.isInteger(label) && label >= 0 && label <= 9, l);
    return label;
  });
  const right = labels.filter((l, i) => l === mnist.test.labels[i]).length;
  assert.ok(right / TEST_ROWS > 0.7, `${right} of ${TEST_ROWS} right`);
}

test('--data train.csv beside an unlabelled test.csv: a test split is held out, and test.csv becomes submission.csv', () => {
  const out = ok(cwd, ['train', '--data', 'digit-recognizer/train.csv', ...QUICK, '--out', 'k1']);
  assert.match(out, /^Data: 1,215 training, 135 validation, 150 test images \(.*train\.csv; test: 150 rows held out from train\.csv \(10%, stratified, seed 42\)\)$/m);
  assert.match(out, /^Predicted the 300 unlabelled rows of test\.csv: Kaggle submission in k1\/submission\.csv$/m);
  assert.match(out, /k1\/submission\.csv +\(Kaggle submission\)/);
  checkSubmission(join(cwd, 'k1', 'submission.csv'));
  const run = JSON.parse(readFileSync(join(cwd, 'k1', 'run.json'), 'utf8')) as RunJson;
  assert.deepEqual(run.data.heldOutTest, { fraction: 0.1, seed: 42, rows: 150 });
  assert.deepEqual(run.data.submission, { file: 'submission.csv', rows: TEST_ROWS, source: join(cwd, 'digit-recognizer', 'test.csv') });
  assert.match(readFileSync(join(cwd, 'k1', 'report.html'), 'utf8'), /150 rows held out from train\.csv/);
});

test('--data on the folder does the same, with --test-split', () => {
  const out = ok(cwd, ['train', '--data', 'digit-recognizer', ...QUICK, '--test-split', '0.2', '--out', 'k2']);
  assert.match(out, /test: 300 rows held out from train\.csv \(20%, stratified, seed 42\)/);
  checkSubmission(join(cwd, 'k2', 'submission.csv'));
  fails(cwd, ['evaluate', '--model', 'k2', '--data', 'digit-recognizer'], /digit-recognizer: holds no labelled test set \(Kaggle's test\.csv has no labels\); give a labelled CSV file instead$/);
});

test('a labelled CSV alone trains, its test set held out with every digit in proportion', async () => {
  writeFileSync(join(cwd, 'digits.csv'), [...csvLines(cap(mnist.train, 1000))].join(''));
  const data = await loadData(join(cwd, 'digits.csv'), { seed: 3 });
  assert.equal(data.test.count, 100);
  assert.equal(data.train.count, 900);
  assert.equal(data.unlabeled, null);
  for (let d = 0; d < 10; d++) {
    const all = mnist.train.labels.subarray(0, 1000).filter((l) => l === d).length;
    const held = data.test.labels.filter((l) => l === d).length;
    assert.ok(Math.abs(held - all / 10) <= 1, `digit ${d}: ${held} of ${all} held out`);
  }
  const again = await loadData(join(cwd, 'digits.csv'), { seed: 3 });
  assert.deepEqual(again.test.labels, data.test.labels, 'the same seed holds out the same rows');
  const out = ok(cwd, ['train', '--data', 'digits.csv', ...QUICK, '--out', 'alone']);
  assert.match(out, /test: 100 rows held out from digits\.csv \(10%, stratified, seed 42\)/);
  assert.doesNotMatch(out, /submission/);
});
