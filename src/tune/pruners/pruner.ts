// The pruner interface and its registry. After each epoch of a trial, the pruner says whether to stop
// it, from the values every trial reported at each epoch so far. Like the samplers it keeps no state of
// its own: what it decides follows from the study's trials, so it decides the same in any tuner.

import { Registry, type Entry } from '../registry.js';
import type { Direction, Trial } from '../trial.js';

export interface PruneContext {
  /** The trial being judged: intermediate[k] is its objective after epoch k+1, the last one just in. */
  trial: Trial;
  /** Every trial of the study (the judged one may be among them). */
  trials: Trial[];
  direction: Direction;
}

export interface Pruner {
  readonly name: string;
  shouldPrune(ctx: PruneContext): boolean;
}

const registry = new Registry<Pruner>('pruner');

/** Called by each pruner's file when it loads. */
export function registerPruner(entry: Entry<Pruner>): void {
  registry.register(entry);
}

export function prunerNames(): string[] {
  return registry.names();
}

export function createPruner(name: string): Pruner {
  return registry.create(name);
}

/** The other trials (not the judged one). */
export function others(ctx: PruneContext): Trial[] {
  return ctx.trials.filter((t) => t.number !== ctx.trial.number);
}
