// The report's charts as Vega-Lite specs: loss and accuracy curves (training against validation, per
// epoch), the confusion matrix as a heatmap with counts in the cells, and per-class precision, recall
// and F1. Pure data → spec; rendering lives in render.ts.

import type { TopLevelSpec } from 'vega-lite';
import type { ClassMetrics } from '../eval/metrics.js';
import type { HistoryJson } from '../train/run-files.js';

export const FONT = 'DejaVu Sans';

/** The look every chart shares (run reports and study reports). */
export const CONFIG = {
  font: FONT,
  background: 'white',
  padding: 12,
  axis: { labelFontSize: 12, titleFontSize: 13, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 15, anchor: 'start' as const, offset: 10 },
  view: { stroke: '#cccccc' },
};

const SERIES_COLORS = { domain: ['training', 'validation'], range: ['#1f77b4', '#ff7f0e'] };

/** One line per series (training, validation) of `metric` per epoch. */
export function curveSpec(h: HistoryJson, metric: 'loss' | 'accuracy'): TopLevelSpec {
  const values: { epoch: number; value: number; series: string }[] = [];
  h.epoch.forEach((e, i) => {
    values.push({ epoch: e + 1, value: h[metric][i], series: 'training' });
    const v = h[metric === 'loss' ? 'val_loss' : 'val_accuracy'][i];
    if (v !== undefined) values.push({ epoch: e + 1, value: v, series: 'validation' });
  });
  const title = metric === 'loss' ? 'Loss (categorical cross-entropy)' : 'Accuracy';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: 260,
    data: { values },
    mark: { type: 'line', point: { size: 60, filled: true }, strokeWidth: 2.5 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' }, scale: { domain: [1, Math.max(2, h.epoch.length)] } },
      y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false }, axis: { format: metric === 'accuracy' ? '.1%' : '.2f' } },
      color: { field: 'series', type: 'nominal', title: null, scale: SERIES_COLORS, legend: { orient: 'bottom', direction: 'horizontal' } },
      tooltip: [{ field: 'epoch' }, { field: 'series' }, { field: 'value', format: '.4f' }],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * The learning rate of each epoch (at its last step), on a log scale when it spans more than a factor of 10.
 * Runs of digitnet 0.1 did not record it: their rate is derived from their settings (lr × decay^epoch).
 */
export function learningRateSpec(h: HistoryJson, hp: { learningRate: number; lrDecay?: number }): TopLevelSpec {
  const rates = h.learning_rate?.length ? h.learning_rate : h.epoch.map((e) => hp.learningRate * (hp.lrDecay ?? 1) ** e);
  const values = h.epoch.map((e, i) => ({ epoch: e + 1, rate: rates[i] }));
  const positive = rates.filter((r) => r > 0);
  const log = positive.length === rates.length && Math.max(...positive) / Math.min(...positive) > 10;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Learning rate (at the end of each epoch)',
    width: 420,
    height: 260,
    data: { values },
    mark: { type: 'line', point: { size: 60, filled: true }, strokeWidth: 2.5, color: '#54a24b' },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' }, scale: { domain: [1, Math.max(2, h.epoch.length)] } },
      y: { field: 'rate', type: 'quantitative', title: 'learning rate', scale: log ? { type: 'log' } : { zero: true }, axis: { format: '.1e' } },
      tooltip: [{ field: 'epoch' }, { field: 'rate', format: '.3e' }],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/** Heatmap, rows actual, columns predicted, labelled with the class names; the counts printed in the cells. */
export function confusionSpec(cm: number[][], names: string[] = cm.map((_, i) => String(i))): TopLevelSpec {
  const values = cm.flatMap((row, a) => {
    const total = row.reduce((s, v) => s + v, 0);
    return row.map((count, p) => ({ actual: names[a], predicted: names[p], count, share: total ? count / total : 0 }));
  });
  const labels = names;
  const side = Math.max(440, cm.length * 22);
  const long = names.some((n) => n.length > 2);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Confusion matrix (test set)',
    width: side,
    height: side,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: labels, title: 'predicted', axis: { orient: 'top', labelAngle: long ? -45 : 0 } },
      y: { field: 'actual', type: 'ordinal', sort: labels, title: 'actual', axis: { labelAngle: 0 } },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          // A symmetric-log colour scale: a handful of mistakes still shows beside a thousand correct answers.
          color: { field: 'count', type: 'quantitative', title: 'count', scale: { scheme: 'blues', type: 'symlog' }, legend: { orient: 'right' } },
          tooltip: [{ field: 'actual' }, { field: 'predicted' }, { field: 'count' }],
        },
      },
      {
        mark: { type: 'text', fontSize: cm.length > 20 ? 9 : 12 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: '#222222' },
        },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/** Grouped bars: precision, recall and F1 for each class, named by `names` (default: the indices, as digits). */
export function perClassSpec(perClass: ClassMetrics[], names?: string[]): TopLevelSpec {
  const name = (c: ClassMetrics): string => names?.[c.label] ?? String(c.label);
  const values = perClass.flatMap((c) => [
    { digit: name(c), metric: 'precision', value: c.precision },
    { digit: name(c), metric: 'recall', value: c.recall },
    { digit: name(c), metric: 'F1', value: c.f1 },
  ]);
  const title = names ? 'class' : 'digit';
  const long = perClass.some((c) => name(c).length > 2);
  const lowest = Math.min(...values.map((v) => v.value));
  // Zoom in on the top of the scale when every score is high, or the differences would not show.
  const floor = lowest >= 0.9 ? Math.floor(lowest * 50) / 50 - 0.02 : 0;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Per-class precision, recall and F1 (test set)',
    width: { step: 14 },
    height: 260,
    data: { values },
    mark: { type: 'bar', clip: true },
    encoding: {
      x: { field: 'digit', type: 'nominal', title, sort: perClass.map(name), axis: { labelAngle: long ? -45 : 0 } },
      xOffset: { field: 'metric', sort: ['precision', 'recall', 'F1'] },
      y: { field: 'value', type: 'quantitative', title: 'score', scale: { domain: [Math.max(0, floor), 1] }, axis: { format: '.0%' } },
      color: { field: 'metric', type: 'nominal', title: null, sort: ['precision', 'recall', 'F1'], scale: { range: ['#4c78a8', '#f58518', '#54a24b'] }, legend: { orient: 'bottom', direction: 'horizontal' } },
      tooltip: [{ field: 'digit' }, { field: 'metric' }, { field: 'value', format: '.4f' }],
    },
    config: CONFIG,
  } as TopLevelSpec;
}
