// The study database in one SQLite file (better-sqlite3), the default: `sqlite:PATH`. WAL journal and
// full sync, so that a killed tuner leaves the file whole at its last committed transaction; every write
// transaction starts with BEGIN IMMEDIATE, so tuner processes sharing the file take turns (waiting up to
// 30 s for one another). Node-only.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SqlStorage, type Conn, type Db, type Dialect } from './sql.js';
import { registerStorage, type Storage } from './storage.js';

const DIALECT: Dialect = {
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  real: 'REAL',
  now: `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  lockRow: '',
  tables: `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
  ownsDatabase: true,
};

/** `sqlite:PATH` (also `sqlite://PATH`) → the file's absolute path. */
export function sqlitePath(url: string): string {
  const p = url.replace(/^sqlite:(\/\/)?/i, '');
  if (p === '') throw new Error(`--storage ${url}: give the database file, as sqlite:PATH`);
  return resolve(p);
}

/**
 * One transaction at a time per file in this process. Between processes SQLite's lock does it, but two
 * connections of one process must not both wait for it: the waiting one would block the very thread
 * that has to finish the other's transaction.
 */
const queues = new Map<string, Promise<unknown>>();

class SqliteDb implements Db {
  readonly dialect = DIALECT;

  constructor(readonly label: string, private readonly db: Database.Database, private readonly path: string) {}

  tx<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const c: Conn = {
        all: async (sql, args = []) => {
          const st = this.db.prepare(sql);
          return (st.reader ? st.all(...args) : (st.run(...args), [])) as Record<string, unknown>[];
        },
        run: async (sql, args = []) => this.db.prepare(sql).run(...args).changes,
      };
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(c);
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    };
    const p = (queues.get(this.path) ?? Promise.resolve()).then(run, run);
    queues.set(this.path, p.catch(() => {}));
    return p;
  }

  async close(): Promise<void> {
    await queues.get(this.path);
    this.db.close();
  }
}

export async function openSqlite(url: string): Promise<Storage> {
  const path = sqlitePath(url);
  const label = `sqlite:${path}`;
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: 30_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (e) {
    db?.close();
    throw new Error(`${label}: cannot open the study database (${sqliteMessage(e)})`);
  }
  try {
    return await SqlStorage.open(new SqliteDb(label, db, path));
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('SQLITE_')) throw new Error(`${label}: cannot use the study database (${sqliteMessage(e)})`);
    throw e;
  }
}

function sqliteMessage(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err.code === 'SQLITE_NOTADB' ? 'not a SQLite database' : String(err.message ?? e);
}

registerStorage({ schemes: ['sqlite'], description: 'one SQLite file (the default: sqlite:runs/studies.db)', open: openSqlite });
