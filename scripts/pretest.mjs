// Brings what `npm test` needs onto a fresh Debian machine before the tests run (npm runs it as `pretest`):
// every Debian package a test uses, installed with apt-get when it is missing. As root it installs them;
// otherwise it uses `sudo -n` when that works without a password, and else stops with the command to run.
// It says what it finds and what it does, one line each. Off Debian (no dpkg-query) it only warns. When the
// native addon was not built at `npm ci` (no compiler then), it builds it once the compiler is there.
//
//   node scripts/pretest.mjs [--dry-run] [--assume-missing PKG,...] [--as-user] [--no-sudo]
// --dry-run prints the commands instead of running them; --assume-missing, --as-user and --no-sudo make it
// act as if those packages were missing, it were not root, or sudo were unavailable (to test this script).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian packages the tests need: one per line, with the tests that need it. */
export const PACKAGES = [
  'chromium', //          the page, the report and the Content-Security-Policy checks in a real browser (playwright-core)
  'fonts-dejavu-core', // the text of the report's figures (SVG rendered to PNG with the system's fonts)
  'postgresql', //        the study database's tests run a real PostgreSQL server (started by the tests themselves)
  'g++', //               the native backend's C++ kernels (node-gyp), which the conformance tests check
  'make', //              node-gyp's build
  'python3', //           node-gyp itself
  'dataset-fashion-mnist', // --data fashion-mnist (its four IDX files) and the tests that load it
  'fonts-bwht', //        `digitnet data letters`: the handwriting fonts the letters are rendered from
  'fonts-dkg-handwriting',
  'fonts-breip',
  'fonts-klee',
  'fonts-rufscript',
];

/**
 * What to do, from what is known about this machine: a pure function, so that each path can be tested.
 * @param {{ missing: string[], isRoot: boolean, hasSudo: boolean, hasDpkg: boolean }} m
 * @returns {{ status: 'ok' | 'install' | 'no-debian' | 'need-root', lines: string[], commands: string[][] }}
 */
export function plan(m) {
  if (!m.hasDpkg) {
    return { status: 'no-debian', commands: [], lines: [`pretest: not a Debian system (no dpkg-query): make sure the tests' packages are installed yourself: ${PACKAGES.join(', ')}`] };
  }
  if (m.missing.length === 0) return { status: 'ok', commands: [], lines: [`pretest: the Debian packages the tests need are installed (${PACKAGES.join(', ')})`] };
  const list = m.missing.join(' ');
  const apt = [['apt-get', 'update', '-q'], ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...m.missing]];
  if (m.isRoot) return { status: 'install', commands: apt, lines: [`pretest: installing missing Debian packages with apt-get: ${list}`] };
  if (m.hasSudo) return { status: 'install', commands: apt.map((c) => ['sudo', '-n', ...c]), lines: [`pretest: installing missing Debian packages with sudo apt-get: ${list}`] };
  return {
    status: 'need-root',
    commands: [],
    lines: [
      `pretest: the tests need Debian packages that are not installed: ${list}`,
      `pretest: install them with \`sudo apt-get install -y --no-install-recommends ${list}\`, then run npm test again (as root, npm test installs them itself)`,
    ],
  };
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function probe(args) {
  const hasDpkg = spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status === 0;
  const assumed = new Set(args.assumeMissing);
  const missing = hasDpkg ? PACKAGES.filter((p) => assumed.has(p) || !installed(p)) : [];
  const isRoot = !args.asUser && process.getuid?.() === 0;
  const hasSudo = !isRoot && !args.noSudo && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  return { missing, isRoot, hasSudo, hasDpkg };
}

function parseArgs(argv) {
  const a = { dryRun: false, assumeMissing: [], asUser: false, noSudo: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dry-run') a.dryRun = true;
    else if (argv[i] === '--as-user') a.asUser = true;
    else if (argv[i] === '--no-sudo') a.noSudo = true;
    else if (argv[i] === '--assume-missing') a.assumeMissing.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else throw new Error(`pretest: unknown argument '${argv[i]}'`);
  }
  return a;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const p = plan(probe(args));
  for (const l of p.lines) console.log(l);
  for (const cmd of p.commands) {
    console.log(`pretest: ${args.dryRun ? 'would run' : 'running'}: ${cmd.join(' ')}`);
    if (args.dryRun) continue;
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      console.error(`pretest: \`${cmd.join(' ')}\` failed (${r.error?.message ?? `exit code ${r.status}`}); the tests cannot run without these packages`);
      process.exit(1);
    }
  }
  if (p.status === 'need-root') process.exit(1);
  buildNativeIfMissing(args.dryRun);
  process.exit(0);
}

/** The native addon, built now when `npm ci` could not build it (its tests would fail without it). */
function buildNativeIfMissing(dryRun) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(join(root, 'binding.gyp')) || existsSync(join(root, 'build', 'Release', 'digitnet_native.node'))) return;
  console.log(`pretest: ${dryRun ? 'would build' : 'building'} the native backend (build/Release/digitnet_native.node is missing)`);
  if (dryRun) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(join(root, 'build', 'Release', 'digitnet_native.node'))) {
    console.error('pretest: the native backend did not build; its tests will fail (see the compiler output above)');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
