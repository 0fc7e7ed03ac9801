// Metrics against hand-computed values and scikit-learn's documented output: confusion matrix (rows
// actual), per-class precision, recall, F1 and support, macro and weighted averages, including a class
// that never occurs and one that is never predicted (0, not NaN, as scikit-learn's zero_division default).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatClassificationReport, formatConfusionMatrix } from '../src/eval/format.js';
import { classificationMetrics, confusionMatrix, mostConfused } from '../src/eval/metrics.js';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);

test('confusion matrix counts rows actual, columns predicted', () => {
  const cm = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3);
  assert.deepEqual(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]]);
});

test('a class never present and a class never predicted score 0 without division by zero', () => {
  // actual:    0 0 1 1 2 2      class 2 is never predicted; class 3 never occurs but is predicted once
  // predicted: 0 1 1 3 0 0
  const m = classificationMetrics([0, 0, 1, 1, 2, 2], [0, 1, 1, 3, 0, 0], 4);
  assert.deepEqual(m.confusionMatrix, [[1, 1, 0, 0], [0, 1, 0, 1], [2, 0, 0, 0], [0, 0, 0, 0]]);
  const [c0, c1, c2, c3] = m.perClass;
  close(c0.precision, 1 / 3, 'precision 0');
  close(c0.recall, 1 / 2, 'recall 0');
  close(c0.f1, 0.4, 'f1 0');
  close(c1.precision, 0.5, 'precision 1');
  close(c1.recall, 0.5, 'recall 1');
  close(c1.f1, 0.5, 'f1 1');
  assert.deepEqual(c2, { label: 2, precision: 0, recall: 0, f1: 0, support: 2 });
  assert.deepEqual(c3, { label: 3, precision: 0, recall: 0, f1: 0, support: 0 });
  close(m.accuracy, 2 / 6, 'accuracy');
  close(m.macroAvg.precision, (1 / 3 + 0.5) / 4, 'macro precision');
  close(m.macroAvg.recall, (0.5 + 0.5) / 4, 'macro recall');
  close(m.macroAvg.f1, (0.4 + 0.5) / 4, 'macro f1');
  close(m.weightedAvg.precision, ((1 / 3) * 2 + 0.5 * 2) / 6, 'weighted precision');
  close(m.weightedAvg.recall, (0.5 * 2 + 0.5 * 2) / 6, 'weighted recall');
  close(m.weightedAvg.f1, (0.4 * 2 + 0.5 * 2) / 6, 'weighted f1');
  assert.equal(m.macroAvg.support, 6);
  assert.equal(m.weightedAvg.support, 6);
  for (const v of [...m.perClass.flatMap((c) => [c.precision, c.recall, c.f1])]) assert.ok(Number.isFinite(v));
});

test('no examples at all gives zeros, not NaN', () => {
  const m = classificationMetrics([], [], 10);
  assert.equal(m.accuracy, 0);
  assert.equal(m.count, 0);
  assert.deepEqual(m.weightedAvg, { precision: 0, recall: 0, f1: 0, support: 0 });
});

test('perfect predictions score 1 everywhere with a class absent scoring 0', () => {
  const m = classificationMetrics([0, 1, 1, 2], [0, 1, 1, 2], 4);
  assert.equal(m.accuracy, 1);
  assert.deepEqual(m.perClass.slice(0, 3).map((c) => [c.precision, c.recall, c.f1]), [[1, 1, 1], [1, 1, 1], [1, 1, 1]]);
  assert.equal(m.macroAvg.f1, 0.75); // the absent class 3 counts as 0 in the unweighted mean
  assert.equal(m.weightedAvg.f1, 1); // but has no weight
});

test('bad labels are refused with the example named', () => {
  assert.throws(() => confusionMatrix([0, 10], [0, 1], 10), /example 1 has actual 10/);
  assert.throws(() => confusionMatrix([0], [0, 1], 10), /1 actual labels but 2 predictions/);
});

test("the classification report matches scikit-learn's documented example character for character", () => {
  // From scikit-learn's classification_report documentation.
  const m = classificationMetrics([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], 3);
  const expected = [
    '              precision    recall  f1-score   support',
    '',
    '     class 0       0.50      1.00      0.67         1',
    '     class 1       0.00      0.00      0.00         1',
    '     class 2       1.00      0.67      0.80         3',
    '',
    '    accuracy                           0.60         5',
    '   macro avg       0.50      0.56      0.49         5',
    'weighted avg       0.70      0.60      0.61         5',
    '',
  ].join('\n');
  assert.equal(formatClassificationReport(m, 2, ['class 0', 'class 1', 'class 2']), expected);
});

test('the confusion matrix table is right-aligned with equal-width lines', () => {
  const cm = [[980, 0, 3], [12, 1100, 0], [0, 7, 5]];
  const lines = formatConfusionMatrix(cm, ['0', '1', '2']).split('\n');
  assert.equal(lines.length, 4);
  assert.ok(lines.every((l) => l.length === lines[0].length), lines.join('\n'));
  assert.match(lines[0], /actual \\ predicted\s+0\s+1\s+2$/);
  assert.match(lines[2], /^\s+1\s+12\s+1100\s+0$/);
  // Each count ends in the same column as its header label.
  const end = (line: string, token: string, from: number): number => line.indexOf(token, from) + token.length;
  assert.equal(end(lines[2], '1100', 20), end(lines[0], '1', 20));
});

test('most confused pairs are the largest off-diagonal cells', () => {
  const cm = [[50, 2, 9], [4, 60, 0], [9, 1, 40]];
  assert.deepEqual(mostConfused(cm, 3), [
    { actual: 0, predicted: 2, count: 9 },
    { actual: 2, predicted: 0, count: 9 },
    { actual: 1, predicted: 0, count: 4 },
  ]);
});
