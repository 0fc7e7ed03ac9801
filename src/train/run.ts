// A training run from start to finish: load the data, hold out a stratified validation split, train (the seed
// CNN by default) with the run's schedule, augmentation and callbacks, evaluate on the test set, and write
// the run directory (model, history, metrics, figures, report.html). The run is built in its partial folder
// (run-files.ts), with a training backup after each epoch, so that `--resume` continues a run that was killed.
// The CLI's `train` command and the web server's first start both call this. Node-only.

import { writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { validationSplit } from '../data/split.js';
import { pixelsPer, shapeOf, type ImageSet } from '../data/idx.js';
import { loadData, type LoadedData } from '../data/sources.js';
import { oneHot } from '../data/tensors.js';
import { deriveSeed, Random } from '../engine/random.js';
import { Tensor, type Model } from '../engine/index.js';
import { loadModel, saveModel } from '../engine/io/files.js';
import { buildArch } from './arch.js';
import { augmentedSamples } from './augment-samples.js';
import { BACKUP_DIR, readBackup, removeBackup } from './callbacks/backup.js';
import { recalibrateBatchNorm } from './precise-bn.js';
import { evaluateModel, predictLabels, shownImages, testMetricsJson } from '../eval/evaluate.js';
import { buildReport } from '../report/index.js';
import { DEFAULTS } from './defaults.js';
import { checkBackup, fitRun, type FitRunResult } from './fit-run.js';
import { checkDatasetOptions, dataNotes, modelForData, modelMetadata, recordData, requestedShape, type FittedModel } from './model-for-data.js';
import type { ProgressListener } from './progress.js';
import { checkResumeOptions, settle, type Settled, type TrainOptions } from './run-config.js';
import { checkTransferOptions, fineTunePhase, loadTransferSource } from './transfer.js';
import {
  abandonRun, beginRun, claimResumable, commitRun, hasInterruptedRun, MODEL_DIR, newRunDir, readRunFiles, writeRunFiles, type RunFiles,
} from './run-files.js';

export type { Progress, ProgressListener } from './progress.js';
export type { TrainOptions } from './run-config.js';

/** Kaggle's submission file, written in the run folder when the data came with unlabelled test rows. */
export const SUBMISSION_FILE = 'submission.csv';

export interface RunResult {
  runDir: string;
  model: Model;
  files: RunFiles;
  /** Set when --resume found the run already finished (nothing was trained). */
  alreadyFinished?: boolean;
}

/** Trains with the defaults on the embedded MNIST and writes the run: what the web server calls when it has no model. */
export function trainDefaultRun(o: { out?: string; onProgress?: ProgressListener } = {}): Promise<RunResult> {
  return trainRun({ out: o.out }, o.onProgress);
}

export async function trainRun(opts: TrainOptions, onProgress: ProgressListener = () => {}): Promise<RunResult> {
  if (opts.resume) return resumeRun(opts, onProgress);
  const cfg = settle(opts);
  checkDatasetOptions(opts);
  checkTransferOptions(opts);
  // Built (or loaded) first, so that a wrong --arch or --from is said before any data is read.
  const model = await startingModel(cfg);
  const started = performance.now();
  // The output folder is claimed before any work, so that an unwritable or taken --out costs nothing.
  const runDir = resolve(opts.out ?? newRunDir(DEFAULTS.runsDir));
  if (!opts.overwrite && hasInterruptedRun(runDir)) refuseInterrupted(runDir, opts.out!);
  const { dir: partial, discarded } = await beginRun(runDir, { overwrite: opts.overwrite, out: opts.out });
  if (discarded !== null) await onProgress({ type: 'note', text: `Removed the unfinished run that process ${discarded || '(unknown)'} left in ${basename(partial)}` });
  return finish(model, partial, runDir, cfg, started, onProgress, []);
}

/** The architecture to train (its shape and head are fitted to the data later), or --from's trained model. */
function startingModel(cfg: Settled): Promise<Model> | Model {
  return cfg.from ? loadTransferSource({ from: cfg.from, freeze: cfg.freeze ?? undefined }) : buildArch(cfg.arch, { seed: cfg.seed });
}

/** A fresh run does not silently throw away an interrupted one that can be resumed. */
function refuseInterrupted(runDir: string, out: string): void {
  const b = readBackup(join(runDir, '..', `.${basename(runDir)}.partial`, BACKUP_DIR));
  if (!b) return;
  const epochs = (b.header.meta.options as Settled | undefined)?.epochs;
  throw new Error(`--out ${out}: an interrupted run is kept for it (${b.header.epoch} of ${epochs ?? '?'} epochs done); continue it with --resume ${out}, or pass --overwrite to start afresh`);
}

/** --resume: continues the interrupted run for `out` from its backup, or says that it has finished. */
async function resumeRun(opts: TrainOptions, onProgress: ProgressListener): Promise<RunResult> {
  if (!opts.out) throw new Error('--resume needs the run folder (the path that was given as --out)');
  const runDir = resolve(opts.out);
  const claimed = await claimResumable(opts.out);
  if (claimed.finished) {
    const files = readRunFiles(runDir);
    return { runDir, model: await loadModel(join(runDir, MODEL_DIR)), files, alreadyFinished: true };
  }
  const backup = readBackup(join(claimed.dir, BACKUP_DIR));
  if (!backup) {
    throw new Error(`--resume ${opts.out}: the unfinished run holds no backup (it stopped before its first epoch ended); start it afresh with --overwrite`);
  }
  const cfg = backup.header.meta.options as Settled | undefined;
  if (!cfg || typeof cfg !== 'object' || typeof cfg.arch !== 'string') throw new Error(`--resume ${opts.out}: the backup does not say how the run was started; start afresh with --overwrite`);
  checkResumeOptions(cfg, { ...opts, out: undefined, resume: undefined, overwrite: undefined }, opts.out);
  const model = await startingModel(cfg);
  // Said before the data is read when the model needs no fitting to it; fitRun checks the fitted model again.
  if (!cfg.from && cfg.data === 'mnist' && cfg.imageSize === null && cfg.channels === null) checkBackup(backup, model, opts.out);
  const earlier = (backup.header.meta.resumed as RunFiles['run']['resumed']) ?? [];
  await onProgress({ type: 'note', text: `Resuming ${opts.out}: ${backup.header.epoch} of ${cfg.epochs} epochs were done` });
  return finish(model, claimed.dir, runDir, cfg, performance.now(), onProgress, [...earlier, { at: new Date().toISOString(), epochsDone: backup.header.epoch }]);
}

async function finish(model: Model, partial: string, runDir: string, cfg: Settled, started: number, onProgress: ProgressListener, resumed: NonNullable<RunFiles['run']['resumed']>): Promise<RunResult> {
  try {
    const result = await trainInto(model, partial, runDir, cfg, started, onProgress, resumed);
    removeBackup(join(partial, BACKUP_DIR));
    await commitRun(runDir);
    await onProgress({ type: 'done', runDir, testAccuracy: result.files.metrics.test.accuracy, testLoss: result.files.metrics.test.loss });
    return { ...result, runDir };
  } catch (e) {
    // A run that can be resumed keeps its state; one that failed before its first backup is removed.
    if (!readBackup(join(partial, BACKUP_DIR))) await abandonRun(runDir);
    throw e;
  }
}

/** Loads, trains, evaluates and writes every file of the run into `dir` (the partial folder). */
async function trainInto(built: Model, dir: string, runDir: string, cfg: Settled, started: number, onProgress: ProgressListener, resumed: NonNullable<RunFiles['run']['resumed']>): Promise<RunResult> {
  const data = await loadData(cfg.data, {
    test: cfg.test ?? undefined, limit: cfg.limit, testLimit: cfg.testLimit, testSplit: cfg.testSplit ?? undefined, seed: cfg.seed, pixelRange: cfg.pixelRange,
    shape: requestedShape({ imageSize: cfg.imageSize ?? undefined, channels: cfg.channels ?? undefined }), classNames: cfg.classNames ?? undefined, perClass: cfg.perClass ?? undefined,
  });
  const { xTrain, yTrain, val } = splitTensors(data.train, data.classNames.length, cfg.validationSplit, cfg.seed);
  const loadSeconds = secondsSince(started);
  await onProgress({ type: 'data', train: xTrain.shape[0], validation: val ? val[0].shape[0] : 0, test: data.test.count, trainSource: data.trainSource, testSource: data.testSource, seconds: loadSeconds });

  const shaped = modelForData(built, { arch: cfg.arch, seed: cfg.seed, from: cfg.from ?? undefined, freeze: cfg.freeze ?? undefined }, data, xTrain.shape.slice(1));
  const model = shaped.model;
  for (const text of dataNotes(data, shaped)) await onProgress({ type: 'note', text });
  const trainStart = performance.now();
  const fitted = await fitPhases(model, shaped, xTrain, yTrain, val, cfg, dir, runDir, onProgress);
  // Precise BN runs the final weights in training mode: its dropout masks come from their own stream.
  model.rng = new Random(deriveSeed(cfg.seed, 0x7fffffff, 1));
  recalibrateBatchNorm(model, xTrain);
  const trainSeconds = secondsSince(trainStart);

  await onProgress({ type: 'evaluate', images: data.test.count });
  const ev = evaluateModel(model, data.test);
  const epochsRun = fitted.history.epoch.length - fitted.resumedAt;
  const files = runFilesOf(model, cfg, data, fitted, ev, {
    loadSeconds, trainSeconds, evaluateSeconds: ev.seconds, totalSeconds: secondsSince(started),
    trainImagesPerSecond: (xTrain.shape[0] * epochsRun) / Math.max(1e-9, fitted.history.seconds.slice(fitted.resumedAt).reduce((s, v) => s + v, 0)),
    testImagesPerSecond: ev.imagesPerSecond,
  }, xTrain, yTrain, val ? val[0].shape[0] : 0);
  if (resumed.length) files.run.resumed = resumed;
  recordData(files.run, data, shaped);
  if (data.unlabeled) {
    const rows = await writeSubmission(model, data.unlabeled.set, join(dir, SUBMISSION_FILE));
    files.run.data.submission = { file: SUBMISSION_FILE, rows, source: data.unlabeled.source };
    await onProgress({ type: 'note', text: `Predicted the ${rows.toLocaleString('en-US')} unlabelled rows of ${basename(data.unlabeled.source)}: Kaggle submission in ${join(basename(runDir), SUBMISSION_FILE)}` });
  }
  await saveModel(model, join(dir, MODEL_DIR), { digitnet: { testAccuracy: ev.metrics.accuracy, createdAt: files.run.createdAt, ...modelMetadata(shaped.spec) } });
  await writeRunFiles(dir, files);
  if (cfg.report !== false) await buildReport(dir, { name: basename(runDir) });
  return { runDir, model, files };
}

/** Kaggle's submission file: `ImageId,Label`, one line per row, ImageId counted from 1. */
async function writeSubmission(model: Model, rows: ImageSet, path: string): Promise<number> {
  const labels = predictLabels(model, rows);
  await writeFile(path, ['ImageId,Label', ...Array.from(labels, (l, i) => `${i + 1},${l}`)].join('\n') + '\n');
  return labels.length;
}

/**
 * The run's training: fitRun with the run's schedule, augmentation and callbacks; then, for --from with
 * --fine-tune-epochs, the fine-tuning epochs (every layer but BatchNormalization unfrozen, a lower rate, no
 * backup of their own: a run killed while fine-tuning resumes from the end of the first phase's backup).
 */
async function fitPhases(model: Model, shaped: FittedModel, x: Tensor, y: Tensor, val: [Tensor, Tensor] | null, cfg: Settled, dir: string, runDir: string, onProgress: ProgressListener): Promise<FitRunResult> {
  const first = await fitRun(model, x, y, val, cfg, dir, runDir, onProgress);
  let last = first;
  const history = await fineTunePhase(shaped, first.history, { from: cfg.from ?? undefined, fineTuneEpochs: cfg.fineTuneEpochs, fineTuneLr: cfg.fineTuneLr ?? undefined }, cfg.learningRate, async (epochs, learningRate) => {
    last = await fitRun(model, x, y, val, { ...cfg, epochs, learningRate, backup: false, checkpoint: 'none', earlyStopping: 0 }, dir, runDir, onProgress);
    return last.history;
  }, (text) => onProgress({ type: 'note', text }));
  const lr = [...(first.history.learning_rate ?? []), ...(last === first ? [] : last.history.learning_rate ?? [])];
  return { ...first, history: { ...history, learning_rate: lr } };
}

/** Training and validation tensors from the training set only (the test set is never touched here). */
function splitTensors(train: ImageSet, classes: number, fraction: number, seed: number): { xTrain: Tensor; yTrain: Tensor; val: [Tensor, Tensor] | null } {
  const split = validationSplit(train.labels, fraction, { seed });
  const gather = (idx: Int32Array): [Tensor, Tensor] => {
    const per = pixelsPer(train);
    const x = new Float32Array(idx.length * per);
    const labels = new Uint8Array(idx.length);
    idx.forEach((src, r) => {
      for (let i = 0; i < per; i++) x[r * per + i] = train.images[src * per + i] / 255;
      labels[r] = train.labels[src];
    });
    return [new Tensor(x, [idx.length, ...shapeOf(train)]), oneHot(labels, classes)];
  };
  const [xTrain, yTrain] = gather(split.train);
  return { xTrain, yTrain, val: split.validation.length ? gather(split.validation) : null };
}

function runFilesOf(model: Model, cfg: Settled, data: LoadedData, fitted: FitRunResult, ev: ReturnType<typeof evaluateModel>, timing: RunFiles['run']['timing'], xTrain: Tensor, yTrain: Tensor, nVal: number): RunFiles {
  const history = fitted.history;
  const last = history.epoch.length - 1;
  const text: string[] = [];
  const summary = model.summary((l) => text.push(l));
  const shown = shownImages(data.test, ev, DEFAULTS.sampleImages, DEFAULTS.misclassifiedImages);
  return {
    history,
    metrics: {
      test: testMetricsJson(ev),
      train: { loss: history.loss[last], accuracy: history.accuracy[last] },
      validation: nVal ? { loss: history.val_loss[last], accuracy: history.val_accuracy[last] } : null,
    },
    run: {
      createdAt: new Date().toISOString(),
      backend: model.backend.name,
      hyperparameters: {
        epochs: cfg.epochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate, schedule: cfg.schedule, augment: cfg.augment, arch: cfg.arch,
        validationSplit: cfg.validationSplit, seed: cfg.seed, optimizer: cfg.optimizer ?? 'adam', loss: 'categoricalCrossentropy',
      },
      data: {
        trainSource: data.trainSource, testSource: data.testSource, trainImages: xTrain.shape[0], validationImages: nVal,
        testImages: data.test.count, limit: cfg.limit || null, heldOutTest: data.heldOut, submission: null, pixelRange: cfg.pixelRange,
      },
      timing,
      model: { name: model.name, rows: summary.rows, totalParams: summary.totalParams, text },
    },
    samples: {
      ...shown,
      misclassifiedTotal: ev.predicted.reduce((s, p, i) => s + (p === data.test.labels[i] ? 0 : 1), 0),
      ...(fitted.augmenter ? { augmented: augmentedSamples(xTrain, yTrain, fitted.augmenter, cfg.seed) } : {}),
    },
  };
}

function secondsSince(t: number): number {
  return (performance.now() - t) / 1000;
}
