// Reference element-wise activations and their derivatives, each derivative taken from the output y alone
// (so a layer can apply its activation in place and keep only y). Matches TensorFlow's definitions:
// relu'(0) = 0, elu and selu use expm1, leakyRelu's slope applies where x < 0.

import { SELU_ALPHA, SELU_SCALE, type Activation } from '../../backend.js';

export function activationForward(act: Activation, x: Float32Array, y: Float32Array, alpha: number): void {
  const n = x.length;
  switch (act) {
    case 'linear':
      if (x !== y) y.set(x);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
      return;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) y[i] = x[i] < 0 ? alpha * x[i] : x[i];
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
      return;
    case 'elu':
      for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : alpha * Math.expm1(x[i]);
      return;
    case 'selu':
      for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? SELU_SCALE * x[i] : SELU_SCALE * SELU_ALPHA * Math.expm1(x[i]);
      return;
    default:
      throw new Error(`activationForward: unknown activation '${String(act)}'`);
  }
}

export function activationBackward(act: Activation, y: Float32Array, dy: Float32Array, dx: Float32Array, alpha: number): void {
  const n = y.length;
  switch (act) {
    case 'linear':
      if (dx !== dy) dx.set(dy.subarray(0, n));
      return;
    case 'relu':
      for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
      return;
    case 'leakyRelu':
      // y < 0 exactly where x < 0 for a positive slope.
      for (let i = 0; i < n; i++) dx[i] = y[i] < 0 ? alpha * dy[i] : dy[i];
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
      return;
    case 'elu':
      // For x ≤ 0, y = α(eˣ − 1), so f'(x) = αeˣ = y + α.
      for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha);
      return;
    case 'selu':
      for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] * SELU_SCALE : dy[i] * (y[i] + SELU_SCALE * SELU_ALPHA);
      return;
    default:
      throw new Error(`activationBackward: unknown activation '${String(act)}'`);
  }
}
