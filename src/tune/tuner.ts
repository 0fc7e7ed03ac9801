// The tuner: takes trials from the study database (recovering interrupted ones first), runs them on the
// worker processes, records each epoch's objective and asks the pruner whether to go on, and finishes
// each trial as complete, pruned or failed, until the study has its number of trials, the time is up or
// the sampler has nothing left. Several tuners (processes, machines) can work on one study at once.
// Node-only.

import { hostname } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '../train/defaults.js';
import type { TrainOptions } from '../train/run.js';
import { trainOptionsFor } from './fields.js';
import { WorkerPool, type Outcome } from './pool.js';
import type { Pruner } from './pruners/pruner.js';
import type { Sampler } from './samplers/sampler.js';
import { checkParams, type Space } from './space.js';
import type { Storage } from './storage/storage.js';
import { bestTrial, type Study, type Trial } from './trial.js';

export interface TunerOptions {
  storage: Storage;
  study: Study;
  space: Space;
  sampler: Sampler;
  pruner: Pruner;
  /** The study's total number of trials, or null for no limit (then `deadline` must be set). */
  trials: number | null;
  /** No new trial starts after this time (ms since 1970); running ones finish. */
  deadline: number | null;
  workers: number;
  /** The training options every trial shares; the trial's parameters go on top. */
  training: TrainOptions;
  /** Trials' run folders go here, as trial-0000, trial-0001... */
  studyDir: string;
  onEvent?: (e: TunerEvent) => void;
  /** How often a tuner renews its running trials' heartbeat, and when another tuner may take them as interrupted. */
  heartbeatSeconds?: number;
  staleSeconds?: number;
}

export type TunerEvent =
  | { type: 'recovered'; trial: Trial }
  | { type: 'start'; trial: Trial }
  | { type: 'end'; trial: Trial; best: Trial | null };

export type StopReason = 'budget' | 'time' | 'exhausted';

export interface TunerResult {
  stopped: StopReason;
  /** Trials this tuner ran. */
  ran: number;
  trials: Trial[];
  best: Trial | null;
}

/** This process's name in the study database. */
export const OWNER = `${hostname()}:${process.pid}`;

export async function runTuner(o: TunerOptions): Promise<TunerResult> {
  return new Tuner(o).run();
}

class Tuner {
  private readonly pool: WorkerPool;
  private readonly active = new Map<number, Promise<void>>();
  private ran = 0;
  private failuresInARow = 0;
  private lastFailure = '';
  private readonly maxFailures: number;

  constructor(private readonly o: TunerOptions) {
    if (o.trials === null && o.deadline === null) throw new Error('give a budget: --trials N and/or --time T');
    this.pool = new WorkerPool(o.workers);
    this.maxFailures = Math.max(3, 2 * o.workers);
  }

  async run(): Promise<TunerResult> {
    const beat = setInterval(() => {
      this.o.storage.heartbeat([...this.active.keys()], OWNER).catch(() => {});
    }, (this.o.heartbeatSeconds ?? 5) * 1000);
    let stopped: StopReason | null = null;
    try {
      for (;;) {
        while (stopped === null && this.pool.idle > 0 && this.failuresInARow < this.maxFailures) stopped = await this.startNext();
        if (this.active.size === 0) break;
        await Promise.race(this.active.values());
        // A failed trial frees its place in the budget (and a grid point): look again.
        if (stopped === 'budget' || stopped === 'exhausted') stopped = null;
      }
    } finally {
      clearInterval(beat);
      await Promise.allSettled(this.active.values());
      await this.pool.close();
    }
    if (this.failuresInARow >= this.maxFailures) throw new Error(`${this.failuresInARow} trials in a row failed; the last: ${this.lastFailure}`);
    const trials = await this.o.storage.trials(this.o.study.id);
    return { stopped: stopped ?? 'budget', ran: this.ran, trials, best: bestTrial(trials, this.o.study.direction) };
  }

  /** Takes the next trial and starts it on an idle worker; the reason to stop when there is none. */
  private async startNext(): Promise<StopReason | null> {
    if (this.o.deadline !== null && Date.now() >= this.o.deadline) return 'time';
    const { study, space, sampler } = this.o;
    const r = await this.o.storage.claimTrial(study.id, {
      owner: OWNER,
      budget: this.o.trials,
      ownerGone: (t) => this.ownerGone(t),
      staleSeconds: this.o.staleSeconds ?? 60,
      propose: (trials, number) => {
        const params = sampler.sample({ space, direction: study.direction, trials, number, seed: study.seed });
        if (params) checkParams(space, params);
        return params;
      },
    });
    for (const t of r.recovered) this.o.onEvent?.({ type: 'recovered', trial: t });
    if (r.kind !== 'trial') return r.kind;
    const trial = r.trial;
    this.active.set(trial.id, this.runTrial(trial).finally(() => this.active.delete(trial.id)));
    return null;
  }

  private async runTrial(trial: Trial): Promise<void> {
    const { storage, study, pruner } = this.o;
    this.o.onEvent?.({ type: 'start', trial });
    const options = { ...trainOptionsFor(trial.params, this.o.training), out: trialDir(this.o.studyDir, trial.number), report: false };
    const epochs = options.epochs ?? DEFAULTS.epochs;
    const values: number[] = [];
    const outcome = await this.pool.run({
      options,
      objective: study.objective,
      onEpoch: async (epoch, value) => {
        values.push(value);
        await storage.reportValue(trial.id, epoch, value);
        if (epoch >= epochs) return false;
        const me: Trial = { ...trial, intermediate: [...values] };
        const all = (await storage.trials(study.id)).map((t) => (t.id === trial.id ? me : t));
        return pruner.shouldPrune({ trial: me, trials: all, direction: study.direction });
      },
    });
    await storage.finishTrial(trial.id, OWNER, finishOf(outcome));
    this.ran++;
    if (outcome.state === 'failed') {
      this.failuresInARow++;
      this.lastFailure = outcome.note;
    } else this.failuresInARow = 0;
    const trials = await storage.trials(study.id);
    const done = trials.find((t) => t.id === trial.id) ?? trial;
    this.o.onEvent?.({ type: 'end', trial: done, best: bestTrial(trials, study.direction) });
  }

  /** Whether a running trial's tuner is gone: ours but not running here, or a dead process on this host. */
  private ownerGone(t: Trial): boolean | null {
    if (t.owner === null) return true;
    if (t.owner === OWNER) return !this.active.has(t.id);
    const at = t.owner.lastIndexOf(':');
    if (at < 0 || t.owner.slice(0, at) !== hostname()) return null;
    return !processAlive(Number(t.owner.slice(at + 1)));
  }
}

function finishOf(o: Outcome): { state: 'complete' | 'pruned' | 'failed'; value: number | null; runDir?: string; note?: string } {
  if (o.state === 'complete') return { state: 'complete', value: o.value, runDir: o.runDir };
  if (o.state === 'pruned') return { state: 'pruned', value: o.value, note: `pruned after epoch ${o.epoch}` };
  return { state: 'failed', value: null, note: o.note };
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A trial's run folder: `<study folder>/trial-0007`. */
export function trialDir(studyDir: string, number: number): string {
  return join(studyDir, `trial-${String(number).padStart(4, '0')}`);
}
