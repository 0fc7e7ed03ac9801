// A study of a plain function, in memory and in this process: the samplers and pruners driven exactly
// as `digitnet tune` drives them, without training or a database. For tuning one's own function, and
// for the tests and benchmarks of the samplers and pruners on known functions.

import type { Pruner } from './pruners/pruner.js';
import type { Sampler } from './samplers/sampler.js';
import { checkParams, type Params, type Space } from './space.js';
import { bestTrial, type Direction, type Trial } from './trial.js';

/** Reports the value after one step (epoch); true means the trial should stop now (pruned). */
export type Report = (value: number) => boolean;

export interface OptimizeOptions {
  space: Space;
  sampler: Sampler;
  pruner?: Pruner;
  direction: Direction;
  /** How many trials to run (fewer when the sampler runs out, as a finished grid does). */
  trials: number;
  seed: number;
  /** The objective: its final value; it may call `report` after each step and stop when told. */
  objective: (params: Params, report: Report) => number;
}

export interface OptimizeResult {
  trials: Trial[];
  best: Trial | null;
}

export function optimize(o: OptimizeOptions): OptimizeResult {
  const trials: Trial[] = [];
  for (let number = 0; number < o.trials; number++) {
    const params = o.sampler.sample({ space: o.space, direction: o.direction, trials, number, seed: o.seed });
    if (params === null) break;
    checkParams(o.space, params);
    const t = newTrial(number, params);
    trials.push(t);
    let pruned = false;
    const report: Report = (value) => {
      t.intermediate.push(value);
      if (pruned || !o.pruner) return pruned;
      pruned = o.pruner.shouldPrune({ trial: t, trials, direction: o.direction });
      return pruned;
    };
    const value = o.objective(params, report);
    t.state = pruned ? 'pruned' : 'complete';
    t.value = pruned ? t.intermediate[t.intermediate.length - 1] : value;
  }
  return { trials, best: bestTrial(trials, o.direction) };
}

function newTrial(number: number, params: Params): Trial {
  return {
    id: number, number, state: 'running', params, value: null, intermediate: [], owner: null,
    startedAt: null, finishedAt: null, heartbeatAt: null, runDir: null, note: null, retryOf: null,
  };
}
