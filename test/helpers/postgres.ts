// A throw-away PostgreSQL server for the tests: a new cluster in a temporary folder (initdb), started
// with pg_ctl on a free port, listening on 127.0.0.1 and a socket in its folder, run as an unprivileged
// user (the server refuses root: as root, the `postgres` user, else `nobody`), and stopped and deleted
// afterwards. initdb and pg_ctl come from PATH or Debian's /usr/lib/postgresql/<version>/bin.

import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** postgres://digitnet@127.0.0.1:PORT/ followed by a database name. */
  urlFor(database: string): string;
  /** Creates a new, empty database and gives its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

/** The folder holding initdb and pg_ctl, or an error saying how to install them. */
export function postgresBin(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  throw new Error("PostgreSQL's initdb and pg_ctl were not found on PATH or under /usr/lib/postgresql/*/bin: install Debian's postgresql package");
}

/** The uid and gid to run the server as: ourselves unless root, then `postgres` (or `nobody`). */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
  const row = passwd.find((r) => r[0] === 'postgres') ?? passwd.find((r) => r[0] === 'nobody');
  if (!row) throw new Error('running as root, and no postgres or nobody user to start PostgreSQL as');
  return { uid: Number(row[2]), gid: Number(row[3]) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PgServer> {
  const bin = postgresBin();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'digitnet-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const opts: SpawnSyncOptions = { cwd: dir, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, ...(user ?? {}) };
  const run = (cmd: string, args: string[]): void => {
    const r = spawnSync(join(bin, cmd), args, opts);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout || r.error}`);
  };
  run('initdb', ['-D', data, '-U', 'digitnet', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const urlFor = (db: string): string => `postgres://digitnet@127.0.0.1:${port}/${db}`;
  return {
    urlFor,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: urlFor('postgres') });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return urlFor(name);
    },
    stop() {
      spawnSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], opts);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
