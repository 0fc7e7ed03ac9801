// The package installs as a package: `npm pack` (its prepack step, then the pack itself), the tarball's
// files (what ships, and nothing of the developer's machine), an install into an empty folder from npm's
// cache with install scripts skipped (as npm does for a dependency's scripts until they are approved),
// `npx digitnet train` and `npx digitnet predict` there on the prebuilt native addon, and the addon built
// on first use when no prebuilt one fits, each named by the backend line.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeGrayPng } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'digitnet-package-'));
const app = join(tmp, 'app');
const installed = join(app, 'node_modules', 'digitnet');
let tarball = '';
let files: string[] = [];

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

before(() => {
  // `npm pack` would first run prepare (the build, already done by `npm test`) and prepack (staging the addon
  // built on this machine as the prebuilt one): the prepack step runs here, the build does not run twice.
  assert.equal(run(process.execPath, ['scripts/build-native.mjs', '--stage'], root).code, 0);
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root);
  assert.equal(packed.code, 0, packed.stderr);
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(tmp, info[0].filename);
  files = info[0].files.map((f) => f.path);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'trying-digitnet', private: true }));
  const inst = run('npm', ['install', tarball, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], app);
  assert.equal(inst.code, 0, inst.stderr);
});

test('the tarball holds the program, the page, the native sources and the prebuilt addon, and nothing of this machine', () => {
  for (const f of ['package.json', 'README.md', 'bin/digitnet.js', 'dist/src/index.js', 'dist/src/cli/main.js', 'dist/src/server/decode-worker.js', 'dist/src/server/inference-worker.js', 'dist/web/index.html', 'dist/web/main.js', 'binding.gyp', 'native/binding.cc', 'scripts/build-native.mjs', `prebuilds/${process.platform}-${process.arch}/digitnet_native.node`]) {
    assert.ok(files.includes(f), `${f} is missing from the package`);
  }
  const leaks = files.filter((f) => /^(runs|test-output|build|node_modules|dist\/test|dist\/bench|test|bench|src|docs|\.ci)\/|\.log$|\.tgz$|\.partial\//.test(f));
  assert.deepEqual(leaks, []);
});

test('npx digitnet train and predict run in an empty folder on the prebuilt addon, and the backend line says so', () => {
  assert.ok(!existsSync(join(installed, 'build')), 'the install scripts did not run: nothing was built on install');
  const train = run('npx', ['--no-install', 'digitnet', 'train', '--epochs', '1', '--limit', '1000', '--out', 'run'], app);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stderr, new RegExp(`^digitnet: backend native \\(\\w+, \\d+ threads?\\), prebuilt for ${process.platform}-${process.arch}$`, 'm'));
  assert.match(train.stdout, /^Test accuracy: \d+\.\d\d%/m);
  for (const f of ['model/model.json', 'metrics.json', 'report.html']) assert.ok(existsSync(join(app, 'run', f)), f);
  const mnist = loadMnist();
  writeFileSync(join(app, 'digit.png'), encodeGrayPng(mnist.test.images.subarray(0, 784), 28, 28));
  const predict = run('npx', ['--no-install', 'digitnet', 'predict', '--model', 'run', 'digit.png'], app);
  assert.equal(predict.code, 0, predict.stderr);
  assert.match(predict.stdout, /^digit\.png {2}\d {2}\(\d+\.\d%\)$/m);
});

test('with no prebuilt addon for the platform, the addon is built on first use, once, and the backend line says so', () => {
  rmSync(join(installed, 'prebuilds'), { recursive: true, force: true });
  const first = run('npx', ['--no-install', 'digitnet', 'summary'], app, 600_000);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^digitnet: building the native backend on first use/m);
  assert.match(first.stderr, /^digitnet: backend native \(\w+, \d+ threads?\), built on first use$/m);
  assert.match(first.stdout, /^Total params: 225,034$/m, 'the command ran after the build');
  const again = run('npx', ['--no-install', 'digitnet', 'summary'], app);
  assert.match(again.stderr, /^digitnet: backend native \(\w+, \d+ threads?\), built on this machine$/m);
  assert.doesNotMatch(again.stderr, /building/);
});
