// The median rule (Optuna's MedianPruner with its defaults): once 5 trials have completed, stop a trial
// whose best value so far is worse than the median of the completed trials' values at the same epoch.

import { better } from '../trial.js';
import { others, registerPruner, type PruneContext, type Pruner } from './pruner.js';

export interface MedianOptions {
  /** Completed trials needed before any pruning (Optuna: 5). */
  startupTrials: number;
  /** Epochs every trial runs before it can be pruned (Optuna: 0). */
  warmupEpochs: number;
}

export class MedianPruner implements Pruner {
  readonly name = 'median';
  constructor(private readonly o: MedianOptions = { startupTrials: 5, warmupEpochs: 0 }) {}

  shouldPrune(ctx: PruneContext): boolean {
    const values = ctx.trial.intermediate;
    const step = values.length;
    if (step === 0 || step <= this.o.warmupEpochs) return false;
    const completed = others(ctx).filter((t) => t.state === 'complete');
    if (completed.length < this.o.startupTrials) return false;
    const dir = ctx.direction;
    const valid = values.filter((v) => !Number.isNaN(v));
    if (valid.length === 0) return true;
    const bestSoFar = valid.reduce((a, b) => (better(b, a, dir) ? b : a));
    const atStep = completed.filter((t) => t.intermediate.length >= step).map((t) => t.intermediate[step - 1]).filter((v) => !Number.isNaN(v));
    if (atStep.length === 0) return false;
    return better(median(atStep), bestSoFar, dir);
  }
}

/** The median, averaging the two middle values of an even count (as numpy's percentile 50). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

registerPruner({ name: 'median', description: "stop a trial worse than the completed trials' median at the same epoch (after 5 complete)", create: () => new MedianPruner() });
