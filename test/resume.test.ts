// Resuming after a crash, with real processes: `digitnet train` is killed with SIGKILL (kill -9) during an
// epoch, or after its last epoch while it evaluates and writes the run, then `--resume` continues it from its
// backup; the run ends with the same weights, bit for bit, as an uninterrupted run with the same seed and
// thread count. The model has convolutions, BatchNormalization and dropout, and the batches are augmented,
// so every source of randomness and every native kernel takes part. Then what --resume refuses, each in one line.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { layers, sequential } from '../src/engine/index.js';
import { topologyOf } from '../src/engine/io/topology.js';
import { tempDir } from './helpers/temp.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cwd = tempDir('digitnet-resume-');
const ENV = { ...process.env, DIGITNET_THREADS: '2', DIGITNET_QUIET: '1' };
const ARCH = join(cwd, 'arch.json');
const ARGS = ['train', '--arch', ARCH, '--limit', '3000', '--test-limit', '500', '--epochs', '3', '--batch-size', '64', '--augment', '--schedule', 'cosine,warmup=1', '--seed', '5'];

function digitnet(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function fails(args: string[], message: RegExp): void {
  const r = digitnet(args);
  assert.equal(r.code, 1, `expected exit code 1, got ${r.code}\n${r.stdout}${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr.trim(), message);
}

const backupOf = (run: string): string => join(cwd, `.${run}.partial`, 'backup', 'state.bin');
const epochsIn = (run: string): number => (existsSync(backupOf(run)) ? Number(/"epoch":(\d+)/.exec(readFileSync(backupOf(run)).toString('latin1'))?.[1] ?? 0) : 0);

/** Starts a training run and kills it with SIGKILL once `when` holds (checked every few ms), plus `delayMs`. */
async function trainAndKill(run: string, when: () => boolean, delayMs: number, extra: string[] = []): Promise<void> {
  const child = spawn(process.execPath, [MAIN, ...ARGS, ...extra, '--out', run], { cwd, env: ENV, stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let done = false;
  void exited.then(() => (done = true));
  while (!done && !when()) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, delayMs));
  assert.ok(!done, `${run} ended before it could be killed`);
  child.kill('SIGKILL');
  assert.equal(await exited, null, 'killed by a signal');
}

before(() => {
  // Conv → BatchNormalization → ReLU → pool → dropout → dense: every kind of state and randomness.
  const m = sequential([
    layers.conv2d({ filters: 8, kernelSize: 3, useBias: false, inputShape: [28, 28, 1] }),
    layers.batchNormalization(),
    layers.reLU(),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.dropout({ rate: 0.25 }),
    layers.flatten(),
    layers.dense({ units: 10, activation: 'softmax' }),
  ], { name: 'small_bn' });
  writeFileSync(ARCH, JSON.stringify({ modelTopology: topologyOf(m) }));
  const r = digitnet([...ARGS, '--out', 'whole']);
  assert.equal(r.code, 0, r.stderr);
});

const weights = (run: string): Buffer => readFileSync(join(cwd, run, 'model', 'weights.bin'));

test('killed with SIGKILL during epoch 2, resumed: the same weights and history as the uninterrupted run', async () => {
  // A random moment of epoch 2: within the first half of the time the uninterrupted run's epoch 2 took
  // (at most 150 ms), so that a fast machine, whose epochs of 3,000 small images pass in a few hundred
  // milliseconds, does not finish epochs 2 and 3 before the kill.
  const epoch2Ms = 1000 * JSON.parse(readFileSync(join(cwd, 'whole', 'history.json'), 'utf8')).seconds[1];
  await trainAndKill('cut', () => epochsIn('cut') >= 1, Math.floor(Math.random() * Math.min(150, epoch2Ms / 2)));
  const left = epochsIn('cut');
  assert.ok(left >= 1 && left < 3, `the backup holds ${left} epochs`);
  const r = digitnet(['train', '--resume', 'cut']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Resuming cut: ${left} of 3 epochs were done$`, 'm'));
  assert.doesNotMatch(r.stdout, /^Epoch 1\/3/m, 'no epoch is trained twice');
  assert.match(r.stdout, /^Epoch 3\/3 /m);
  assert.ok(weights('cut').equals(weights('whole')), 'the resumed run ends with the uninterrupted run\'s weights, bit for bit');
  const [a, b] = ['whole', 'cut'].map((d) => JSON.parse(readFileSync(join(cwd, d, 'history.json'), 'utf8')));
  for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'learning_rate']) assert.deepEqual(b[k], a[k], k);
  const run = JSON.parse(readFileSync(join(cwd, 'cut', 'run.json'), 'utf8'));
  assert.equal(run.resumed[0].epochsDone, left);
  assert.ok(!existsSync(join(cwd, 'cut', 'backup')), 'the backup is removed once the run is whole');
});

test('killed after its last epoch, while evaluating and writing the run: resumed, it only finishes', async () => {
  await trainAndKill('late', () => epochsIn('late') === 3, 0);
  const r = digitnet(['train', '--resume', 'late']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Resuming late: 3 of 3 epochs were done$/m);
  assert.doesNotMatch(r.stdout, /^Epoch /m);
  assert.ok(weights('late').equals(weights('whole')));
});

test('--resume on a finished run says so and exits 0', () => {
  const r = digitnet(['train', '--resume', 'whole']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^whole: this run has already finished \(test accuracy \d+\.\d\d%\); nothing to resume$/m);
});

test('what --resume and a fresh run refuse, each in one line', async () => {
  fails(['train', '--resume', 'nowhere'], /^digitnet: --resume nowhere: there is no run there \(no nowhere, and no unfinished run in \.nowhere\.partial\); give the folder that was given as --out$/);
  // More images than ARGS's, so that on a quiet machine the run is still in its second epoch when it is seen.
  await trainAndKill('other', () => epochsIn('other') >= 1, 0, ['--limit', '12000']);
  fails([...ARGS, '--out', 'other'], /^digitnet: --out other: an interrupted run is kept for it \(\d of 3 epochs done\); continue it with --resume other, or pass --overwrite to start afresh$/);
  fails(['train', '--resume', 'other', '--arch', 'lenet5'], /^digitnet: --resume other: the run was started with --arch \S+arch\.json, not lenet5; resume it without that option, or start a new run$/);
  fails(['train', '--resume', 'other', '--epochs', '5'], /the run was started with --epochs 3, not 5/);
  fails(['train', '--resume', 'other', '--optimizer', 'sgd,momentum=0.9'], /the run was started with --optimizer adam, not sgd,momentum=0\.9;/);
  // The architecture file changed since: the backup is of another model.
  const saved = readFileSync(ARCH, 'utf8');
  writeFileSync(ARCH, saved.replace('"filters":8', '"filters":6'));
  fails(['train', '--resume', 'other'], /^digitnet: --resume other: the backup is of a small_bn model with \d+ parameters, but the run's architecture now builds small_bn with \d+; start afresh with --overwrite$/);
  writeFileSync(ARCH, saved);
  // A backup of another format (another digitnet version).
  const file = backupOf('other');
  writeFileSync(file, readFileSync(file).toString('latin1').replace('"format":1', '"format":9'), 'latin1');
  fails(['train', '--resume', 'other'], /^digitnet: --resume other: the backup is of format 9 \(written by digitnet [\d.]+\); this digitnet reads format 1; start afresh with --overwrite$/);
  // --overwrite starts afresh over the interrupted run.
  const r = digitnet([...ARGS, '--out', 'other', '--overwrite', '--epochs', '1']);
  assert.equal(r.code, 0, r.stderr);
});
