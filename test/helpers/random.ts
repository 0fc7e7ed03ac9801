// Seeded random test data: tensors, one-hot and integer labels. Uses the engine's own generator so that
// every run (and every machine) sees the same numbers.

import { Random, Tensor } from '../../src/engine/index.js';

/** A tensor of the given shape, uniform in [lo, hi). */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const rng = new Random(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.uniform(lo, hi);
  return new Tensor(data, shape);
}

/** n integer labels in 0..classes-1. */
export function randomLabels(n: number, classes: number, seed: number): number[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => rng.int(classes));
}

/** Integer labels as one-hot rows (n, classes). */
export function oneHotRows(labels: number[], classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (out[i * classes + l] = 1));
  return out;
}
