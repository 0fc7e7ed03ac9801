// Numbers to read, for the reading tests: MNIST test digits that a model reads surely on their own (so a
// wrong reading of the number is the reader's fault, not the classifier's), pen strokes drawn into an
// image, and box overlap. Not a test file itself.

import type { ImageSet } from '../../src/data/idx.js';
import { toMnist, type Box, type RawImage } from '../../src/data/preprocess.js';
import { Tensor } from '../../src/engine/index.js';
import type { DigitImage, DigitModel } from '../../src/read/index.js';

/** The first `count` digits of the set (from `start`) that the model reads right alone, at least `sure` surely. */
export function recognizedDigits(model: DigitModel, set: ImageSet, count: number, o: { start?: number; sure?: number } = {}): DigitImage[] {
  const out: DigitImage[] = [];
  for (let s = o.start ?? 0; s < set.count && out.length < count; s += 256) {
    const n = Math.min(256, set.count - s);
    const x = new Float32Array(n * 784);
    for (let i = 0; i < n; i++) x.set(toMnist({ data: set.images.subarray((s + i) * 784, (s + i + 1) * 784), width: 28, height: 28, channels: 1 }).pixels, i * 784);
    const p = model.predict(new Tensor(x, [n, 28, 28, 1]));
    const top = p.argMax();
    for (let i = 0; i < n && out.length < count; i++) {
      if (top[i] === set.labels[s + i] && p.data[i * 10 + top[i]] >= (o.sure ?? 0.95)) out.push({ pixels: set.images.subarray((s + i) * 784, (s + i + 1) * 784), label: set.labels[s + i] });
    }
  }
  return out;
}

export type Polyline = [number, number][];

/** Anti-aliased round-capped strokes, white (255) on black, through the polylines' points (in pixels). */
export function drawStrokes(width: number, height: number, lines: Polyline[], strokeWidth: number): RawImage {
  const data = new Uint8Array(width * height);
  const r = strokeWidth / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let d = Infinity;
      for (const line of lines) for (let i = 1; i < line.length; i++) d = Math.min(d, segmentDistance(x + 0.5, y + 0.5, line[i - 1], line[i]));
      data[y * width + x] = Math.round(255 * Math.max(0, Math.min(1, r + 0.5 - d)));
    }
  }
  return { data, width, height, channels: 1 };
}

function segmentDistance(px: number, py: number, [x0, y0]: [number, number], [x1, y1]: [number, number]): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / len2));
  return Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
}

/** The image with every gray level inverted (white on black becomes dark ink on white paper). */
export function inverted(img: RawImage): RawImage {
  return { ...img, data: img.data.map((v, i) => (img.channels === 4 && i % 4 === 3 ? v : 255 - v)) };
}

/** Intersection over union of two boxes. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  const inter = Math.max(0, w) * Math.max(0, h);
  return inter / (a.width * a.height + b.width * b.height - inter);
}
