// TensorFlow.js's own `cpu` backend (pure JavaScript) on the seed CNN, for comparison. Larger zoo models
// would take hours per batch on it, so other architectures get an error row.

import { BATCH, mnistBatches } from './engine-bench.js';
import { median, round, type AnyRow } from './result.js';

export async function benchTfjs(arch: string, batches: number): Promise<AnyRow> {
  if (arch !== 'seed') return { backend: 'tfjs', arch, error: `the tfjs cpu backend is measured on the seed CNN only (hours per batch for ${arch})` };
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
  const d = mnistBatches((batches + 1) * BATCH);
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
  for (let i = 0; i < 25; i++) {
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
  return {
    backend: 'tfjs',
    arch,
    name: `tfjs ${tf.version_core} (cpu)`,
    threads: 1,
    trainImagesPerSec: round(median(rates)),
    trainGflops: null,
    inferBatch1Ms: round(median(lat.slice(5)), 3),
    inferImagesPerSec: round(inferRate),
    peakRssMB: round(process.resourceUsage().maxRSS / 1024),
    note: `median of ${batches} single-step timings; inference at batch ${n}`,
  };
}
