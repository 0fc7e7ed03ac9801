// Re-estimating BatchNormalization's moving statistics after training ("precise BN", Wu & Johnson 2021):
// the momentum average (0.99, as Keras) lags the weights by a few hundred steps, so a short run's model
// normalizes with statistics of its early weights and scores far below its training accuracy in inference.
// Averaging the batch statistics of the final weights over a pass of training batches fixes that without
// touching a single weight. Browser-safe.

import { BatchNormalization } from '../engine/layers/batch-norm.js';
import { Tensor, type Model } from '../engine/index.js';

export interface PreciseBnOptions {
  batchSize?: number;
  /** Use at most this many training images (default 10,000). */
  maxImages?: number;
}

/** Re-estimates every trainable BatchNormalization layer's moving statistics on x; returns the images used (0 when there is no such layer). */
export function recalibrateBatchNorm(model: Model, x: Tensor, o: PreciseBnOptions = {}): number {
  const bns = model.layers.filter((l): l is BatchNormalization => l instanceof BatchNormalization && l.trainable);
  if (bns.length === 0) return 0;
  const bs = o.batchSize ?? 128;
  const n = Math.min(x.shape[0], o.maxImages ?? 10_000);
  for (const l of bns) l.averagedBatches = 0;
  try {
    // Whole batches only: a short last batch's statistics would count as much as a full one's.
    const full = Math.max(1, Math.floor(n / bs));
    for (let b = 0; b < full; b++) model.forward(x.slice0(b * bs, Math.min(n, (b + 1) * bs)), true);
  } finally {
    for (const l of bns) l.averagedBatches = null;
  }
  return n;
}
