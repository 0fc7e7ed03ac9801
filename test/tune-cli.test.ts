// `digitnet tune` run as a user runs it: real processes on real MNIST (1,000 images, one epoch a trial).
// A study with two workers: its progress lines, the study report linking the best trial's run report,
// the best run folder that `evaluate` takes; `--show`; resuming to a larger budget; and each bad input
// as a one-line error.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import { openStorage } from '../src/tune/storage/index.js';
import { createSampler } from '../src/tune/samplers/index.js';
import { parseSpace, spaceJson } from '../src/tune/space.js';
import type { RunJson } from '../src/train/run-files.js';
import { tempDir } from './helpers/temp.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cwd = tempDir('digitnet-tune-');
const QUICK = ['--limit', '1000', '--test-limit', '200', '--epochs', '1'];

export function digitnet(args: string[], dir = cwd): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, DIGITNET_THREADS: '2' }, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.replace(/^digitnet: backend .*\n/m, '') };
}

function ok(args: string[]): string {
  const r = digitnet(args);
  assert.equal(r.code, 0, `digitnet ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Fails with exactly one line `digitnet: <message>` on stderr, exit code 1. */
function fails(args: string[], message: RegExp): void {
  const r = digitnet(args);
  assert.equal(r.code, 1, `expected exit code 1, got ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /^digitnet: [^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr.slice('digitnet: '.length).trimEnd(), message);
}

const lastLine = (s: string): string => s.trimEnd().split('\n').pop()!;
let first = '';

before(() => {
  writeFileSync(join(cwd, 'lr.json'), JSON.stringify({ lr: { loguniform: [0.0005, 0.005] }, batchSize: { choice: [32, 64] } }));
  first = ok(['tune', '--space', 'lr.json', '--trials', '4', '--workers', '2', ...QUICK]);
});

test('a study of 4 trials on 2 workers: a line per trial, the study report, and best: <run folder> last', () => {
  assert.match(first, /^Study 'lr' in sqlite:runs\/studies\.db: tpe sampler, median pruner, val_accuracy maximized; 0 of 4 trials done$/m);
  for (let n = 0; n < 4; n++) {
    assert.match(first, new RegExp(`^\\[trial ${n}\\] started: lr=0\\.00\\d+ batchSize=(32|64)$`, 'm'));
    assert.match(first, new RegExp(`^\\[trial ${n}\\] lr=0\\.00\\d+ batchSize=(32|64) → val_accuracy 0\\.\\d{4} \\(1 epoch, [\\d.]+ s\\); best 0\\.\\d{4} \\(trial \\d\\)$`, 'm'));
  }
  assert.match(first, /^Study 'lr': 4 complete, 0 pruned, 0 failed \(stopped: it has 4 trials; 4 run here\)$/m);
  assert.match(first, /^report: runs\/lr\/report\.html$/m);
  const best = /^best: (runs\/lr\/trial-000\d)$/.exec(lastLine(first));
  assert.ok(best, `last line names the best run folder: ${lastLine(first)}`);
  // The best is the trial with the highest val_accuracy among the end lines.
  const values = [...first.matchAll(/^\[trial (\d)\] .* → val_accuracy (0\.\d{4})/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  const top = values.reduce((a, b) => (b[1] > a[1] ? b : a));
  assert.equal(best[1], `runs/lr/trial-000${top[0]}`);

  const html = readFileSync(join(cwd, 'runs/lr/report.html'), 'utf8');
  for (const id of ['fig-history', 'fig-intermediate', 'fig-parallel', 'fig-importance']) assert.ok(html.includes(`id="${id}"`), `${id} in the report`);
  assert.ok(html.includes(`href="trial-000${top[0]}/report.html"`), "links the best trial's run report");
  for (const f of ['history', 'parallel', 'importance']) assert.ok(existsSync(join(cwd, `runs/lr/figures/${f}.png`)), `figures/${f}.png`);
  assert.ok(existsSync(join(cwd, best[1], 'report.html')), "the best trial's run report is written");
  assert.ok(!existsSync(join(cwd, 'runs/lr', `trial-000${(top[0] + 1) % 4}`, 'report.html')), 'other trials are trained without one');
});

test('each of the 2 workers trains with 1 of the 2 native threads, and the trials overlap in time', () => {
  const run = JSON.parse(readFileSync(join(cwd, 'runs/lr/trial-0000/run.json'), 'utf8')) as RunJson;
  assert.match(run.backend, /1 thread/);
  const db = new Database(join(cwd, 'runs/studies.db'), { readonly: true });
  const rows = db.prepare('SELECT number, started_at, finished_at FROM digitnet_trials ORDER BY number').all() as { started_at: string; finished_at: string }[];
  db.close();
  const overlap = rows.some((a, i) => rows.some((b, j) => i !== j && a.started_at < b.finished_at && b.started_at < a.finished_at));
  assert.ok(overlap, 'two trials ran at once');
});

test("the best trial's run folder is a normal run that evaluate takes", () => {
  const best = lastLine(first).slice('best: '.length);
  const out = ok(['evaluate', '--model', best, '--data', 'mnist']);
  assert.match(out, /accuracy/i);
});

test('--show prints every trial and ends with the best run folder; a second run resumes the study to its new total', () => {
  const shown = ok(['tune', '--study', 'lr', '--show']);
  assert.match(shown, /^#\s+state\s+lr\s+batchSize\s+val_accuracy\s+epochs run\s+time\s+run folder or note$/m);
  assert.equal(shown.split('\n').filter((l) => /^\d\s+complete\s/.test(l)).length, 4);
  assert.equal(lastLine(shown), lastLine(first));
  const more = ok(['tune', '--study', 'lr', '--trials', '6', '--workers', '2', ...QUICK]);
  assert.match(more, /4 of 6 trials done/);
  assert.match(more, /^\[trial 4\] started/m);
  assert.match(more, /^\[trial 5\] started/m);
  assert.doesNotMatch(more, /^\[trial [0-3]\] started/m, 'the complete trials are kept');
  assert.match(more, /^Study 'lr': 6 complete, 0 pruned, 0 failed \(stopped: it has 6 trials; 2 run here\)$/m);
});

test('pruning in real trials: ASHA stops the trials worse than the best at epoch 1; they are recorded as pruned, with no run folder', async () => {
  const json = { lr: { choice: [0.003, 0.00001, 0.000003] } };
  writeFileSync(join(cwd, 'prune.json'), JSON.stringify(json));
  // A seed whose grid order tries the good learning rate first, so that both others are worse than it.
  const space = parseSpace(json);
  const seed = [...Array(50).keys()].find((s) => createSampler('grid').sample({ space, direction: 'maximize', trials: [], number: 0, seed: s })?.lr === 0.003)!;
  const out = ok(['tune', '--space', 'prune.json', '--sampler', 'grid', '--pruner', 'asha', '--seed', String(seed), '--limit', '1000', '--test-limit', '200', '--epochs', '2']);
  assert.match(out, /^\[trial 0\] lr=0\.003 → val_accuracy 0\.\d{4} \(2 epochs, /m);
  assert.match(out, /^\[trial [12]\] lr=0\.00001 → pruned after epoch 1 at val_accuracy 0\.\d{4} \([\d.]+ s\); best 0\.\d{4} \(trial 0\)$/m);
  assert.match(out, /^\[trial [12]\] lr=0\.000003 → pruned after epoch 1 at val_accuracy/m);
  assert.match(out, /^Study 'prune': 1 complete, 2 pruned, 0 failed \(stopped: it has 3 trials; 3 run here\)$/m);
  const s = await openStorage(`sqlite:${join(cwd, 'runs/studies.db')}`);
  const trials = await s.trials((await s.findStudy('prune'))!.id);
  await s.close();
  for (const t of trials.filter((x) => x.number > 0)) {
    assert.equal(t.state, 'pruned');
    assert.equal(t.intermediate.length, 1, 'the epoch it reached');
    assert.equal(t.value, t.intermediate[0]);
    assert.ok(t.value! < trials[0].intermediate[0], 'worse than the best at that rung');
    assert.equal(t.note, 'pruned after epoch 1');
    assert.equal(t.runDir, null);
  }
});

test('bad input: each a one-line error', async () => {
  const space = (name: string, json: unknown): string => (writeFileSync(join(cwd, name), JSON.stringify(json)), name);
  fails(['tune', '--space', space('kind.json', { lr: { logunifrom: [1e-4, 1e-2] } })], /^kind\.json: parameter 'lr': unknown parameter kind or key 'logunifrom' \(kinds: choice, int, uniform, loguniform/);
  fails(['tune', '--space', space('empty.json', { lr: { uniform: [0.01, 0.001] } })], /^empty\.json: parameter 'lr': empty range: uniform \[0\.01, 0\.001\] needs low < high$/);
  fails(['tune', '--space', space('neg.json', { lr: { loguniform: [0, 0.01] } })], /^neg\.json: parameter 'lr': loguniform needs positive bounds, got \[0, 0\.01\]$/);
  fails(['tune', '--space', space('dropout.json', { dropout: { uniform: [0, 0.5] } })], /^dropout\.json: parameter 'dropout' is not a training option digitnet tune can set/);
  fails(['tune', '--space', 'lr.json', '--storage', 'postgres://tuner:pw@127.0.0.1:1/studies'], /^postgres:\/\/tuner:\*\*\*@127\.0\.0\.1:1\/studies: cannot reach the database \(.*ECONNREFUSED.*\)$/);
  fails(['tune', '--study', 'lr', '--sampler', 'grid'], /^study 'lr' was made with --sampler tpe; leave --sampler out to resume it, or give another --study name$/);
  fails(['tune', '--study', 'lr', '--space', space('other.json', { lr: { loguniform: [0.0001, 0.01] } })], /^study 'lr' already exists in sqlite:.* with a different space \(.*\); give another --study name$/);
  fails(['tune', '--study', 'lr', '--lr', '0.01'], /^--lr is tuned by the search space; leave it out or take it out of the space$/);
  fails(['tune', '--space', 'lr.json', '--time', 'soon'], /option '--time <t>' argument 'soon' is invalid\. 'soon' is not a length of time/);
  fails(['tune', '--study', 'nope', '--show'], /^no study named 'nope' in sqlite:.* \(studies: lr, prune\)$/);
  // A database written by another version of digitnet.
  const old = join(cwd, 'old.db');
  const s = await openStorage(`sqlite:${old}`);
  await s.openStudy({ name: 'x', space: spaceJson(parseSpace({ lr: { uniform: [0.1, 0.2] } })), direction: 'maximize', objective: 'val_accuracy', sampler: 'tpe', pruner: 'median', seed: 1, training: {} });
  await s.close();
  const db = new Database(old);
  db.exec(`UPDATE digitnet_meta SET value = '2' WHERE key = 'schema_version'`);
  db.close();
  fails(['tune', '--space', 'lr.json', '--storage', `sqlite:${old}`], /^sqlite:.*old\.db: a study database of version 2; this digitnet reads version 1/);
});
