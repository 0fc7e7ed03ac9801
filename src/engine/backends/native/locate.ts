// Where the native addon comes from, in this order: built on this machine (`npm ci` / `npm install` ran
// scripts/build-native.mjs into build/Release), shipped prebuilt in the package for this platform
// (prebuilds/<platform>-<arch>/, portable across CPUs: every instruction set is chosen at run time), or
// built now, on first use, when neither is there (npm skips a dependency's install scripts until they are
// approved). The origin goes into the backend line, so a user sees which one runs. Node-only.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ADDON_FILE = 'digitnet_native.node';

export interface AddonCandidate {
  path: string;
  /** How it came to be here, as the backend line says it. */
  origin: string;
}

/** The prebuilt addon's folder for this platform, as the package ships it. */
export function prebuildDir(root: string): string {
  return join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/** The addons present under the package root, in the order they are tried. */
export function addonCandidates(root: string): AddonCandidate[] {
  const c: AddonCandidate[] = [];
  for (const dir of ['Release', 'Debug']) {
    const p = join(root, 'build', dir, ADDON_FILE);
    if (existsSync(p)) c.push({ path: p, origin: 'built on this machine' });
  }
  const pre = join(prebuildDir(root), ADDON_FILE);
  if (existsSync(pre)) c.push({ path: pre, origin: `prebuilt for ${process.platform}-${process.arch}` });
  return c;
}

/**
 * Builds the addon now with scripts/build-native.mjs (node-gyp and the machine's C++ compiler), saying so on
 * stderr; its output is kept off stdout. Returns the built addon, or why it could not be built.
 * DIGITNET_BUILD_NATIVE=0 turns this off.
 */
export function buildOnFirstUse(root: string, env: NodeJS.ProcessEnv = process.env): AddonCandidate | { error: string } {
  const script = join(root, 'scripts', 'build-native.mjs');
  if (env.DIGITNET_BUILD_NATIVE === '0') return { error: 'no addon built here or prebuilt for this platform, and DIGITNET_BUILD_NATIVE=0' };
  if (!existsSync(script) || !existsSync(join(root, 'binding.gyp'))) return { error: 'no addon built here or prebuilt for this platform, and no sources to build one' };
  try {
    accessSync(root, constants.W_OK);
  } catch {
    return { error: `no addon built here or prebuilt for ${process.platform}-${process.arch}, and ${root} is not writable to build one (run \`npm rebuild digitnet\` there)` };
  }
  // One process builds; another that starts meanwhile runs on the reference backend rather than wait.
  const lock = join(root, 'build', '.first-use-build');
  try {
    mkdirSync(join(root, 'build'), { recursive: true });
    if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
    mkdirSync(lock);
  } catch {
    return { error: 'another digitnet process is building the native backend right now' };
  }
  try {
    if (env.DIGITNET_QUIET !== '1') process.stderr.write('digitnet: building the native backend on first use (once, about a minute; DIGITNET_BUILD_NATIVE=0 skips it)...\n');
    const r = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000 });
    const built = join(root, 'build', 'Release', ADDON_FILE);
    if (r.status !== 0 || !existsSync(built)) {
      const why = (r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').filter((l) => /error|not found|No such/i.test(l)).slice(0, 2).join('; ');
      return { error: `building it on first use failed${why ? `: ${why}` : ''}` };
    }
    return { path: built, origin: 'built on first use' };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
