// The study database in SQL, written once for every SQL storage: the schema, its version check, and each
// operation as one transaction. A storage file (sqlite.ts, postgres.ts) supplies only the connection and
// the few words its dialect spells differently. Taking a trial locks the study's row (PostgreSQL: SELECT
// ... FOR UPDATE; SQLite: BEGIN IMMEDIATE), so tuners take turns and each trial has exactly one owner.

import { spaceKey, parseSpace, type Params } from '../space.js';
import type { Study, StudySettings, Trial, TrialState } from '../trial.js';
import { SCHEMA_VERSION, type ClaimOptions, type ClaimResult, type FinishOptions, type Storage } from './storage.js';

export type Row = Record<string, unknown>;

/** One connection inside a transaction; SQL is written with `?` placeholders. */
export interface Conn {
  all(sql: string, args?: unknown[]): Promise<Row[]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, args?: unknown[]): Promise<number>;
}

export interface Dialect {
  /** An auto-numbered primary key column. */
  serialKey: string;
  /** A double-precision column type. */
  real: string;
  /** An expression for the database's current time as ISO-8601 UTC text (one clock for every tuner). */
  now: string;
  /** What follows `SELECT ... FROM digitnet_studies WHERE id = ?` to lock the row until commit. */
  lockRow: string;
  /** A query listing the tables (column `name`) of the database or schema. */
  tables: string;
  /** Whether other tables make the database foreign (a SQLite file is ours alone; a PostgreSQL database is shared). */
  ownsDatabase: boolean;
}

export interface Db {
  readonly label: string;
  readonly dialect: Dialect;
  /** Runs `fn` in a transaction that holds the database's write lock (SQLite) or may lock rows (PostgreSQL). */
  tx<T>(fn: (c: Conn) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Run first in the schema's transaction, so that two tuners never create it at once. */
  readonly schemaLock?: string;
}

const LIVE: TrialState[] = ['complete', 'pruned', 'running', 'waiting'];

export class SqlStorage implements Storage {
  readonly label: string;
  private constructor(private readonly db: Db) {
    this.label = db.label;
  }

  /** Opens the database and checks (or creates) its schema. */
  static async open(db: Db): Promise<SqlStorage> {
    const s = new SqlStorage(db);
    try {
      await db.tx((c) => s.initSchema(c));
    } catch (e) {
      await db.close().catch(() => {});
      throw e;
    }
    return s;
  }

  private async initSchema(c: Conn): Promise<void> {
    const d = this.db.dialect;
    if (this.db.schemaLock) await c.all(this.db.schemaLock);
    const tables = (await c.all(d.tables)).map((r) => String(r.name));
    if (tables.includes('digitnet_meta')) {
      const rows = await c.all(`SELECT value FROM digitnet_meta WHERE key = 'schema_version'`);
      const v = rows.length ? Number(rows[0].value) : NaN;
      if (v !== SCHEMA_VERSION) throw new Error(`${this.label}: a study database of version ${rows.length ? rows[0].value : 'unknown'}; this digitnet reads version ${SCHEMA_VERSION} (use another --storage, or the digitnet that wrote it)`);
      return;
    }
    const foreign = tables.filter((t) => d.ownsDatabase || t.startsWith('digitnet_'));
    if (foreign.length) throw new Error(`${this.label}: not a digitnet study database (it holds the table${foreign.length > 1 ? 's' : ''} ${foreign.slice(0, 4).join(', ')})`);
    for (const ddl of schema(d)) await c.run(ddl);
    await c.run(`INSERT INTO digitnet_meta (key, value) VALUES ('schema_version', ?)`, [String(SCHEMA_VERSION)]);
  }

  async openStudy(s: StudySettings): Promise<Study> {
    const key = spaceKey(parseSpace(s.space, `study '${s.name}'`));
    return this.db.tx(async (c) => {
      await c.run(
        `INSERT INTO digitnet_studies (name, space, space_key, direction, objective, sampler, pruner, seed, training, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${this.db.dialect.now}) ON CONFLICT (name) DO NOTHING`,
        [s.name, JSON.stringify(s.space), key, s.direction, s.objective, s.sampler, s.pruner, s.seed, JSON.stringify(s.training)],
      );
      const row = (await c.all(`SELECT * FROM digitnet_studies WHERE name = ?`, [s.name]))[0];
      const study = toStudy(row);
      if (row.space_key !== key) throw new Error(`study '${s.name}' already exists in ${this.label} with a different space (${JSON.stringify(study.space)}); give another --study name`);
      if (study.objective !== s.objective || study.direction !== s.direction) {
        throw new Error(`study '${s.name}' already exists in ${this.label} with --objective ${study.objective} --direction ${study.direction}; give another --study name`);
      }
      return study;
    });
  }

  async findStudy(name: string): Promise<Study | null> {
    const rows = await this.db.tx((c) => c.all(`SELECT * FROM digitnet_studies WHERE name = ?`, [name]));
    return rows.length ? toStudy(rows[0]) : null;
  }

  async listStudies(): Promise<Study[]> {
    return (await this.db.tx((c) => c.all(`SELECT * FROM digitnet_studies ORDER BY id`))).map(toStudy);
  }

  trials(studyId: number): Promise<Trial[]> {
    return this.db.tx((c) => loadTrials(c, studyId));
  }

  claimTrial(studyId: number, o: ClaimOptions): Promise<ClaimResult> {
    return this.db.tx(async (c) => {
      await c.all(`SELECT id FROM digitnet_studies WHERE id = ? ${this.db.dialect.lockRow}`, [studyId]);
      const now = await this.now(c);
      const trials = await loadTrials(c, studyId);
      const recovered = await this.recover(c, studyId, trials, now, o);
      const waiting = trials.find((t) => t.state === 'waiting');
      if (waiting) {
        await c.run(`UPDATE digitnet_trials SET state = 'running', owner = ?, started_at = ?, heartbeat_at = ? WHERE id = ?`, [o.owner, now, now, waiting.id]);
        return { kind: 'trial', trial: { ...waiting, state: 'running', owner: o.owner, startedAt: now, heartbeatAt: now }, recovered };
      }
      if (o.budget !== null && trials.filter((t) => LIVE.includes(t.state)).length >= o.budget) return { kind: 'budget', recovered };
      const number = nextNumber(trials);
      const params = o.propose(trials, number);
      if (params === null) return { kind: 'exhausted', recovered };
      const trial = await this.insertTrial(c, studyId, { number, state: 'running', params, owner: o.owner, now, retryOf: null });
      return { kind: 'trial', trial, recovered };
    });
  }

  /** Running trials whose tuner is gone: marked failed, each with a waiting retry of the same parameters. */
  private async recover(c: Conn, studyId: number, trials: Trial[], now: string, o: ClaimOptions): Promise<Trial[]> {
    const out: Trial[] = [];
    for (const t of trials.filter((x) => x.state === 'running')) {
      const age = (Date.parse(now) - Date.parse(t.heartbeatAt ?? t.startedAt ?? now)) / 1000;
      const gone = o.ownerGone(t);
      if (gone !== true && !(age > o.staleSeconds)) continue;
      const note = gone === true ? `interrupted: its tuner (${t.owner}) stopped` : `interrupted: no heartbeat from ${t.owner} for ${Math.round(age)} s`;
      await c.run(`UPDATE digitnet_trials SET state = 'failed', finished_at = ?, note = ? WHERE id = ?`, [now, note, t.id]);
      Object.assign(t, { state: 'failed', finishedAt: now, note });
      const retry = await this.insertTrial(c, studyId, { number: nextNumber(trials), state: 'waiting', params: t.params, owner: null, now: null, retryOf: t.number });
      trials.push(retry);
      out.push(t);
    }
    return out;
  }

  private async insertTrial(c: Conn, studyId: number, t: { number: number; state: TrialState; params: Params; owner: string | null; now: string | null; retryOf: number | null }): Promise<Trial> {
    const rows = await c.all(
      `INSERT INTO digitnet_trials (study_id, number, state, params, owner, started_at, heartbeat_at, retry_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [studyId, t.number, t.state, JSON.stringify(t.params), t.owner, t.now, t.now, t.retryOf],
    );
    return {
      id: Number(rows[0].id), number: t.number, state: t.state, params: t.params, value: null, intermediate: [], owner: t.owner,
      startedAt: t.now, finishedAt: null, heartbeatAt: t.now, runDir: null, note: null, retryOf: t.retryOf,
    };
  }

  async heartbeat(trialIds: number[], owner: string): Promise<void> {
    if (trialIds.length === 0) return;
    await this.db.tx(async (c) => {
      const now = await this.now(c);
      for (const id of trialIds) await c.run(`UPDATE digitnet_trials SET heartbeat_at = ? WHERE id = ? AND owner = ? AND state = 'running'`, [now, id, owner]);
    });
  }

  async reportValue(trialId: number, epoch: number, value: number): Promise<void> {
    await this.db.tx(async (c) => {
      await c.run(
        `INSERT INTO digitnet_trial_values (trial_id, epoch, value) VALUES (?, ?, ?) ON CONFLICT (trial_id, epoch) DO UPDATE SET value = excluded.value`,
        [trialId, epoch, Number.isFinite(value) ? value : null],
      );
      await c.run(`UPDATE digitnet_trials SET heartbeat_at = ${this.db.dialect.now} WHERE id = ? AND state = 'running'`, [trialId]);
    });
  }

  finishTrial(trialId: number, owner: string, f: FinishOptions): Promise<boolean> {
    return this.db.tx(async (c) => {
      const n = await c.run(
        `UPDATE digitnet_trials SET state = ?, value = ?, run_dir = ?, note = ?, finished_at = ${this.db.dialect.now} WHERE id = ? AND owner = ? AND state = 'running'`,
        [f.state, f.value !== null && Number.isFinite(f.value) ? f.value : null, f.runDir ?? null, f.note ?? null, trialId, owner],
      );
      return n === 1;
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async now(c: Conn): Promise<string> {
    return String((await c.all(`SELECT ${this.db.dialect.now} AS now`))[0].now);
  }
}

function schema(d: Dialect): string[] {
  return [
    `CREATE TABLE digitnet_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE digitnet_studies (
      id ${d.serialKey}, name TEXT NOT NULL UNIQUE, space TEXT NOT NULL, space_key TEXT NOT NULL,
      direction TEXT NOT NULL CHECK (direction IN ('maximize', 'minimize')), objective TEXT NOT NULL,
      sampler TEXT NOT NULL, pruner TEXT NOT NULL, seed INTEGER NOT NULL, training TEXT NOT NULL, created_at TEXT NOT NULL)`,
    `CREATE TABLE digitnet_trials (
      id ${d.serialKey}, study_id INTEGER NOT NULL REFERENCES digitnet_studies (id) ON DELETE CASCADE, number INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'complete', 'pruned', 'failed')), params TEXT NOT NULL,
      value ${d.real}, owner TEXT, started_at TEXT, finished_at TEXT, heartbeat_at TEXT, run_dir TEXT, note TEXT, retry_of INTEGER,
      UNIQUE (study_id, number))`,
    `CREATE TABLE digitnet_trial_values (
      trial_id INTEGER NOT NULL REFERENCES digitnet_trials (id) ON DELETE CASCADE, epoch INTEGER NOT NULL, value ${d.real},
      PRIMARY KEY (trial_id, epoch))`,
    `CREATE INDEX digitnet_trials_by_state ON digitnet_trials (study_id, state)`,
  ];
}

async function loadTrials(c: Conn, studyId: number): Promise<Trial[]> {
  const rows = await c.all(`SELECT * FROM digitnet_trials WHERE study_id = ? ORDER BY number`, [studyId]);
  const values = await c.all(
    `SELECT v.trial_id, v.epoch, v.value FROM digitnet_trial_values v JOIN digitnet_trials t ON t.id = v.trial_id WHERE t.study_id = ? ORDER BY v.trial_id, v.epoch`,
    [studyId],
  );
  const byTrial = new Map<number, number[]>();
  for (const v of values) {
    const list = byTrial.get(Number(v.trial_id)) ?? [];
    list[Number(v.epoch) - 1] = v.value === null ? NaN : Number(v.value);
    byTrial.set(Number(v.trial_id), list);
  }
  return rows.map((r) => toTrial(r, byTrial.get(Number(r.id)) ?? []));
}

function toTrial(r: Row, intermediate: number[]): Trial {
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  return {
    id: Number(r.id), number: Number(r.number), state: r.state as TrialState, params: JSON.parse(String(r.params)) as Params,
    value: r.value === null || r.value === undefined ? null : Number(r.value), intermediate: Array.from(intermediate, (v) => v ?? NaN),
    owner: str(r.owner), startedAt: str(r.started_at), finishedAt: str(r.finished_at), heartbeatAt: str(r.heartbeat_at),
    runDir: str(r.run_dir), note: str(r.note), retryOf: r.retry_of === null || r.retry_of === undefined ? null : Number(r.retry_of),
  };
}

function toStudy(r: Row): Study {
  return {
    id: Number(r.id), name: String(r.name), space: JSON.parse(String(r.space)) as Record<string, unknown>, direction: r.direction as Study['direction'],
    objective: r.objective as Study['objective'], sampler: String(r.sampler), pruner: String(r.pruner), seed: Number(r.seed),
    training: JSON.parse(String(r.training)) as Record<string, unknown>, createdAt: String(r.created_at),
  };
}

function nextNumber(trials: Trial[]): number {
  return trials.reduce((m, t) => Math.max(m, t.number + 1), 0);
}
