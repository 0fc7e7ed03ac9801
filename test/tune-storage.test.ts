// The study database: one suite run against SQLite and against a real PostgreSQL server that the test
// starts. Studies and their spaces, taking trials within the budget, per-epoch values, finishing,
// recovering interrupted trials, two connections taking trials at once (no trial taken twice, the budget
// never overrun), and the one-line errors for a database of another version or one that cannot be used.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parseSpace, spaceJson } from '../src/tune/space.js';
import { openStorage, type Storage } from '../src/tune/storage/index.js';
import type { ClaimOptions } from '../src/tune/storage/storage.js';
import type { StudySettings, Trial } from '../src/tune/trial.js';
import { startPostgres, type PgServer } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('digitnet-storage-');
let server: PgServer;
let count = 0;

before(async () => {
  server = await startPostgres();
});
after(() => server?.stop());

interface Kind {
  name: string;
  /** A URL to a new, empty database. */
  fresh(): Promise<string>;
  /** Runs raw SQL on the database behind a URL, outside digitnet. */
  exec(url: string, sql: string): Promise<void>;
}

const KINDS: Kind[] = [
  {
    name: 'sqlite',
    fresh: async () => `sqlite:${join(dir, `study-${++count}.db`)}`,
    exec: async (url, sql) => {
      const db = new Database(url.slice('sqlite:'.length));
      db.exec(sql);
      db.close();
    },
  },
  {
    name: 'postgres',
    fresh: () => server.createDatabase(`study_${++count}`),
    exec: async (url, sql) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(sql);
      await c.end();
    },
  },
];

const SPACE = parseSpace({ lr: { loguniform: [1e-4, 1e-2] }, batchSize: { choice: [32, 64] } });
const settings = (name: string, over: Partial<StudySettings> = {}): StudySettings => ({
  name, space: spaceJson(SPACE), direction: 'maximize', objective: 'val_accuracy', sampler: 'tpe', pruner: 'median', seed: 1, training: { epochs: 2, limit: 1000 }, ...over,
});

/** Claim options proposing lr = 0.001 · (number + 1). */
function claimer(owner: string, budget: number | null, o: Partial<ClaimOptions> = {}): ClaimOptions {
  return { owner, budget, ownerGone: () => false, staleSeconds: 3600, propose: (_t, n) => ({ lr: 0.001 * (n + 1), batchSize: 32 }), ...o };
}

async function take(s: Storage, studyId: number, o: ClaimOptions): Promise<Trial> {
  const r = await s.claimTrial(studyId, o);
  assert.equal(r.kind, 'trial');
  return (r as { trial: Trial }).trial;
}

for (const kind of KINDS) {
  describe(`${kind.name} storage`, () => {
    test('creates a study and opens it again; another space, objective or direction under its name is refused', async () => {
      const s = await openStorage(await kind.fresh());
      try {
        const a = await s.openStudy(settings('mnist'));
        const again = await s.openStudy(settings('mnist'));
        assert.equal(again.id, a.id);
        assert.deepEqual(again.space, spaceJson(SPACE));
        assert.deepEqual(again.training, { epochs: 2, limit: 1000 });
        const other = spaceJson(parseSpace({ lr: { loguniform: [1e-4, 1e-1] }, batchSize: { choice: [32, 64] } }));
        await assert.rejects(s.openStudy(settings('mnist', { space: other })), /^Error: study 'mnist' already exists in .* with a different space \(.*\); give another --study name$/);
        await assert.rejects(s.openStudy(settings('mnist', { objective: 'val_loss', direction: 'minimize' })), /study 'mnist' already exists .* with --objective val_accuracy --direction maximize/);
        await s.openStudy(settings('second'));
        assert.deepEqual((await s.listStudies()).map((x) => x.name), ['mnist', 'second']);
        assert.equal(await s.findStudy('nope'), null);
      } finally {
        await s.close();
      }
    });

    test('takes trials within the budget, numbered in order, each proposal seeing the trials before it', async () => {
      const s = await openStorage(await kind.fresh());
      try {
        const st = await s.openStudy(settings('b'));
        const seen: number[] = [];
        const o = claimer('me:1', 3, { propose: (trials, n) => (seen.push(trials.length), { lr: 0.001 * (n + 1), batchSize: 64 }) });
        const got = [await take(s, st.id, o), await take(s, st.id, o), await take(s, st.id, o)];
        assert.deepEqual(got.map((t) => t.number), [0, 1, 2]);
        assert.deepEqual(seen, [0, 1, 2]);
        assert.deepEqual(got.map((t) => [t.state, t.owner]), [['running', 'me:1'], ['running', 'me:1'], ['running', 'me:1']]);
        assert.equal((await s.claimTrial(st.id, o)).kind, 'budget', 'running trials count toward the budget');
        await s.finishTrial(got[0].id, 'me:1', { state: 'failed', value: null, note: 'boom' });
        assert.equal((await take(s, st.id, o)).number, 3, 'a failed trial frees its place');
        assert.equal((await s.claimTrial(st.id, claimer('me:1', null, { propose: () => null }))).kind, 'exhausted');
      } finally {
        await s.close();
      }
    });

    test("records each epoch's value and the result; only the trial's owner can finish it", async () => {
      const s = await openStorage(await kind.fresh());
      try {
        const st = await s.openStudy(settings('v'));
        const t = await take(s, st.id, claimer('me:1', null));
        await s.reportValue(t.id, 1, 0.91);
        await s.reportValue(t.id, 2, 0.95);
        await s.reportValue(t.id, 2, 0.96);
        assert.equal(await s.finishTrial(t.id, 'someone:2', { state: 'complete', value: 0.96 }), false);
        assert.equal(await s.finishTrial(t.id, 'me:1', { state: 'complete', value: 0.96, runDir: '/runs/x/trial-0000' }), true);
        assert.equal(await s.finishTrial(t.id, 'me:1', { state: 'failed', value: null }), false, 'a finished trial stays finished');
        const [back] = await s.trials(st.id);
        assert.equal(back.state, 'complete');
        assert.equal(back.value, 0.96);
        assert.deepEqual(back.intermediate, [0.91, 0.96]);
        assert.equal(back.runDir, '/runs/x/trial-0000');
        assert.deepEqual(back.params, { lr: 0.001, batchSize: 32 });
        assert.ok(Date.parse(back.finishedAt!) >= Date.parse(back.startedAt!));
      } finally {
        await s.close();
      }
    });

    test('an interrupted trial is marked failed and retried first, with the same parameters', async () => {
      const s = await openStorage(await kind.fresh());
      try {
        const st = await s.openStudy(settings('r'));
        const lost = await take(s, st.id, claimer('dead:1', 5));
        const kept = await take(s, st.id, claimer('alive:2', 5));
        const o = claimer('me:3', 5, { ownerGone: (t) => t.owner === 'dead:1' });
        const r = await s.claimTrial(st.id, o);
        assert.equal(r.kind, 'trial');
        const retry = (r as { trial: Trial }).trial;
        assert.deepEqual(r.recovered.map((t) => t.number), [lost.number]);
        assert.deepEqual(retry.params, lost.params);
        assert.equal(retry.retryOf, lost.number);
        assert.equal(retry.owner, 'me:3');
        const all = await s.trials(st.id);
        assert.equal(all.find((t) => t.id === lost.id)!.state, 'failed');
        assert.match(all.find((t) => t.id === lost.id)!.note!, /interrupted: its tuner \(dead:1\) stopped/);
        assert.equal(all.find((t) => t.id === kept.id)!.state, 'running');
        // No heartbeat for longer than staleSeconds: interrupted too, when the owner cannot be asked.
        await new Promise((res) => setTimeout(res, 1500));
        await s.heartbeat([retry.id], 'me:3');
        const r2 = await s.claimTrial(st.id, claimer('me:3', 5, { ownerGone: () => null, staleSeconds: 1 }));
        assert.deepEqual(r2.recovered.map((t) => t.number), [kept.number], 'the renewed heartbeat keeps the retry');
      } finally {
        await s.close();
      }
    });

    test('two connections taking trials at once never take the same one nor overrun the budget', async () => {
      const url = await kind.fresh();
      const [a, b] = [await openStorage(url), await openStorage(url)];
      try {
        const st = await a.openStudy(settings('c'));
        await b.openStudy(settings('c'));
        // Four interrupted trials to retry, then new ones up to a budget of 20.
        for (let i = 0; i < 4; i++) await take(a, st.id, claimer('dead:9', 20));
        const gone = (t: Trial): boolean => t.owner === 'dead:9';
        const claimAll = async (s: Storage, owner: string): Promise<Trial[]> => {
          const got: Trial[] = [];
          for (;;) {
            const r = await s.claimTrial(st.id, claimer(owner, 20, { ownerGone: gone }));
            if (r.kind !== 'trial') return got;
            got.push(r.trial);
          }
        };
        const [ga, gb] = await Promise.all([claimAll(a, 'a:1'), claimAll(b, 'b:2')]);
        const ids = [...ga, ...gb].map((t) => t.id);
        assert.equal(new Set(ids).size, ids.length, 'no trial taken twice');
        const all = await a.trials(st.id);
        assert.equal(all.filter((t) => t.state === 'running').length, 20, 'exactly the budget');
        assert.equal(all.filter((t) => t.state === 'failed').length, 4);
        assert.equal(all.filter((t) => t.retryOf !== null).length, 4, 'each interrupted trial retried once');
        assert.deepEqual(all.map((t) => t.number), Array.from({ length: 24 }, (_, i) => i));
        assert.ok(ga.length > 0 && gb.length > 0, `both took trials (${ga.length} and ${gb.length})`);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('a database of another version is refused in one line', async () => {
      const url = await kind.fresh();
      await (await openStorage(url)).close();
      await kind.exec(url, `UPDATE digitnet_meta SET value = '99' WHERE key = 'schema_version'`);
      await assert.rejects(openStorage(url), (e: Error) => {
        assert.match(e.message, /: a study database of version 99; this digitnet reads version 1 \(use another --storage, or the digitnet that wrote it\)$/);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    });
  });
}

test('a file that is not a SQLite database, or one holding other tables, or that cannot be created, is refused in one line', async () => {
  const junk = join(dir, 'junk.db');
  writeFileSync(junk, 'this is not a database, just text that is long enough to have a header. '.repeat(20));
  await assert.rejects(openStorage(`sqlite:${junk}`), /^Error: sqlite:.*junk\.db: cannot (open|use) the study database \(not a SQLite database\)$/);
  const other = join(dir, 'other.db');
  const db = new Database(other);
  db.exec('CREATE TABLE customers (id INTEGER)');
  db.close();
  await assert.rejects(openStorage(`sqlite:${other}`), /other\.db: not a digitnet study database \(it holds the table customers\)$/);
  await assert.rejects(openStorage(`sqlite:${junk}/under/a/file.db`), /junk\.db\/under\/a\/file\.db: cannot open the study database \(/);
  await assert.rejects(openStorage('mysql://localhost/x'), /--storage mysql:\/\/localhost\/x: unknown kind of storage \(give postgres:\/\/\.\.\., postgresql:\/\/\.\.\., sqlite:PATH\)/);
});

test('a PostgreSQL server that cannot be reached is a one-line error, with the password hidden', async () => {
  const t0 = Date.now();
  await assert.rejects(openStorage('postgres://someone:secret@127.0.0.1:1/studies'), (e: Error) => {
    assert.match(e.message, /^postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/studies: cannot reach the database \(.*ECONNREFUSED.*\)$/);
    assert.ok(!e.message.includes('secret'));
    return true;
  });
  assert.ok(Date.now() - t0 < 10_000);
  await assert.rejects(openStorage(server.urlFor('no_such_database')), /cannot reach the database \(database "no_such_database" does not exist\)/);
});
