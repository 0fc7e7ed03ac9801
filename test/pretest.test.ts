// `npm test` brings what its tests need: the pretest step (scripts/pretest.mjs) installs every missing
// Debian package with apt-get as root, uses `sudo -n` for a user who has it, and otherwise stops with the
// command to run; it says what it does. Each path is checked on the plan it makes, and on the script run
// with --dry-run as if packages were missing, so nothing is uninstalled to test it. CI runs the README's
// commands and nothing else.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(root, 'scripts', 'pretest.mjs');
const { PACKAGES, plan } = (await import(script)) as {
  PACKAGES: string[];
  plan: (m: { missing: string[]; isRoot: boolean; hasSudo: boolean; hasDpkg: boolean }) => { status: string; lines: string[]; commands: string[][] };
};

function pretest(args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

test('npm test runs the pretest step, and CI runs exactly the README\'s commands', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.pretest, 'node scripts/pretest.mjs');
  const ci = readFileSync(join(root, '.ci', 'run'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  assert.deepEqual(ci.slice(-1), ['npm ci && npm test']);
  assert.ok(readFileSync(join(root, 'README.md'), 'utf8').includes('npm ci && npm test'));
  for (const p of ['chromium', 'fonts-dejavu-core', 'g++', 'make', 'python3', 'dataset-fashion-mnist', 'fonts-bwht', 'fonts-dkg-handwriting', 'fonts-breip', 'fonts-klee', 'fonts-rufscript']) assert.ok(PACKAGES.includes(p), p);
});

test('as root, missing packages are installed with apt-get, and it says which', () => {
  const p = plan({ missing: ['chromium'], isRoot: true, hasSudo: false, hasDpkg: true });
  assert.equal(p.status, 'install');
  assert.deepEqual(p.commands, [['apt-get', 'update', '-q'], ['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'chromium']]);
  assert.deepEqual(p.lines, ['pretest: installing missing Debian packages with apt-get: chromium']);
  if (process.getuid?.() === 0) {
    const r = pretest(['--dry-run', '--assume-missing', 'chromium,fonts-dejavu-core']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^pretest: installing missing Debian packages with apt-get: chromium fonts-dejavu-core$/m);
    assert.match(r.out, /^pretest: would run: apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core$/m);
  }
});

test('a user with passwordless sudo gets sudo apt-get; one without is told the command and the tests do not start', () => {
  const sudo = plan({ missing: ['chromium'], isRoot: false, hasSudo: true, hasDpkg: true });
  assert.deepEqual(sudo.commands[1], ['sudo', '-n', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', 'chromium']);
  const r = pretest(['--dry-run', '--assume-missing', 'chromium', '--as-user', '--no-sudo']);
  assert.equal(r.code, 1, 'npm test stops before the tests rather than let them fail one by one');
  assert.match(r.out, /^pretest: the tests need Debian packages that are not installed: chromium$/m);
  assert.match(r.out, /^pretest: install them with `sudo apt-get install -y --no-install-recommends chromium`, then run npm test again/m);
  assert.doesNotMatch(r.out, /would run/);
});

test('with everything installed it says so in one line; off Debian it says what to install', () => {
  const r = pretest(['--dry-run']);
  assert.equal(r.code, 0);
  assert.match(r.out, new RegExp(`^pretest: the Debian packages the tests need are installed \\(${PACKAGES.join(', ').replace(/\+/g, '\\+')}\\)$`, 'm'));
  const off = plan({ missing: [], isRoot: true, hasSudo: false, hasDpkg: false });
  assert.equal(off.status, 'no-debian');
  assert.match(off.lines[0], /not a Debian system \(no dpkg-query\): make sure the tests' packages are installed yourself: chromium, fonts-dejavu-core/);
});
