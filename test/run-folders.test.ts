// A run folder is always whole: --out is claimed before training (an unwritable, taken or endless place is a
// one-line error at once), an existing run is replaced only with --overwrite and never by a half-written
// one, a kill -9 at any moment leaves the old run or the new one (model, metrics and report of the same
// run), a kill between the commit's two renames is finished by the next reader, unfinished runs are kept in
// clearly named dot folders that nothing lists, and a stale one is removed by the next run for the same
// --out.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { OWNER_FILE } from '../src/engine/io/atomic-dir.js';
import { newestRun, resolveModelDir } from '../src/train/run-files.js';
import { digitnet, fails, MAIN, ok } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

const cwd = tempDir('digitnet-runs-');
const QUICK = ['--limit', '300', '--test-limit', '100', '--epochs', '1', '--batch-size', '32'];
const FILES = ['model/model.json', 'model/weights.bin', 'metrics.json', 'history.json', 'history.csv', 'run.json', 'samples.json', 'report.html', 'figures/confusion.png'];

/** Checks that `dir` holds a whole run whose model, metrics and report are of the same run; returns its creation time. */
function wholeRun(dir: string): string {
  for (const f of FILES) assert.ok(existsSync(join(dir, f)), `${dir}: ${f} is missing`);
  const created = (JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { createdAt: string }).createdAt;
  const model = JSON.parse(readFileSync(join(dir, 'model', 'model.json'), 'utf8')) as { userDefinedMetadata: { digitnet: { createdAt: string; testAccuracy: number } } };
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { test: { accuracy: number } };
  assert.equal(model.userDefinedMetadata.digitnet.createdAt, created, 'the model and run.json are of the same run');
  assert.equal(model.userDefinedMetadata.digitnet.testAccuracy, metrics.test.accuracy, 'the model and metrics.json are of the same run');
  assert.ok(readFileSync(join(dir, 'report.html'), 'utf8').includes((metrics.test.accuracy * 100).toFixed(2)), 'the report shows these metrics');
  return created;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

let firstSeconds = 0;
before(() => {
  const t0 = performance.now();
  ok(cwd, ['train', ...QUICK, '--out', 'run']);
  firstSeconds = (performance.now() - t0) / 1000;
});

test('an --out that cannot be written is refused before training: /proc, below a file, a read-only folder', () => {
  const early = (r: { stdout: string }): void => assert.doesNotMatch(r.stdout, /Epoch|Data:/, 'nothing was loaded or trained');
  early(fails(cwd, ['train', ...QUICK, '--out', '/proc/x/run'], /^--out \/proc\/x\/run: cannot write in \/proc\/x: a part of the path does not exist and cannot be created \(ENOENT\)$/, { timeoutMs: 30_000 }));
  writeFileSync(join(cwd, 'a-file'), 'x');
  early(fails(cwd, ['train', ...QUICK, '--out', 'a-file/run'], /^--out a-file\/run: cannot write in .*a-file: a part of the path is a file, not a folder \(ENOTDIR\)$/));
  const locked = join(cwd, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  // As root, permissions do not apply: run as nobody then.
  const uid = process.getuid?.() === 0 ? 65534 : undefined;
  early(fails(cwd, ['train', ...QUICK, '--out', join(locked, 'run')], /^--out .*locked\/run: cannot write in .*locked: permission denied \(EACCES\)$/, { uid }));
  assert.deepEqual(readdirSync(locked), []);
});

test('an existing --out is refused before training unless --overwrite; a folder that is not a run is never replaced', () => {
  const before = wholeRun(join(cwd, 'run'));
  const r = fails(cwd, ['train', ...QUICK, '--out', 'run'], /^--out run: already exists; pass --overwrite to replace it \(the old run stays until the new one is whole\), or choose another folder$/);
  assert.doesNotMatch(r.stdout, /Epoch/);
  assert.equal(wholeRun(join(cwd, 'run')), before, 'the old run is untouched');
  mkdirSync(join(cwd, 'photos'));
  writeFileSync(join(cwd, 'photos', 'holiday.jpg'), 'not a run');
  fails(cwd, ['train', ...QUICK, '--out', 'photos', '--overwrite'], /^--out photos: exists and is not a digitnet run folder \(no run\.json or model\/\); not replacing it, even with --overwrite$/);
  assert.deepEqual(readdirSync(join(cwd, 'photos')), ['holiday.jpg']);
});

test('kill -9 at any moment of a retraining leaves the old run or the new one, whole, and nothing else visible', async () => {
  const old = wholeRun(join(cwd, 'run'));
  const seen = new Set<string>();
  // Kill points spread over a run's life: loading, training, evaluating, writing the report, committing.
  for (const fraction of [0.35, 0.7, 0.85, 0.95, 1.05]) {
    const child = spawn(process.execPath, [MAIN, 'train', ...QUICK, '--out', 'run', '--overwrite'], { cwd, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, fraction * firstSeconds * 1000));
    child.kill('SIGKILL');
    await exited;
    resolveModelDir(join(cwd, 'run')); // what every reader does first: settle an interrupted commit
    const created = wholeRun(join(cwd, 'run'));
    seen.add(created === old ? 'old' : 'new');
    assert.deepEqual(readdirSync(cwd).filter((n) => n.startsWith('.') && n !== '.run.partial'), [], 'no stray temporary folders');
    assert.equal(newestRun(cwd), join(cwd, 'run'), 'the dot folder is never picked');
  }
  assert.ok(seen.size >= 1);
});

test('a kill between the two renames of a commit is finished by the next reader: evaluate finds the new run', () => {
  const runs = join(cwd, 'renames');
  mkdirSync(runs);
  cpSync(join(cwd, 'run'), join(runs, '.r.old'), { recursive: true });
  // The new run, complete, still under its partial name, owned by a process that is gone: the state a kill leaves.
  ok(cwd, ['train', ...QUICK, '--seed', '5', '--out', join(runs, 'fresh')]);
  renameSync(join(runs, 'fresh'), join(runs, '.r.partial'));
  writeFileSync(join(runs, '.r.partial', OWNER_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '', complete: true }));
  const fresh = JSON.parse(readFileSync(join(runs, '.r.partial', 'run.json'), 'utf8')).createdAt;
  assert.ok(!existsSync(join(runs, 'r')), 'no run folder: what an unsettled reader would find');
  const out = ok(cwd, ['evaluate', '--model', join(runs, 'r'), '--limit', '100']);
  assert.match(out, /^Test accuracy: /m);
  assert.equal(wholeRun(join(runs, 'r')), fresh, 'the new run came into place');
  assert.deepEqual(readdirSync(runs), ['r'], 'the old one is gone, and so is the partial name');
  // The opposite case: the new run never completed, so the old one comes back.
  renameSync(join(runs, 'r'), join(runs, '.s.old'));
  mkdirSync(join(runs, '.s.partial'));
  writeFileSync(join(runs, '.s.partial', OWNER_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '', complete: false }));
  assert.equal(newestRun(runs), join(runs, 's'));
  assert.equal(wholeRun(join(runs, 's')), fresh);
});

test('an unfinished run left by a dead process is removed by the next run for the same --out, and named when it is', () => {
  const partial = join(cwd, '.stale.partial');
  mkdirSync(join(partial, 'model'), { recursive: true });
  const pid = deadPid();
  writeFileSync(join(partial, OWNER_FILE), JSON.stringify({ pid, host: hostname(), startedAt: '2030-01-01T00:00:00Z', complete: false }));
  assert.equal(newestRun(cwd), join(cwd, 'run'), 'listings skip it');
  const out = ok(cwd, ['train', ...QUICK, '--out', 'stale']);
  assert.match(out, new RegExp(`^Removed the unfinished run that process ${pid} left in \\.stale\\.partial$`, 'm'));
  wholeRun(join(cwd, 'stale'));
  assert.ok(!existsSync(partial));
});

test('a run being written by a live process is not touched by another', () => {
  const partial = join(cwd, '.busy.partial');
  mkdirSync(partial);
  writeFileSync(join(partial, OWNER_FILE), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2030-01-01T00:00:00Z', complete: false }));
  fails(cwd, ['train', ...QUICK, '--out', 'busy'], new RegExp(`^--out busy: .*\\.busy\\.partial is being written by process ${process.pid} on ${hostname()}`));
  assert.ok(existsSync(join(partial, OWNER_FILE)));
});
