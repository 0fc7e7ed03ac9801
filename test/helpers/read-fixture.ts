// The trained model that the number-reading tests share: one real, short `digitnet train` run (the seed
// CNN on the first 12,000 MNIST training images, 2 epochs: about 97% on the test set) made once, as a
// user would make it, into dist/test-fixtures/ and reused by every test file that reads numbers (each
// file runs in its own process; one that finds the run already there does not train again). Not a test.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, type Model } from '../../src/index.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));
const ARGS = ['train', '--limit', '12000', '--test-limit', '1000', '--epochs', '2', '--lr', '0.002', '--batch-size', '64', '--seed', '3'];
/** Named by its arguments, so that changing them trains a new fixture instead of reusing the old one. */
const RUN = join(FIXTURES, `read-model-${ARGS.slice(1).join('-').replace(/--/g, '')}`);

export interface ReadFixture {
  /** The run folder (model/, metrics.json, report.html). */
  runDir: string;
  model: Model;
}

/** The shared trained run, trained first if this is the first test to need it. */
export async function readFixture(): Promise<ReadFixture> {
  if (!existsSync(join(RUN, 'model', 'model.json'))) train();
  return { runDir: RUN, model: await loadModel(join(RUN, 'model')) };
}

/** Trains into a fresh folder and renames it into place, so a half-written run is never reused. */
function train(): void {
  mkdirSync(FIXTURES, { recursive: true });
  const tmp = `${RUN}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [MAIN, ...ARGS, '--out', tmp], { encoding: 'utf8', env: { ...process.env, DIGITNET_QUIET: '1' } });
  if (r.status !== 0) throw new Error(`training the read fixture failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  try {
    renameSync(tmp, RUN);
  } catch (e) {
    // Another test process finished first: its run is as good as ours.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(RUN, 'model', 'model.json'))) throw e;
  }
}
