// Kernel micro-benchmark (`npm run bench -- --kernels [--threads T] [--reps R] [--json]`): the native
// backend's batch normalization, residual add, ReLU and global average pooling at the layer shapes of
// resnet20 and vgg (batch 128, 28×28 inputs), each next to the convolution (forward + both gradients) of
// the same layer, so that their share of a training step is visible, and a resnet20 step summed from its
// kernels (its 20 convolutions at their shapes, 21 BN, 9 adds, 19 ReLUs, the global pooling). Times are
// medians of R timed calls after warm-up (3 for convolutions), in milliseconds.

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
    be.batchNormForward(x, mean, variance, gamma, beta, 1e-3, y, rows, l.c, false);
  });
  const bnBackward = time(reps, () => be.batchNormBackward(x, mean, variance, gamma, 1e-3, dy, dx, dgamma, dbeta, rows, l.c, true, null));
  const add = time(reps, () => be.add(x, dy, y, false));
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

/** One resnet20 layer shape and how many times a training step runs it. */
interface ConvUse {
  x: [number, number, number, number];
  k: number;
  stride: number;
  oc: number;
  times: number;
}

/** resnet20 on 28×28×1 (../shared peers' definition): its convolutions, and per stage 7 BN, 3 adds, 7/6/6 ReLUs. */
const RESNET20_CONVS: ConvUse[] = [
  { x: [BATCH, 28, 28, 1], k: 3, stride: 1, oc: 16, times: 1 },
  { x: [BATCH, 28, 28, 16], k: 3, stride: 1, oc: 16, times: 6 },
  { x: [BATCH, 28, 28, 16], k: 3, stride: 2, oc: 32, times: 1 },
  { x: [BATCH, 28, 28, 16], k: 1, stride: 2, oc: 32, times: 1 },
  { x: [BATCH, 14, 14, 32], k: 3, stride: 1, oc: 32, times: 5 },
  { x: [BATCH, 14, 14, 32], k: 3, stride: 2, oc: 64, times: 1 },
  { x: [BATCH, 14, 14, 32], k: 1, stride: 2, oc: 64, times: 1 },
  { x: [BATCH, 7, 7, 64], k: 3, stride: 1, oc: 64, times: 5 },
];
const RESNET20_STAGES = [
  { row: 0, bn: 7, add: 3, relu: 7 },
  { row: 1, bn: 7, add: 3, relu: 6 },
  { row: 2, bn: 7, add: 3, relu: 6 },
];

/** A resnet20 training step's time, summed from its kernels (the dense layer, loss and optimizer left out: < 1%). */
export interface StepEstimate {
  convMs: number;
  bnMs: number;
  addMs: number;
  reluMs: number;
  poolMs: number;
  /** (bn + add) / (conv + bn + add + relu + pool). */
  share: number;
}

function resnet20Step(be: Backend, rows: KernelRow[], gap: { forward: number; backward: number }): StepEstimate {
  let convMs = 0;
  for (const u of RESNET20_CONVS) {
    const g = convGeometry('bench', u.x, [u.k, u.k], [u.stride, u.stride], 'same', u.oc);
    const x = filled(u.x.reduce((a, b) => a * b, 1), 7), w = filled(u.k * u.k * u.x[3] * u.oc, 8), b = new Float32Array(u.oc);
    const y = new Float32Array(g.n * g.oh * g.ow * g.oc), dx = new Float32Array(x.length), dw = new Float32Array(w.length), db = new Float32Array(u.oc);
    convMs += u.times * time(3, () => {
      be.conv2dForward(x, w, b, y, g, 'linear');
      be.conv2dBackwardInput(y, w, dx, g);
      be.conv2dBackwardFilter(x, y, dw, db, g);
    });
  }
  let bnMs = 0, addMs = 0, reluMs = 0;
  for (const s of RESNET20_STAGES) {
    const r = rows[s.row];
    bnMs += s.bn * (r.bnForward + r.bnBackward);
    addMs += s.add * r.add;
    reluMs += s.relu * r.relu;
  }
  const poolMs = gap.forward + gap.backward;
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    convMs: round(convMs), bnMs: round(bnMs), addMs: round(addMs), reluMs: round(reluMs), poolMs: round(poolMs),
    share: Math.round(((bnMs + addMs) / (convMs + bnMs + addMs + reluMs + poolMs)) * 1000) / 1000,
  };
}

export interface KernelBench {
  backend: string;
  rows: KernelRow[];
  resnet20Step: StepEstimate;
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
  const globalAvgPool = { forward: Math.round(forward * 1000) / 1000, backward: Math.round(backward * 1000) / 1000 };
  return { backend: be.name, rows, resnet20Step: resnet20Step(be, rows, globalAvgPool), globalAvgPool };
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
  const e = k.resnet20Step;
  const step = e.convMs + e.bnMs + e.addMs + e.reluMs + e.poolMs;
  console.log(
    `resnet20 step from its kernels: ${step.toFixed(1)} ms = conv ${e.convMs} + BN ${e.bnMs} + add ${e.addMs} + ReLU ${e.reluMs} + pooling ${e.poolMs}; ` +
      `BN and adds ${(e.share * 100).toFixed(1)}% of it`,
  );
  console.log('BN fwd: batchNormStats + batchNormForward (training); BN bwd: batchNormBackward with batch statistics, all outputs;');
  console.log('conv f+b: conv2dForward + conv2dBackwardInput + conv2dBackwardFilter, 3x3 same, c → c.');
}
