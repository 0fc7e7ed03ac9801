// Reference element-wise kernels, softmax cross-entropy and the optimizer updates.

import type { AdamParams, RmspropParams, SgdParams } from '../../backend.js';

export function reluForward(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

export function reluBackward(y: Float32Array, dy: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < y.length; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
}

export function mul(a: Float32Array, b: Float32Array, y: Float32Array): void {
  for (let i = 0; i < a.length; i++) y[i] = a[i] * b[i];
}

export function dropoutMask(state: Uint32Array, mask: Float32Array, rate: number, scale: number): void {
  // xoshiro128** (Random.nextUint32) with the state in locals: a vgg step draws 1.2 million of these.
  let s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
  const cut = rate * 4294967296;
  for (let i = 0; i < mask.length; i++) {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    mask[i] = r < cut ? 0 : scale;
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function add(a: Float32Array, b: Float32Array, y: Float32Array, relu: boolean): void {
  for (let i = 0; i < a.length; i++) {
    const s = Math.fround(a[i] + b[i]);
    y[i] = relu && !(s > 0) ? 0 : s;
  }
}

export function axpy(alpha: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] += alpha * x[i];
}

export function copyColumns(
  src: Float32Array, srcCols: number, srcOffset: number, dst: Float32Array, dstCols: number, dstOffset: number, rows: number, cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const s = r * srcCols + srcOffset;
    dst.set(src.subarray(s, s + cols), r * dstCols + dstOffset);
  }
}

export function softmax(x: Float32Array, y: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[o + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j] - max);
      y[o + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) y[o + j] /= sum;
  }
}

export function softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j] * y[o + j];
    for (let j = 0; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
  }
}

export function softmaxCrossEntropy(
  logits: Float32Array, targets: Float32Array, probs: Float32Array, dlogits: Float32Array | null, rows: number, cols: number,
): number {
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, logits[o + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(logits[o + j] - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < cols; j++) {
      const logp = logits[o + j] - lse; // log-softmax: finite even where the probability underflows to 0
      probs[o + j] = Math.exp(logp);
      if (targets[o + j] !== 0) loss -= targets[o + j] * logp;
    }
    if (dlogits) for (let j = 0; j < cols; j++) dlogits[o + j] = (probs[o + j] - targets[o + j]) / rows;
  }
  return loss;
}

export function adamStep(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, p: AdamParams): void {
  const { lr, beta1, beta2, epsilon, step, weightDecay } = p;
  const c1 = 1 - Math.pow(beta1, step);
  const c2 = 1 - Math.pow(beta2, step);
  if (weightDecay > 0) for (let i = 0; i < params.length; i++) params[i] -= lr * weightDecay * params[i];
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    const mi = (m[i] = beta1 * m[i] + (1 - beta1) * g);
    const vi = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
    params[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
  }
}

export function sgdStep(params: Float32Array, grads: Float32Array, velocity: Float32Array, p: SgdParams): void {
  const { lr, momentum, nesterov } = p;
  if (momentum === 0) {
    for (let i = 0; i < params.length; i++) params[i] -= lr * grads[i];
    return;
  }
  for (let i = 0; i < params.length; i++) {
    const vi = (velocity[i] = momentum * velocity[i] - lr * grads[i]);
    params[i] += nesterov ? momentum * vi - lr * grads[i] : vi;
  }
}

export function rmspropStep(params: Float32Array, grads: Float32Array, ms: Float32Array, mom: Float32Array, p: RmspropParams): void {
  const { lr, rho, momentum, epsilon } = p;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    const msi = (ms[i] = rho * ms[i] + (1 - rho) * g * g);
    const step = (lr * g) / Math.sqrt(msi + epsilon);
    if (momentum > 0) params[i] -= mom[i] = momentum * mom[i] + step;
    else params[i] -= step;
  }
}
