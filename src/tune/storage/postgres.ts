// The study database on a PostgreSQL server (the `pg` client): `postgres://user:password@host:port/db`.
// Several tuners, on several machines, share one study through it: taking a trial locks the study's
// row (SELECT ... FOR UPDATE) for the length of one short transaction, and times come from the server's
// clock, so that heartbeats compare across machines. Node-only.

import pg from 'pg';
import { SqlStorage, type Conn, type Db, type Dialect } from './sql.js';
import { redactUrl, registerStorage, type Storage } from './storage.js';

const DIALECT: Dialect = {
  serialKey: 'SERIAL PRIMARY KEY',
  real: 'DOUBLE PRECISION',
  now: `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  lockRow: 'FOR UPDATE',
  tables: `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
  ownsDatabase: false,
};

/** `?` placeholders → `$1, $2...` (no statement here has a literal question mark). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

class PostgresDb implements Db {
  readonly dialect = DIALECT;
  readonly schemaLock = 'SELECT pg_advisory_xact_lock(7246103310)';

  constructor(readonly label: string, private readonly pool: pg.Pool) {}

  async tx<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const c: Conn = {
      all: async (sql, args = []) => (await client.query(numbered(sql), args)).rows as Record<string, unknown>[],
      run: async (sql, args = []) => (await client.query(numbered(sql), args)).rowCount ?? 0,
    };
    try {
      await client.query('BEGIN');
      const out = await fn(c);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export async function openPostgres(url: string): Promise<Storage> {
  const label = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 10_000 });
  // An idle connection the server drops must not end the process; the next query reports it.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => {});
    throw new Error(`${label}: cannot reach the database (${(e as Error).message || (e as { code?: string }).code})`);
  }
  return SqlStorage.open(new PostgresDb(label, pool));
}

registerStorage({ schemes: ['postgres', 'postgresql'], description: 'a PostgreSQL database shared by tuners on several machines', open: openPostgres });
