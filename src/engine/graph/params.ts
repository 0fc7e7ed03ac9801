// Where each parameter lives in the model's one flat parameter buffer (and the parallel gradient buffer):
// every trainable parameter first, in layer order, then the non-trainable state (moving statistics), so an
// optimizer steps one contiguous slice unless layers are frozen. Saved weights follow Keras's order instead
// (each layer's weights together), described by the weight specs' offsets.

import { initialize } from '../initializers.js';
import type { Layer, ParamSpec } from '../layers/layer.js';
import type { Random } from '../random.js';
import { sizeOf } from '../tensor.js';

export interface WeightSpec {
  /** Keras weight name, e.g. 'conv2d/kernel'. */
  name: string;
  shape: number[];
  /** Offset in floats into the flat parameter buffer. */
  offset: number;
  /** Always false for non-trainable state; otherwise whether it is trainable by nature (the layer may be frozen). */
  trainable: boolean;
  layer: Layer;
  spec: ParamSpec;
}

/** Lays out the layers' parameters; returns the specs in Keras's save order and the total size. */
export function layoutParams(layers: Layer[]): { specs: WeightSpec[]; total: number } {
  const all = layers.flatMap((layer) => layer.paramSpecs().map((spec) => ({ layer, spec })));
  let offset = 0;
  const offsets = new Map<ParamSpec, number>();
  for (const pass of [true, false]) {
    for (const { spec } of all) {
      if (spec.trainable !== pass) continue;
      offsets.set(spec, offset);
      offset += sizeOf(spec.shape);
    }
  }
  const specs = all.map(({ layer, spec }) => ({
    name: `${layer.name}/${spec.name}`, shape: spec.shape, offset: offsets.get(spec)!, trainable: spec.trainable, layer, spec,
  }));
  return { specs, total: offset };
}

/** Gives each layer its views into the flat buffers, in its paramSpecs() order. */
export function bindParams(specs: WeightSpec[], params: Float32Array, grads: Float32Array): void {
  for (const s of specs) {
    s.layer.weights = [];
    s.layer.grads = [];
  }
  for (const s of specs) {
    const size = sizeOf(s.shape);
    s.layer.weights.push(params.subarray(s.offset, s.offset + size));
    s.layer.grads.push(grads.subarray(s.offset, s.offset + size));
  }
}

/** Initializes every parameter, layer by layer in Keras's order (so a seed gives the same weights as before). */
export function initializeParams(specs: WeightSpec[], params: Float32Array, rng: Random): void {
  for (const s of specs) initialize(params.subarray(s.offset, s.offset + sizeOf(s.shape)), s.spec.init, s.spec.fanIn, s.spec.fanOut, rng);
}

/** The [start, end) slices the optimizer steps: trainable parameters of trainable layers, merged where adjacent. */
export function trainableRanges(specs: WeightSpec[]): [number, number][] {
  const ranges: [number, number][] = [];
  const live = specs.filter((s) => s.trainable && s.layer.trainable).sort((a, b) => a.offset - b.offset);
  for (const s of live) {
    const end = s.offset + sizeOf(s.shape);
    const last = ranges[ranges.length - 1];
    if (last && last[1] === s.offset) last[1] = end;
    else ranges.push([s.offset, end]);
  }
  return ranges;
}

/** Parameter counts as Keras's summary reports them: a frozen layer's weights count as non-trainable. */
export function paramCounts(specs: WeightSpec[]): { total: number; trainable: number; nonTrainable: number } {
  let total = 0;
  let trainable = 0;
  for (const s of specs) {
    const n = sizeOf(s.shape);
    total += n;
    if (s.trainable && s.layer.trainable) trainable += n;
  }
  return { total, trainable, nonTrainable: total - trainable };
}
