// Text layouts of the metrics: the confusion matrix as an aligned table, and the classification report
// laid out exactly as scikit-learn's classification_report (digits=2 by default). Browser-safe.

import type { AverageMetrics, ClassificationMetrics } from './metrics.js';

/** Rows actual, columns predicted, every column right-aligned to its widest entry. */
export function formatConfusionMatrix(cm: number[][], labels: string[] = cm.map((_, i) => String(i))): string {
  const corner = 'actual \\ predicted';
  const cells = cm.map((row) => row.map(String));
  const colWidth = Math.max(...labels.map((l) => l.length), ...cells.flat().map((c) => c.length));
  const firstWidth = Math.max(corner.length, ...labels.map((l) => l.length));
  const line = (first: string, rest: string[]): string =>
    [first.padStart(firstWidth), ...rest.map((c) => c.padStart(colWidth))].join('  ');
  return [line(corner, labels), ...cells.map((row, i) => line(labels[i], row))].join('\n');
}

/** scikit-learn's classification_report text, for 10 digit classes or any labels given. */
export function formatClassificationReport(m: ClassificationMetrics, digits = 2, names?: string[]): string {
  const targetNames = names ?? m.perClass.map((c) => String(c.label));
  const headers = ['precision', 'recall', 'f1-score', 'support'];
  const width = Math.max(...targetNames.map((n) => n.length), 'weighted avg'.length, digits);
  const f = (v: number): string => v.toFixed(digits).padStart(9);
  const s = (v: number | string): string => String(v).padStart(9);
  const row = (name: string, a: AverageMetrics | { precision: number; recall: number; f1: number; support: number }): string =>
    `${name.padStart(width)}  ${f(a.precision)} ${f(a.recall)} ${f(a.f1)} ${s(a.support)}\n`;
  let out = `${''.padStart(width)} ${headers.map((h) => ` ${h.padStart(9)}`).join('')}\n\n`;
  m.perClass.forEach((c, i) => (out += row(targetNames[i], c)));
  out += '\n';
  out += `${'accuracy'.padStart(width)}  ${s('')} ${s('')} ${f(m.accuracy)} ${s(m.count)}\n`;
  out += row('macro avg', m.macroAvg);
  out += row('weighted avg', m.weightedAvg);
  return out;
}
