// A training run from start to finish: load the data, hold out a stratified validation split, train the
// seed CNN with Adam, evaluate it on the test set, and write the run directory (model, history, metrics,
// figures, report.html). The CLI's `train` command and the web server's first start both call this.
// Node-only.

import { writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { PixelRange } from '../data/csv.js';
import { validationSplit } from '../data/split.js';
import { pixelsPer, shapeOf, type ImageSet } from '../data/idx.js';
import { loadData, type LoadedData } from '../data/sources.js';
import { oneHot } from '../data/tensors.js';
import type { Logs } from '../engine/fit.js';
import { adam, Tensor, type Model } from '../engine/index.js';
import { saveModel } from '../engine/io/files.js';
import { buildArch } from './arch.js';
import { recalibrateBatchNorm } from './precise-bn.js';
import { evaluateModel, predictLabels, shownImages, testMetricsJson } from '../eval/evaluate.js';
import { buildReport } from '../report/index.js';
import { DEFAULTS } from './defaults.js';
import { checkDatasetOptions, dataNotes, modelForData, modelMetadata, recordData, requestedShape, type DatasetOptions } from './model-for-data.js';
import { checkTransferOptions, fineTunePhase, loadTransferSource, type TransferOptions } from './transfer.js';
import { abandonRun, beginRun, commitRun, MODEL_DIR, newRunDir, writeRunFiles, type HistoryJson, type RunFiles } from './run-files.js';

export interface TrainOptions extends DatasetOptions, TransferOptions {
  /** 'mnist' (default) or a path: see data.ts. */
  data?: string;
  /** A zoo architecture (seed, lenet5, vgg, resnet20) or the path of a model.json topology (see arch.ts). */
  arch?: string;
  /** Where the test set comes from, when `data` is one CSV file. */
  test?: string;
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  learningRate?: number;
  /** Factor applied to the learning rate after each epoch. */
  lrDecay?: number;
  seed?: number;
  /** Use at most this many training images (and as many test images, unless testLimit says otherwise). */
  limit?: number;
  testLimit?: number;
  /** The run directory (default runs/<date-time>). */
  out?: string;
  /** Replace an existing run directory (refused otherwise). */
  overwrite?: boolean;
  /** The fraction held out as the test set when the data has none (a labelled CSV alone); default 0.1. */
  testSplit?: number;
  /** How CSV pixels are written (default '0-255'). */
  pixelRange?: PixelRange;
  /** Whether to write the figures and report.html (default true; `digitnet report` can write them later). */
  report?: boolean;
}

/** Kaggle's submission file, written in the run folder when the data came with unlabelled test rows. */
export const SUBMISSION_FILE = 'submission.csv';

export type Progress =
  | { type: 'data'; train: number; validation: number; test: number; trainSource: string; testSource: string; seconds: number }
  | { type: 'epochBegin'; epoch: number; epochs: number; batches: number }
  | { type: 'batch'; epoch: number; epochs: number; batch: number; batches: number; loss: number; accuracy: number; imagesPerSecond: number; epochEtaSeconds: number; etaSeconds: number }
  | { type: 'epochEnd'; epoch: number; epochs: number; loss: number; accuracy: number; valLoss: number | null; valAccuracy: number | null; seconds: number }
  | { type: 'evaluate'; images: number }
  | { type: 'note'; text: string }
  | { type: 'done'; runDir: string; testAccuracy: number; testLoss: number };

export type ProgressListener = (p: Progress) => void | Promise<void>;

export interface RunResult {
  runDir: string;
  model: Model;
  files: RunFiles;
}

/** Trains with the defaults on the embedded MNIST and writes the run: what the web server calls when it has no model. */
export function trainDefaultRun(o: { out?: string; onProgress?: ProgressListener } = {}): Promise<RunResult> {
  return trainRun({ out: o.out }, o.onProgress);
}

export async function trainRun(opts: TrainOptions, onProgress: ProgressListener = () => {}): Promise<RunResult> {
  const cfg = settle(opts);
  checkDatasetOptions(opts);
  checkTransferOptions(opts);
  // Built (or loaded) first, so that a wrong --arch or --from is said before any data is read.
  const model = opts.from ? await loadTransferSource(opts) : buildArch(cfg.arch, { seed: cfg.seed });
  const started = performance.now();
  // The output folder is claimed before any work, so that an unwritable or taken --out costs nothing.
  const runDir = resolve(cfg.out ?? newRunDir(DEFAULTS.runsDir));
  const { dir: partial, discarded } = await beginRun(runDir, { overwrite: opts.overwrite, out: cfg.out });
  if (discarded !== null) await onProgress({ type: 'note', text: `Removed the unfinished run that process ${discarded || '(unknown)'} left in ${basename(partial)}` });
  try {
    const result = await trainInto(model, partial, runDir, cfg, opts, started, onProgress);
    await commitRun(runDir);
    await onProgress({ type: 'done', runDir, testAccuracy: result.files.metrics.test.accuracy, testLoss: result.files.metrics.test.loss });
    return { ...result, runDir };
  } catch (e) {
    await abandonRun(runDir);
    throw e;
  }
}

/** Loads, trains, evaluates and writes every file of the run into `dir` (the partial folder). */
async function trainInto(built: Model, dir: string, runDir: string, cfg: Settled, opts: TrainOptions, started: number, onProgress: ProgressListener): Promise<RunResult> {
  const data = await loadData(cfg.data, { test: opts.test, limit: cfg.limit, testLimit: cfg.testLimit, testSplit: opts.testSplit, seed: cfg.seed, pixelRange: opts.pixelRange, shape: requestedShape(opts), classNames: opts.classNames, perClass: opts.perClass });
  const { xTrain, yTrain, val } = splitTensors(data.train, data.classNames.length, cfg.validationSplit, cfg.seed);
  const loadSeconds = secondsSince(started);
  await onProgress({ type: 'data', train: xTrain.shape[0], validation: val ? val[0].shape[0] : 0, test: data.test.count, trainSource: data.trainSource, testSource: data.testSource, seconds: loadSeconds });

  const fitted = modelForData(built, { ...opts, arch: cfg.arch, seed: cfg.seed }, data, xTrain.shape.slice(1));
  const model = fitted.model;
  for (const text of dataNotes(data, fitted)) await onProgress({ type: 'note', text });
  model.compile({ optimizer: adam({ learningRate: cfg.learningRate }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const trainStart = performance.now();
  const fit = (epochs: number, learningRate: number): Promise<HistoryJson> => fitWithProgress(model, xTrain, yTrain, val, { ...cfg, epochs, learningRate }, onProgress);
  const history = await fineTunePhase(fitted, await fit(cfg.epochs, cfg.learningRate), opts, cfg.learningRate, fit, (text) => onProgress({ type: 'note', text }));
  recalibrateBatchNorm(model, xTrain);
  const trainSeconds = secondsSince(trainStart);

  await onProgress({ type: 'evaluate', images: data.test.count });
  const ev = evaluateModel(model, data.test);
  const files = runFilesOf(model, cfg, data, history, ev, {
    loadSeconds, trainSeconds, evaluateSeconds: ev.seconds, totalSeconds: secondsSince(started),
    trainImagesPerSecond: (xTrain.shape[0] * history.epoch.length) / trainSeconds, testImagesPerSecond: ev.imagesPerSecond,
  }, xTrain.shape[0], val ? val[0].shape[0] : 0);
  files.run.data.pixelRange = opts.pixelRange ?? '0-255';
  recordData(files.run, data, fitted);
  if (data.unlabeled) {
    const rows = await writeSubmission(model, data.unlabeled.set, join(dir, SUBMISSION_FILE));
    files.run.data.submission = { file: SUBMISSION_FILE, rows, source: data.unlabeled.source };
    await onProgress({ type: 'note', text: `Predicted the ${rows.toLocaleString('en-US')} unlabelled rows of ${basename(data.unlabeled.source)}: Kaggle submission in ${join(basename(runDir), SUBMISSION_FILE)}` });
  }
  await saveModel(model, join(dir, MODEL_DIR), { digitnet: { testAccuracy: ev.metrics.accuracy, createdAt: files.run.createdAt, ...modelMetadata(fitted.spec) } });
  await writeRunFiles(dir, files);
  if (opts.report !== false) await buildReport(dir, { name: basename(runDir) });
  return { runDir, model, files };
}

/** Kaggle's submission file: `ImageId,Label`, one line per row, ImageId counted from 1. */
async function writeSubmission(model: Model, rows: ImageSet, path: string): Promise<number> {
  const labels = predictLabels(model, rows);
  await writeFile(path, ['ImageId,Label', ...Array.from(labels, (l, i) => `${i + 1},${l}`)].join('\n') + '\n');
  return labels.length;
}

type Settled = Required<Omit<TrainOptions, keyof DatasetOptions | keyof TransferOptions | 'test' | 'out' | 'limit' | 'testLimit' | 'overwrite' | 'testSplit' | 'pixelRange' | 'report'>> & { out?: string; limit: number; testLimit: number };

/** Fills in the defaults and checks every setting, naming the option when one is out of range. */
function settle(o: TrainOptions): Settled {
  const s = {
    data: o.data ?? 'mnist',
    arch: o.arch ?? 'seed',
    epochs: o.epochs ?? DEFAULTS.epochs,
    batchSize: o.batchSize ?? DEFAULTS.batchSize,
    validationSplit: o.validationSplit ?? DEFAULTS.validationSplit,
    learningRate: o.learningRate ?? DEFAULTS.learningRate,
    lrDecay: o.lrDecay ?? DEFAULTS.lrDecay,
    seed: o.seed ?? DEFAULTS.seed,
    limit: o.limit ?? 0,
    testLimit: o.testLimit ?? o.limit ?? 0,
    out: o.out,
  };
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be a whole number of at least ${min}, got ${v}`);
  };
  int(s.epochs, '--epochs', 1);
  int(s.batchSize, '--batch-size', 1);
  int(s.seed, '--seed', 0);
  int(s.limit, '--limit', 0);
  int(s.testLimit, '--test-limit', 0);
  if (!(s.validationSplit >= 0 && s.validationSplit < 1)) throw new Error(`--validation-split must be at least 0 and below 1, got ${s.validationSplit}`);
  if (!(s.learningRate > 0 && Number.isFinite(s.learningRate))) throw new Error(`--lr must be a positive number, got ${s.learningRate}`);
  if (!(s.lrDecay > 0 && s.lrDecay <= 1)) throw new Error(`--lr-decay must be above 0 and at most 1, got ${s.lrDecay}`);
  return s;
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

async function fitWithProgress(model: Model, x: Tensor, y: Tensor, val: [Tensor, Tensor] | null, cfg: Settled, onProgress: ProgressListener): Promise<HistoryJson> {
  const n = x.shape[0];
  const batches = Math.ceil(n / cfg.batchSize);
  const seconds: number[] = [];
  let epochStart = 0;
  let trainedBefore = 0;
  const run = await model.fit(x, y, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    validationData: val ?? undefined,
    shuffle: true,
    callbacks: {
      onEpochBegin: async (epoch: number) => {
        model.optimizer!.learningRate = cfg.learningRate * cfg.lrDecay ** epoch;
        epochStart = performance.now();
        await onProgress({ type: 'epochBegin', epoch, epochs: cfg.epochs, batches });
      },
      onBatchEnd: async (batch: number, logs: Logs) => {
        const done = Math.min(n, (batch + 1) * cfg.batchSize);
        const elapsed = secondsSince(epochStart);
        const rate = done / Math.max(elapsed, 1e-9);
        const left = (n - done) + (cfg.epochs - 1 - trainedBefore) * n;
        await onProgress({ type: 'batch', epoch: trainedBefore, epochs: cfg.epochs, batch, batches, loss: logs.loss, accuracy: logs.accuracy, imagesPerSecond: rate, epochEtaSeconds: (n - done) / rate, etaSeconds: left / rate });
      },
      onEpochEnd: async (epoch: number, logs: Logs) => {
        seconds.push(secondsSince(epochStart));
        trainedBefore = epoch + 1;
        await onProgress({ type: 'epochEnd', epoch, epochs: cfg.epochs, loss: logs.loss, accuracy: logs.accuracy, valLoss: logs.val_loss ?? null, valAccuracy: logs.val_accuracy ?? null, seconds: seconds[epoch] });
      },
    },
  });
  const h = run.history;
  return { epoch: run.epoch, loss: h.loss, accuracy: h.accuracy, val_loss: h.val_loss ?? [], val_accuracy: h.val_accuracy ?? [], seconds };
}

function runFilesOf(model: Model, cfg: Settled, data: LoadedData, history: HistoryJson, ev: ReturnType<typeof evaluateModel>, timing: RunFiles['run']['timing'], nTrain: number, nVal: number): RunFiles {
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
        epochs: cfg.epochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate, lrDecay: cfg.lrDecay, validationSplit: cfg.validationSplit,
        seed: cfg.seed, optimizer: 'adam', loss: 'categoricalCrossentropy', arch: cfg.arch,
      },
      data: {
        trainSource: data.trainSource, testSource: data.testSource, trainImages: nTrain, validationImages: nVal,
        testImages: data.test.count, limit: cfg.limit || null, heldOutTest: data.heldOut, submission: null,
      },
      timing,
      model: { name: model.name, rows: summary.rows, totalParams: summary.totalParams, text },
    },
    samples: { ...shown, misclassifiedTotal: ev.predicted.reduce((s, p, i) => s + (p === data.test.labels[i] ? 0 : 1), 0) },
  };
}

function secondsSince(t: number): number {
  return (performance.now() - t) / 1000;
}
