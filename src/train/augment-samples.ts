// What the report shows of a run's augmentation: one training image of each digit and a few augmented
// versions of it, made by the run's own augmenter (seeded, so the figure is the same on every rebuild).

import type { BatchAugmenter } from '../engine/fit.js';
import { deriveSeed } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';

export const AUGMENTED_VARIANTS = 7;

function bytes(x: Float32Array): string {
  const b = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) b[i] = Math.max(0, Math.min(255, Math.round(x[i] * 255)));
  return Buffer.from(b).toString('base64');
}

/** The first training image of each class, and AUGMENTED_VARIANTS augmented versions of each (pixels as base64 bytes). */
export function augmentedSamples(x: Tensor, y: Tensor, augmenter: BatchAugmenter, seed: number): { label: number; original: string; variants: string[] }[] {
  const per = x.size / x.shape[0];
  const classes = y.shape[1];
  const first = new Map<number, number>();
  for (let i = 0; i < x.shape[0] && first.size < classes; i++) {
    let label = 0;
    for (let j = 1; j < classes; j++) if (y.data[i * classes + j] > y.data[i * classes + label]) label = j;
    if (!first.has(label)) first.set(label, i);
  }
  const picks = [...first.entries()].sort((a, b) => a[0] - b[0]);
  const src = new Float32Array(picks.length * per);
  picks.forEach(([, i], k) => src.set(x.data.subarray(i * per, (i + 1) * per), k * per));
  const out = new Float32Array(src.length);
  const variants: string[][] = picks.map(() => []);
  for (let v = 0; v < AUGMENTED_VARIANTS; v++) {
    augmenter.apply(src, out, picks.length, deriveSeed(seed, 0x7ffffffe, v));
    picks.forEach((_, k) => variants[k].push(bytes(out.subarray(k * per, (k + 1) * per))));
  }
  return picks.map(([label], k) => ({ label, original: bytes(src.subarray(k * per, (k + 1) * per)), variants: variants[k] }));
}
