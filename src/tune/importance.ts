// Each parameter's importance: the share of the objective's variance across complete trials that the
// parameter's main effect explains (the correlation ratio η², a first-order variance decomposition in the
// spirit of fANOVA, estimated by grouping trials instead of fitting a random forest). A choice groups
// trials by its value, a numeric parameter by quantile bins, and trials where a conditional parameter was
// inactive form a group of their own. The shares are normalized to sum to 1 across parameters.

import type { Space, Value } from './space.js';
import type { Trial } from './trial.js';

export interface Importance {
  name: string;
  /** Normalized: the importances of a study sum to 1. */
  importance: number;
  /** The unnormalized η²: the fraction of variance explained by this parameter alone. */
  eta2: number;
}

/** The parameters' importances, most important first; empty with fewer than 3 complete trials or no spread. */
export function paramImportances(space: Space, trials: Trial[]): Importance[] {
  const done = trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
  if (done.length < 3) return [];
  const y = done.map((t) => t.value!);
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const total = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  if (!(total > 0)) return [];
  const eta = space.params.map((p) => {
    const groups = groupsOf(done.map((t) => (p.name in t.params ? t.params[p.name] : null)), p.kind === 'choice');
    const between = [...groups.values()].reduce((s, idx) => {
      const m = idx.reduce((a, i) => a + y[i], 0) / idx.length;
      return s + idx.length * (m - mean) ** 2;
    }, 0);
    return { name: p.name, eta2: between / total };
  });
  const sum = eta.reduce((s, e) => s + e.eta2, 0);
  return eta.map((e) => ({ ...e, importance: sum > 0 ? e.eta2 / sum : 0 })).sort((a, b) => b.importance - a.importance);
}

/** Trial indices grouped: by value for a choice, by quantile bin for a number, inactive ones apart. */
function groupsOf(values: (Value | null)[], categorical: boolean): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  const add = (key: string, i: number): void => void groups.set(key, [...(groups.get(key) ?? []), i]);
  const active = values.map((v, i) => ({ v, i })).filter((x) => x.v !== null);
  values.forEach((v, i) => v === null && add('inactive', i));
  if (categorical) {
    for (const { v, i } of active) add(JSON.stringify(v), i);
    return groups;
  }
  // Quantile bins by rank: about √n trials each, at most 5 bins; equal values share a bin.
  const sorted = [...active].sort((a, b) => (a.v as number) - (b.v as number));
  const bins = Math.max(1, Math.min(5, Math.floor(Math.sqrt(sorted.length))));
  let bin = 0;
  sorted.forEach((x, r) => {
    const target = Math.floor((r * bins) / sorted.length);
    if (target > bin && (r === 0 || x.v !== sorted[r - 1].v)) bin = target;
    add(`bin${bin}`, x.i);
  });
  return groups;
}
