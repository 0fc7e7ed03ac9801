// Builds the optional native backend with node-gyp. A failed build is not an install failure:
// digitnet then runs on its TypeScript reference backend and says so when it starts.
// A built addon is also staged in prebuilds/<platform>-<arch>/, which `npm pack` ships: the addon chooses
// its instruction set at run time, so one build serves every CPU of the platform. With --stage, an addon
// already built is only staged (what `npm pack` runs first, as prepack).
// Uses npm's bundled node-gyp when npm tells us where it is (npm_config_node_gyp), else node-gyp on PATH.
// When Node's own headers are installed next to the binary (distribution packages), they are used, so
// that the build needs no download.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

if (!existsSync('binding.gyp')) process.exit(0);

const built = join('build', 'Release', 'digitnet_native.node');
function stage() {
  const dir = join('prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(built, join(dir, 'digitnet_native.node'));
}
if (process.argv.includes('--stage') && existsSync(built)) {
  stage();
  process.exit(0);
}
if (process.env.DIGITNET_SKIP_NATIVE === '1') {
  console.warn('digitnet: DIGITNET_SKIP_NATIVE=1, not building the native backend.');
  process.exit(0);
}

const args = ['rebuild'];
const hasNodedir = process.env.npm_config_nodedir || process.argv.some((a) => a.startsWith('--nodedir'));
if (!hasNodedir) {
  const prefix = resolve(dirname(process.execPath), '..');
  const versionH = join(prefix, 'include', 'node', 'node_version.h');
  if (existsSync(versionH) && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
    const text = readFileSync(versionH, 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => text.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))?.[1]).join('.');
    if (v === process.versions.node) args.push(`--nodedir=${prefix}`);
  }
}

// npm tells its scripts where its bundled node-gyp is; run directly, look for it beside npm.
const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (existsSync(bundled) ? bundled : undefined);
const r = gyp && existsSync(gyp)
  ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' })
  : spawnSync('node-gyp', args, { stdio: 'inherit', shell: process.platform === 'win32' });
if (r.status !== 0) {
  const why = r.error ? ` (${r.error.message})` : '';
  console.warn(`digitnet: the native backend did not build${why}; the TypeScript reference backend will be used instead.`);
} else if (existsSync(built)) {
  stage();
}
