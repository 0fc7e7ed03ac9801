// Fine-tuning a trained model on a few new examples (a user's own handwriting): every layer up to the last
// Dense/Conv2D layers is frozen (layer.trainable = false, so it gets no update), and the rest is trained
// for a few seconds on augmented copies of the examples (the training runs' augmentation, its TypeScript
// definition), a fresh copy each epoch. Engine and data only:
// the page's Web Worker runs it, and so can Node.

import { augmentBatchReference } from '../data/augment/reference.js';
import { DEFAULT_AUGMENT, type AugmentSpec } from '../data/augment/spec.js';
import { adam, Random, Tensor, type Model } from '../engine/index.js';

export interface FineTuneOptions {
  /** How many of the last Dense/Conv2D layers are trained (with any layer after them); default 1. */
  trainLast?: number;
  /** Stop after this many epochs (default 200) ... */
  epochs?: number;
  /** ... or once this many seconds have passed, whichever comes first (default 3). */
  seconds?: number;
  batchSize?: number;
  learningRate?: number;
  /** The augmentation's strengths (default: a training run's, rotate 10, zoom 0.1, shift 2, shear 10); `false` trains on the examples as they are. */
  augment?: Partial<AugmentSpec> | false;
  seed?: number;
  /** Called after each epoch (awaited: a worker can report progress here). */
  onEpoch?: (epoch: number, loss: number) => void | Promise<void>;
}

export interface FineTuneResult {
  epochs: number;
  seconds: number;
  /** Mean loss on the examples as given (not augmented), before and after. */
  lossBefore: number;
  lossAfter: number;
  /** The layers that were trained, and their parameter count. */
  trained: string[];
  trainedParams: number;
}

/**
 * Fine-tunes `model` in place on `x` (n, 28, 28, 1) and integer `labels`, training only its last layers.
 * The model is compiled anew (Adam, sparse categorical cross-entropy); every layer's `trainable` is as it
 * was when this returns, so the model saves as a plain model.
 */
export async function fineTune(model: Model, x: Tensor, labels: ArrayLike<number>, o: FineTuneOptions = {}): Promise<FineTuneResult> {
  const n = x.shape[0];
  if (labels.length !== n) throw new Error(`fineTune: ${n} examples but ${labels.length} labels`);
  const y = new Tensor(Float32Array.from(labels), [n]);
  const before = model.layers.map((l) => l.trainable);
  const trained = freezeAllButLast(model, o.trainLast ?? 1);
  try {
    model.compile({ optimizer: adam({ learningRate: o.learningRate ?? 3e-3 }), loss: 'sparseCategoricalCrossentropy' });
    const lossBefore = model.evaluate(x, y).loss;
    const rng = new Random(o.seed ?? 1);
    model.rng = rng.fork();
    const limit = (o.seconds ?? 3) * 1000;
    const maxEpochs = o.epochs ?? 200;
    const [h, w] = x.shape.slice(1);
    const spec: AugmentSpec = { ...DEFAULT_AUGMENT, ...(o.augment || {}) };
    const augmented = new Float32Array(x.data.length);
    const t0 = performance.now();
    let epochs = 0;
    while (epochs < maxEpochs && (epochs === 0 || performance.now() - t0 < limit)) {
      if (o.augment !== false) augmentBatchReference(x.data, augmented, n, h, w, spec, rng.nextUint32());
      const xe = o.augment === false ? x : new Tensor(augmented, x.shape);
      const history = await model.fit(xe, y, { epochs: 1, batchSize: Math.min(o.batchSize ?? 16, n), shuffle: true });
      await o.onEpoch?.(epochs, history.history.loss[0]);
      epochs++;
    }
    const seconds = (performance.now() - t0) / 1000;
    const trainedParams = model.countParams().trainable;
    return { epochs, seconds, lossBefore, lossAfter: model.evaluate(x, y).loss, trained, trainedParams };
  } finally {
    model.layers.forEach((l, i) => (l.trainable = before[i]));
  }
}

/** Freezes every layer before the `last`-th Dense/Conv2D layer from the end; returns the names of those left with weights. */
export function freezeAllButLast(model: Model, last: number): string[] {
  if (!Number.isInteger(last) || last < 1) throw new Error(`fineTune: trainLast must be a positive integer, got ${last}`);
  const heavy = model.layers.map((l, i) => (l.className === 'Dense' || l.className === 'Conv2D' ? i : -1)).filter((i) => i >= 0);
  if (heavy.length < last) {
    throw new Error(`fineTune: model '${model.name}' has ${heavy.length} Dense/Conv2D layers, fewer than trainLast = ${last}`);
  }
  const cut = heavy[heavy.length - last];
  model.layers.forEach((l, i) => (l.trainable = i >= cut));
  return model.layers.filter((l, i) => i >= cut && l.paramSpecs().some((s) => s.trainable)).map((l) => l.name);
}
