// Central-difference gradient checking. The function under test is evaluated in float32 by the engine,
// but summed in float64 here, and the step actually taken (after float32 rounding of x ± ε) is used as
// the denominator, so the numeric derivative is as good as float32 forward passes allow.

import assert from 'node:assert/strict';
import { Random } from '../../src/engine/index.js';

export interface GradCheckOptions {
  /** Step, in the units of the perturbed values. */
  eps?: number;
  /** Largest accepted |analytic − numeric| / max(|analytic|, |numeric|, floor). */
  tol?: number;
  /** How many coordinates to check per array (always including the first and last). */
  samples?: number;
  seed?: number;
  /**
   * The on/off pattern of every ReLU (and anything else piecewise) in the last evaluation of f. A coordinate
   * whose ±ε evaluations change the pattern straddles a kink, where central differences are meaningless:
   * it is retried with ε/8 and ε/64, then skipped for another.
   */
  pattern?: () => string;
}

export interface GradCheckResult {
  worst: number;
  checked: number;
  skipped: number;
}

/**
 * Checks `analytic` (a copy of the gradient of f with respect to `values`) against central differences of
 * `f`, perturbing `values` in place (restored afterwards). The relative error of each coordinate uses a
 * floor of 1% of the largest analytic entry, so that near-zero entries are judged in absolute terms.
 */
export function gradCheck(what: string, values: Float32Array, analytic: Float32Array, f: () => number, o: GradCheckOptions = {}): GradCheckResult {
  const eps = o.eps ?? 1e-2;
  const tol = o.tol ?? 1e-2;
  assert.equal(analytic.length, values.length, `${what}: gradient has ${analytic.length} entries for ${values.length} values`);
  let scale = 0;
  for (const g of analytic) scale = Math.max(scale, Math.abs(g));
  assert.ok(Number.isFinite(scale), `${what}: analytic gradient is not finite`);
  const floor = Math.max(scale * 1e-2, 1e-6);
  let worst = 0;
  let worstMsg = '';
  let skipped = 0;
  const count = Math.min(o.samples ?? 24, values.length);
  // The first and last coordinates (edges are where indexing bugs hide), then the rest in a seeded order.
  const order = checkOrder(values.length, o.seed ?? 1);
  let checked = 0;
  const base = o.pattern ? (f(), o.pattern()) : '';
  for (const i of order) {
    if (checked >= count) break;
    const d = centralDifference(values, i, f, o.pattern, base, eps);
    if (d === null) {
      skipped++;
      continue;
    }
    checked++;
    const numeric = d;
    const a = analytic[i];
    const err = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), floor);
    if (err > worst) {
      worst = err;
      worstMsg = `index ${i}: analytic ${a.toExponential(4)}, numeric ${numeric.toExponential(4)}`;
    }
  }
  assert.ok(checked >= Math.min(count, values.length), `${what}: only ${checked} coordinates away from ReLU kinks (${skipped} skipped)`);
  assert.ok(worst < tol, `${what}: gradient relative error ${worst.toExponential(2)} ≥ ${tol} at ${worstMsg}`);
  // A gradient of all zeros would pass trivially against a function that ignores its input; forbid it.
  assert.ok(scale > 0, `${what}: analytic gradient is identically zero`);
  if (process.env.GRADCHECK_VERBOSE) console.log(`${what}: worst ${worst.toExponential(2)}, ${checked} checked, ${skipped} skipped`);
  return { worst, checked, skipped };
}

/** Σ r·y in float64: the scalar a layer's output is projected on, so that dL/dy = r. */
export function project(y: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] * y[i];
  return s;
}

/**
 * (f(v+ε) − f(v−ε)) / (actual step), or null if every step tried (ε, ε/8, ε/64) changes the ReLU pattern.
 * Smaller steps cost float32 precision, so they are only used where a kink is close.
 */
function centralDifference(values: Float32Array, i: number, f: () => number, pattern: (() => string) | undefined, base: string, eps: number): number | null {
  const v = values[i];
  for (let e = eps, tries = 0; tries < 3; tries++, e /= 8) {
    values[i] = v + e;
    const hi = values[i];
    const fPlus = f();
    const patPlus = pattern?.();
    values[i] = v - e;
    const lo = values[i];
    const fMinus = f();
    const patMinus = pattern?.();
    values[i] = v;
    if (!pattern || (patPlus === base && patMinus === base)) return (fPlus - fMinus) / (hi - lo);
  }
  return null;
}

function checkOrder(size: number, seed: number): number[] {
  const middle = new Random(seed).shuffle(Int32Array.from({ length: Math.max(size - 2, 0) }, (_, i) => i + 1));
  return size === 1 ? [0] : [0, size - 1, ...middle];
}

/** A compact string of which entries are positive: the ReLU pattern of an output. */
export function positivity(y: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < y.length; i++) s += y[i] > 0 ? '1' : '0';
  return s;
}
