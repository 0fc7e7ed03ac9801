// The files of a run directory and their shapes: model/ (TensorFlow.js format), history.json and
// history.csv (per-epoch loss and accuracy), metrics.json (test metrics), run.json (settings, data,
// timing, backend, model summary), samples.json (the test images the report shows) and, for Kaggle's
// layout, submission.csv. The report is rebuilt from these files alone. Node-only.
//
// A run folder is always whole. The run for `--out <parent>/<name>` is built in `<parent>/.<name>.partial/`
// (see engine/io/atomic-dir.ts), which holds `.digitnet-partial.json` naming the process that writes it,
// and becomes `<parent>/<name>` in one rename once the model, metrics, history and report are all written.
// A kill at any moment leaves the old run or the new one; the unfinished run stays in the partial folder
// (dot-prefixed, so newestRun, serve and listings never pick it) until a run for the same --out starts:
// that is where resuming a killed run finds its state. An existing --out is replaced only with --overwrite.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Agreement } from '../eval/agreement.js';
import { abandonPartial, adoptPartial, beginPartial, commitPartial, partialOrphaned, partialPathOf, settleDir } from '../engine/io/atomic-dir.js';
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
  /** The learning rate at each epoch's last step (absent in runs of digitnet 0.1). */
  learning_rate?: number[];
}

export interface MetricsJson {
  test: TestMetricsJson;
  /** The last epoch's training and validation figures. */
  train: { loss: number; accuracy: number };
  validation: { loss: number; accuracy: number } | null;
}

/** run.json's record of a run started `--from` another (see transfer.ts). */
export interface TransferJson {
  from: string;
  sourceInputShape: number[];
  sourceClasses: number;
  /** The output layer replaced by a new one, when the class count differed. */
  headReplaced: { layer: string; fromClasses: number; toClasses: number } | null;
  /** The layers frozen while training (in model.layers order). */
  frozen: string[];
  fineTune: { epochs: number; learningRate: number } | null;
}

export interface RunJson {
  createdAt: string;
  backend: string;
  hyperparameters: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    /** Per-epoch learning-rate factor (digitnet 0.1's runs; later runs say `schedule`). */
    lrDecay?: number;
    /** The learning-rate policy, as --schedule writes it. */
    schedule?: string;
    /** The augmentation of the training batches, as --augment writes it ('none' when off). */
    augment?: string;
    /** The architecture: a zoo name or a model.json's path (absent in runs of digitnet 0.1: the seed CNN). */
    arch?: string;
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
    /** Set when the test set was held out from the training rows (a labelled CSV alone, or Kaggle's layout). */
    heldOutTest?: { fraction: number; seed: number; rows: number } | null;
    /** Kaggle's submission for the unlabelled test rows: the file in the run folder and where the rows came from. */
    submission?: { file: string; rows: number; source: string } | null;
    pixelRange?: string;
    /** The name of each class, by label (absent before digitnet 0.2: the digits). */
    classNames?: string[];
    /** Training images per class (before the validation split). */
    classCounts?: number[];
    /** The model's input shape [h, w, c] and how images are made into it. */
    inputShape?: number[];
    preprocess?: string;
  };
  /** What `--from` did: the model started from, its head, the frozen layers, the fine-tuning. */
  transfer?: TransferJson;
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
  /** Each time the run was resumed from its backup: when, and how many epochs were done then. */
  resumed?: { at: string; epochsDone: number }[];
  /** An ensemble's members: their run folders and test accuracies (as their own runs measured them). */
  members?: { run: string; arch: string; seed: number | null; testAccuracy: number | null }[];
  /** An ensemble's members on its test images: their accuracies and the mistakes they share. */
  agreement?: Agreement;
}

export interface SamplesJson {
  samples: ShownImage[];
  misclassified: ShownImage[];
  /** How many test images were misclassified in all. */
  misclassifiedTotal: number;
  /** Training images and augmented versions of them, as the run's augmentation made them (base64 bytes, 28x28). */
  augmented?: { label: number; original: string; variants: string[] }[];
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
  const lr = h.learning_rate ?? [];
  const rows = h.epoch.map((e, i) => [e + 1, h.loss[i], h.accuracy[i], h.val_loss[i] ?? '', h.val_accuracy[i] ?? '', h.seconds[i], lr[i] ?? ''].join(','));
  return ['epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate', ...rows].join('\n') + '\n';
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
  settleDir(abs);
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

/** The newest run under `runsDir` that holds a saved model, or null when there is none. Dot folders (runs being written) are never picked. */
export function newestRun(runsDir: string): string | null {
  if (!existsSync(runsDir)) return null;
  for (const d of readdirSync(runsDir)) {
    const m = /^\.(.+)\.(partial|old)$/.exec(d);
    if (m) settleDir(join(runsDir, m[1])); // a run whose commit a kill interrupted comes into place first
  }
  const runs = readdirSync(runsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(join(runsDir, d.name, MODEL_DIR, 'model.json')))
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

/** Where the run for `out` is written until it is whole: `<parent>/.<name>.partial/`. */
export function runPartialDir(out: string): string {
  return partialPathOf(out);
}

/**
 * Claims the folder a run for `out` is built in, before any training: an interrupted commit is finished
 * first, an existing `out` is refused unless `overwrite` (and never replaced when it is not a run folder),
 * and the partial folder is created, which proves `out`'s parent writable. `discarded` names the process
 * whose unfinished run was removed to make room.
 */
export async function beginRun(target: string, o: { overwrite?: boolean; out?: string } = {}): Promise<{ dir: string; discarded: number | null }> {
  const out = o.out ?? target; // as the user wrote it, for the messages
  settleDir(resolve(target));
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new Error(`--out ${out}: is a file, not a run folder`);
    if (!o.overwrite) throw new Error(`--out ${out}: already exists; pass --overwrite to replace it (the old run stays until the new one is whole), or choose another folder`);
    const names = readdirSync(target);
    if (names.length > 0 && !names.includes('run.json') && !names.includes(MODEL_DIR)) {
      throw new Error(`--out ${out}: exists and is not a digitnet run folder (no run.json or model/); not replacing it, even with --overwrite`);
    }
  }
  const { dir, discarded } = await beginPartial(resolve(target)).catch((e: Error) => {
    throw new Error(`--out ${out}: ${e.message}`);
  });
  return { dir, discarded: discarded ? discarded.pid : null };
}

/** Renames the finished partial folder to `out` (replacing the old run, if any, in one step). */
export function commitRun(out: string): Promise<string> {
  return commitPartial(out);
}

/** Removes this process's partial folder for `out` after a failure. */
export function abandonRun(out: string): Promise<void> {
  return abandonPartial(out);
}

/**
 * For --resume: the run for `out` has finished (a whole run folder and no unfinished one), or its unfinished
 * folder, left by a process that is gone, is taken over by this process. Anything else is an error that says
 * what is there.
 */
export async function claimResumable(out: string): Promise<{ finished: true } | { finished: false; dir: string }> {
  const target = resolve(out);
  settleDir(target);
  const adopted = await adoptPartial(target).catch((e: Error) => {
    throw new Error(`--resume ${out}: ${e.message}`);
  });
  if (adopted) return { finished: false, dir: adopted.dir };
  if (existsSync(join(target, 'run.json')) && existsSync(join(target, MODEL_DIR))) return { finished: true };
  if (existsSync(target)) throw new Error(`--resume ${out}: not a digitnet run folder, and no unfinished run for it is kept in ${basename(partialPathOf(target))}`);
  throw new Error(`--resume ${out}: there is no run there (no ${out}, and no unfinished run in ${basename(partialPathOf(target))}); give the folder that was given as --out`);
}

/** Whether `out` has an unfinished run that a process now gone left (what --resume continues). */
export function hasInterruptedRun(out: string): boolean {
  return partialOrphaned(resolve(out));
}
