// Image sets to model tensors: pixels / 255 into (n,h,w,1), labels as integers or one-hot rows.

import { oneHotData } from '../engine/losses.js';
import { Tensor } from '../engine/tensor.js';
import { pixelsPer, shapeOf, type ImageSet } from './idx.js';

/** The first `limit` images (default all) as a (n,h,w,c) tensor scaled to [0, 1]. */
export function imagesTensor(set: ImageSet, limit = set.count, start = 0): Tensor {
  const n = Math.min(limit, set.count - start);
  const per = pixelsPer(set);
  const out = new Float32Array(n * per);
  const src = set.images.subarray(start * per, (start + n) * per);
  for (let i = 0; i < out.length; i++) out[i] = src[i] / 255;
  return new Tensor(out, [n, ...shapeOf(set)]);
}

/** Integer labels (n) as a float tensor, for sparseCategoricalCrossentropy. */
export function labelsTensor(set: ImageSet, limit = set.count, start = 0): Tensor {
  const n = Math.min(limit, set.count - start);
  return new Tensor(Float32Array.from(set.labels.subarray(start, start + n)), [n]);
}

/** One-hot labels (n, classes), for categoricalCrossentropy. */
export function oneHotTensor(set: ImageSet, limit = set.count, start = 0, classes = 10): Tensor {
  const n = Math.min(limit, set.count - start);
  return new Tensor(oneHotData(set.labels.subarray(start, start + n), classes), [n, classes]);
}

export function oneHot(labels: ArrayLike<number>, classes = 10): Tensor {
  return new Tensor(oneHotData(labels, classes), [labels.length, classes]);
}
