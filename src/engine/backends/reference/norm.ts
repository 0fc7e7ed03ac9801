// Reference batch normalization over the last axis: x is (rows, c), one mean and variance per column.
// Statistics are accumulated in float64, row by row, so the result is the definition the fast kernels meet.
// A ReLU after the normalization can run in the same passes: the forward clamps y at 0, and the backward
// recomputes the forward's y from x to know where the ReLU passed no gradient (y ≤ 0: dy taken as 0).

import { activationBackward } from './activations.js';

export function batchNormStats(x: Float32Array, mean: Float32Array, variance: Float32Array, rows: number, c: number): void {
  const sum = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) sum[j] += x[o + j];
  }
  for (let j = 0; j < c; j++) mean[j] = sum[j] / rows;
  const sq = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) {
      const d = x[o + j] - mean[j];
      sq[j] += d * d;
    }
  }
  for (let j = 0; j < c; j++) variance[j] = sq[j] / rows;
}

export function batchNormForward(
  x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number,
  y: Float32Array, rows: number, c: number, relu: boolean,
): void {
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    scale[j] = gamma[j] / Math.sqrt(variance[j] + epsilon);
    shift[j] = beta[j] - mean[j] * scale[j];
  }
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) {
      const v = Math.fround(x[o + j] * scale[j] + shift[j]);
      y[o + j] = relu && !(v > 0) ? 0 : v;
    }
  }
}

/** dy where the forward's fused ReLU passed the gradient, else 0: the forward without it, then relu's backward. */
function reluGate(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, reluBeta: Float32Array | null, epsilon: number, rows: number, c: number): Float32Array {
  if (!reluBeta) return dy;
  const out = new Float32Array(rows * c);
  batchNormForward(x, mean, variance, gamma, reluBeta, epsilon, out, rows, c, false);
  activationBackward('relu', out, dy, out, 0);
  return out;
}

export function batchNormBackward(
  x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, epsilon: number, dyIn: Float32Array,
  dx: Float32Array | null, dgamma: Float32Array | null, dbeta: Float32Array | null, rows: number, c: number, batchStats: boolean,
  reluBeta: Float32Array | null,
): void {
  const dy = reluGate(x, dyIn, mean, variance, gamma, reluBeta, epsilon, rows, c);
  const invStd = new Float64Array(c);
  for (let j = 0; j < c; j++) invStd[j] = 1 / Math.sqrt(variance[j] + epsilon);
  // Σ dy and Σ dy·x̂ per column: the parameter gradients, and the terms dx needs through the batch statistics.
  const sumDy = new Float64Array(c);
  const sumDyXhat = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) {
      sumDy[j] += dy[o + j];
      sumDyXhat[j] += dy[o + j] * (x[o + j] - mean[j]) * invStd[j];
    }
  }
  if (dgamma) for (let j = 0; j < c; j++) dgamma[j] = sumDyXhat[j];
  if (dbeta) for (let j = 0; j < c; j++) dbeta[j] = sumDy[j];
  if (!dx) return;
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) {
      const k = gamma[j] * invStd[j];
      if (!batchStats) {
        dx[o + j] = k * dy[o + j];
      } else {
        const xhat = (x[o + j] - mean[j]) * invStd[j];
        dx[o + j] = (k / rows) * (rows * dy[o + j] - sumDy[j] - xhat * sumDyXhat[j]);
      }
    }
  }
}
