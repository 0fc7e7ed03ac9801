// A study's charts as Vega-Lite specs: the optimization history (each trial's objective and the best so
// far), a parallel-coordinates plot of the complete trials (one axis per parameter, then the objective),
// each parameter's importance, and the objective per epoch of every trial (showing where pruned trials
// stopped). Pure data → spec; rendering is render.ts's.

import type { TopLevelSpec } from 'vega-lite';
import type { Importance } from '../tune/importance.js';
import type { Param, Space } from '../tune/space.js';
import { better, type Direction, type Study, type Trial } from '../tune/trial.js';
import { CONFIG } from './charts.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const STATE_COLORS = { domain: ['complete', 'pruned', 'failed'], range: ['#1f77b4', '#b0b0b0', '#d62728'] };

/** Each finished trial's objective by trial number, and the best so far as a step line. */
export function historySpec(study: Study, trials: Trial[]): TopLevelSpec {
  const points = trials.filter((t) => (t.state === 'complete' || t.state === 'pruned') && t.value !== null && Number.isFinite(t.value))
    .map((t) => ({ trial: t.number, value: t.value!, state: t.state }));
  const best: { trial: number; best: number }[] = [];
  let b: number | null = null;
  for (const t of [...trials].sort((x, y) => x.number - y.number)) {
    if (t.state === 'complete' && t.value !== null && Number.isFinite(t.value) && (b === null || better(t.value, b, study.direction))) b = t.value;
    if (b !== null) best.push({ trial: t.number, best: b });
  }
  return {
    $schema: SCHEMA,
    title: `Optimization history (${study.objective}, ${study.direction}d)`,
    width: 440,
    height: 280,
    layer: [
      {
        data: { values: best },
        mark: { type: 'line', interpolate: 'step-after', color: '#ff7f0e', strokeWidth: 2.5 },
        encoding: {
          x: { field: 'trial', type: 'quantitative', title: 'trial', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'best', type: 'quantitative', title: study.objective, scale: { zero: false } },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.9 },
        encoding: {
          x: { field: 'trial', type: 'quantitative', title: 'trial', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'value', type: 'quantitative', title: study.objective, scale: { zero: false } },
          color: { field: 'state', type: 'nominal', title: null, scale: STATE_COLORS, legend: { orient: 'bottom', direction: 'horizontal' } },
          tooltip: [{ field: 'trial' }, { field: 'state' }, { field: 'value', format: '.4f' }],
        },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/** Where a value sits on its parameter's axis, from 0 (low / first choice) to 1. */
export function axisPosition(p: Param, v: unknown): number | null {
  if (p.kind === 'choice') {
    const i = p.choices.findIndex((c) => c === v);
    return i < 0 ? null : p.choices.length === 1 ? 0.5 : i / (p.choices.length - 1);
  }
  if (typeof v !== 'number') return null;
  const [lo, hi, x] = p.log ? [Math.log(p.low), Math.log(p.high), Math.log(v)] : [p.low, p.high, v];
  return hi === lo ? 0.5 : (x - lo) / (hi - lo);
}

/** One polyline per complete trial across the parameters' axes and the objective's, coloured by the objective. */
export function parallelSpec(study: Study, space: Space, trials: Trial[]): TopLevelSpec {
  const done = trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
  const values = done.map((t) => t.value!);
  const [vmin, vmax] = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
  const axes = [...space.params.map((p) => p.name), study.objective];
  const lines: { trial: number; axis: string; pos: number; value: number; shown: string }[] = [];
  for (const t of done) {
    for (const p of space.params) {
      const pos = p.name in t.params ? axisPosition(p, t.params[p.name]) : null;
      if (pos !== null) lines.push({ trial: t.number, axis: p.name, pos, value: t.value!, shown: String(t.params[p.name]) });
    }
    lines.push({ trial: t.number, axis: study.objective, pos: vmax === vmin ? 0.5 : (t.value! - vmin) / (vmax - vmin), value: t.value!, shown: t.value!.toFixed(4) });
  }
  const ticks = space.params.flatMap((p) => axisTicks(p).map(([pos, label]) => ({ axis: p.name, pos, label })));
  ticks.push({ axis: study.objective, pos: 0, label: vmin.toFixed(4) }, { axis: study.objective, pos: 1, label: vmax.toFixed(4) });
  const x = { field: 'axis', type: 'nominal' as const, scale: { domain: axes }, title: null, axis: { orient: 'top' as const, labelAngle: 0, domain: false, ticks: false, labelFontWeight: 'bold' as const } };
  return {
    $schema: SCHEMA,
    title: 'Parallel coordinates (complete trials)',
    width: Math.max(360, 130 * axes.length),
    height: 300,
    layer: [
      { data: { values: axes.map((axis) => ({ axis })) }, mark: { type: 'rule', color: '#888888' }, encoding: { x, y: { datum: 0, type: 'quantitative', axis: null, scale: { domain: [-0.04, 1.04] } }, y2: { datum: 1 } } },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1.6, opacity: 0.75, point: { size: 18, filled: true } },
        encoding: {
          x,
          y: { field: 'pos', type: 'quantitative', axis: null, scale: { domain: [-0.04, 1.04] } },
          detail: { field: 'trial', type: 'nominal' },
          color: { field: 'value', type: 'quantitative', title: study.objective, scale: { scheme: 'viridis', reverse: study.direction === 'minimize' } },
          tooltip: [{ field: 'trial' }, { field: 'axis' }, { field: 'shown', title: 'value' }],
        },
      },
      {
        data: { values: ticks },
        mark: { type: 'text', align: 'left', dx: 5, fontSize: 11, color: '#444444' },
        encoding: { x, y: { field: 'pos', type: 'quantitative', axis: null, scale: { domain: [-0.04, 1.04] } }, text: { field: 'label' } },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/** Labels along a parameter's axis: its choices, or its two ends and the middle. */
function axisTicks(p: Param): [number, string][] {
  if (p.kind === 'choice') return p.choices.map((c) => [axisPosition(p, c)!, String(c)]);
  const mid = p.log ? Math.sqrt(p.low * p.high) : (p.low + p.high) / 2;
  const fmt = (v: number): string => (p.kind === 'int' ? String(Math.round(v)) : Number(v.toPrecision(3)).toString());
  return [[0, fmt(p.low)], [0.5, fmt(mid)], [1, fmt(p.high)]];
}

/** Horizontal bars, most important first. */
export function importanceSpec(imp: Importance[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: 'Parameter importance (share of variance explained)',
    width: 420,
    height: { step: 26 },
    data: { values: imp.map((i) => ({ name: i.name, importance: i.importance, eta2: i.eta2 })) },
    layer: [
      { mark: { type: 'bar', color: '#4c78a8' } },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 12 }, encoding: { text: { field: 'importance', format: '.0%' } } },
    ],
    encoding: {
      y: { field: 'name', type: 'nominal', sort: imp.map((i) => i.name), title: null },
      x: { field: 'importance', type: 'quantitative', title: 'importance', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
      tooltip: [{ field: 'name' }, { field: 'importance', format: '.3f' }, { field: 'eta2', title: 'η²', format: '.3f' }],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/** The objective after each epoch, one line per trial; pruned trials stop where they were pruned (drawn over the rest). */
export function intermediateSpec(study: Study, trials: Trial[]): TopLevelSpec {
  const values = trials.filter((t) => t.state !== 'waiting' && t.intermediate.length > 0)
    .flatMap((t) => t.intermediate.map((v, i) => ({ trial: t.number, epoch: i + 1, value: v, state: t.state === 'running' ? 'failed' : t.state })))
    .filter((v) => Number.isFinite(v.value));
  const epochs = Math.max(2, ...values.map((v) => v.epoch));
  const layer = (states: string[]): object => ({ transform: [{ filter: { field: 'state', oneOf: states } }], mark: { type: 'line', point: { size: 30, filled: true }, strokeWidth: 1.6, opacity: 0.8 } });
  return {
    $schema: SCHEMA,
    title: `${study.objective} after each epoch`,
    width: 420,
    height: 280,
    data: { values },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' }, scale: { domain: [1, epochs] } },
      y: { field: 'value', type: 'quantitative', title: study.objective, scale: { zero: false } },
      detail: { field: 'trial', type: 'nominal' },
      color: { field: 'state', type: 'nominal', title: null, scale: STATE_COLORS, legend: { orient: 'bottom', direction: 'horizontal' } },
      tooltip: [{ field: 'trial' }, { field: 'epoch' }, { field: 'value', format: '.4f' }, { field: 'state' }],
    },
    layer: [layer(['complete']), layer(['pruned', 'failed'])],
    config: CONFIG,
  } as TopLevelSpec;
}

export function directionWord(d: Direction): string {
  return d === 'maximize' ? 'higher is better' : 'lower is better';
}
