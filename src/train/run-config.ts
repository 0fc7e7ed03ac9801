// A training run's settings: the options `digitnet train` and the server pass in, filled in with the
// defaults and checked (each error names the option), in the settled form that run.json records and a
// training backup keeps, so that `--resume` continues with exactly the settings the run started with.

import { resolve } from 'node:path';
import type { PixelRange } from '../data/csv.js';
import { FASHION_MNIST } from '../data/fashion-mnist.js';
import { augments, formatAugment, parseAugment, type AugmentSpec } from '../data/augment/spec.js';
import { isZooName } from './arch.js';
import type { DatasetOptions } from './model-for-data.js';
import type { TransferOptions } from './transfer.js';
import { DEFAULTS } from './defaults.js';
import { formatOptimizer, parseOptimizer, type OptimizerSpec } from './optimizer-spec.js';
import { formatSchedule, parseSchedule, type ScheduleSpec } from './schedule-spec.js';

export interface TrainOptions extends DatasetOptions, TransferOptions {
  /** 'mnist' (default) or a path: see data/sources.ts. */
  data?: string;
  /** A zoo architecture (seed, lenet5, vgg, resnet20) or the path of a model.json topology (see arch.ts). */
  arch?: string;
  /** Where the test set comes from, when `data` is one CSV file. */
  test?: string;
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  /** The learning rate (the peak, for schedules that move it). */
  learningRate?: number;
  /** Factor applied to the learning rate after each epoch: shorthand for schedule 'exponential,rate=F'. */
  lrDecay?: number;
  /** The learning-rate policy: `NAME[,key=value...]` (see schedule-spec.ts). */
  schedule?: string;
  /** The optimizer: `NAME[,key=value...]` (see optimizer-spec.ts); default adam. */
  optimizer?: string;
  /** Augmentation: '' or 'default' for the defaults, 'none', or `rotate=10,zoom=0.1,...` (see data/augment/spec.ts). */
  augment?: string;
  /** Stop when val_loss has not improved for this many epochs, keeping the best weights (0: never). */
  earlyStopping?: number;
  /** Save checkpoints in `<run>/checkpoints/`: the best epoch's model (by val_loss), or every epoch's. */
  checkpoint?: 'best' | 'every' | 'none';
  /** Write a training backup after each epoch, for --resume (default true). */
  backup?: boolean;
  seed?: number;
  /** Use at most this many training images (and as many test images, unless testLimit says otherwise). */
  limit?: number;
  testLimit?: number;
  /** The run directory (default runs/<date-time>). */
  out?: string;
  /** Replace an existing run directory, or an interrupted run's state (refused otherwise). */
  overwrite?: boolean;
  /** Continue the interrupted run for `out` from its backup. */
  resume?: boolean;
  /** The fraction held out as the test set when the data has none (a labelled CSV alone); default 0.1. */
  testSplit?: number;
  /** How CSV pixels are written (default '0-255'). */
  pixelRange?: PixelRange;
  /** Whether to write the figures and report.html (default true; `digitnet report` can write them later). */
  report?: boolean;
}

/** Every setting, filled in and checked: what run.json's hyperparameters and a backup record. */
export interface Settled {
  data: string;
  arch: string;
  test: string | null;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  learningRate: number;
  schedule: string;
  /** Absent from the backups of runs started before it was an option: those ran Adam. */
  optimizer?: string;
  augment: string;
  earlyStopping: number;
  checkpoint: 'best' | 'every' | 'none';
  backup: boolean;
  seed: number;
  limit: number;
  testLimit: number;
  testSplit: number | null;
  pixelRange: PixelRange;
  /** Write the figures and report.html at the end (tune's trials do not). */
  report: boolean;
  /** The data's shape and classes (model-for-data.ts); null: the data's own. */
  imageSize: number | null;
  channels: number | null;
  classNames: string | null;
  perClass: number | null;
  /** Transfer learning (transfer.ts); null: from scratch. */
  from: string | null;
  freeze: string | null;
  fineTuneEpochs: number;
  fineTuneLr: number | null;
}

/** The settings a resumed run may be given again, with the option that sets each (for the messages). */
export const RESUMABLE: Record<string, string> = {
  data: '--data', arch: '--arch', test: '--test', epochs: '--epochs', batchSize: '--batch-size', validationSplit: '--validation-split',
  learningRate: '--lr', lrDecay: '--lr-decay', schedule: '--schedule', optimizer: '--optimizer', augment: '--augment', earlyStopping: '--early-stopping', checkpoint: '--checkpoint',
  seed: '--seed', limit: '--limit', testLimit: '--test-limit', testSplit: '--test-split', pixelRange: '--pixel-range',
  imageSize: '--image-size', channels: '--channels', classNames: '--class-names', perClass: '--per-class', from: '--from', freeze: '--freeze',
  fineTuneEpochs: '--fine-tune-epochs', fineTuneLr: '--fine-tune-lr',
};

/** A path setting made absolute (so a resumed run finds it from any folder); names like 'mnist' stay. */
function pathOf(v: string, isName: (s: string) => boolean): string {
  return isName(v) ? v : resolve(v);
}

/** Fills in the defaults and checks every setting, naming the option when one is out of range. */
export function settle(o: TrainOptions): Settled {
  if (o.schedule !== undefined && o.lrDecay !== undefined) throw new Error('give --schedule or --lr-decay, not both (--lr-decay F is --schedule exponential,rate=F)');
  const schedule = o.schedule !== undefined ? parseSchedule(o.schedule) : o.lrDecay !== undefined ? decaySchedule(o.lrDecay) : parseSchedule(DEFAULTS.schedule);
  const augment = parseAugment(o.augment ?? DEFAULTS.augment);
  const s: Settled = {
    data: pathOf(o.data ?? 'mnist', (v) => v === 'mnist' || v === FASHION_MNIST),
    // A bare word that is not a zoo name stays as written, so its error names what the user typed.
    arch: pathOf(o.arch ?? 'seed', (v) => isZooName(v) || !/[\\/]|\.json$/i.test(v)),
    test: o.test === undefined ? null : resolve(o.test),
    epochs: o.epochs ?? DEFAULTS.epochs,
    batchSize: o.batchSize ?? DEFAULTS.batchSize,
    validationSplit: o.validationSplit ?? DEFAULTS.validationSplit,
    learningRate: o.learningRate ?? DEFAULTS.learningRate,
    schedule: formatSchedule(schedule),
    optimizer: formatOptimizer(parseOptimizer(o.optimizer ?? 'adam')),
    augment: formatAugment(augment),
    earlyStopping: o.earlyStopping ?? 0,
    checkpoint: o.checkpoint ?? 'none',
    backup: o.backup ?? true,
    seed: o.seed ?? DEFAULTS.seed,
    limit: o.limit ?? 0,
    testLimit: o.testLimit ?? o.limit ?? 0,
    testSplit: o.testSplit ?? null,
    pixelRange: o.pixelRange ?? '0-255',
    report: o.report ?? true,
    imageSize: o.imageSize ?? null,
    channels: o.channels ?? null,
    classNames: o.classNames === undefined ? null : resolve(o.classNames),
    perClass: o.perClass ?? null,
    from: o.from === undefined ? null : resolve(o.from),
    freeze: o.freeze ?? null,
    fineTuneEpochs: o.fineTuneEpochs ?? 0,
    fineTuneLr: o.fineTuneLr ?? null,
  };
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be a whole number of at least ${min}, got ${v}`);
  };
  int(s.epochs, '--epochs', 1);
  int(s.batchSize, '--batch-size', 1);
  int(s.seed, '--seed', 0);
  int(s.limit, '--limit', 0);
  int(s.testLimit, '--test-limit', 0);
  int(s.earlyStopping, '--early-stopping', 0);
  if (!(s.validationSplit >= 0 && s.validationSplit < 1)) throw new Error(`--validation-split must be at least 0 and below 1, got ${s.validationSplit}`);
  if (!(s.learningRate > 0 && Number.isFinite(s.learningRate))) throw new Error(`--lr must be a positive number, got ${s.learningRate}`);
  if (!['best', 'every', 'none'].includes(s.checkpoint)) throw new Error(`--checkpoint must be best, every or none, got '${s.checkpoint}'`);
  const needsVal = (what: string): void => {
    if (s.validationSplit === 0) throw new Error(`${what} watches val_loss: it needs a validation split above 0`);
  };
  if (schedule.name === 'plateau') needsVal('--schedule plateau');
  if (s.earlyStopping > 0) needsVal('--early-stopping');
  if (s.checkpoint === 'best') needsVal('--checkpoint best');
  return s;
}

function decaySchedule(f: number): ScheduleSpec {
  if (!(f > 0 && f <= 1)) throw new Error(`--lr-decay must be above 0 and at most 1, got ${f}`);
  return f === 1 ? parseSchedule('constant') : parseSchedule(`exponential,rate=${f}`, '--lr-decay');
}

/** The settled augmentation, parsed again (the settled form is canonical). */
export function augmentOf(s: Settled): AugmentSpec | null {
  const a = parseAugment(s.augment);
  return augments(a) ? a : null;
}

export function scheduleOf(s: Settled): ScheduleSpec {
  return parseSchedule(s.schedule);
}

/** The run's optimizer as settled; backups written before --optimizer existed hold none and trained with Adam. */
function settledOptimizer(s: Settled): string {
  return s.optimizer ?? 'adam';
}

export function optimizerOf(s: Settled): OptimizerSpec {
  return parseOptimizer(settledOptimizer(s));
}

/**
 * For --resume: the options given again must say what the run was started with. Each given option is settled
 * the same way and compared; the first that differs is the error, naming both values.
 */
export function checkResumeOptions(saved: Settled, given: TrainOptions, runDir: string): void {
  const explicit = Object.fromEntries(Object.entries(given).filter(([k, v]) => v !== undefined && k in RESUMABLE)) as TrainOptions;
  if (Object.keys(explicit).length === 0) return;
  saved = { ...saved, optimizer: settledOptimizer(saved) };
  const base = settledAsOptions(saved);
  if (explicit.lrDecay !== undefined) delete base.schedule;
  const asGiven = settle({ ...base, ...explicit });
  for (const key of Object.keys(explicit)) {
    const k = (key === 'lrDecay' ? 'schedule' : key) as keyof Settled;
    if (JSON.stringify(asGiven[k]) !== JSON.stringify(saved[k])) {
      throw new Error(`--resume ${runDir}: the run was started with ${RESUMABLE[k]} ${fmt(saved[k])}, not ${fmt(asGiven[k])}; resume it without that option, or start a new run`);
    }
  }
}

function fmt(v: unknown): string {
  return v === null ? '(none)' : String(v);
}

/** Settled values as options again (for re-settling with some of them replaced). */
function settledAsOptions(s: Settled): TrainOptions {
  return {
    data: s.data, arch: s.arch, test: s.test ?? undefined, epochs: s.epochs, batchSize: s.batchSize, validationSplit: s.validationSplit,
    learningRate: s.learningRate, schedule: s.schedule, optimizer: s.optimizer, augment: s.augment, earlyStopping: s.earlyStopping, checkpoint: s.checkpoint,
    backup: s.backup, seed: s.seed, limit: s.limit, testLimit: s.testLimit, testSplit: s.testSplit ?? undefined, pixelRange: s.pixelRange,
    imageSize: s.imageSize ?? undefined, channels: s.channels ?? undefined, classNames: s.classNames ?? undefined, perClass: s.perClass ?? undefined,
    from: s.from ?? undefined, freeze: s.freeze ?? undefined, fineTuneEpochs: s.fineTuneEpochs || undefined, fineTuneLr: s.fineTuneLr ?? undefined,
  };
}
