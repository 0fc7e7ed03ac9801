// What a model file may cost before anything is allocated for it: the weights its manifest lists and the
// parameters its layers would need, each checked against MODEL_LIMITS (and against each other) from the
// numbers alone. A 3 KB model.json can describe a layer of 10^10 parameters; this is where it is refused,
// before the model's flat buffers exist. Browser-safe.

import type { Layer } from '../layers/layer.js';
import { sizeOf } from '../tensor.js';

export const MODEL_LIMITS = {
  /** Parameters in one model: 100 million (400 MB of float32), far above any digit model (the seed CNN has 225,034). */
  maxParams: 100_000_000,
  /** Weights listed in one manifest. */
  maxWeights: 10_000,
  /** Size of model.json itself. */
  maxJsonBytes: 32 * 1024 * 1024,
};

/** A value from the file as a message quotes it: one line, at most 80 characters. */
const brief = (s: string): string => {
  const t = s.replace(/[\x00-\x1f\x7f]/g, ' ');
  return t.length > 80 ? `${t.slice(0, 80)}…` : t;
};
const fmt = (n: number): string => (n < 1e15 ? n.toLocaleString('en-US') : n.toExponential(2));

interface ManifestLike {
  weightsManifest?: unknown;
}

/** Checks each listed weight's shape and the total against the limits; returns the manifest's parameter count. */
export function checkManifest(mj: ManifestLike, source: string): number {
  const groups = mj.weightsManifest;
  if (!Array.isArray(groups)) throw new Error(`${source}: no weightsManifest`);
  let total = 0;
  let count = 0;
  for (const g of groups) {
    const weights = (g as { weights?: unknown })?.weights;
    if (!Array.isArray(weights)) throw new Error(`${source}: a weightsManifest group has no weights list`);
    for (const w of weights as { name?: unknown; shape?: unknown }[]) {
      if (++count > MODEL_LIMITS.maxWeights) throw new Error(`${source}: the manifest lists more than ${fmt(MODEL_LIMITS.maxWeights)} weights, the limit`);
      const name = typeof w?.name === 'string' ? w.name : `#${count}`;
      const shape = w?.shape;
      if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new Error(`${source}: weight '${brief(name)}' has shape ${brief(JSON.stringify(shape) ?? String(shape))}; expected a list of whole numbers`);
      }
      const size = sizeOf(shape as number[]);
      total += size;
      if (size > MODEL_LIMITS.maxParams || total > MODEL_LIMITS.maxParams) {
        throw new Error(`${source}: the manifest lists more than ${fmt(MODEL_LIMITS.maxParams)} parameters (weight '${name}' [${shape.join(',')}] holds ${fmt(size)}); a model may hold at most ${fmt(MODEL_LIMITS.maxParams)}`);
      }
    }
  }
  return total;
}

/** What the weight files offer: the manifest's entries in order (name and shape), or null for an architecture alone. */
export type WeightsOffered = { name: string; shape: number[] }[] | null;

/**
 * Refuses layers (already built, so their shapes are known) whose parameters exceed the limit, or that the
 * manifest cannot fill (naming the first weight whose shape differs), before anything is allocated for them.
 */
export function checkLayerParams(layers: Layer[], offered: WeightsOffered, source: string): void {
  let total = 0;
  let largest = { size: -1, layer: layers[0] };
  const specs: { name: string; shape: number[] }[] = [];
  for (const layer of layers) {
    const own = layer.paramSpecs();
    const size = own.reduce((s, p) => s + sizeOf(p.shape), 0);
    specs.push(...own.map((p) => ({ name: `${layer.name}/${p.name}`, shape: p.shape })));
    total += size;
    if (size > largest.size) largest = { size, layer };
  }
  const which = `layer '${largest.layer.name}' (${largest.layer.className}) alone needs ${fmt(largest.size)}`;
  if (total > MODEL_LIMITS.maxParams) {
    throw new Error(`${source}: the layers need ${fmt(total)} parameters (${which}); a model may hold at most ${fmt(MODEL_LIMITS.maxParams)}`);
  }
  if (offered === null) return;
  const listed = offered.reduce((s, w) => s + sizeOf(w.shape), 0);
  if (total === listed) return;
  // In the model's order: the first weight whose shape differs from what the layers need at that place.
  const i = specs.findIndex((s, k) => !offered[k] || offered[k].shape.length !== s.shape.length || offered[k].shape.some((d, j) => d !== s.shape[j]));
  if (i >= 0 && offered[i]) {
    throw new Error(`${source}: weight '${offered[i].name}' has shape [${offered[i].shape.join(',')}], but '${specs[i].name}' needs [${specs[i].shape.join(',')}]`);
  }
  throw new Error(`${source}: the layers need ${fmt(total)} parameters (${which}), but the manifest lists ${fmt(listed)}`);
}
