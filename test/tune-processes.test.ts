// `digitnet tune` under real failures, with real processes: a tuner killed with SIGKILL mid-trial takes
// its workers with it, leaves the SQLite study whole, and a second run marks the interrupted trial failed,
// retries it and finishes the study; a worker killed mid-trial fails only that trial; and two tuners on
// one PostgreSQL study (a server the test starts) share its trials without running any twice.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { openStorage } from '../src/tune/storage/index.js';
import { startPostgres, type PgServer } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cwd = tempDir('digitnet-tune-proc-');
const QUICK = ['--limit', '1000', '--test-limit', '200'];
let server: PgServer;

before(async () => {
  writeFileSync(join(cwd, 'space.json'), JSON.stringify({ lr: { loguniform: [0.0005, 0.005] }, batchSize: { choice: [32, 64] } }));
  server = await startPostgres();
});
after(() => server?.stop());

interface Running {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  out: () => string;
  /** Resolves with the exit code (or signal) and the whole output. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [MAIN, 'tune', ...args], { cwd, env: { ...process.env, DIGITNET_THREADS: '2' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, out: () => stdout, done };
}

async function until(what: string, check: () => boolean, seconds = 60): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > seconds * 1000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How many epochs' values the study database holds for a study's trial 0 (SQLite, read alongside the tuner). */
function epochsDone(study: string): number {
  const path = join(cwd, 'runs/studies.db');
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true, timeout: 5000 });
  try {
    const row = db.prepare(`SELECT count(*) AS n FROM digitnet_trial_values v JOIN digitnet_trials t ON t.id = v.trial_id JOIN digitnet_studies s ON s.id = t.study_id
      WHERE s.name = ? AND t.number = 0`).get(study) as { n: number };
    return row.n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

/** Live (not zombie) processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[1]) === pid && fields[0] !== 'Z' ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('kill -9 of the tuner mid-trial: its worker dies too, the database stays whole, and a second run retries the trial and finishes', async () => {
  const args = ['--space', 'space.json', '--study', 'k', '--trials', '2', '--epochs', '3', ...QUICK];
  const first = start(args);
  await until('trial 0 to start', () => /\[trial 0\] started/.test(first.out()));
  await until('the worker process', () => childrenOf(first.child.pid!).length === 1);
  const [worker] = childrenOf(first.child.pid!);
  await until('the first epoch of trial 0', () => epochsDone('k') === 1);
  first.child.kill('SIGKILL');
  const killed = await first.done;
  assert.equal(killed.signal, 'SIGKILL');
  await until('the worker to exit with its tuner', () => !alive(worker), 10);

  const db = new Database(join(cwd, 'runs/studies.db'), { readonly: true });
  assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0].integrity_check, 'ok');
  const left = db.prepare(`SELECT number, state FROM digitnet_trials`).all();
  db.close();
  assert.deepEqual(left, [{ number: 0, state: 'running' }], 'the trial it was running is left running');
  assert.equal(epochsDone('k'), 1, 'killed in its second epoch of three');

  const second = await start(args).done;
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, new RegExp(`^\\[trial 0\\] interrupted: its tuner \\(.*:${first.child.pid}\\) stopped; it runs again as a new trial$`, 'm'));
  assert.match(second.stdout, /^\[trial 1\] started \(retry of trial 0\): lr=/m);
  assert.match(second.stdout, /^Study 'k': 2 complete, 0 pruned, 1 failed \(stopped: it has 2 trials; 2 run here\)$/m);
  const s = await openStorage(`sqlite:${join(cwd, 'runs/studies.db')}`);
  const trials = await s.trials((await s.findStudy('k'))!.id);
  await s.close();
  assert.deepEqual(trials.map((t) => [t.number, t.state, t.retryOf]), [[0, 'failed', null], [1, 'complete', 0], [2, 'complete', null]]);
  assert.deepEqual(trials[1].params, trials[0].params, 'the retry has the same parameters');
  assert.equal(trials[1].intermediate.length, 3);
});

test('a worker killed mid-trial fails that trial; the study goes on with a new worker', async () => {
  const run = start(['--space', 'space.json', '--study', 'w', '--trials', '2', '--epochs', '3', '--sampler', 'random', ...QUICK]);
  await until('trial 0 to start', () => /\[trial 0\] started/.test(run.out()));
  await until('the first epoch of trial 0', () => epochsDone('w') === 1);
  const [worker] = childrenOf(run.child.pid!);
  process.kill(worker, 'SIGKILL');
  const r = await run.done;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^\[trial 0\] lr=\S+ batchSize=\d+ → failed: the worker process died \(signal SIGKILL\); no best yet$/m);
  assert.match(r.stdout, /^\[trial 2\] lr=\S+ batchSize=\d+ → val_accuracy 0\.\d{4} \(3 epochs, /m);
  assert.match(r.stdout, /^Study 'w': 2 complete, 0 pruned, 1 failed/m);
});

test('two tuners on one PostgreSQL study share its trials: each trial run once, the total exactly the budget', async () => {
  const url = await server.createDatabase('shared');
  const args = (out: string): string[] => ['--space', 'space.json', '--study', 'shared', '--storage', url, '--trials', '6', '--epochs', '1', '--out', out, ...QUICK];
  const [a, b] = [start(args('machine-a')), start(args('machine-b'))];
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.stdout + ra.stderr);
  assert.equal(rb.code, 0, rb.stdout + rb.stderr);
  const startedBy = (s: string): number[] => [...s.matchAll(/^\[trial (\d+)\] started/gm)].map((m) => Number(m[1]));
  const [na, nb] = [startedBy(ra.stdout), startedBy(rb.stdout)];
  assert.ok(na.length > 0 && nb.length > 0, `both tuners ran trials: ${na} and ${nb}`);
  assert.deepEqual([...na, ...nb].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5], 'every trial started once, by one tuner');
  const s = await openStorage(url);
  const trials = await s.trials((await s.findStudy('shared'))!.id);
  await s.close();
  assert.equal(trials.length, 6);
  assert.ok(trials.every((t) => t.state === 'complete'));
  assert.equal(new Set(trials.map((t) => t.owner)).size, 2, 'two owners');
  for (const t of trials) {
    const mine = na.includes(t.number) ? 'machine-a' : 'machine-b';
    assert.ok(t.runDir!.endsWith(join(mine, `trial-000${t.number}`)), `${t.runDir} written by the tuner that ran it`);
    assert.ok(existsSync(join(t.runDir!, 'model', 'model.json')));
  }
});
