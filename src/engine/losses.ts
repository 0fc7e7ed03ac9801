// Losses: categorical cross-entropy on one-hot rows and its sparse form on integer labels. Both are
// computed from logits by the backend's softmaxCrossEntropy (log-softmax: never log(0)).

import { fmtShape, type Tensor } from './tensor.js';

export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';
export const LOSSES: readonly LossName[] = ['categoricalCrossentropy', 'sparseCategoricalCrossentropy'];

/** Keras's snake_case name, for model.json. */
export const kerasLossName = (l: LossName): string =>
  l === 'categoricalCrossentropy' ? 'categorical_crossentropy' : 'sparse_categorical_crossentropy';

export function checkLoss(loss: string): LossName {
  if (!LOSSES.includes(loss as LossName)) {
    throw new Error(`compile: unknown loss '${loss}'; use one of ${LOSSES.map((l) => `'${l}'`).join(', ')}`);
  }
  return loss as LossName;
}

/**
 * Checks labels once, where they arrive: shape against the loss, values against the class range.
 * `op` names the caller ('fit', 'evaluate', 'validationData').
 */
export function checkLabels(op: string, loss: LossName, y: Tensor, n: number, classes: number): void {
  if (loss === 'sparseCategoricalCrossentropy') {
    const ok = (y.rank === 1 || (y.rank === 2 && y.shape[1] === 1)) && y.shape[0] === n;
    if (!ok) throw new Error(`${op}: sparseCategoricalCrossentropy expects labels of shape [${n}] (integers 0..${classes - 1}), got ${fmtShape(y.shape)}`);
    for (let i = 0; i < n; i++) {
      const v = y.data[i];
      if (!Number.isInteger(v) || v < 0 || v >= classes) {
        throw new Error(`${op}: label ${i} is ${v}, outside the class range 0..${classes - 1}`);
      }
    }
    return;
  }
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

/** Target distributions (rows, classes) for the examples idx[start..end) into `out`. */
export function fillTargets(loss: LossName, y: Tensor, idx: Int32Array, start: number, end: number, classes: number, out: Float32Array): void {
  if (loss === 'sparseCategoricalCrossentropy') {
    out.fill(0, 0, (end - start) * classes);
    for (let r = start; r < end; r++) out[(r - start) * classes + y.data[idx[r]]] = 1;
    return;
  }
  for (let r = start; r < end; r++) out.set(y.data.subarray(idx[r] * classes, (idx[r] + 1) * classes), (r - start) * classes);
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
