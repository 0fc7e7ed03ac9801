// Training and inference benchmark of the seed CNN on real MNIST, per backend, each in its own child
// process (so that peak RSS is per backend): native, reference, TensorFlow.js's `cpu` backend, and
// optionally the WebAssembly backend (as Node runs it; bench/browser.ts measures it in Chromium) and the
// PyTorch peer. Usage:
//   npm run bench -- [--backends native,reference,tfjs,wasm] [--batches N] [--runs R] [--threads T] [--json]
//                    [--peer torch] [--profile] [--gemm]
//   npm run bench -- --kernels [--threads T] [--reps R] [--json]   (kernel micro-benchmark, bench/kernels.ts)
// Timings: median of R timed runs of N batches of 128 after warm-up. The machine may be shared: run twice.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Tensor, adam, type Backend } from '../src/engine/index.js';
import { seedCnn } from '../src/train/zoo/index.js';
import { referenceBackend } from '../src/engine/backends/reference/index.js';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import { loadWasmBackend } from '../src/engine/backends/wasm/node.js';
import { embeddedMnistDir, loadMnist } from '../src/data/mnist.js';
import { kernelBench, printKernelBench } from './kernels.js';
import { profiled } from './profiled.js';

const BATCH = 128;
const TRAIN_FLOP_PER_IMAGE = 15.8e6; // seed CNN, forward + both gradients (issue 3)
const INFER_FLOP_PER_IMAGE = 5.26e6;

interface Result {
  backend: string;
  name: string;
  threads: number;
  trainImagesPerSec: number;
  trainGflops: number;
  inferBatch1Ms: number;
  inferImagesPerSec: number;
  peakRssMB: number;
  batches: number;
  runs: number;
  profile?: Record<string, number>;
  note?: string;
}

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? 'true' : v;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function data(count: number, offset = 0): { x: Float32Array; y: Float32Array; labels: Uint8Array } {
  const m = loadMnist();
  const set = m.train;
  const x = new Float32Array(count * 784);
  const y = new Float32Array(count * 10);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const src = (offset + i) % set.count;
    for (let p = 0; p < 784; p++) x[i * 784 + p] = set.images[src * 784 + p] / 255;
    y[i * 10 + set.labels[src]] = 1;
    labels[i] = set.labels[src];
  }
  return { x, y, labels };
}

function benchEngine(which: 'native' | 'reference' | 'wasm', batches: number, runs: number, threads?: number): Result {
  let backend: Backend;
  let threadCount = 1;
  if (which === 'native') {
    const r = loadNativeBackend({ threads });
    if ('error' in r) throw new Error(`native backend not available: ${r.error}`);
    backend = r.backend;
    threadCount = r.binding.info().threads;
  } else if (which === 'wasm') {
    const r = loadWasmBackend();
    if ('error' in r) throw new Error(`wasm backend not available: ${r.error}`);
    backend = r.backend;
  } else backend = referenceBackend();
  const prof: Record<string, number> = {};
  const doProfile = flag('profile');
  const used = doProfile ? profiled(backend, prof) : backend;
  const warm = Math.min(3, batches);
  const total = warm + batches * runs;
  const d = data(Math.min(total, 400) * BATCH);
  const nb = d.x.length / 784 / BATCH;
  const model = seedCnn({ seed: 1 });
  model.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'], backend: used });
  const batch = (i: number) => {
    const j = i % nb;
    return [new Tensor(d.x.subarray(j * BATCH * 784, (j + 1) * BATCH * 784), [BATCH, 28, 28, 1]), new Tensor(d.y.subarray(j * BATCH * 10, (j + 1) * BATCH * 10), [BATCH, 10])];
  };
  let k = 0;
  for (let i = 0; i < warm; i++) model.trainStep(...(batch(k++) as [Tensor, Tensor]));
  for (const key of Object.keys(prof)) delete prof[key];
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < batches; i++) model.trainStep(...(batch(k++) as [Tensor, Tensor]));
    rates.push((batches * BATCH) / ((performance.now() - t) / 1000));
  }
  const trainImagesPerSec = median(rates);
  const trainProfile = { ...prof };
  // Inference, batch 1.
  const one = new Tensor(d.x.slice(0, 784), [1, 28, 28, 1]);
  const reps = which === 'native' ? 300 : 30;
  for (let i = 0; i < 5; i++) model.predict(one);
  const lat: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    model.predict(one);
    lat.push(performance.now() - t);
  }
  // Inference, batch 1000.
  const n1000 = Math.min(1000, d.x.length / 784);
  const big = new Tensor(d.x.subarray(0, n1000 * 784), [n1000, 28, 28, 1]);
  const inf: number[] = [];
  model.predict(big, { batchSize: 1000 });
  for (let i = 0; i < (which === 'native' ? 5 : 2); i++) {
    const t = performance.now();
    model.predict(big, { batchSize: 1000 });
    inf.push(n1000 / ((performance.now() - t) / 1000));
  }
  const res: Result = {
    backend: which,
    name: backend.name,
    threads: threadCount,
    trainImagesPerSec: round(trainImagesPerSec),
    trainGflops: round((trainImagesPerSec * TRAIN_FLOP_PER_IMAGE) / 1e9, 2),
    inferBatch1Ms: round(median(lat), 3),
    inferImagesPerSec: round(median(inf)),
    peakRssMB: round(process.resourceUsage().maxRSS / 1024),
    batches,
    runs,
  };
  if (doProfile) {
    const steps = batches * runs;
    res.profile = Object.fromEntries(Object.entries(trainProfile).sort((a, b) => b[1] - a[1]).map(([k2, v]) => [k2, round(v / steps, 3)]));
  }
  return res;
}

async function benchTfjs(batches: number): Promise<Result> {
  const warn = console.warn, log = console.log;
  console.warn = () => {};
  console.log = () => {};
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  console.warn = warn;
  console.log = log;
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const d = data((batches + 1) * BATCH);
  const xs = tf.tensor4d(d.x, [d.x.length / 784, 28, 28, 1]);
  const ys = tf.tensor2d(d.y, [d.y.length / 10, 10]);
  const b = (i: number) => [xs.slice(i * BATCH, BATCH), ys.slice(i * BATCH, BATCH)];
  const [wx, wy] = b(0);
  await model.trainOnBatch(wx, wy);
  const rates: number[] = [];
  for (let i = 1; i <= batches; i++) {
    const [bx, by] = b(i);
    const t = performance.now();
    await model.trainOnBatch(bx, by);
    rates.push(BATCH / ((performance.now() - t) / 1000));
    tf.dispose([bx, by]);
  }
  const one = xs.slice(0, 1);
  const lat: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const p = model.predict(one) as import('@tensorflow/tfjs').Tensor;
    p.dataSync();
    lat.push(performance.now() - t);
    p.dispose();
  }
  const n = Math.min(500, d.x.length / 784);
  const big = xs.slice(0, n);
  const t = performance.now();
  const p = model.predict(big, { batchSize: n }) as import('@tensorflow/tfjs').Tensor;
  p.dataSync();
  const inferRate = n / ((performance.now() - t) / 1000);
  const tr = median(rates);
  return {
    backend: 'tfjs',
    name: `tfjs ${tf.version_core} (cpu)`,
    threads: 1,
    trainImagesPerSec: round(tr),
    trainGflops: round((tr * TRAIN_FLOP_PER_IMAGE) / 1e9, 2),
    inferBatch1Ms: round(median(lat.slice(5)), 3),
    inferImagesPerSec: round(inferRate),
    peakRssMB: round(process.resourceUsage().maxRSS / 1024),
    batches,
    runs: 1,
    note: `median of ${batches} single-batch timings; batch-${n} inference`,
  };
}

function benchTorch(threads: number): Result | { backend: string; error: string } {
  // The first python3 that imports torch (a pyenv shim on PATH may hide Debian's python3-torch).
  const python = [process.env.DIGITNET_PYTHON, 'python3', '/usr/bin/python3'].find(
    (py) => py && spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0,
  );
  if (!python) return { backend: 'pytorch', error: 'python3 -c "import torch" failed; install python3-torch' };
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const script = process.env.DIGITNET_TORCH_PEER ?? '/work/shared/peers/torch_seed_cnn.py';
  const limit = arg('torch-limit', '12800')!;
  const r = spawnSync(python, [script, embeddedMnistDir(), '--threads', String(threads), '--limit', limit], { env, encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return { backend: 'pytorch', error: `peer failed: ${r.stderr.trim().split('\n').pop()}` };
  const j = JSON.parse(line) as Record<string, number | string>;
  const tr = Number(j.train_samples_per_s);
  return {
    backend: 'pytorch',
    name: String(j.peer),
    threads: Number(j.threads),
    trainImagesPerSec: tr,
    trainGflops: round((tr * TRAIN_FLOP_PER_IMAGE) / 1e9, 2),
    inferBatch1Ms: NaN,
    inferImagesPerSec: Number(j.infer_samples_per_s),
    peakRssMB: NaN,
    batches: Math.ceil(Number(j.train_samples) / BATCH),
    runs: 1,
    note: `one epoch over ${j.train_samples} images, inference at batch 1000`,
  };
}

function gemmBench(threads?: number): Record<string, number> {
  const r = loadNativeBackend({ threads });
  if ('error' in r) return {};
  const out: Record<string, number> = {};
  for (const [m, n, k] of [[15488, 64, 288], [288, 64, 15488], [15488, 288, 64], [128, 128, 1600], [512, 512, 512], [1024, 1024, 1024]]) {
    const a = new Float32Array(m * k).map(() => Math.random()), b = new Float32Array(k * n).map(() => Math.random()), y = new Float32Array(m * n);
    const ta = m === 288; // the filter-gradient shape: colᵀ·dy
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      r.binding.matmul(a, b, y, m, n, k, ta, false);
      times.push(performance.now() - t);
    }
    out[`${m}x${n}x${k}${ta ? 'T' : ''}`] = round((2 * m * n * k) / (median(times.slice(2)) / 1000) / 1e9, 1);
  }
  return out;
}

function round(x: number, d = 1): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

async function worker(which: string): Promise<void> {
  const batches = Number(arg('batches', which === 'native' ? '40' : which === 'wasm' ? '12' : '4'));
  const runs = Number(arg('runs', which === 'native' ? '5' : '3'));
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  let res: unknown;
  if (which === 'tfjs') res = await benchTfjs(Math.max(4, Math.min(batches, 8)));
  else if (which === 'gemm') res = { backend: 'gemm', gflops: gemmBench(threads) };
  else res = benchEngine(which as 'native' | 'reference' | 'wasm', batches, runs, threads);
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

async function main(): Promise<void> {
  const w = arg('worker');
  if (w) return worker(w);
  const json = flag('json');
  if (flag('kernels')) {
    const k = kernelBench(arg('threads') ? Number(arg('threads')) : undefined, Number(arg('reps', '20')));
    return json ? void process.stdout.write(`${JSON.stringify(k)}\n`) : printKernelBench(k);
  }
  const backends = (arg('backends', 'native,reference,tfjs') ?? '').split(',').filter(Boolean);
  const threads = arg('threads');
  const self = fileURLToPath(import.meta.url);
  const passThrough = ['batches', 'runs', 'threads', 'profile'].flatMap((k) => {
    const v = arg(k);
    return v === undefined ? [] : v === 'true' ? [`--${k}`] : [`--${k}`, v];
  });
  const results: (Result | { backend: string; error: string })[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, DIGITNET_QUIET: '1' };
  if (threads) env.DIGITNET_THREADS = threads;
  const jobs = [...backends];
  if (flag('gemm')) jobs.push('gemm');
  for (const b of jobs) {
    if (!json) process.stderr.write(`bench: ${b}…\n`);
    const r = spawnSync(process.execPath, [self, '--worker', b, ...passThrough], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      results.push({ backend: b, error: (r.stderr.trim().split('\n').filter((l) => l.includes('Error')).pop() ?? `exit ${r.status}`).trim() });
    } else results.push(JSON.parse(line));
  }
  if (arg('peer') === 'torch') {
    if (!json) process.stderr.write('bench: pytorch peer…\n');
    results.push(benchTorch(threads ? Number(threads) : 2));
  }
  if (json) {
    for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const ok = results.filter((r): r is Result => !('error' in r) && r.backend !== 'gemm');
  const ref = ok.find((r) => r.backend === 'reference');
  const torch = ok.find((r) => r.backend === 'pytorch');
  const pad = (s: string, n: number) => s.padStart(n);
  console.log(`seed CNN on MNIST, batch ${BATCH}, ${process.arch}, node ${process.version}`);
  console.log(`${'backend'.padEnd(34)}${pad('train img/s', 12)}${pad('GFLOP/s', 9)}${pad('infer b1 ms', 12)}${pad('infer img/s', 12)}${pad('peak RSS MB', 12)}${pad('× ref', 8)}${pad('× torch', 9)}`);
  for (const r of ok) {
    const x = (b?: Result) => (b ? (r.trainImagesPerSec / b.trainImagesPerSec).toFixed(2) : '-');
    console.log(
      `${r.name.padEnd(34)}${pad(String(r.trainImagesPerSec), 12)}${pad(String(r.trainGflops), 9)}${pad(Number.isNaN(r.inferBatch1Ms) ? '-' : String(r.inferBatch1Ms), 12)}` +
        `${pad(String(r.inferImagesPerSec), 12)}${pad(Number.isNaN(r.peakRssMB) ? '-' : String(r.peakRssMB), 12)}${pad(x(ref), 8)}${pad(x(torch), 9)}`,
    );
    if (r.profile) console.log(`  per-step kernel ms: ${Object.entries(r.profile).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  for (const r of results) if ('error' in r) console.log(`${r.backend}: not measured — ${r.error}`);
  const g = results.find((r) => r.backend === 'gemm') as { gflops?: Record<string, number> } | undefined;
  if (g?.gflops) console.log(`native GEMM GFLOP/s (m x n x k): ${Object.entries(g.gflops).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const nat = ok.find((r) => r.backend === 'native');
  if (nat && torch) console.log(`native / pytorch training: ${(nat.trainImagesPerSec / torch.trainImagesPerSec).toFixed(2)}x`);
  void join;
}

await main();
