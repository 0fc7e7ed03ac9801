// One trained fixture run for every test file that serves a model (server, page, hardening): trained once
// (trainFixtureRun, with its report) and kept in the system's temporary folder under a key made from the
// code that makes it, so `npm test` trains it once and a later run reuses it until that code changes.
// It is built whole and renamed into place (the atomic folder helper), so files started at the same time
// never see half of it. Treat it as read-only: copyFixtureRun gives a copy to change or to place beside
// other files.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beginPartial, commitPartial, partialPathOf } from '../../src/engine/io/atomic-dir.js';
import { loadModel } from '../../src/engine/io/files.js';
import type { MetricsJson } from '../../src/train/run-files.js';
import { trainFixtureRun, type FixtureRun } from './server-fixture.js';

const distRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A hash of the compiled engine, data, eval, report and fixture code: the cache's key. */
function codeKey(): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) h.update(p.slice(distRoot.length)).update(readFileSync(p));
    }
  };
  for (const d of ['src/engine', 'src/data', 'src/eval', 'src/report', 'src/train']) walk(join(distRoot, d));
  h.update(readFileSync(join(distRoot, 'test', 'helpers', 'server-fixture.js')));
  return h.digest('hex').slice(0, 16);
}

let cached: Promise<FixtureRun> | null = null;

/** The shared fixture run (read-only), training it first when this code has none yet. */
export function sharedFixtureRun(): Promise<FixtureRun> {
  cached ??= load();
  return cached;
}

async function load(): Promise<FixtureRun> {
  const dir = join(tmpdir(), `digitnet-test-fixture-${codeKey()}`);
  if (!existsSync(join(dir, 'report.html'))) {
    let partial: string;
    try {
      partial = (await beginPartial(dir)).dir;
    } catch {
      await waitFor(dir); // another test process is training it right now
      return open(dir);
    }
    await trainFixtureRun(partial, { report: true });
    await commitPartial(dir);
    removeOldFixtures(dir);
  }
  return open(dir);
}

/** Fixtures of older code, unused for an hour: removed, so the temporary folder does not fill up with them. */
function removeOldFixtures(current: string): void {
  for (const name of readdirSync(tmpdir())) {
    const p = join(tmpdir(), name);
    if (!/^digitnet-test-fixture-[0-9a-f]{16}$/.test(name) || p === current) continue;
    try {
      if (Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}

async function waitFor(dir: string): Promise<void> {
  for (let i = 0; i < 600 && !existsSync(join(dir, 'report.html')); i++) await new Promise((r) => setTimeout(r, 200));
  if (!existsSync(join(dir, 'report.html'))) throw new Error(`the shared fixture in ${partialPathOf(dir)} was not finished within 2 minutes`);
}

async function open(runDir: string): Promise<FixtureRun> {
  const model = await loadModel(join(runDir, 'model'));
  const metrics = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')) as MetricsJson;
  return { runDir, model, testAccuracy: metrics.test.accuracy };
}

/** A copy of the shared fixture run at `dest`, to change or to serve beside other files. */
export async function copyFixtureRun(dest: string): Promise<FixtureRun> {
  const f = await sharedFixtureRun();
  await cp(f.runDir, dest, { recursive: true });
  return { ...f, runDir: dest };
}
