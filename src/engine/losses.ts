// Losses: categorical cross-entropy on one-hot (or soft) rows and its sparse form on integer labels, with
// optional label smoothing. One object computes the loss for fit, evaluate and the CLI alike. From logits it
// goes through log-softmax (never log(0)); from probabilities (a model whose output is not a softmax layer's,
// such as an averaged ensemble) it clips them to [1e-7, 1 − 1e-7] as Keras does.

import type { Backend } from './backend.js';
import { fmtShape, type Tensor } from './tensor.js';

export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';
export const LOSSES: readonly LossName[] = ['categoricalCrossentropy', 'sparseCategoricalCrossentropy'];

export interface LossOptions {
  /** Targets become (1 − s)·onehot + s/classes (Keras's label_smoothing). */
  labelSmoothing?: number;
}

const EPSILON = 1e-7;

export class CrossEntropy {
  readonly labelSmoothing: number;

  constructor(readonly name: LossName, o: LossOptions = {}) {
    if (!LOSSES.includes(name)) throw new Error(`compile: unknown loss '${name}'; use one of ${LOSSES.map((l) => `'${l}'`).join(', ')}`);
    this.labelSmoothing = o.labelSmoothing ?? 0;
    if (!(this.labelSmoothing >= 0 && this.labelSmoothing < 1)) throw new Error(`${name}: labelSmoothing must be in [0, 1), got ${this.labelSmoothing}`);
  }

  get sparse(): boolean {
    return this.name === 'sparseCategoricalCrossentropy';
  }

  /** Keras's snake_case name, for model.json. */
  get kerasName(): string {
    return this.sparse ? 'sparse_categorical_crossentropy' : 'categorical_crossentropy';
  }

  /** Checks labels once, where they arrive: shape against the loss, values against the class range. */
  checkLabels(op: string, y: Tensor, n: number, classes: number): void {
    if (this.sparse) return checkSparse(op, y, n, classes);
    if (y.rank !== 2 || y.shape[0] !== n || y.shape[1] !== classes) {
      throw new Error(`${op}: categoricalCrossentropy expects one-hot labels of shape [${n},${classes}], got ${fmtShape(y.shape)}` +
        (y.rank === 1 ? '; for integer labels use sparseCategoricalCrossentropy or oneHot()' : ''));
    }
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < classes; j++) {
        const v = y.data[i * classes + j];
        if (!(v >= 0 && v <= 1)) throw new Error(`${op}: label row ${i} holds ${v}; one-hot labels must lie in [0, 1]`);
        sum += v;
      }
      if (Math.abs(sum - 1) > 1e-3) throw new Error(`${op}: label row ${i} sums to ${sum}; one-hot labels must sum to 1`);
    }
  }

  /** Target distributions (rows, classes) for the examples idx[start..end) into `out`, smoothed if asked. */
  fillTargets(y: Tensor, idx: Int32Array, start: number, end: number, classes: number, out: Float32Array): void {
    const rows = end - start;
    if (this.sparse) {
      out.fill(0, 0, rows * classes);
      for (let r = start; r < end; r++) out[(r - start) * classes + y.data[idx[r]]] = 1;
    } else {
      for (let r = start; r < end; r++) out.set(y.data.subarray(idx[r] * classes, (idx[r] + 1) * classes), (r - start) * classes);
    }
    const s = this.labelSmoothing;
    if (s > 0) for (let i = 0; i < rows * classes; i++) out[i] = out[i] * (1 - s) + s / classes;
  }

  /**
   * The loss summed over the rows of `values` (rows, cols), which are logits or probabilities. Writes the
   * probabilities into `probs` (logits) or reads them from `values` (probabilities), and the gradient of the
   * mean loss w.r.t. `values` into `dValues` when it is not null.
   */
  compute(
    backend: Backend, values: Float32Array, kind: 'logits' | 'probs', targets: Float32Array, probs: Float32Array,
    dValues: Float32Array | null, rows: number, cols: number,
  ): number {
    if (kind === 'logits') return backend.softmaxCrossEntropy(values, targets, probs, dValues, rows, cols);
    let loss = 0;
    for (let i = 0; i < rows * cols; i++) {
      const p = Math.min(Math.max(values[i], EPSILON), 1 - EPSILON);
      probs[i] = values[i];
      if (targets[i] !== 0) loss -= targets[i] * Math.log(p);
      if (dValues) dValues[i] = values[i] > EPSILON && values[i] < 1 - EPSILON ? -targets[i] / (p * rows) : 0;
    }
    return loss;
  }

  config(): string {
    return this.kerasName;
  }
}

function checkSparse(op: string, y: Tensor, n: number, classes: number): void {
  const ok = (y.rank === 1 || (y.rank === 2 && y.shape[1] === 1)) && y.shape[0] === n;
  if (!ok) throw new Error(`${op}: sparseCategoricalCrossentropy expects labels of shape [${n}] (integers 0..${classes - 1}), got ${fmtShape(y.shape)}`);
  for (let i = 0; i < n; i++) {
    const v = y.data[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes) throw new Error(`${op}: label ${i} is ${v}, outside the class range 0..${classes - 1}`);
  }
}

export const categoricalCrossentropy = (o?: LossOptions): CrossEntropy => new CrossEntropy('categoricalCrossentropy', o);
export const sparseCategoricalCrossentropy = (o?: LossOptions): CrossEntropy => new CrossEntropy('sparseCategoricalCrossentropy', o);

/** compile's loss option: a name or a loss object. */
export function lossFrom(loss: LossName | CrossEntropy): CrossEntropy {
  return loss instanceof CrossEntropy ? loss : new CrossEntropy(loss);
}

/** Integer labels (n) → one-hot Tensor data (n, classes). */
export function oneHotData(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= classes) throw new Error(`oneHot: label ${i} is ${l}, outside 0..${classes - 1}`);
    out[i * classes + l] = 1;
  }
  return out;
}
