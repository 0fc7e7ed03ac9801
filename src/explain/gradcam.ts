// Grad-CAM (Selvaraju et al. 2017) from a convolutional layer's feature maps A (h, w, K) and the gradient of a
// class score with respect to them: channel weights α_k = the spatial mean of ∂score/∂A_k, the map
// ReLU(Σ_k α_k A_k) on the layer's grid, and that map upsampled to the input's size and divided by its maximum
// for display. Also which layer to take by default. Browser-safe.

import type { Model } from '../engine/graph/model.js';
import type { Layer } from '../engine/layers/layer.js';

export interface GradCam {
  /** The layer whose feature maps were weighed. */
  layer: string;
  /** The layer's grid. */
  height: number;
  width: number;
  /** α_k, one per channel. */
  weights: Float32Array;
  /** ReLU(Σ_k α_k A_k) on the layer's grid (height × width), as defined: not normalized. */
  map: Float32Array;
  /** The map upsampled (bilinear) to the input's size and divided by its maximum: values in [0, 1]; all 0 when the map is. */
  heatmap: Float32Array;
  heatmapHeight: number;
  heatmapWidth: number;
}

/** Layers that keep the grid of the convolution before them: the feature maps Grad-CAM reads may be taken after them. */
const SAME_GRID = new Set(['BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'Add', 'Average', 'Concatenate']);

/**
 * The default Grad-CAM layer: the last Conv2D, followed forward through the normalization, activation and merge
 * layers that directly consume it (so a ResNet's last block output, or VGG's last ReLU, rather than raw
 * convolution sums). null when the model has no convolution.
 */
export function gradCamLayer(model: Model): Layer | null {
  const convs = model.layers.filter((l) => l.className === 'Conv2D');
  let layer = convs[convs.length - 1];
  if (!layer) return null;
  for (;;) {
    const readers = model.layers.filter((l) => l.output?.inputs.includes(layer.output!));
    if (readers.length !== 1 || !SAME_GRID.has(readers[0].className) || readers[0].outputShape.length !== 3) return layer;
    layer = readers[0];
  }
}

/** Grad-CAM of one example from its feature maps `a` and their gradient `da`, both (h, w, k) in NHWC order. */
export function gradCamOf(layer: string, a: Float32Array, da: Float32Array, [h, w, k]: readonly number[], [outH, outW]: readonly number[]): GradCam {
  const weights = new Float32Array(k);
  for (let p = 0; p < h * w; p++) for (let c = 0; c < k; c++) weights[c] += da[p * k + c];
  for (let c = 0; c < k; c++) weights[c] /= h * w;
  const map = new Float32Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += weights[c] * a[p * k + c];
    map[p] = s > 0 ? s : 0;
  }
  const heatmap = upsampleBilinear(map, h, w, outH, outW);
  let max = 0;
  for (const v of heatmap) max = Math.max(max, v);
  if (max > 0) for (let i = 0; i < heatmap.length; i++) heatmap[i] /= max;
  return { layer, height: h, width: w, weights, map, heatmap, heatmapHeight: outH, heatmapWidth: outW };
}

/**
 * Bilinear resize with half-pixel centres (as tf.image.resize and OpenCV do): output pixel (y, x) samples the
 * input at ((y + 0.5)·h/outH − 0.5, ...), clamped at the edges.
 */
export function upsampleBilinear(src: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  const clamp = (v: number, n: number): number => Math.min(n - 1, Math.max(0, v));
  for (let y = 0; y < outH; y++) {
    const fy = clamp(((y + 0.5) * h) / outH - 0.5, h);
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = clamp(((x + 0.5) * w) / outW - 0.5, w);
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = fx - x0;
      const top = src[y0 * w + x0] * (1 - tx) + src[y0 * w + x1] * tx;
      const bottom = src[y1 * w + x0] * (1 - tx) + src[y1 * w + x1] * tx;
      out[y * outW + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** Whether a Grad-CAM found nothing: every weighted sum was negative, so the map is zero everywhere. */
export function isEmptyGradCam(g: GradCam | null): boolean {
  return g !== null && g.map.every((v) => v === 0);
}
