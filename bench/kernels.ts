// Kernel micro-benchmark (`npm run bench -- --kernels [--threads T] [--reps R] [--json]`): the native
// backend's batch normalization, residual add, ReLU and global average pooling at the layer shapes of
// resnet20 and vgg (batch 128, 28×28 inputs), each next to the convolution (forward + both gradients) of
// the same layer, so that their share of a training step is visible. Times are medians of R timed calls
// after warm-up, in milliseconds.

import { convGeometry } from '../src/engine/geometry.js';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import type { Backend } from '../src/engine/backend.js';

const BATCH = 128;

interface Layer {
  /** Which model has it, and where. */
  name: string;
  /** Spatial size and channels of the activations (a 3×3 'same' convolution c → c produces them). */
  hw: number;
  c: number;
}

const LAYERS: Layer[] = [
  { name: 'resnet20 stage 1', hw: 28, c: 16 },
  { name: 'resnet20 stage 2', hw: 14, c: 32 },
  { name: 'resnet20 stage 3', hw: 7, c: 64 },
  { name: 'vgg block 1', hw: 28, c: 32 },
  { name: 'vgg block 2', hw: 14, c: 64 },
];

export interface KernelRow {
  layer: string;
  shape: string;
  /** Milliseconds per call (median). */
  conv: number;
  bnForward: number;
  bnBackward: number;
  add: number;
  relu: number;
  /** (bnForward + bnBackward + add) / conv. */
  share: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median milliseconds of f over `reps` timed calls, after two untimed ones. */
function time(reps: number, f: () => void): number {
  f();
  f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    f();
    t.push(performance.now() - s);
  }
  return median(t);
}

const filled = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));

function layerRow(be: Backend, l: Layer, reps: number): KernelRow {
  const rows = BATCH * l.hw * l.hw, size = rows * l.c;
  const g = convGeometry('bench', [BATCH, l.hw, l.hw, l.c], [3, 3], [1, 1], 'same', l.c);
  const x = filled(size, 1), dy = filled(size, 2), y = new Float32Array(size), dx = new Float32Array(size);
  const w = filled(9 * l.c * l.c, 3), b = new Float32Array(l.c), dw = new Float32Array(w.length), db = new Float32Array(l.c);
  const mean = new Float32Array(l.c), variance = new Float32Array(l.c), gamma = filled(l.c, 4), beta = filled(l.c, 5);
  const dgamma = new Float32Array(l.c), dbeta = new Float32Array(l.c);
  const conv = time(Math.max(3, reps >> 2), () => {
    be.conv2dForward(x, w, b, y, g, 'linear');
    be.conv2dBackwardInput(dy, w, dx, g);
    be.conv2dBackwardFilter(x, dy, dw, db, g);
  });
  // Training-mode forward: this batch's statistics, then the normalization.
  const bnForward = time(reps, () => {
    be.batchNormStats(x, mean, variance, rows, l.c);
    be.batchNormForward(x, mean, variance, gamma, beta, 1e-3, y, rows, l.c);
  });
  const bnBackward = time(reps, () => be.batchNormBackward(x, mean, variance, gamma, 1e-3, dy, dx, dgamma, dbeta, rows, l.c, true));
  const add = time(reps, () => be.add(x, dy, y));
  const relu = time(reps, () => {
    be.activationForward('relu', x, y, 0);
    be.activationBackward('relu', y, dy, dx, 0);
  });
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    layer: l.name,
    shape: `${BATCH}x${l.hw}x${l.hw}x${l.c}`,
    conv: round(conv),
    bnForward: round(bnForward),
    bnBackward: round(bnBackward),
    add: round(add),
    relu: round(relu),
    share: round((bnForward + bnBackward + add) / conv),
  };
}

export interface KernelBench {
  backend: string;
  rows: KernelRow[];
  /** Global average pooling over 128×7×7×64, forward and backward, milliseconds. */
  globalAvgPool: { forward: number; backward: number };
}

export function kernelBench(threads: number | undefined, reps: number): KernelBench {
  const r = loadNativeBackend({ threads });
  if ('error' in r) throw new Error(`native backend not available: ${r.error}`);
  const be = r.backend;
  const rows = LAYERS.map((l) => layerRow(be, l, reps));
  const x = filled(BATCH * 49 * 64, 6), y = new Float32Array(BATCH * 64), dx = new Float32Array(x.length);
  const forward = time(reps, () => be.globalAvgPoolForward(x, y, BATCH, 49, 64));
  const backward = time(reps, () => be.globalAvgPoolBackward(y, dx, BATCH, 49, 64));
  return { backend: be.name, rows, globalAvgPool: { forward: Math.round(forward * 1000) / 1000, backward: Math.round(backward * 1000) / 1000 } };
}

export function printKernelBench(k: KernelBench): void {
  console.log(`kernel times, ms per call (median), ${k.backend}, batch ${BATCH}`);
  const cols = ['conv f+b', 'BN fwd', 'BN bwd', 'add', 'relu f+b', '(BN+add)/conv'];
  console.log(`${'layer'.padEnd(18)}${'activations'.padEnd(16)}${cols.map((c) => c.padStart(14)).join('')}`);
  for (const r of k.rows) {
    const v = [r.conv, r.bnForward, r.bnBackward, r.add, r.relu].map((n) => n.toFixed(3));
    v.push(`${(r.share * 100).toFixed(1)}%`);
    console.log(`${r.layer.padEnd(18)}${r.shape.padEnd(16)}${v.map((s) => s.padStart(14)).join('')}`);
  }
  console.log(`global average pooling 128x7x7x64: forward ${k.globalAvgPool.forward.toFixed(3)} ms, backward ${k.globalAvgPool.backward.toFixed(3)} ms`);
  console.log('BN fwd: batchNormStats + batchNormForward (training); BN bwd: batchNormBackward with batch statistics, all outputs;');
  console.log('conv f+b: conv2dForward + conv2dBackwardInput + conv2dBackwardFilter, 3x3 same, c → c.');
}
