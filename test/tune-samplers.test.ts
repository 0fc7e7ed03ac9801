// The samplers on synthetic objectives: grid search enumerates exactly; random and TPE respect the
// space and its conditions and are reproducible; TPE's Parzen estimators are proper densities and its
// normal-distribution arithmetic matches reference values; and TPE finds better points than random
// search on a known function and on a conditional one, on average over seeds.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../src/engine/random.js';
import { optimize } from '../src/tune/optimize.js';
import { enumerateGrid, paramsKey } from '../src/tune/samplers/grid.js';
import { createSampler } from '../src/tune/samplers/index.js';
import { ParzenEstimator } from '../src/tune/samplers/parzen.js';
import { splitTrials } from '../src/tune/samplers/tpe.js';
import { erfc, logGaussMass, logNdtr, truncNormLogPdf, truncNormPpf } from '../src/tune/samplers/truncnorm.js';
import { checkParams, parseSpace, type Params, type Space } from '../src/tune/space.js';
import type { Trial } from '../src/tune/trial.js';

const close = (a: number, b: number, rel: number, what: string): void => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test('erfc, log Φ, truncated-normal quantiles and masses match reference values', () => {
  // python3 -c "import math; print([math.erfc(x) for x in (-3, -1, 0.5, 1, 2, 3, 5, 10)])"
  const erfcRef: [number, number][] = [[-3, 1.9999779095030015], [-1, 1.842700792949715], [0.5, 0.4795001221869535], [1, 0.15729920705028513],
    [2, 0.004677734981047265], [3, 2.2090496998585438e-05], [5, 1.5374597944280351e-12], [10, 2.088487583762545e-45]];
  for (const [x, v] of erfcRef) close(erfc(x), v, 1e-14, `erfc(${x})`);
  // Optuna 5.0's _truncnorm: _log_ndtr([-10, -40, -100]), ppf([.1, .5, .9], -1, 2), _log_gauss_mass([-50, 3], [-49, 9])
  close(logNdtr(-10), -53.23128515051246, 1e-14, 'log Φ(-10)');
  close(logNdtr(-40), -804.6084420137538, 1e-14, 'log Φ(-40)');
  close(logNdtr(-100), -5005.524208694205, 1e-14, 'log Φ(-100)');
  [[0.1, -0.7046478210947451], [0.5, 0.17116391801782488], [0.9, 1.2557153641502152]].forEach(([q, x]) => close(truncNormPpf(q, -1, 2), x, 1e-13, `ppf(${q})`));
  close(logGaussMass(-50, -49), -1205.3111748916654, 1e-14, 'mass [-50, -49]');
  close(logGaussMass(3, 9), -6.607726221510348, 1e-13, 'mass [3, 9]');
});

test('a Parzen estimator is a proper density: it integrates (or sums) to 1 on every kind of parameter', () => {
  const s = parseSpace({ x: { uniform: [-2, 3] }, lr: { loguniform: [1e-4, 1e-1] }, n: { int: [1, 9] }, k: { int: [2, 64], log: true }, c: { choice: ['a', 'b', 'c'] } });
  const p = Object.fromEntries(s.params.map((q) => [q.name, q]));
  const obs = { x: [-1.5, 0.2, 0.3, 2.9], lr: [2e-4, 3e-3, 5e-2], n: [2, 2, 8], k: [3, 40], c: ['a', 'a', 'c'] };
  const integral = (name: 'x' | 'lr', lo: number, hi: number, log: boolean): number => {
    const pe = new ParzenEstimator([p[name]], obs[name].map((v) => [v]));
    const steps = 20000;
    let sum = 0;
    for (let i = 0; i <= steps; i++) {
      const t = lo + ((hi - lo) * i) / steps;
      const w = i === 0 || i === steps ? 0.5 : 1;
      sum += w * Math.exp(pe.logPdf([log ? Math.exp(t) : t]));
    }
    return (sum * (hi - lo)) / steps;
  };
  close(integral('x', -2, 3, false), 1, 1e-4, '∫ density dx');
  // A log parameter's density is over log x (as Optuna's): integrate in log space.
  close(integral('lr', Math.log(1e-4), Math.log(1e-1), true), 1, 1e-4, '∫ density d(log lr)');
  const sum = (name: 'n' | 'k' | 'c', values: (number | string)[]): number => {
    const pe = new ParzenEstimator([p[name]], obs[name].map((v) => [v]));
    return values.reduce((a: number, v) => a + Math.exp(pe.logPdf([v])), 0);
  };
  close(sum('n', [1, 2, 3, 4, 5, 6, 7, 8, 9]), 1, 1e-12, 'Σ mass over int values');
  close(sum('k', Array.from({ length: 63 }, (_, i) => i + 2)), 1, 1e-12, 'Σ mass over log-int values');
  close(sum('c', ['a', 'b', 'c']), 1, 1e-12, 'Σ mass over choices');
});

test("with no observations a Parzen estimator is its prior: the range's truncated normal, centred, as wide as the range", () => {
  const s = parseSpace({ x: { uniform: [-2, 3] }, lr: { loguniform: [1e-4, 1e-1] } });
  const pe = new ParzenEstimator(s.params, []);
  const [lo, hi] = [Math.log(1e-4), Math.log(1e-1)];
  for (const [x, lr] of [[-2, 1e-4], [0.5, 3e-3], [2.9, 0.09]]) {
    const expected = truncNormLogPdf(x, 0.5, 5, -2, 3) + truncNormLogPdf(Math.log(lr), (lo + hi) / 2, hi - lo, lo, hi);
    close(pe.logPdf([x, lr]), expected, 1e-12, `log density at (${x}, ${lr})`);
  }
});

test("a Parzen estimator's samples follow its own density", () => {
  const s = parseSpace({ n: { int: [1, 6] }, c: { choice: ['a', 'b', 'c'] } });
  const pe = new ParzenEstimator(s.params, [[2, 'a'], [5, 'a'], [5, 'c']]);
  const rng = new Random(3);
  const draws = pe.sample(rng, 40000);
  const counts = new Map<string, number>();
  for (const d of draws) counts.set(JSON.stringify(d), (counts.get(JSON.stringify(d)) ?? 0) + 1);
  for (const n of [1, 2, 3, 4, 5, 6]) {
    for (const c of ['a', 'b', 'c']) {
      const p = Math.exp(pe.logPdf([n, c]));
      const seen = (counts.get(JSON.stringify([n, c])) ?? 0) / draws.length;
      assert.ok(Math.abs(seen - p) < 4 * Math.sqrt((p * (1 - p)) / draws.length) + 1e-3, `P(${n}, ${c}) = ${p.toFixed(4)}, drawn ${seen.toFixed(4)}`);
    }
  }
});

const CONDITIONAL = parseSpace({
  kind: { choice: ['a', 'b', 'c'] },
  x: { uniform: [-5, 5], when: { kind: 'a' } },
  y: { uniform: [-5, 5], step: 0.5, when: { kind: ['b', 'c'] } },
  n: { int: [1, 32], log: true },
});

function conditionalObjective(p: Params): number {
  const n = p.n as number;
  const base = Math.log2(n) / 5;
  if (p.kind === 'a') return base + ((p.x as number) - 2) ** 2;
  return base + (p.kind === 'b' ? 1 : 3) + ((p.y as number) + 1) ** 2;
}

test('grid search enumerates every combination exactly once, conditional parameters only where they apply', () => {
  const space = parseSpace({ a: { choice: [1, 2, 3] }, b: { int: [1, 2] }, c: { uniform: [0, 1], points: 3, when: { a: 1 } }, lr: { loguniform: [1e-4, 1e-2], points: 3, when: { a: 2 } } });
  const expected = enumerateGrid(space);
  assert.equal(expected.length, 2 * 3 + 2 * 3 + 2, 'a=1: b×c; a=2: b×lr; a=3: b');
  const lrs = [...new Set(expected.filter((p) => p.a === 2).map((p) => p.lr))].sort();
  assert.deepEqual(lrs, [0.0001, 0.001, 0.01], 'log-spaced');
  for (const seed of [1, 2]) {
    const r = optimize({ space, sampler: createSampler('grid'), direction: 'minimize', trials: 100, seed, objective: () => 0 });
    assert.equal(r.trials.length, expected.length, 'stops when the grid is done');
    const keys = r.trials.map((t) => paramsKey(t.params));
    assert.equal(new Set(keys).size, keys.length, 'no point twice');
    assert.deepEqual([...keys].sort(), expected.map(paramsKey).sort(), 'every point');
  }
  const order = (seed: number): string[] => optimize({ space, sampler: createSampler('grid'), direction: 'minimize', trials: 5, seed, objective: () => 0 }).trials.map((t) => paramsKey(t.params));
  assert.deepEqual(order(7), order(7), 'the same seed, the same order');
  assert.notDeepEqual(order(7), order(8), 'another seed, another order');
});

test('random and TPE keep to the space and its conditions, and a seed repeats a study exactly', () => {
  for (const name of ['random', 'tpe', 'tpe-mv']) {
    const run = (seed: number): Trial[] => optimize({ space: CONDITIONAL, sampler: createSampler(name), direction: 'minimize', trials: 40, seed, objective: conditionalObjective }).trials;
    const trials = run(5);
    for (const t of trials) {
      checkParams(CONDITIONAL, t.params);
      assert.equal('x' in t.params, t.params.kind === 'a', `${name}: x exactly when kind is a`);
      assert.ok(Number.isInteger(t.params.n), `${name}: n is an integer`);
      if ('y' in t.params) assert.ok(Number.isInteger((t.params.y as number) * 2), `${name}: y on its 0.5 steps`);
    }
    assert.deepEqual(run(5).map((t) => t.params), trials.map((t) => t.params), `${name}: reproducible`);
    assert.notDeepEqual(run(6).map((t) => t.params), trials.map((t) => t.params), `${name}: another seed differs`);
  }
});

test("TPE's first 10 trials are random search's; a loguniform parameter is uniform on the log scale", () => {
  const space = parseSpace({ lr: { loguniform: [1e-5, 1e-1] } });
  const tpe = optimize({ space, sampler: createSampler('tpe'), direction: 'minimize', trials: 10, seed: 3, objective: () => 0 }).trials;
  const rnd = optimize({ space, sampler: createSampler('random'), direction: 'minimize', trials: 400, seed: 3, objective: () => 0 }).trials;
  assert.deepEqual(tpe.map((t) => t.params), rnd.slice(0, 10).map((t) => t.params));
  const decades = [0, 0, 0, 0];
  for (const t of rnd) decades[Math.min(3, Math.floor(Math.log10(t.params.lr as number) + 5))]++;
  for (const d of decades) assert.ok(d > 70 && d < 130, `about 100 draws in each decade: ${decades}`);
});

/** Mean best value and TPE's win rate against random over seeds (minimizing). */
function compare(space: Space, f: (p: Params) => number, seeds: number, trials: number): { tpe: number; random: number; wins: number } {
  let [tpe, random, wins] = [0, 0, 0];
  for (let seed = 0; seed < seeds; seed++) {
    const best = (name: string): number => optimize({ space, sampler: createSampler(name), direction: 'minimize', trials, seed, objective: f }).best!.value!;
    const [t, r] = [best('tpe'), best('random')];
    tpe += t / seeds;
    random += r / seeds;
    wins += (t < r ? 1 : t === r ? 0.5 : 0) / seeds;
  }
  return { tpe, random, wins };
}

test('TPE beats random search on the Branin function, on average over 30 seeds of 30 trials', () => {
  const space = parseSpace({ x: { uniform: [-5, 10] }, y: { uniform: [0, 15] } });
  const branin = (p: Params): number => {
    const [x, y] = [p.x as number, p.y as number];
    return (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
  };
  const r = compare(space, branin, 30, 30);
  assert.ok(r.tpe < r.random, `mean best: TPE ${r.tpe.toFixed(3)} vs random ${r.random.toFixed(3)} (minimum 0.398)`);
  assert.ok(r.wins > 0.55, `TPE wins ${(r.wins * 100).toFixed(0)}% of seeds`);
});

test('TPE beats random search on a conditional space, learning which branch is best', () => {
  const r = compare(CONDITIONAL, conditionalObjective, 30, 40);
  assert.ok(r.tpe < r.random, `mean best: TPE ${r.tpe.toFixed(3)} vs random ${r.random.toFixed(3)} (minimum 0)`);
  assert.ok(r.wins > 0.55, `TPE wins ${(r.wins * 100).toFixed(0)}% of seeds`);
});

test("TPE's split: the best γ(n) complete trials are good; pruned trials rank after, deeper first; running ones are bad", () => {
  const t = (number: number, state: Trial['state'], value: number | null, intermediate: number[] = []): Trial => ({
    id: number, number, state, params: {}, value, intermediate, owner: null, startedAt: null, finishedAt: null, heartbeatAt: null, runDir: null, note: null, retryOf: null,
  });
  const trials = [t(0, 'complete', 0.9), t(1, 'pruned', 0.95, [0.9, 0.95]), t(2, 'complete', 0.97), t(3, 'pruned', 0.99, [0.99]), t(4, 'running', null), t(5, 'complete', 0.8)];
  const nums = (x: Trial[]): number[] => x.map((y) => y.number);
  assert.deepEqual(nums(splitTrials(trials, 2, 'maximize').good), [0, 2]);
  assert.deepEqual(nums(splitTrials(trials, 4, 'maximize').good), [0, 1, 2, 5]);
  assert.deepEqual(nums(splitTrials(trials, 5, 'maximize').good), [0, 1, 2, 3, 5], 'the deeper pruned trial first');
  assert.deepEqual(nums(splitTrials(trials, 2, 'maximize').bad), [1, 3, 4, 5], 'the running trial counts as bad');
  assert.deepEqual(nums(splitTrials(trials, 1, 'minimize').good), [5]);
});
