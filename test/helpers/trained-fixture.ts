// The small trained CNN of server-fixture.ts, trained once and shared: the first test file that asks for it
// trains it (about 10 s on the native backend) into test-output/fixtures/, keyed by a hash of the recipe's
// compiled source, and later files (each test file runs in its own process) load it from there. A changed
// recipe gets a new key, so a stale model is never reused. Not a test file itself.

import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../../src/engine/backends/select.js';
import { loadModel } from '../../src/engine/io/files.js';
import type { Model } from '../../src/engine/index.js';
import type { MetricsJson } from '../../src/train/run-files.js';
import { trainFixtureRun } from './server-fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

export interface SharedRun {
  /** A private copy of the run folder (tests may add files to it). */
  runDir: string;
  model: Model;
  testAccuracy: number;
}

/** The trained fixture run, copied into `into` (a folder the caller owns). */
export async function sharedFixtureRun(into: string): Promise<SharedRun> {
  selectBackend(); // train and load on the native backend when it loads
  const recipe = readFileSync(join(here, 'server-fixture.js'), 'utf8');
  const key = createHash('sha256').update(recipe).digest('hex').slice(0, 16);
  const cache = join(root, 'test-output', 'fixtures', `cnn-${key}`);
  if (!existsSync(join(cache, 'metrics.json'))) {
    const tmp = `${cache}.tmp-${process.pid}`;
    await trainFixtureRun(tmp, { trainImages: 6000, epochs: 2 });
    mkdirSync(dirname(cache), { recursive: true });
    try {
      renameSync(tmp, cache);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process got there first: use its copy
    }
  }
  cpSync(cache, into, { recursive: true });
  const metrics = JSON.parse(readFileSync(join(into, 'metrics.json'), 'utf8')) as MetricsJson;
  return { runDir: into, model: await loadModel(join(into, 'model')), testAccuracy: metrics.test.accuracy };
}
