// An image set made into another input shape (`--image-size 32 --channels 3` on MNIST's 28x28x1 images):
// each image resized whole with area averaging, gray repeated into RGB or RGB made gray, as model-input.ts
// prepares any image for a model of that shape. Browser-safe.

import { pixelsPer, shapeOf, type ImageSet } from './idx.js';
import { resizeImage } from './model-input.js';

/** The set in shape [h, w, c]: itself when it has that shape already. */
export function conformSet<T extends ImageSet>(set: T, shape: readonly number[]): T {
  const [h, w, c] = shape;
  const from = shapeOf(set);
  if (from[0] === h && from[1] === w && from[2] === c) return set;
  const inPer = pixelsPer(set);
  const outPer = h * w * c;
  const images = new Uint8Array(set.count * outPer);
  for (let i = 0; i < set.count; i++) {
    const raw = { data: set.images.subarray(i * inPer, (i + 1) * inPer), width: from[1], height: from[0], channels: from[2] as 1 | 3 };
    const px = resizeImage(raw, h, w, c);
    for (let k = 0; k < outPer; k++) images[i * outPer + k] = Math.round(px[k] * 255);
  }
  return { ...set, images, height: h, width: w, channels: c };
}
