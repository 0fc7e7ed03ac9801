// What augmentation costs: the kernel alone per batch (native across the pool, native on one libuv thread,
// the TypeScript definition), and fit's images/s on real MNIST without augmentation, with it done before each
// step, and with it overlapped with the previous step (prepared on a libuv thread while the pool trains).
// The three fit variants run in turn, R rounds, medians quoted, so that a busy machine slows them alike.
//
//   node dist/bench/augment.js [--arch seed|vgg] [--batch-size B] [--batches N] [--runs R] [--augment SPEC] [--json]

import { loadMnist } from '../src/data/mnist.js';
import { augmentBatchReference } from '../src/data/augment/reference.js';
import { parseAugment } from '../src/data/augment/spec.js';
import { imagesTensor, oneHotTensor } from '../src/data/tensors.js';
import { loadNativeBinding } from '../src/engine/backends/native/index.js';
import { adam } from '../src/engine/index.js';
import { makeAugmenter } from '../src/train/augmenter.js';
import { zooModel } from '../src/train/zoo/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}

const arch = arg('arch', 'seed');
const bs = Number(arg('batch-size', arch === 'seed' ? '64' : '128'));
const batches = Number(arg('batches', arch === 'seed' ? '150' : '20'));
const runs = Number(arg('runs', '5'));
const spec = parseAugment(arg('augment', 'rotate=10,zoom=0.1,shift=2,shear=10'));
const json = process.argv.includes('--json');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const loaded = loadNativeBinding();
if ('error' in loaded) throw new Error(`the native addon is needed: ${loaded.error}`);
const nb = loaded.binding;
const mnist = loadMnist();
const n = bs * batches;
const x = imagesTensor(mnist.train, n);
const y = oneHotTensor(mnist.train, n);

/** Milliseconds per batch of `bs` images for each kernel (median of runs). */
async function kernels(): Promise<Record<string, number>> {
  const src = x.data.subarray(0, bs * 784);
  const dst = new Float32Array(src.length);
  const time = async (f: (seed: number) => unknown, reps: number): Promise<number> => {
    const t: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) await f(i);
      t.push((performance.now() - t0) / reps);
    }
    return median(t);
  };
  return {
    nativePoolMs: await time((s) => nb.augmentBatch(src, dst, bs, 28, 28, spec, s), 50),
    nativeOneThreadMs: await time((s) => nb.augmentBatchAsync(src, dst, bs, 28, 28, spec, s), 50),
    referenceMs: await time((s) => augmentBatchReference(src, dst, bs, 28, 28, spec, s), 5),
  };
}

/** Training images/s over `batches` batches of one epoch: mode none, sync or overlap. */
async function fitRate(mode: 'none' | 'sync' | 'overlap'): Promise<number> {
  const model = zooModel(arch, { seed: 1 });
  model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy' });
  const augment = mode === 'none' ? undefined : makeAugmenter(spec, 28, 28, 'native');
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize: bs, augment, overlapAugment: mode === 'overlap' });
  return n / ((performance.now() - t0) / 1000);
}

const k = await kernels();
const rates: Record<string, number[]> = { none: [], sync: [], overlap: [] };
await fitRate('none'); // warm-up
for (let r = 0; r < runs; r++) for (const m of ['none', 'sync', 'overlap'] as const) rates[m].push(await fitRate(m));
const med = Object.fromEntries(Object.entries(rates).map(([m, v]) => [m, median(v)]));
const stepMs = (bs / med.none) * 1000;
const out = {
  arch, batchSize: bs, batches, runs, augment: arg('augment', 'rotate=10,zoom=0.1,shift=2,shear=10'), threads: nb.info().threads, ...k,
  stepMs, fitImagesPerSecond: med, costSync: 1 - med.sync / med.none, costOverlap: 1 - med.overlap / med.none,
};
if (json) {
  console.log(JSON.stringify(out));
} else {
  const f = (v: number): string => v.toFixed(2);
  console.log(`${arch}, batches of ${bs}, ${out.threads} threads, augment ${out.augment}; medians of ${runs}`);
  console.log(`kernel per batch: native across the pool ${f(k.nativePoolMs)} ms, native on one libuv thread ${f(k.nativeOneThreadMs)} ms, TypeScript definition ${f(k.referenceMs)} ms; a training step ${f(stepMs)} ms`);
  console.log(`fit images/s: none ${Math.round(med.none)}, augmented before each step ${Math.round(med.sync)} (${(out.costSync * 100).toFixed(1)}% slower), overlapped ${Math.round(med.overlap)} (${(out.costOverlap * 100).toFixed(1)}% slower)`);
}
