// The pruners: the median rule and ASHA decide exactly as Optuna's MedianPruner and
// SuccessiveHalvingPruner on the same learning curves (verdicts from bench/peers/optuna_pruners.py),
// their rules on hand-made cases, and a pruned trial is recorded as pruned with the epoch it reached.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { optimize } from '../src/tune/optimize.js';
import { AshaPruner } from '../src/tune/pruners/asha.js';
import { createPruner } from '../src/tune/pruners/index.js';
import { median, MedianPruner } from '../src/tune/pruners/median.js';
import type { Pruner } from '../src/tune/pruners/pruner.js';
import { createSampler } from '../src/tune/samplers/index.js';
import { parseSpace } from '../src/tune/space.js';
import type { Direction, Trial } from '../src/tune/trial.js';

const TRIALS = 40;
const EPOCHS = 8;

/** The curves of optuna_pruners.py: trial i reaches a·e/(e + τ) after epoch e; a, τ from a 31-bit LCG. */
function curves(): number[][] {
  let x = 12345;
  const rnd = (): number => {
    x = Number((1103515245n * BigInt(x) + 12345n) % 2n ** 31n);
    return x / 2 ** 31;
  };
  return Array.from({ length: TRIALS }, () => {
    const a = 0.6 + 0.4 * rnd();
    const tau = 0.5 + 3 * rnd();
    return Array.from({ length: EPOCHS }, (_, i) => (a * (i + 1)) / (i + 1 + tau));
  });
}

/** [trial, epoch] of every pruned trial, running the curves in order under `pruner`. */
function verdicts(pruner: Pruner, direction: Direction): number[][] {
  const data = curves();
  const sign = direction === 'maximize' ? 1 : -1;
  const space = parseSpace({ i: { int: [0, TRIALS - 1] } });
  let next = 0;
  const r = optimize({
    space, sampler: createSampler('random'), pruner, direction, trials: TRIALS, seed: 0,
    objective: (_p, report) => {
      const values = data[next++];
      for (const v of values) if (report(sign * v)) return NaN;
      return sign * values[EPOCHS - 1];
    },
  });
  return r.trials.filter((t) => t.state === 'pruned').map((t) => [t.number, t.intermediate.length]);
}

// /tmp/optuna/bin/python bench/peers/optuna_pruners.py (Optuna 5.0.0): the trials each pruner stopped, and after which epoch.
const OPTUNA_MEDIAN = [[6, 1], [7, 1], [8, 1], [9, 1], [10, 1], [11, 1], [12, 1], [13, 1], [14, 3], [16, 6], [17, 1], [18, 2], [19, 1], [20, 1], [21, 1], [23, 1], [24, 1],
  [25, 1], [27, 1], [28, 1], [29, 1], [30, 1], [31, 1], [32, 1], [33, 1], [34, 1], [35, 1], [36, 1], [37, 1], [38, 1], [39, 1]];
const OPTUNA_ASHA = [[2, 1], [3, 1], [4, 1], [5, 1], [6, 1], [7, 1], [8, 1], [9, 1], [10, 1], [11, 1], [12, 1], [13, 1], [14, 4], [16, 1], [17, 1], [18, 1], [19, 1],
  [20, 1], [21, 1], [22, 4], [23, 1], [24, 1], [25, 1], [26, 4], [27, 4], [28, 1], [29, 1], [30, 1], [31, 1], [32, 1], [33, 4], [34, 1], [35, 4], [36, 1], [37, 1], [38, 1], [39, 1]];

test("the median pruner stops the same trials at the same epochs as Optuna's MedianPruner", () => {
  assert.deepEqual(verdicts(createPruner('median'), 'maximize'), OPTUNA_MEDIAN);
  assert.deepEqual(verdicts(createPruner('median'), 'minimize'), OPTUNA_MEDIAN, 'the same verdicts on the negated curves, minimized');
});

test("the ASHA pruner stops the same trials at the same epochs as Optuna's SuccessiveHalvingPruner", () => {
  assert.deepEqual(verdicts(createPruner('asha'), 'maximize'), OPTUNA_ASHA);
  assert.deepEqual(verdicts(createPruner('asha'), 'minimize'), OPTUNA_ASHA);
});

function trial(number: number, state: Trial['state'], intermediate: number[]): Trial {
  return {
    id: number, number, state, params: {}, value: intermediate.length ? intermediate[intermediate.length - 1] : null, intermediate,
    owner: null, startedAt: null, finishedAt: null, heartbeatAt: null, runDir: null, note: null, retryOf: null,
  };
}

test("median rule: waits for 5 complete trials, then compares the trial's best so far with the median at its epoch", () => {
  const p = new MedianPruner();
  const done = [0.5, 0.6, 0.7, 0.8, 0.9].map((v, i) => trial(i, 'complete', [v, v + 0.05]));
  const judge = (values: number[], others = done, direction: Direction = 'maximize'): boolean => {
    const t = trial(99, 'running', values);
    return p.shouldPrune({ trial: t, trials: [...others, t], direction });
  };
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(judge([0.65]), true, 'below the median 0.7 at epoch 1');
  assert.equal(judge([0.7]), false, 'at the median');
  assert.equal(judge([0.65], done.slice(0, 4)), false, 'only 4 complete trials: no pruning yet');
  assert.equal(judge([0.76, 0.7]), false, "epoch 2's median is 0.75, but the trial's best so far (0.76) is above it");
  assert.equal(judge([0.7, 0.74]), true);
  const running = [trial(5, 'running', [0.95]), trial(6, 'pruned', [0.99])];
  assert.equal(judge([0.65], [...done, ...running]), true, 'running and pruned trials do not count');
  const loss = [0.5, 0.6, 0.7, 0.8, 0.9].map((v, i) => trial(i, 'complete', [v]));
  assert.equal(judge([0.75], loss, 'minimize'), true, 'minimizing: above the median is worse');
  assert.equal(judge([0.65], loss, 'minimize'), false);
});

test('ASHA: rungs at epochs 1, 4, 16; a trial goes on only in the top quarter of those that reached the rung', () => {
  const p = new AshaPruner();
  assert.deepEqual([0, 1, 2].map((r) => p.rungEpoch(r)), [1, 4, 16]);
  const judge = (values: number[], others: Trial[]): boolean => {
    const t = trial(99, 'running', values);
    return p.shouldPrune({ trial: t, trials: [...others, t], direction: 'maximize' });
  };
  const eight = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8].map((v, i) => trial(i, i % 2 ? 'pruned' : 'complete', [v]));
  // 9 values at the rung: the top ⌊9/4⌋ = 2 go on.
  assert.equal(judge([0.75], eight), false, 'second best of 9');
  assert.equal(judge([0.65], eight), true, 'third best of 9');
  assert.equal(judge([0.1, 0.1], eight), false, 'epoch 2 is no rung');
  assert.equal(judge([0.9], [trial(0, 'complete', [0.95])]), true, 'fewer than 4 at the rung: only the best goes on');
  assert.equal(judge([0.99], [trial(0, 'complete', [0.95])]), false);
  const deep = [0.5, 0.6, 0.7, 0.8].map((v, i) => trial(i, 'complete', [0.9, 0.9, 0.9, v]));
  assert.equal(judge([0.9, 0.9, 0.9, 0.75], deep), true, 'at epoch 4, against the 4 that reached it');
  assert.equal(judge([0.9, 0.9, 0.9, 0.85], deep), false);
});

test('a pruned trial is recorded as pruned, with its value and the epoch it reached; pruning saves epochs', () => {
  const data = curves();
  let epochsRun = 0;
  let n = 0;
  const space = parseSpace({ i: { int: [0, TRIALS - 1] } });
  const r = optimize({
    space, sampler: createSampler('random'), pruner: createPruner('median'), direction: 'maximize', trials: TRIALS, seed: 0,
    objective: (_p, report) => {
      const values = data[n++];
      for (const v of values) {
        epochsRun++;
        if (report(v)) return NaN;
      }
      return values[EPOCHS - 1];
    },
  });
  const pruned = r.trials.filter((t) => t.state === 'pruned');
  assert.ok(pruned.length > 0);
  for (const t of pruned) {
    assert.ok(t.intermediate.length < EPOCHS, 'stopped before the last epoch');
    assert.equal(t.value, t.intermediate[t.intermediate.length - 1], 'its value is the last one reported');
  }
  const bestOfAll = Math.max(...data.map((c) => c[EPOCHS - 1]));
  assert.equal(r.best!.value, bestOfAll, 'the best curve was not pruned');
  assert.ok(epochsRun < 0.5 * TRIALS * EPOCHS, `${epochsRun} of ${TRIALS * EPOCHS} epochs run`);
});
