// The backend interface: every compute kernel the layers, losses and optimizers use, and nothing else.
// Kernels take flat Float32Arrays and integer dimensions, trust their inputs (shapes are checked once, in
// the layers), and overwrite their outputs. Backward kernels are first-class entries, not derived.
// The reference backend (plain TypeScript, runs in browsers) is the definition of each kernel; the
// native backend must match it within float32 rounding.

import type { ConvGeometry, WindowGeometry } from './geometry.js';

/** The activations a convolution or dense kernel applies in its own loop (fused). */
export type FusedActivation = 'linear' | 'relu';

/** Element-wise activations (activationForward/Backward). Each derivative is computed from the output y alone. */
export type Activation = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'selu' | 'leakyRelu';

/** SELU's constants (Klambauer et al. 2017), as TensorFlow uses them. */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step count, for bias correction. */
  step: number;
  /** Decoupled weight decay (AdamW): p -= lr·weightDecay·p before the Adam update; 0 for Adam. */
  weightDecay: number;
}

export interface RmspropParams {
  lr: number;
  /** Discount of the running mean of squared gradients. */
  rho: number;
  momentum: number;
  epsilon: number;
}

export interface SgdParams {
  lr: number;
  momentum: number;
  nesterov: boolean;
}

export interface Backend {
  /** Short name shown to users, e.g. 'reference' or 'native (avx512, 2 threads)'. */
  readonly name: string;

  /** y (m,n) = op(a) · op(b), op(a) (m,k), op(b) (k,n); a is (k,m) when transA, b is (n,k) when transB. */
  matmul(a: Float32Array, b: Float32Array, y: Float32Array, m: number, n: number, k: number, transA: boolean, transB: boolean): void;

  /** x (n,in), w (in,out), b (out) → y (n,out) = act(x·w + b); b null: no bias. */
  denseForward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, n: number, inSize: number, outSize: number, act: FusedActivation): void;

  /** dy (n,out) → dw (in,out) = xᵀ·dy, db (out) = Σ dy unless db is null, and dx (n,in) = dy·wᵀ unless dx is null. */
  denseBackward(
    x: Float32Array, w: Float32Array, dy: Float32Array, dx: Float32Array | null, dw: Float32Array, db: Float32Array | null,
    n: number, inSize: number, outSize: number,
  ): void;

  /** x (n,h,w,c), w (kh,kw,c,oc), b (oc) → y (n,oh,ow,oc) = act(conv(x, w) + b); b null: no bias. */
  conv2dForward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, g: ConvGeometry, act: FusedActivation): void;

  /**
   * maxPool2dForward over conv2dForward's output, in one call: y (n,ph,pw,oc) and argmax, whose indices point
   * into the convolution's output (n,oh,ow,oc) as if it had been written (it need not be: the native backend
   * pools 2x2 windows while the outputs are in cache). pool's input is that output. The same bits as the two calls.
   */
  conv2dMaxPoolForward(
    x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, argmax: Int32Array, g: ConvGeometry, pool: WindowGeometry,
    act: FusedActivation,
  ): void;

  /** dy (n,oh,ow,oc), w (kh,kw,c,oc) → dx (n,h,w,c). */
  conv2dBackwardInput(dy: Float32Array, w: Float32Array, dx: Float32Array, g: ConvGeometry): void;

  /** x (n,h,w,c), dy (n,oh,ow,oc) → dw (kh,kw,c,oc), db (oc; skipped when null: a layer without bias). */
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null, g: ConvGeometry): void;

  /**
   * conv2dBackwardFilter of the gradient that maxPool2dBackward routes from dy (the pooling's output gradient)
   * through argmax, in one call (conv2dMaxPoolForward's backward, where no input gradient is wanted): the
   * convolution's output gradient need not be written (the native backend gathers it a window row at a
   * time for one-channel layers). The same bits as the two calls.
   */
  conv2dBackwardFilterPooled(
    x: Float32Array, dy: Float32Array, argmax: Int32Array, dw: Float32Array, db: Float32Array | null, g: ConvGeometry, pool: WindowGeometry,
  ): void;

  /** x (n,h,w,c) → y (n,oh,ow,c) and argmax (n,oh,ow,c): the flat index into x of each maximum. */
  maxPool2dForward(x: Float32Array, y: Float32Array, argmax: Int32Array, g: WindowGeometry): void;

  /** dy (n,oh,ow,c) → dx (n,h,w,c): each dy routed to its argmax (overlapping windows add). */
  maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array, g: WindowGeometry): void;

  /** x (n,h,w,c) → y (n,oh,ow,c): the mean of each window's cells inside the input (padding is not counted, as TensorFlow). */
  avgPool2dForward(x: Float32Array, y: Float32Array, g: WindowGeometry): void;

  /** dy (n,oh,ow,c) → dx (n,h,w,c): each dy spread evenly over its window's cells inside the input. */
  avgPool2dBackward(dy: Float32Array, dx: Float32Array, g: WindowGeometry): void;

  /** x (n,hw,c) → y (n,c): the mean over the spatial positions. */
  globalAvgPoolForward(x: Float32Array, y: Float32Array, n: number, hw: number, c: number): void;

  /** dy (n,c) → dx (n,hw,c) = dy / hw at every position. */
  globalAvgPoolBackward(dy: Float32Array, dx: Float32Array, n: number, hw: number, c: number): void;

  /** y = max(x, 0), elementwise; x and y may be the same array. */
  reluForward(x: Float32Array, y: Float32Array): void;

  /** dx = dy where y > 0, else 0; dy and dx may be the same array. */
  reluBackward(y: Float32Array, dy: Float32Array, dx: Float32Array): void;

  /**
   * y = f(x) elementwise for the activation `act`; x and y may be the same array. `alpha` is the negative
   * slope of leakyRelu and the alpha of elu (ignored by the others).
   */
  activationForward(act: Activation, x: Float32Array, y: Float32Array, alpha: number): void;

  /**
   * dx = dy ⊙ f'(x), with f' computed from the forward's output y (every activation here allows it:
   * relu/leakyRelu/elu/selu from the sign of y, tanh 1−y², sigmoid y(1−y)); dy and dx may be the same array.
   */
  activationBackward(act: Activation, y: Float32Array, dy: Float32Array, dx: Float32Array, alpha: number): void;

  /** y = a * b elementwise (dropout masks). */
  mul(a: Float32Array, b: Float32Array, y: Float32Array): void;

  /**
   * A dropout mask: mask[i] = 0 when the i-th 32-bit draw of xoshiro128** (engine/random.ts's generator,
   * from `state`, its four words, which are advanced past the draws) is below rate·2³², else scale; i.e.
   * zero exactly when Random.next() < rate. One draw per element, in order: every backend draws the same mask.
   */
  dropoutMask(state: Uint32Array, mask: Float32Array, rate: number, scale: number): void;

  /** y = a + b elementwise (residual adds); y may be a or b. relu: y = max(a + b, 0) (a ReLU layer after the add, fused by the graph). */
  add(a: Float32Array, b: Float32Array, y: Float32Array, relu: boolean): void;

  /** y += alpha · x over x's length (gradients that meet where a tensor fans out, L2 penalties). */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;

  /**
   * Copies a block of columns, row by row: dst[r·dstCols + dstOffset + j] = src[r·srcCols + srcOffset + j] for
   * r < rows, j < cols (Concatenate along the last axis, and its backward). The blocks lie within their rows
   * (offset + cols ≤ the row's width) and src and dst do not overlap.
   */
  copyColumns(src: Float32Array, srcCols: number, srcOffset: number, dst: Float32Array, dstCols: number, dstOffset: number, rows: number, cols: number): void;

  /**
   * x (rows, c) → mean (c) and variance (c) of each column (channel), the biased variance (divided by rows),
   * as TensorFlow's moments. Summed in a fixed order, so the result does not depend on thread timing.
   */
  batchNormStats(x: Float32Array, mean: Float32Array, variance: Float32Array, rows: number, c: number): void;

  /**
   * y (rows, c) = gamma · (x − mean) / sqrt(variance + epsilon) + beta, per column; x and y may be the same array.
   * relu: y = max(y, 0) in the same pass (a ReLU layer after the normalization, fused by the graph).
   */
  batchNormForward(
    x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number,
    y: Float32Array, rows: number, c: number, relu: boolean,
  ): void;

  /**
   * dy (rows, c) → dgamma (c) = Σ dy·x̂ and dbeta (c) = Σ dy (skipped when null), and dx (rows, c) (skipped when null).
   * dx may be the same array as dy. batchStats: the mean and variance were this batch's (training), so dx includes the gradient through them:
   * dx = gamma·invstd/rows · (rows·dy − Σdy − x̂·Σ(dy·x̂)); otherwise they are constants: dx = gamma·invstd·dy.
   * reluBeta: the forward ran with relu and this beta, and dy is the gradient w.r.t. the ReLU's output: it is
   * taken as 0 wherever the forward's normalized value (recomputed from x, the same bits) was not above 0.
   */
  batchNormBackward(
    x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, epsilon: number, dy: Float32Array,
    dx: Float32Array | null, dgamma: Float32Array | null, dbeta: Float32Array | null, rows: number, c: number, batchStats: boolean,
    reluBeta: Float32Array | null,
  ): void;

  /** Row-wise softmax of x (rows, cols) into y, computed stably (max subtracted). */
  softmax(x: Float32Array, y: Float32Array, rows: number, cols: number): void;

  /** dx (rows, cols) = y ⊙ (dy − Σ_j dy·y) per row: the softmax Jacobian applied to dy; dy and dx may be the same array. */
  softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;

  /**
   * Softmax cross-entropy from logits (rows, cols) against target distributions (rows, cols), via
   * log-softmax so that no log(0) is ever taken. Writes probs, and dlogits = (probs - targets) / rows
   * when dlogits is not null. Returns the summed (not averaged) loss over the rows.
   */
  softmaxCrossEntropy(logits: Float32Array, targets: Float32Array, probs: Float32Array, dlogits: Float32Array | null, rows: number, cols: number): number;

  /**
   * One Adam step over a slice of the flat parameter buffer: p -= lr·m̂ / (sqrt(v̂) + epsilon), as TensorFlow.js
   * does; with weightDecay > 0 (AdamW, as Keras) p -= lr·weightDecay·p first.
   */
  adamStep(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, p: AdamParams): void;

  /** One SGD step with (optionally Nesterov) momentum, Keras's form: v = momentum·v - lr·g. */
  sgdStep(params: Float32Array, grads: Float32Array, velocity: Float32Array, p: SgdParams): void;

  /**
   * One RMSprop step, as Keras and TensorFlow.js: ms = rho·ms + (1−rho)·g²; with momentum,
   * mom = momentum·mom + lr·g/sqrt(ms + epsilon), p -= mom; without, p -= lr·g/sqrt(ms + epsilon).
   */
  rmspropStep(params: Float32Array, grads: Float32Array, ms: Float32Array, mom: Float32Array, p: RmspropParams): void;
}

let current: Backend | null = null;
let fallback: (() => Backend) | null = null;

/** The backend new models use. Node's entry point installs the native one when it loads. */
export function getBackend(): Backend {
  if (!current) {
    if (!fallback) throw new Error('digitnet: no backend registered');
    current = fallback();
  }
  return current;
}

export function setBackend(b: Backend): void {
  current = b;
}

/** Registers the backend used when none was chosen (the reference backend registers itself). */
export function setDefaultBackend(make: () => Backend): void {
  fallback = make;
}
