// Training and inference speed of digitnet's own backends (native, reference) on real MNIST batches:
// median of R timed runs of B training steps after warm-up, batch-1 latency (median of many single
// predictions) and batched throughput. FLOPs are counted from the shapes the kernels receive (a direct
// convolution's, whatever algorithm the backend runs), so the GFLOP/s figure holds for any architecture;
// --profile times each kernel and reports its share of a step.

import { adam, Tensor, type Backend } from '../src/engine/index.js';
import type { ConvGeometry } from '../src/engine/geometry.js';
import { referenceBackend } from '../src/engine/backends/reference/index.js';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import { loadWasmBackend } from '../src/engine/backends/wasm/node.js';
import { loadMnist } from '../src/data/mnist.js';
import { buildArch } from './archs.js';
import { median, round, type Row } from './result.js';

export const BATCH = 128;

export interface EngineOptions {
  arch: string;
  batches: number;
  runs: number;
  threads?: number;
  isa?: 'auto' | 'avx512' | 'avx2' | 'generic';
  profile: boolean;
}

/** MNIST training images as [count, 28, 28, 1] pixels / 255 and one-hot labels, cycling through the set. */
export function mnistBatches(count: number): { x: Float32Array; y: Float32Array } {
  const set = loadMnist().train;
  const x = new Float32Array(count * 784);
  const y = new Float32Array(count * 10);
  for (let i = 0; i < count; i++) {
    const src = i % set.count;
    for (let p = 0; p < 784; p++) x[i * 784 + p] = set.images[src * 784 + p] / 255;
    y[i * 10 + set.labels[src]] = 1;
  }
  return { x, y };
}

const convFlops = (g: ConvGeometry) => 2 * g.n * g.oh * g.ow * g.kh * g.kw * g.c * g.oc;

/** Where each convolution kernel takes its geometry among its arguments. */
const CONV_GEOMETRY_ARG: Record<string, number> = {
  conv2dForward: 4,
  conv2dMaxPoolForward: 5,
  conv2dBackwardInput: 3,
  conv2dBackwardFilterPooled: 5,
  conv2dBackwardFilter: 4,
};

function convGeometryOf(kernel: string, args: unknown[]): ConvGeometry | null {
  const i = CONV_GEOMETRY_ARG[kernel];
  return i === undefined ? null : (args[i] as ConvGeometry);
}

/** A convolution call's profile key: kernel, input (h x w x c) -> filters, window and stride. */
function convKey(kernel: string, g: ConvGeometry): string {
  const stride = g.strideH === g.strideW ? `${g.strideH}` : `${g.strideH}x${g.strideW}`;
  return `${kernel} ${g.h}x${g.w}x${g.c}->${g.oc} ${g.kh}x${g.kw}/${stride}`;
}

/** Multiply-add FLOPs of one kernel call, from its arguments (0 for kernels that do no GEMM-like work). */
function kernelFlops(kernel: string, args: unknown[]): number {
  const n = (i: number) => args[i] as number;
  const g = convGeometryOf(kernel, args);
  if (g) return convFlops(g);
  switch (kernel) {
    case 'matmul':
      return 2 * n(3) * n(4) * n(5);
    case 'denseForward':
      return 2 * n(4) * n(5) * n(6);
    case 'denseBackward':
      return 2 * n(6) * n(7) * n(8) * (args[3] ? 2 : 1);
    default:
      return 0;
  }
}

/**
 * Wraps a backend so that each kernel's FLOPs are summed, and while `on.time` its time too: by kernel in
 * `ms`, and for convolutions by kernel and shape in `byShape` (which layers of a model take the step).
 */
function instrumented(b: Backend, ms: Record<string, number>, byShape: Record<string, number>, flops: { total: number }, on: { time: boolean }): Backend {
  const out: Record<string, unknown> = { name: b.name };
  for (const k of Object.keys(b) as (keyof Backend)[]) {
    const f = b[k];
    if (typeof f !== 'function') continue;
    out[k] = (...args: unknown[]) => {
      flops.total += kernelFlops(k, args);
      if (!on.time) return (f as (...a: unknown[]) => unknown).apply(b, args);
      const t = performance.now();
      const r = (f as (...a: unknown[]) => unknown).apply(b, args);
      const dt = performance.now() - t;
      ms[k] = (ms[k] ?? 0) + dt;
      const g = convGeometryOf(k, args);
      if (g) {
        const key = convKey(k, g);
        byShape[key] = (byShape[key] ?? 0) + dt;
      }
      return r;
    };
  }
  return out as unknown as Backend;
}

function pickBackend(which: EngineKind, o: EngineOptions): { backend: Backend; threads: number } {
  if (which === 'reference') return { backend: referenceBackend(), threads: 1 };
  if (which === 'wasm') {
    // The WebAssembly backend as Node runs it (one thread); bench/browser.ts measures it in Chromium.
    const w = loadWasmBackend();
    if ('error' in w) throw new Error(`wasm backend not available: ${w.error}`);
    return { backend: w.backend, threads: 1 };
  }
  const r = loadNativeBackend({ threads: o.threads, isa: o.isa });
  if ('error' in r) throw new Error(`native backend not available: ${r.error}`);
  return { backend: r.backend, threads: r.binding.info().threads };
}

export type EngineKind = 'native' | 'reference' | 'wasm';

export function benchEngine(which: EngineKind, o: EngineOptions): Row {
  const { backend, threads } = pickBackend(which, o);
  const ms: Record<string, number> = {};
  const byShape: Record<string, number> = {};
  const flops = { total: 0 };
  const timing = { time: false };
  const model = buildArch(o.arch, 1);
  model.compile({
    optimizer: adam({ learningRate: 1e-3 }),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
    backend: instrumented(backend, ms, byShape, flops, timing),
  });
  const warm = Math.min(3, o.batches);
  const nb = Math.min(warm + o.batches * o.runs, 400);
  const d = mnistBatches(nb * BATCH);
  const batch = (i: number): [Tensor, Tensor] => {
    const j = i % nb;
    return [
      new Tensor(d.x.subarray(j * BATCH * 784, (j + 1) * BATCH * 784), [BATCH, 28, 28, 1]),
      new Tensor(d.y.subarray(j * BATCH * 10, (j + 1) * BATCH * 10), [BATCH, 10]),
    ];
  };
  let k = 0;
  for (let i = 0; i < warm; i++) model.trainStep(...batch(k++));
  flops.total = 0;
  model.trainStep(...batch(k++));
  const trainFlopsPerImage = flops.total / BATCH;
  timing.time = o.profile;
  const rates: number[] = [];
  let stepMs = 0;
  for (let r = 0; r < o.runs; r++) {
    const t = performance.now();
    for (let i = 0; i < o.batches; i++) model.trainStep(...batch(k++));
    const dt = performance.now() - t;
    stepMs += dt;
    rates.push((o.batches * BATCH) / (dt / 1000));
  }
  timing.time = false;
  const trainImagesPerSec = median(rates);
  const infer = inference(model, d.x, which === 'native');
  const row: Row = {
    backend: which,
    arch: o.arch,
    name: backend.name,
    threads,
    trainImagesPerSec: round(trainImagesPerSec),
    trainGflops: trainFlopsPerImage > 0 ? round((trainImagesPerSec * trainFlopsPerImage) / 1e9, 1) : null,
    inferBatch1Ms: infer.batch1Ms,
    inferImagesPerSec: infer.imagesPerSec,
    peakRssMB: round(process.resourceUsage().maxRSS / 1024),
    note: `median of ${o.runs} runs of ${o.batches} steps of ${BATCH}; ${round(trainFlopsPerImage / 1e6, 2)} MFLOP per training image`,
  };
  if (o.profile) {
    const steps = o.batches * o.runs;
    row.profile = profileShares(ms, stepMs / steps, steps);
    row.convProfile = Object.fromEntries(perStep(byShape, steps).map(([k, v]) => [k, round(v, 3)]));
  }
  return row;
}

/** Summed milliseconds as milliseconds per step, largest first. */
function perStep(ms: Record<string, number>, steps: number): [string, number][] {
  return Object.entries(ms).map(([k, v]) => [k, v / steps] as [string, number]).sort((a, b) => b[1] - a[1]);
}

/** Per-kernel ms per step, with the rest of the step (JavaScript: layers, loss, bookkeeping) as 'other'. */
function profileShares(ms: Record<string, number>, stepMs: number, steps: number): Record<string, number> {
  const per = perStep(ms, steps);
  const kernels = per.reduce((s, [, v]) => s + v, 0);
  const out: Record<string, number> = Object.fromEntries(per.map(([k, v]) => [k, round(v, 3)]));
  out.other = round(Math.max(0, stepMs - kernels), 3);
  return out;
}

/** Batch-1 latency (median of single predictions) and throughput at batch 1,000. */
function inference(model: ReturnType<typeof buildArch>, x: Float32Array, fast: boolean): { batch1Ms: number; imagesPerSec: number } {
  const one = new Tensor(x.slice(0, 784), [1, 28, 28, 1]);
  const reps = fast ? 300 : 30;
  for (let i = 0; i < 20; i++) model.predict(one);
  const lat: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    model.predict(one);
    lat.push(performance.now() - t);
  }
  const n = Math.min(1000, x.length / 784);
  const big = new Tensor(x.subarray(0, n * 784), [n, 28, 28, 1]);
  model.predict(big, { batchSize: n });
  const rates: number[] = [];
  for (let i = 0; i < (fast ? 7 : 2); i++) {
    const t = performance.now();
    model.predict(big, { batchSize: n });
    rates.push(n / ((performance.now() - t) / 1000));
  }
  return { batch1Ms: round(median(lat), 4), imagesPerSec: round(median(rates)) };
}
