// The validation split: a fraction of the training examples held out, chosen with the run's seed, either
// stratified (each digit held out in the same proportion) or plainly shuffled. Only training indices go
// in, so the validation set can never overlap the test set. Browser-safe.

import { Random } from '../engine/random.js';

export interface Split {
  /** Indices of the examples kept for training, in shuffled order. */
  train: Int32Array;
  /** Indices of the held-out examples, in shuffled order. */
  validation: Int32Array;
}

export interface SplitOptions {
  seed: number;
  /** Hold out the same fraction of every class (default true). */
  stratify?: boolean;
}

/** Splits indices 0..labels.length-1; `fraction` in [0, 1). */
export function validationSplit(labels: ArrayLike<number>, fraction: number, o: SplitOptions): Split {
  const n = labels.length;
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`validation split must be at least 0 and below 1, got ${fraction}`);
  const rng = new Random(o.seed);
  if (fraction === 0) return { train: rng.shuffle(range(n)), validation: new Int32Array(0) };
  const nVal = Math.round(n * fraction);
  if (nVal === 0 || nVal === n) {
    throw new Error(`validation split ${fraction} of ${n} examples leaves ${nVal === 0 ? 'no validation' : 'no training'} examples`);
  }
  const validation = o.stratify === false ? rng.shuffle(range(n)).slice(0, nVal) : stratified(labels, nVal, rng);
  const held = new Uint8Array(n);
  for (const i of validation) held[i] = 1;
  const train = new Int32Array(n - validation.length);
  let t = 0;
  for (let i = 0; i < n; i++) if (!held[i]) train[t++] = i;
  return { train: rng.shuffle(train), validation: rng.shuffle(validation) };
}

/** Picks nVal indices so that each class contributes in proportion to its size (largest remainders first). */
function stratified(labels: ArrayLike<number>, nVal: number, rng: Random): Int32Array {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]);
    if (list) list.push(i);
    else byClass.set(labels[i], [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const exact = classes.map((c) => (byClass.get(c)!.length * nVal) / labels.length);
  const take = exact.map(Math.floor);
  let left = nVal - take.reduce((a, b) => a + b, 0);
  const order = classes.map((_, i) => i).sort((a, b) => exact[b] - take[b] - (exact[a] - take[a]) || a - b);
  for (const i of order) {
    if (left === 0) break;
    take[i]++;
    left--;
  }
  const out: number[] = [];
  classes.forEach((c, i) => {
    const members = Int32Array.from(byClass.get(c)!);
    out.push(...rng.shuffle(members).subarray(0, take[i]));
  });
  return Int32Array.from(out);
}

function range(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
