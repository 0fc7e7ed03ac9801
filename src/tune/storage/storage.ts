// The study database's interface and its registry of kinds, found by the URL's scheme (sqlite:PATH,
// postgres://...). Every change a tuner makes is one transaction, and taking the next trial is atomic
// across tuners: no trial is ever run by two of them, and a study's budget is never overrun.

import type { Params } from '../space.js';
import type { Study, StudySettings, Trial } from '../trial.js';

/** The schema this digitnet reads and writes; a database of another version is refused. */
export const SCHEMA_VERSION = 1;

export interface ClaimOptions {
  /** Who takes the trial: `host:pid`. */
  owner: string;
  /** The study's total number of trials (complete, pruned, running or waiting), or null for no limit. */
  budget: number | null;
  /** Whether a running trial's tuner is gone: true, false, or null when it cannot tell (another host). */
  ownerGone: (t: Trial) => boolean | null;
  /** A running trial whose heartbeat is older than this (in seconds) is taken as interrupted. */
  staleSeconds: number;
  /** The new trial's parameters from the study's trials so far, or null when the sampler has none left. */
  propose: (trials: Trial[], number: number) => Params | null;
}

export type ClaimResult =
  | { kind: 'trial'; trial: Trial; recovered: Trial[] }
  | { kind: 'budget'; recovered: Trial[] }
  | { kind: 'exhausted'; recovered: Trial[] };

export interface FinishOptions {
  state: 'complete' | 'pruned' | 'failed';
  value: number | null;
  runDir?: string | null;
  note?: string | null;
}

export interface Storage {
  /** The URL, with any password hidden: for messages. */
  readonly label: string;
  /**
   * The study of that name, created if new; if it exists, its space, objective and direction must be
   * the same (an error naming the difference otherwise).
   */
  openStudy(s: StudySettings): Promise<Study>;
  findStudy(name: string): Promise<Study | null>;
  listStudies(): Promise<Study[]>;
  /** A study's trials by number, with their per-epoch values. */
  trials(studyId: number): Promise<Trial[]>;
  /**
   * In one transaction that excludes every other tuner: marks interrupted trials failed and queues a
   * retry of each, then takes the oldest waiting trial, or creates one from `propose` within the budget.
   */
  claimTrial(studyId: number, o: ClaimOptions): Promise<ClaimResult>;
  /** Renews the heartbeat of the owner's running trials. */
  heartbeat(trialIds: number[], owner: string): Promise<void>;
  /** Records the objective after one epoch (1-based). */
  reportValue(trialId: number, epoch: number, value: number): Promise<void>;
  /** Ends a trial the owner is running; false when it was no longer theirs (taken as interrupted meanwhile). */
  finishTrial(trialId: number, owner: string, f: FinishOptions): Promise<boolean>;
  close(): Promise<void>;
}

export interface StorageEntry {
  /** URL schemes it serves, e.g. ['postgres', 'postgresql']. */
  schemes: string[];
  /** One line for `--help` and the README. */
  description: string;
  open(url: string): Promise<Storage>;
}

const registry: StorageEntry[] = [];

/** Called by each storage's file when it loads. */
export function registerStorage(entry: StorageEntry): void {
  registry.push(entry);
}

export function storageSchemes(): string[] {
  return registry.flatMap((e) => e.schemes);
}

/** Opens the database a URL names (sqlite:PATH or postgres://...), with a one-line error when it cannot. */
export async function openStorage(url: string): Promise<Storage> {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  const scheme = m?.[1].toLowerCase();
  const entry = registry.find((e) => scheme !== undefined && e.schemes.includes(scheme));
  if (!entry) throw new Error(`--storage ${url}: unknown kind of storage (give ${storageSchemes().map((s) => (s === 'sqlite' ? 'sqlite:PATH' : `${s}://...`)).join(', ')})`);
  return entry.open(url);
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
