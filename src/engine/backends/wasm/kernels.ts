// What the WebAssembly module (wasm/assembly/index.ts) exports: each kernel on byte offsets into its
// linear memory. `scratch` is the first byte past the call's arguments, where a kernel may put its own
// work (it grows the memory when it needs more). Browser-safe: no Node APIs.

import type { Activation } from '../../backend.js';

type Ptr = number;

export interface WasmKernels {
  memory: WebAssembly.Memory;
  heapBase(): Ptr;
  setGeometry(n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, oh: number, ow: number, oc: number): void;
  matmulNN(a: Ptr, b: Ptr, y: Ptr, m: number, n: number, k: number, scratch: Ptr): void;
  matmulTN(a: Ptr, b: Ptr, y: Ptr, m: number, n: number, k: number, scratch: Ptr): void;
  matmulNT(a: Ptr, b: Ptr, y: Ptr, m: number, n: number, k: number, scratch: Ptr): void;
  denseForward(x: Ptr, w: Ptr, b: Ptr, y: Ptr, n: number, inSize: number, outSize: number, relu: number, scratch: Ptr): void;
  denseBackward(x: Ptr, w: Ptr, dy: Ptr, dx: Ptr, dw: Ptr, db: Ptr, n: number, inSize: number, outSize: number, scratch: Ptr): void;
  conv2dForward(x: Ptr, w: Ptr, b: Ptr, y: Ptr, relu: number, scratch: Ptr): void;
  conv2dBackwardInput(dy: Ptr, w: Ptr, dx: Ptr, scratch: Ptr): void;
  conv2dBackwardFilter(x: Ptr, dy: Ptr, dw: Ptr, db: Ptr, scratch: Ptr): void;
  maxPool2dForward(x: Ptr, y: Ptr, argmax: Ptr): void;
  maxPool2dBackward(dy: Ptr, argmax: Ptr, dx: Ptr): void;
  avgPool2dForward(x: Ptr, y: Ptr): void;
  avgPool2dBackward(dy: Ptr, dx: Ptr): void;
  globalAvgPoolForward(x: Ptr, y: Ptr, n: number, hw: number, c: number): void;
  globalAvgPoolBackward(dy: Ptr, dx: Ptr, n: number, hw: number, c: number): void;
  reluForward(x: Ptr, y: Ptr, n: number): void;
  reluBackward(y: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  /** op 0: y = a·b; op 1: y = a + b. */
  binary(a: Ptr, b: Ptr, y: Ptr, n: number, op: number): void;
  axpy(alpha: number, x: Ptr, y: Ptr, n: number): void;
  copyColumns(src: Ptr, srcCols: number, srcOffset: number, dst: Ptr, dstCols: number, dstOffset: number, rows: number, cols: number): void;
  activationForward(act: number, x: Ptr, y: Ptr, n: number, alpha: number): void;
  activationBackward(act: number, y: Ptr, dy: Ptr, dx: Ptr, n: number, alpha: number): void;
  batchNormStats(x: Ptr, mean: Ptr, variance: Ptr, rows: number, c: number, scratch: Ptr): void;
  batchNormForward(x: Ptr, mean: Ptr, variance: Ptr, gamma: Ptr, beta: Ptr, epsilon: number, y: Ptr, rows: number, c: number, relu: number, scratch: Ptr): void;
  batchNormBackward(
    x: Ptr, mean: Ptr, variance: Ptr, gamma: Ptr, epsilon: number, dy: Ptr, dx: Ptr, dgamma: Ptr, dbeta: Ptr,
    rows: number, c: number, batchStats: number, reluBeta: Ptr, scratch: Ptr,
  ): void;
  softmax(x: Ptr, y: Ptr, rows: number, cols: number): void;
  softmaxBackward(y: Ptr, dy: Ptr, dx: Ptr, rows: number, cols: number): void;
  softmaxCrossEntropy(logits: Ptr, targets: Ptr, probs: Ptr, dlogits: Ptr, rows: number, cols: number): number;
  adamStep(p: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, lr: number, beta1: number, beta2: number, epsilon: number, c1: number, c2: number, weightDecay: number): void;
  sgdStep(p: Ptr, g: Ptr, velocity: Ptr, n: number, lr: number, momentum: number, nesterov: number): void;
  rmspropStep(p: Ptr, g: Ptr, ms: Ptr, mom: Ptr, n: number, lr: number, rho: number, momentum: number, epsilon: number): void;
}

/** The module's activation codes (wasm/assembly/elementwise.ts), by name. */
export const ACTIVATION_CODES: Record<Activation, number> = { linear: 0, relu: 1, tanh: 2, sigmoid: 3, elu: 4, selu: 5, leakyRelu: 6 };

const KERNEL_NAMES = [
  'heapBase', 'setGeometry', 'matmulNN', 'matmulTN', 'matmulNT', 'denseForward', 'denseBackward', 'conv2dForward', 'conv2dBackwardInput',
  'conv2dBackwardFilter', 'maxPool2dForward', 'maxPool2dBackward', 'avgPool2dForward', 'avgPool2dBackward', 'globalAvgPoolForward',
  'globalAvgPoolBackward', 'reluForward', 'reluBackward', 'binary', 'axpy', 'copyColumns', 'activationForward', 'activationBackward',
  'batchNormStats', 'batchNormForward', 'batchNormBackward', 'softmax', 'softmaxBackward', 'softmaxCrossEntropy', 'adamStep', 'sgdStep',
  'rmspropStep',
] as const;

/** The instance's exports as WasmKernels; throws naming what is missing (a stale or foreign .wasm file). */
export function kernelsOf(instance: WebAssembly.Instance): WasmKernels {
  const e = instance.exports as Record<string, unknown>;
  const missing = KERNEL_NAMES.filter((k) => typeof e[k] !== 'function');
  if (!(e.memory instanceof WebAssembly.Memory)) missing.unshift('memory' as never);
  if (missing.length) throw new Error(`wasm backend: the module does not export ${missing.join(', ')} (rebuild it with \`npm run build\`)`);
  return e as unknown as WasmKernels;
}
