// The backend interface: every compute kernel the layers, losses and optimizers use, and nothing else.
// Kernels take flat Float32Arrays and integer dimensions, trust their inputs (shapes are checked once, in
// the layers), and overwrite their outputs. Backward kernels are first-class entries, not derived.
// The reference backend (plain TypeScript, runs in browsers) is the definition of each kernel; the
// native backend must match it within float32 rounding.

import type { ConvGeometry, WindowGeometry } from './geometry.js';

export type Activation = 'linear' | 'relu';

export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step count, for bias correction. */
  step: number;
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

  /** x (n,in), w (in,out), b (out) → y (n,out) = act(x·w + b). */
  denseForward(x: Float32Array, w: Float32Array, b: Float32Array, y: Float32Array, n: number, inSize: number, outSize: number, act: Activation): void;

  /** dy (n,out) → dw (in,out) = xᵀ·dy, db (out) = Σ dy, and dx (n,in) = dy·wᵀ unless dx is null. */
  denseBackward(
    x: Float32Array, w: Float32Array, dy: Float32Array, dx: Float32Array | null, dw: Float32Array, db: Float32Array,
    n: number, inSize: number, outSize: number,
  ): void;

  /** x (n,h,w,c), w (kh,kw,c,oc), b (oc) → y (n,oh,ow,oc) = act(conv(x, w) + b). */
  conv2dForward(x: Float32Array, w: Float32Array, b: Float32Array, y: Float32Array, g: ConvGeometry, act: Activation): void;

  /** dy (n,oh,ow,oc), w (kh,kw,c,oc) → dx (n,h,w,c). */
  conv2dBackwardInput(dy: Float32Array, w: Float32Array, dx: Float32Array, g: ConvGeometry): void;

  /** x (n,h,w,c), dy (n,oh,ow,oc) → dw (kh,kw,c,oc), db (oc). */
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array, g: ConvGeometry): void;

  /** x (n,h,w,c) → y (n,oh,ow,c) and argmax (n,oh,ow,c): the flat index into x of each maximum. */
  maxPool2dForward(x: Float32Array, y: Float32Array, argmax: Int32Array, g: WindowGeometry): void;

  /** dy (n,oh,ow,c) → dx (n,h,w,c): each dy routed to its argmax (overlapping windows add). */
  maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array, g: WindowGeometry): void;

  /** y = max(x, 0), elementwise; x and y may be the same array. */
  reluForward(x: Float32Array, y: Float32Array): void;

  /** dx = dy where y > 0, else 0; dy and dx may be the same array. */
  reluBackward(y: Float32Array, dy: Float32Array, dx: Float32Array): void;

  /** y = a * b elementwise (dropout masks). */
  mul(a: Float32Array, b: Float32Array, y: Float32Array): void;

  /** Row-wise softmax of x (rows, cols) into y, computed stably (max subtracted). */
  softmax(x: Float32Array, y: Float32Array, rows: number, cols: number): void;

  /**
   * Softmax cross-entropy from logits (rows, cols) against target distributions (rows, cols), via
   * log-softmax so that no log(0) is ever taken. Writes probs, and dlogits = (probs - targets) / rows
   * when dlogits is not null. Returns the summed (not averaged) loss over the rows.
   */
  softmaxCrossEntropy(logits: Float32Array, targets: Float32Array, probs: Float32Array, dlogits: Float32Array | null, rows: number, cols: number): number;

  /** One Adam step over the whole flat parameter buffer: p -= lr·m̂ / (sqrt(v̂) + epsilon), as TensorFlow.js does. */
  adamStep(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, p: AdamParams): void;

  /** One SGD step with (optionally Nesterov) momentum, Keras's form: v = momentum·v - lr·g. */
  sgdStep(params: Float32Array, grads: Float32Array, velocity: Float32Array, p: SgdParams): void;
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
