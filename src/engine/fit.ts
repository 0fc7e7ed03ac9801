// The training loop: epochs of shuffled batches, running loss and accuracy, validation, callbacks and
// the NaN guard. Batches are gathered into reused buffers (fit-batches.ts); nothing is allocated per batch.
// Every random draw of training (the epoch's shuffle, each batch's dropout masks and augmentation) comes
// from state derived from (seed, epoch, batch), so a run resumed at an epoch draws what an uninterrupted
// one would have.

import { BatchFeeder, STREAM, type BatchAugmenter } from './fit-batches.js';
import type { CrossEntropy } from './losses.js';
import { deriveSeed, Random } from './random.js';
import { Tensor } from './tensor.js';

export type { BatchAugmenter };

/** What the loop needs of a model: its public face (Model implements it). */
export interface FitTarget {
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly loss: CrossEntropy | null;
  /** The seed all of training's random state derives from. */
  readonly seed: number;
  /** The stream layers draw from (dropout masks): fit replaces it for each batch. */
  rng: Random;
  /** Its learning rate is recorded in the logs of each epoch. */
  readonly optimizer?: { readonly learningRate: number } | null;
  stopTraining: boolean;
  checkInput(op: string, x: Tensor): void;
  /** One optimizer step; returns the summed loss and the number of correct predictions. */
  trainBatch(x: Tensor, targets: Float32Array): { loss: number; correct: number };
  /** Mean loss and accuracy of inputs and labels already checked. */
  measure(x: Tensor, y: Tensor, batchSize: number): { loss: number; accuracy: number };
}

export type Logs = Record<string, number>;

/** Keras-style callbacks; each hook may be async. Set `model.stopTraining = true` to stop after an epoch. */
export interface Callback {
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  /**
   * Called once after onTrainBegin: a callback that holds the state of an interrupted run (BackupAndRestore)
   * restores the model and returns where to continue; fit then starts at that epoch with that history.
   */
  restore?(): ResumePoint | null | Promise<ResumePoint | null>;
}

/** Where a resumed fit continues: the next epoch to run and the history of the epochs already done. */
export interface ResumePoint {
  epoch: number;
  history: Record<string, number[]>;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Fraction of the examples, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  validationData?: [Tensor, Tensor];
  shuffle?: boolean;
  callbacks?: Callback | Callback[];
  /** Also call onBatchEnd only every this many batches (default 1). */
  batchLogEvery?: number;
  /** The epoch to start at (the epochs before it count as done), as Keras's initial_epoch. */
  initialEpoch?: number;
  /** Transforms each training batch (augmentation); validation data is never transformed. */
  augment?: BatchAugmenter;
  /**
   * Prepare the next batch while the current one trains, when the augmenter can work off the main thread
   * (default false: runs with it on were seen to drift apart in the last bits when the machine was busy, and it
   * is the first suspect of a rare crash; off, runs are bit-identical under any load, and for the zoo's models
   * the augmentation costs about as little either way).
   */
  overlapAugment?: boolean;
}

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
  params: { epochs: number; batchSize: number; samples: number; validationSamples: number };
}

export async function fitModel(model: FitTarget, x: Tensor, y: Tensor, o: FitOptions): Promise<History> {
  const epochs = positiveInt(o.epochs ?? 1, 'epochs');
  const batchSize = positiveInt(o.batchSize ?? 32, 'batchSize');
  const classes = model.outputShape[0];
  const loss = model.loss!;
  model.checkInput('fit', x);
  loss.checkLabels('fit', y, x.shape[0], classes);
  const { train, val } = splitValidation(x, y, o);
  if (val) {
    model.checkInput('fit (validation data)', val[0]);
    loss.checkLabels('fit (validation data)', val[1], val[0].shape[0], classes);
  }
  const n = train.idx.length;
  const callbacks = o.callbacks === undefined ? [] : Array.isArray(o.callbacks) ? o.callbacks : [o.callbacks];
  const history: History = {
    epoch: [],
    history: {},
    params: { epochs, batchSize, samples: n, validationSamples: val ? val[0].shape[0] : 0 },
  };
  const batches = Math.ceil(n / batchSize);
  const per = x.size / x.shape[0];
  const feed = new BatchFeeder(x.data, per, batchSize, n, model.seed, o.augment ?? null, o.overlapAugment ?? false);
  const tBuf = new Float32Array(Math.min(batchSize, n) * classes);
  model.stopTraining = false;
  for (const c of callbacks) await c.onTrainBegin?.({});
  let first = o.initialEpoch ?? 0;
  if (!Number.isInteger(first) || first < 0) throw new Error(`fit: initialEpoch must be a whole number ≥ 0, got ${first}`);
  for (const c of callbacks) {
    const at = await c.restore?.();
    if (!at) continue;
    first = at.epoch;
    history.epoch = Array.from({ length: at.epoch }, (_, i) => i);
    history.history = Object.fromEntries(Object.entries(at.history).map(([k, v]) => [k, [...v]]));
  }
  for (let epoch = first; epoch < epochs && !model.stopTraining; epoch++) {
    for (const c of callbacks) await c.onEpochBegin?.(epoch, {});
    const idx = Int32Array.from(train.idx);
    if (o.shuffle ?? true) new Random(deriveSeed(model.seed, epoch, STREAM.shuffle)).shuffle(idx);
    feed.begin(epoch, idx);
    let sum = 0;
    let correct = 0;
    for (let b = 0; b < batches; b++) {
      const s = b * batchSize;
      const e = Math.min(n, s + batchSize);
      const xb = await feed.take(b);
      const t = tBuf.subarray(0, (e - s) * classes);
      loss.fillTargets(y, idx, s, e, classes, t);
      model.rng = new Random(deriveSeed(model.seed, epoch, b, STREAM.dropout));
      const r = model.trainBatch(new Tensor(xb, [e - s, ...model.inputShape]), t);
      if (!Number.isFinite(r.loss)) {
        throw new Error(`fit: the loss became ${r.loss} at epoch ${epoch + 1}, batch ${b + 1} of ${batches}; training stopped. ` +
          'Lower the learning rate or check the inputs for extreme values.');
      }
      sum += r.loss;
      correct += r.correct;
      const every = o.batchLogEvery ?? 1;
      if (callbacks.length && ((b + 1) % every === 0 || b === batches - 1)) {
        const logs = { batch: b, size: e - s, loss: sum / e, accuracy: correct / e };
        for (const c of callbacks) await c.onBatchEnd?.(b, logs);
      }
    }
    const logs: Logs = { loss: sum / n, accuracy: correct / n };
    if (val) {
      const v = model.measure(val[0], val[1], Math.max(batchSize, 256)); // checked once, above
      logs.val_loss = v.loss;
      logs.val_accuracy = v.accuracy;
    }
    // The rate of the epoch's last step (a callback such as ReduceLROnPlateau may change it for the next).
    if (model.optimizer) logs.learning_rate = model.optimizer.learningRate;
    for (const c of callbacks) await c.onEpochEnd?.(epoch, logs);
    // Recorded after the callbacks, as Keras's History (last in its list): what they add to the logs is kept.
    history.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
  }
  for (const c of callbacks) await c.onTrainEnd?.({});
  return history;
}

/** Training indices and, if asked, the validation tensors (the last fraction of x, y, as Keras does). */
function splitValidation(x: Tensor, y: Tensor, o: FitOptions): { train: { idx: Int32Array }; val: [Tensor, Tensor] | null } {
  const n = x.shape[0];
  if (o.validationData) {
    if (o.validationSplit) throw new Error('fit: give validationData or validationSplit, not both');
    return { train: { idx: identity(n) }, val: o.validationData };
  }
  const split = o.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw new Error(`fit: validationSplit must be in [0, 1), got ${split}`);
  const nVal = Math.floor(n * split);
  if (split > 0 && (nVal === 0 || nVal === n)) {
    throw new Error(`fit: validationSplit ${split} of ${n} examples leaves ${nVal === 0 ? 'no validation' : 'no training'} examples`);
  }
  if (nVal === 0) return { train: { idx: identity(n) }, val: null };
  const nTrain = n - nVal;
  const ySplit = (s: number, e: number): Tensor => y.slice0(s, e);
  return { train: { idx: identity(nTrain) }, val: [x.slice0(nTrain, n), ySplit(nTrain, n)] };
}

function identity(n: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return idx;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`fit: ${what} must be a positive integer, got ${v}`);
  return v;
}
