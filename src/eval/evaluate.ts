// A trained model against a labelled image set: predictions, the loss (the model's own loss object, so the
// test loss is the same quantity as training's val_loss), every classification metric, and the test images
// to show in the report (a sample, and the misclassified ones). Browser-safe.

import type { Model } from '../engine/graph/model.js';
import { Tensor } from '../engine/tensor.js';
import { pixelsPer, shapeOf, type ImageSet } from '../data/idx.js';
import { classificationMetrics, mostConfused, type ClassificationMetrics, type ConfusedPair } from './metrics.js';

export interface Evaluation {
  loss: number;
  metrics: ClassificationMetrics;
  predicted: Uint8Array;
  /** Probability of the predicted class, per example. */
  confidence: Float32Array;
  seconds: number;
  imagesPerSecond: number;
  /** The predicted class of every image by each of `layers` (softmax layers inside the model), in that order. */
  layerPredicted: Uint8Array[];
}

/** What metrics.json's "test" holds. */
export interface TestMetricsJson extends ClassificationMetrics {
  loss: number;
  mostConfused: ConfusedPair[];
  seconds: number;
  imagesPerSecond: number;
}

/** The predicted class of every image of a set (labelled or not), in batches of `batchSize`. */
export function predictLabels(model: Model, set: { images: Uint8Array; count: number; height: number; width: number; channels?: number }, batchSize = 256): Uint8Array {
  const per = pixelsPer(set);
  const out = new Uint8Array(set.count);
  for (let s = 0; s < set.count; s += batchSize) {
    const e = Math.min(set.count, s + batchSize);
    const x = new Float32Array((e - s) * per);
    for (let i = 0; i < x.length; i++) x[i] = set.images[s * per + i] / 255;
    out.set(model.predict(new Tensor(x, [e - s, ...shapeOf(set)])).argMax(), s);
  }
  return out;
}

/**
 * Runs the model over the set in batches (so memory stays bounded) and scores it. `layers` names layers whose
 * argmax to record too, from the same forward pass (an ensemble's members).
 */
export function evaluateModel(model: Model, set: ImageSet, o: { batchSize?: number; classes?: number; layers?: string[] } = {}): Evaluation {
  const per = pixelsPer(set);
  const bs = o.batchSize ?? 256;
  const classes = o.classes ?? model.outputShape[0];
  const bad = set.labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new Error(`evaluate: test image ${bad} has label ${set.labels[bad]}, but the model has ${classes} classes (0..${classes - 1})`);
  const predicted = new Uint8Array(set.count);
  const confidence = new Float32Array(set.count);
  const layers = o.layers ?? [];
  const layerPredicted = layers.map(() => new Uint8Array(set.count));
  let loss = 0;
  const start = performance.now();
  for (let s = 0; s < set.count; s += bs) {
    const e = Math.min(set.count, s + bs);
    const x = new Float32Array((e - s) * per);
    for (let i = 0; i < x.length; i++) x[i] = set.images[s * per + i] / 255;
    const targets = new Float32Array((e - s) * classes);
    for (let r = 0; r < e - s; r++) targets[r * classes + set.labels[s + r]] = 1;
    const out = model.predictWithLoss(new Tensor(x, [e - s, ...shapeOf(set)]), targets, layers);
    loss += out.loss;
    layers.forEach((name, k) => layerPredicted[k].set(out.layers[name].argMax(), s));
    const probs = out.probs.data;
    const labels = out.probs.argMax();
    for (let r = 0; r < e - s; r++) {
      predicted[s + r] = labels[r];
      confidence[s + r] = probs[r * classes + labels[r]];
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    loss: loss / set.count,
    metrics: classificationMetrics(set.labels, predicted, classes),
    predicted,
    confidence,
    seconds,
    imagesPerSecond: set.count / Math.max(seconds, 1e-9),
    layerPredicted,
  };
}

export function testMetricsJson(ev: Evaluation): TestMetricsJson {
  const { accuracy, ...rest } = ev.metrics;
  return {
    accuracy,
    loss: ev.loss,
    ...rest,
    mostConfused: mostConfused(ev.metrics.confusionMatrix, 3),
    seconds: ev.seconds,
    imagesPerSecond: ev.imagesPerSecond,
  };
}

export interface ShownImage {
  /** Index in the test set. */
  index: number;
  label: number;
  predicted: number;
  confidence: number;
  /** The image's bytes (h, w, c), base64: 28x28 gray unless `shape` says otherwise. */
  pixels: string;
  /** [h, w, c], when the image is not 28x28x1. */
  shape?: number[];
}

/** The first `n` test images, and up to `m` misclassified ones (the most confident mistakes first). */
export function shownImages(set: ImageSet, ev: Evaluation, n: number, m: number): { samples: ShownImage[]; misclassified: ShownImage[] } {
  const per = pixelsPer(set);
  const shape = shapeOf(set);
  const mnistShaped = shape.join() === '28,28,1';
  const show = (i: number): ShownImage => ({
    index: i,
    label: set.labels[i],
    predicted: ev.predicted[i],
    confidence: Number(ev.confidence[i].toFixed(4)),
    pixels: toBase64(set.images.subarray(i * per, (i + 1) * per)),
    ...(mnistShaped ? {} : { shape }),
  });
  const wrong: number[] = [];
  for (let i = 0; i < set.count; i++) if (ev.predicted[i] !== set.labels[i]) wrong.push(i);
  wrong.sort((a, b) => ev.confidence[b] - ev.confidence[a] || a - b);
  return {
    samples: Array.from({ length: Math.min(n, set.count) }, (_, i) => show(i)),
    misclassified: wrong.slice(0, m).map(show),
  };
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
