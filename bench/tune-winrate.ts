// Does TPE find better configurations than random search on a small budget? For each objective, many
// seeds: each seed runs TPE (and multivariate TPE) and random search with the same budget, and the one
// whose best value is better wins the seed (a tie counts half). Prints the win rates with their 95%
// Wilson intervals and the mean best values, as a Markdown table. The objectives: standard test
// functions (Branin, Hartmann-6, a sphere on log scales), a conditional space, and the validation
// accuracy of real training runs tabulated once over a grid (bench/data/tune-table.json, made by
// tune-table.ts; TPE's learning rate snaps to the nearest tabulated one).
//
//   npm run build && node dist/bench/tune-winrate.js [--seeds 200] [--json]

import { readFileSync } from 'node:fs';
import { optimize } from '../src/tune/optimize.js';
import { createSampler } from '../src/tune/samplers/index.js';
import { parseSpace, type Params, type Space } from '../src/tune/space.js';
import type { Direction } from '../src/tune/trial.js';
import type { TableJson } from './tune-table.js';

export interface Objective {
  name: string;
  space: Space;
  direction: Direction;
  trials: number;
  /** The optimum, for the table. */
  optimum: number;
  f: (p: Params) => number;
}

const num = (p: Params, k: string): number => p[k] as number;

export const branin: Objective = {
  name: 'Branin (2-D)', space: parseSpace({ x: { uniform: [-5, 10] }, y: { uniform: [0, 15] } }), direction: 'minimize', trials: 30, optimum: 0.397887,
  f: (p) => {
    const [x, y] = [num(p, 'x'), num(p, 'y')];
    return (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
  },
};

const H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const H6_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]];
export const hartmann6: Objective = {
  name: 'Hartmann-6 (6-D)', space: parseSpace(Object.fromEntries([0, 1, 2, 3, 4, 5].map((i) => [`x${i}`, { uniform: [0, 1] }]))), direction: 'minimize', trials: 50, optimum: -3.32237,
  f: (p) => -[1, 1.2, 3, 3.2].reduce((s, alpha, i) => s + alpha * Math.exp(-H6_A[i].reduce((t, a, j) => t + a * (num(p, `x${j}`) - H6_P[i][j] * 1e-4) ** 2, 0)), 0),
};

export const logSphere: Objective = {
  name: 'sphere on log scales (2-D)', space: parseSpace({ lr: { loguniform: [1e-6, 1] }, wd: { loguniform: [1e-8, 1e-2] } }), direction: 'minimize', trials: 30, optimum: 0,
  f: (p) => (Math.log10(num(p, 'lr')) + 3) ** 2 + (Math.log10(num(p, 'wd')) + 5) ** 2,
};

export const conditional: Objective = {
  name: 'conditional: choice → x or stepped y, log int', direction: 'minimize', trials: 40, optimum: 0,
  space: parseSpace({ kind: { choice: ['a', 'b', 'c'] }, x: { uniform: [-5, 5], when: { kind: 'a' } }, y: { uniform: [-5, 5], step: 0.5, when: { kind: ['b', 'c'] } }, n: { int: [1, 32], log: true } }),
  f: (p) => Math.log2(num(p, 'n')) / 5 + (p.kind === 'a' ? (num(p, 'x') - 2) ** 2 : (p.kind === 'b' ? 1 : 3) + (num(p, 'y') + 1) ** 2),
};

/** The tabulated training results as an objective: val_accuracy at the grid point nearest in log lr. */
export function tableObjective(path: string, trials = 20): Objective {
  const t = JSON.parse(readFileSync(path, 'utf8')) as TableJson;
  const lrs = [...new Set(t.rows.map((r) => r.lr))].sort((a, b) => a - b);
  const lookup = new Map(t.rows.map((r) => [`${r.lr}|${r.batchSize}|${r.lrDecay}`, r.val_accuracy]));
  const snap = (lr: number): number => lrs.reduce((a, b) => (Math.abs(Math.log(b / lr)) < Math.abs(Math.log(a / lr)) ? b : a));
  return {
    name: `MNIST training, tabulated (${t.rows.length} runs)`, direction: 'maximize', trials, optimum: Math.max(...t.rows.map((r) => r.val_accuracy)),
    space: parseSpace({ lr: { loguniform: [lrs[0], lrs[lrs.length - 1]] }, batchSize: t.space.batchSize, lrDecay: t.space.lrDecay }),
    f: (p) => lookup.get(`${snap(num(p, 'lr'))}|${p.batchSize}|${p.lrDecay}`)!,
  };
}

export interface Row {
  objective: string;
  trials: number;
  seeds: number;
  optimum: number;
  mean: Record<string, number>;
  /** Per challenger: wins, ties and losses against random search. */
  versus: Record<string, { wins: number; ties: number; losses: number; rate: number; low: number; high: number }>;
}

/** The 95% Wilson score interval of a proportion. */
export function wilson(p: number, n: number, z = 1.96): [number, number] {
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [centre - half, centre + half];
}

export function compare(o: Objective, seeds: number, challengers = ['tpe', 'tpe-mv']): Row {
  const names = ['random', ...challengers];
  const best: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let seed = 0; seed < seeds; seed++) {
    for (const n of names) best[n].push(optimize({ space: o.space, sampler: createSampler(n), direction: o.direction, trials: o.trials, seed, objective: o.f }).best!.value!);
  }
  const sign = o.direction === 'maximize' ? 1 : -1;
  const versus: Row['versus'] = {};
  for (const c of challengers) {
    let [wins, ties, losses] = [0, 0, 0];
    best[c].forEach((v, i) => {
      const d = sign * (v - best.random[i]);
      if (d > 0) wins++;
      else if (d < 0) losses++;
      else ties++;
    });
    const rate = (wins + ties / 2) / seeds;
    const [low, high] = wilson(rate, seeds);
    versus[c] = { wins, ties, losses, rate, low, high };
  }
  const mean = Object.fromEntries(names.map((n) => [n, best[n].reduce((a, b) => a + b, 0) / seeds]));
  return { objective: o.name, trials: o.trials, seeds, optimum: o.optimum, mean, versus };
}

function markdown(rows: Row[]): string {
  const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
  const v = (r: Row, c: string): string => {
    const s = r.versus[c];
    return `**${pct(s.rate)}** (${pct(s.low)}–${pct(s.high)}; ${s.wins}/${s.ties}/${s.losses})`;
  };
  const f = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4));
  return [
    '| objective | trials | TPE beats random | multivariate TPE beats random | mean best: TPE | TPE-mv | random | optimum |',
    '| --- | ---: | :---: | :---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.objective} | ${r.trials} | ${v(r, 'tpe')} | ${v(r, 'tpe-mv')} | ${f(r.mean.tpe)} | ${f(r.mean['tpe-mv'])} | ${f(r.mean.random)} | ${f(r.optimum)} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const arg = (name: string, dflt: string): string => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const seeds = Number(arg('--seeds', '200'));
  const objectives = [branin, hartmann6, logSphere, conditional, tableObjective(arg('--table', 'bench/data/tune-table.json'))];
  const rows: Row[] = [];
  for (const o of objectives) {
    const t0 = performance.now();
    rows.push(compare(o, seeds));
    process.stderr.write(`${o.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 1));
  else {
    console.log(`${seeds} seeds per objective; a seed's winner is the sampler with the better best value (a tie counts half); win rate (95% Wilson interval; wins/ties/losses).\n`);
    console.log(markdown(rows));
  }
}

if (process.argv[1]?.endsWith('tune-winrate.js')) await main();
