// What `digitnet tune` prints: a line as each trial starts and ends (its parameters, its objective or
// where it was pruned or why it failed, the best so far), interrupted trials it takes over, and the
// study's trials as a table for `--show`.

import { relative } from 'node:path';
import { formatValue, type Params } from '../tune/space.js';
import type { Study, Trial } from '../tune/trial.js';
import type { TunerEvent } from '../tune/tuner.js';
import { duration } from '../report/html.js';

export function formatParams(p: Params): string {
  return Object.entries(p).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ');
}

/** A path relative to the working folder when it lies below it, else as it is. */
export function shownPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}

function seconds(t: Trial): string {
  return t.startedAt && t.finishedAt ? `, ${duration((Date.parse(t.finishedAt) - Date.parse(t.startedAt)) / 1000)}` : '';
}

/** The line for each tuner event. */
export function tunePrinter(study: Study, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): (e: TunerEvent) => void {
  const obj = study.objective;
  return (e) => {
    const t = e.trial;
    if (e.type === 'recovered') return out(`[trial ${t.number}] ${t.note}; it runs again as a new trial`);
    if (e.type === 'start') return out(`[trial ${t.number}] started${t.retryOf !== null ? ` (retry of trial ${t.retryOf})` : ''}: ${formatParams(t.params)}`);
    const best = e.best ? `best ${e.best.value!.toFixed(4)} (trial ${e.best.number})` : 'no best yet';
    const n = t.intermediate.length;
    const what = t.state === 'complete' ? `${obj} ${t.value!.toFixed(4)} (${n} epoch${n === 1 ? '' : 's'}${seconds(t)})`
      : t.state === 'pruned' ? `pruned after epoch ${n} at ${obj} ${t.value?.toFixed(4) ?? '–'}${seconds(t) ? ` (${seconds(t).slice(2)})` : ''}`
      : `failed: ${t.note}`;
    out(`[trial ${t.number}] ${formatParams(t.params)} → ${what}; ${best}`);
  };
}

/** The study's trials as a text table (`--show`). */
export function trialsTable(study: Study, names: string[], trials: Trial[]): string {
  const head = ['#', 'state', ...names, study.objective, 'epochs run', 'time', 'run folder or note'];
  const rows = trials.map((t) => [
    String(t.number), t.state, ...names.map((n) => (n in t.params ? formatValue(t.params[n]) : '-')),
    t.value === null ? '-' : t.value.toFixed(4), String(t.intermediate.length),
    t.startedAt && t.finishedAt ? duration((Date.parse(t.finishedAt) - Date.parse(t.startedAt)) / 1000) : '-',
    t.state === 'complete' && t.runDir ? shownPath(t.runDir) : t.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = new Set([0, names.length + 2, names.length + 3]);
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
