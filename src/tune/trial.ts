// What a study and its trials are, as the samplers, pruners, storages and the report see them: plain
// records, no behaviour beyond comparing objective values in the study's direction.

import type { Params } from './space.js';

export type Direction = 'maximize' | 'minimize';
export type Objective = 'val_accuracy' | 'val_loss';
export const OBJECTIVES: readonly Objective[] = ['val_accuracy', 'val_loss'];

/**
 * waiting: queued (a retry of an interrupted trial) for the next tuner to take; running: taken by a
 * tuner (`owner`), which renews `heartbeatAt`; complete, pruned and failed are final.
 */
export type TrialState = 'waiting' | 'running' | 'complete' | 'pruned' | 'failed';
export const TRIAL_STATES: readonly TrialState[] = ['waiting', 'running', 'complete', 'pruned', 'failed'];

export interface Trial {
  /** The storage's id; `number` is the trial's place in its study, from 0. */
  id: number;
  number: number;
  state: TrialState;
  params: Params;
  /** The objective: the last epoch's for a complete trial, the last reported for a pruned one. */
  value: number | null;
  /** The objective after each epoch: intermediate[0] after epoch 1. */
  intermediate: number[];
  /** Who runs or ran it: `host:pid`. */
  owner: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  heartbeatAt: string | null;
  /** The run folder a complete trial wrote. */
  runDir: string | null;
  /** Why it failed (one line), or why it was pruned. */
  note: string | null;
  /** The trial this one retries (an interrupted one), if any. */
  retryOf: number | null;
}

export interface StudySettings {
  name: string;
  /** The search space as JSON (spaceJson), stored verbatim. */
  space: Record<string, unknown>;
  direction: Direction;
  objective: Objective;
  sampler: string;
  pruner: string;
  seed: number;
  /** The training options every trial shares (data, limit, epochs...), for the report. */
  training: Record<string, unknown>;
}

export interface Study extends StudySettings {
  id: number;
  createdAt: string;
}

/** Whether objective value `a` is better than `b` in `direction`. */
export function better(a: number, b: number, direction: Direction): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

/** The best complete trial, or null; ties go to the earlier trial. */
export function bestTrial(trials: Trial[], direction: Direction): Trial | null {
  let best: Trial | null = null;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === null || Number.isNaN(t.value)) continue;
    if (best === null || better(t.value, best.value!, direction)) best = t;
  }
  return best;
}
