// Tabulates a real training objective once, for the samplers' win-rate benchmark (tune-winrate.ts): the
// seed CNN trained on the first 6,000 MNIST training images (5,400 trained on, 600 held out) for 2
// epochs, at every point of a grid of learning rate × batch size × learning-rate decay, each run's
// validation accuracy written to bench/data/tune-table.json. Run once and committed, since it takes a
// while (96 training runs):
//
//   npm run build && node dist/bench/tune-table.js [--out bench/data/tune-table.json]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainRun } from '../src/train/run.js';
import { enumerateGrid } from '../src/tune/samplers/grid.js';
import { parseSpace, spaceJson } from '../src/tune/space.js';

/** The grid: 8 log-spaced learning rates, 4 batch sizes, 3 decays. */
export const TABLE_SPACE = parseSpace({
  lr: { loguniform: [1e-4, 1e-2], points: 8 },
  batchSize: { choice: [32, 64, 128, 256] },
  lrDecay: { choice: [0.5, 0.8, 1] },
});
export const TABLE_TRAINING = { limit: 6000, testLimit: 500, epochs: 2, validationSplit: 0.1, seed: 42 };

export interface TableJson {
  what: string;
  space: Record<string, unknown>;
  training: typeof TABLE_TRAINING;
  backend: string;
  rows: { lr: number; batchSize: number; lrDecay: number; val_accuracy: number; val_loss: number; seconds: number }[];
}

async function main(): Promise<void> {
  const outIdx = process.argv.indexOf('--out');
  const out = outIdx > 0 ? process.argv[outIdx + 1] : 'bench/data/tune-table.json';
  const scratch = mkdtempSync(join(tmpdir(), 'digitnet-table-'));
  const points = enumerateGrid(TABLE_SPACE);
  const rows: TableJson['rows'] = [];
  let backend = '';
  for (const [i, p] of points.entries()) {
    const t0 = performance.now();
    const r = await trainRun({ ...TABLE_TRAINING, learningRate: p.lr as number, batchSize: p.batchSize as number, lrDecay: p.lrDecay as number, out: join(scratch, `run-${i}`), report: false });
    const h = r.files.history;
    const last = h.epoch.length - 1;
    backend = r.files.run.backend;
    rows.push({ lr: p.lr as number, batchSize: p.batchSize as number, lrDecay: p.lrDecay as number, val_accuracy: h.val_accuracy[last], val_loss: h.val_loss[last], seconds: (performance.now() - t0) / 1000 });
    rmSync(r.runDir, { recursive: true, force: true });
    console.log(`${i + 1}/${points.length} lr=${p.lr} batchSize=${p.batchSize} lrDecay=${p.lrDecay}: val_accuracy ${h.val_accuracy[last].toFixed(4)}`);
  }
  rmSync(scratch, { recursive: true, force: true });
  const json: TableJson = {
    what: 'val_accuracy of the seed CNN after 2 epochs on the first 6,000 MNIST training images (600 held out), at every grid point',
    space: spaceJson(TABLE_SPACE), training: TABLE_TRAINING, backend, rows,
  };
  // One row per line: readable, and a diff shows which runs changed.
  const body = JSON.stringify({ ...json, rows: [] }, null, 1).replace('"rows": []', `"rows": [\n${rows.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n ]`);
  writeFileSync(out, body + '\n');
  console.log(`wrote ${out}`);
}

if (process.argv[1]?.endsWith('tune-table.js')) await main();
