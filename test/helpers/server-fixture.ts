// A small but real model for the server and page tests: a two-convolution CNN trained for a few seconds
// on MNIST with the engine and written as a complete run folder, the layout `digitnet train` writes
// (model/, metrics.json with its measured test accuracy, history, samples and, on request, report.html),
// so that what is served is what a user gets. Also scans of MNIST digits as a photo would show them.
// Not a test file itself.

import jpeg from 'jpeg-js';
import { join } from 'node:path';
import type { ImageSet } from '../../src/data/idx.js';
import { loadMnist } from '../../src/data/mnist.js';
import { imagesTensor, labelsTensor } from '../../src/data/tensors.js';
import { saveModel } from '../../src/engine/io/files.js';
import { adam, layers, sequential, type Model } from '../../src/engine/index.js';
import { evaluateModel, shownImages, testMetricsJson } from '../../src/eval/evaluate.js';
import { buildReport } from '../../src/report/index.js';
import { writeRunFiles } from '../../src/train/run-files.js';

export interface FixtureRun {
  runDir: string;
  model: Model;
  testAccuracy: number;
}

const TEST_IMAGES = 2000;

/** Trains the small CNN (about 10 s on the reference backend) and writes it as a run into `runDir`. */
export async function trainFixtureRun(runDir: string, o: { trainImages?: number; epochs?: number; report?: boolean } = {}): Promise<FixtureRun> {
  const started = performance.now();
  const { train, test: fullTest } = loadMnist();
  const model = sequential(
    [
      layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
    { seed: 7, name: 'fixture_cnn' },
  );
  const hp = { epochs: o.epochs ?? 2, batchSize: 32, learningRate: 0.003, lrDecay: 1, validationSplit: 0, seed: 7, optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' };
  model.compile({ optimizer: adam({ learningRate: hp.learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const n = o.trainImages ?? 6000;
  const t0 = performance.now();
  const h = await model.fit(imagesTensor(train, n), labelsTensor(train, n), { epochs: hp.epochs, batchSize: hp.batchSize, shuffle: true });
  const trainSeconds = (performance.now() - t0) / 1000;
  const test = firstImages(fullTest, TEST_IMAGES);
  const ev = evaluateModel(model, test);
  await saveModel(model, join(runDir, 'model'));
  const text: string[] = [];
  const summary = model.summary((l) => text.push(l));
  const last = h.epoch.length - 1;
  await writeRunFiles(runDir, {
    history: { epoch: h.epoch, loss: h.history.loss, accuracy: h.history.accuracy, val_loss: [], val_accuracy: [], seconds: h.epoch.map(() => trainSeconds / h.epoch.length) },
    metrics: { test: testMetricsJson(ev), train: { loss: h.history.loss[last], accuracy: h.history.accuracy[last] }, validation: null },
    run: {
      createdAt: new Date().toISOString(),
      backend: model.backend.name,
      hyperparameters: hp,
      data: { trainSource: 'mnist', testSource: 'mnist', trainImages: n, validationImages: 0, testImages: TEST_IMAGES, limit: n },
      timing: {
        loadSeconds: 0, trainSeconds, evaluateSeconds: ev.seconds, totalSeconds: (performance.now() - started) / 1000,
        trainImagesPerSecond: (n * hp.epochs) / trainSeconds, testImagesPerSecond: ev.imagesPerSecond,
      },
      model: { name: model.name, rows: summary.rows, totalParams: summary.totalParams, text },
    },
    samples: { ...shownImages(test, ev, 20, 20), misclassifiedTotal: Math.round((1 - ev.metrics.accuracy) * TEST_IMAGES) },
  });
  if (o.report) await buildReport(runDir);
  return { runDir, model, testAccuracy: ev.metrics.accuracy };
}

function firstImages(set: ImageSet, count: number): ImageSet {
  const per = set.height * set.width;
  return { ...set, images: set.images.subarray(0, count * per), labels: set.labels.subarray(0, count), count };
}

export interface Gray {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * A 28x28 MNIST digit as a photo or scan of paper would show it: dark ink on light grey paper, enlarged
 * with bilinear interpolation by `scale`, placed off-centre at (x, y) on a `width` x `height` sheet, with a
 * little deterministic noise. Preprocessing has to find, crop, invert and centre it.
 */
export function scanOf(digit: ArrayLike<number>, o: { width: number; height: number; scale: number; x: number; y: number; paper?: number }): Gray {
  const paper = o.paper ?? 225;
  const data = new Uint8Array(o.width * o.height);
  let seed = 12345;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 12;
  for (let y = 0; y < o.height; y++) {
    for (let x = 0; x < o.width; x++) {
      const ink = sampleBilinear(digit, (x - o.x) / o.scale - 0.5, (y - o.y) / o.scale - 0.5) / 255;
      const v = paper * (1 - ink) + 20 * ink + noise();
      data[y * o.width + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { data, width: o.width, height: o.height };
}

function sampleBilinear(img: ArrayLike<number>, fx: number, fy: number): number {
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x > 27 || y > 27 ? 0 : img[y * 28 + x]);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const tx = fx - x0;
  const ty = fy - y0;
  const top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx;
  const bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx;
  return top * (1 - ty) + bottom * ty;
}

/** Gray pixels as JPEG bytes (jpeg-js encodes RGBA). */
export function encodeGrayJpeg(g: Gray, quality = 90): Buffer {
  const rgba = Buffer.alloc(g.width * g.height * 4);
  for (let i = 0; i < g.data.length; i++) rgba.fill(g.data[i], i * 4, i * 4 + 3).writeUInt8(255, i * 4 + 3);
  return jpeg.encode({ data: rgba, width: g.width, height: g.height }, quality).data;
}
