// The files of a run directory and their shapes: model/ (TensorFlow.js format), history.json and
// history.csv (per-epoch loss and accuracy), metrics.json (test metrics), run.json (settings, data,
// timing, backend, model summary) and samples.json (the test images the report shows). The report is
// rebuilt from these files alone. Node-only.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { SummaryRow } from '../engine/graph/summary.js';
import type { ShownImage, TestMetricsJson } from '../eval/evaluate.js';

export const MODEL_DIR = 'model';

export interface HistoryJson {
  epoch: number[];
  loss: number[];
  accuracy: number[];
  val_loss: number[];
  val_accuracy: number[];
  /** Seconds each epoch took (training and validation). */
  seconds: number[];
}

export interface MetricsJson {
  test: TestMetricsJson;
  /** The last epoch's training and validation figures. */
  train: { loss: number; accuracy: number };
  validation: { loss: number; accuracy: number } | null;
}

export interface RunJson {
  createdAt: string;
  backend: string;
  hyperparameters: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    /** Per-epoch learning-rate factor. */
    lrDecay: number;
    validationSplit: number;
    seed: number;
    optimizer: string;
    loss: string;
  };
  data: {
    trainSource: string;
    testSource: string;
    trainImages: number;
    validationImages: number;
    testImages: number;
    limit: number | null;
  };
  timing: {
    loadSeconds: number;
    trainSeconds: number;
    evaluateSeconds: number;
    totalSeconds: number;
    /** Training images per second, over all epochs. */
    trainImagesPerSecond: number;
    testImagesPerSecond: number;
  };
  model: { name: string; rows: SummaryRow[]; totalParams: number; text: string[] };
}

export interface SamplesJson {
  samples: ShownImage[];
  misclassified: ShownImage[];
  /** How many test images were misclassified in all. */
  misclassifiedTotal: number;
}

export interface RunFiles {
  history: HistoryJson;
  metrics: MetricsJson;
  run: RunJson;
  samples: SamplesJson;
}

export async function writeRunFiles(dir: string, f: RunFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'history.json'), JSON.stringify(f.history, null, 2) + '\n');
  await writeFile(join(dir, 'history.csv'), historyCsv(f.history));
  await writeFile(join(dir, 'metrics.json'), JSON.stringify(f.metrics, null, 2) + '\n');
  await writeFile(join(dir, 'run.json'), JSON.stringify(f.run, null, 2) + '\n');
  await writeFile(join(dir, 'samples.json'), JSON.stringify(f.samples) + '\n');
}

export function historyCsv(h: HistoryJson): string {
  const rows = h.epoch.map((e, i) => [e + 1, h.loss[i], h.accuracy[i], h.val_loss[i] ?? '', h.val_accuracy[i] ?? '', h.seconds[i]].join(','));
  return ['epoch,loss,accuracy,val_loss,val_accuracy,seconds', ...rows].join('\n') + '\n';
}

/** Reads the JSON files of a run, naming the run and the file when one is missing or broken. */
export function readRunFiles(dir: string): RunFiles {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new Error(`${dir}: no such run folder`);
  const read = <T>(name: string): T => {
    const p = join(abs, name);
    if (!existsSync(p)) throw new Error(`${dir}: not a complete run folder (no ${name}); train one with \`digitnet train --out ${dir}\``);
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as T;
    } catch (e) {
      throw new Error(`${p}: not valid JSON (${(e as Error).message})`);
    }
  };
  return { history: read('history.json'), metrics: read('metrics.json'), run: read('run.json'), samples: read('samples.json') };
}

/**
 * A run folder (holding model/model.json), a model folder (holding model.json) or a model.json path →
 * the model folder, and the run it belongs to (metrics.json, report.html) or null for a bare model.
 */
export function resolveModelDir(dir: string): { modelDir: string; runDir: string | null } {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new Error(`${dir}: no such model or run folder`);
  if (existsSync(join(abs, MODEL_DIR, 'model.json'))) return { modelDir: join(abs, MODEL_DIR), runDir: abs };
  if (existsSync(join(abs, 'model.json')) || abs.endsWith('.json')) {
    // A run's own model folder: its parent is the run when it holds the run's metrics.
    const parent = dirname(abs);
    const isRun = basename(abs) === MODEL_DIR && existsSync(join(parent, 'metrics.json'));
    return { modelDir: abs, runDir: isRun ? parent : null };
  }
  throw new Error(`${dir}: not a model folder (no model.json) nor a run folder (no model/model.json)`);
}

/** The newest run under `runsDir` that holds a saved model, or null when there is none. */
export function newestRun(runsDir: string): string | null {
  if (!existsSync(runsDir)) return null;
  const runs = readdirSync(runsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(runsDir, d.name, MODEL_DIR, 'model.json')))
    .map((d) => {
      const path = join(runsDir, d.name);
      return { path, name: d.name, mtime: statSync(join(path, MODEL_DIR, 'model.json')).mtimeMs };
    });
  if (runs.length === 0) return null;
  // Newest by when its model was written (runs may carry any name); the name breaks ties.
  runs.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return runs[runs.length - 1].path;
}

/** `runs/2024-05-01_12-30-05`, with `-2`, `-3`... when that name is taken. */
export function newRunDir(parent: string, now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}_${p(now.getHours())}-${p(now.getMinutes())}-${p(now.getSeconds())}`;
  let dir = join(parent, stamp);
  for (let k = 2; existsSync(dir); k++) dir = join(parent, `${stamp}-${k}`);
  return dir;
}
