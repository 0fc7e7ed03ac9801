// Batch normalization over the last axis of x (rows, c). Statistics and gradient sums accumulate in
// float64, two columns per f64x2 lane pair, row by row as the reference does; the forward is float32 SIMD.

import { reluBackward } from './elementwise';
import { align64, ensure, zeroF32 } from './memory';

// @ts-ignore: decorator
@inline
function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

// @ts-ignore: decorator
@inline
function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

// @ts-ignore: decorator
@inline
function f4(p: usize, j: i32): usize {
  return p + (<usize>j << 2);
}

// @ts-ignore: decorator
@inline
function f8(p: usize, j: i32): usize {
  return p + (<usize>j << 3);
}

/** mean (c), variance (c) = the moments of each column of x (rows, c); the variance is biased (÷ rows). */
export function batchNormStats(x: usize, mean: usize, variance: usize, rows: i32, c: i32, scratch: usize): void {
  const acc = align64(scratch);
  ensure(acc + (<usize>c << 3) + 64);
  const rowsD = f64x2.splat(<f64>rows);
  for (let pass = 0; pass < 2; pass++) {
    zeroF32(acc, 2 * c);
    for (let r = 0; r < rows; r++) {
      const xr = x + ((<usize>r * <usize>c) << 2);
      let j = 0;
      for (; j + 2 <= c; j += 2) {
        let v = load2(f4(xr, j));
        if (pass) v = f64x2.sub(v, load2(f4(mean, j)));
        v128.store(f8(acc, j), f64x2.add(v128.load(f8(acc, j)), pass ? f64x2.mul(v, v) : v));
      }
      for (; j < c; j++) {
        let v = <f64>load<f32>(f4(xr, j));
        if (pass) v -= <f64>load<f32>(f4(mean, j));
        store<f64>(f8(acc, j), load<f64>(f8(acc, j)) + (pass ? v * v : v));
      }
    }
    const out = pass ? variance : mean;
    let j = 0;
    for (; j + 2 <= c; j += 2) store2(f4(out, j), f64x2.div(v128.load(f8(acc, j)), rowsD));
    for (; j < c; j++) store<f32>(f4(out, j), <f32>(load<f64>(f8(acc, j)) / <f64>rows));
  }
}

/**
 * y (rows, c) = gamma·(x − mean)/sqrt(variance + epsilon) + beta, per column; relu: clamped at 0 (as the
 * reference's relu, NaN and −0 give +0: the lanes not above 0 are cleared).
 */
export function batchNormForward(
  x: usize, mean: usize, variance: usize, gamma: usize, beta: usize, epsilon: f64, y: usize, rows: i32, c: i32, relu: i32, scratch: usize,
): void {
  const scale = align64(scratch);
  const shift = align64(scale + (<usize>c << 2) + 16);
  ensure(shift + (<usize>c << 2) + 64);
  for (let j = 0; j < c; j++) {
    const s = <f32>(<f64>load<f32>(f4(gamma, j)) / Math.sqrt(<f64>load<f32>(f4(variance, j)) + epsilon));
    store<f32>(f4(scale, j), s);
    store<f32>(f4(shift, j), <f32>(<f64>load<f32>(f4(beta, j)) - <f64>load<f32>(f4(mean, j)) * <f64>s));
  }
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * <usize>c) << 2;
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      let v = f32x4.add(f32x4.mul(v128.load(f4(x + o, j)), v128.load(f4(scale, j))), v128.load(f4(shift, j)));
      if (relu) v = v128.and(v, f32x4.gt(v, zero));
      v128.store(f4(y + o, j), v);
    }
    for (; j < c; j++) {
      const v = load<f32>(f4(x + o, j)) * load<f32>(f4(scale, j)) + load<f32>(f4(shift, j));
      store<f32>(f4(y + o, j), relu && !(v > 0) ? 0 : v);
    }
  }
}

/**
 * dy where the forward's fused ReLU passed the gradient, else 0, written to scratch: the forward recomputed
 * without the ReLU (the same operations, so the same values), then the ReLU's own backward on it, in place.
 * Returns where it is.
 */
function reluGate(x: usize, mean: usize, variance: usize, gamma: usize, beta: usize, epsilon: f64, dy: usize, rows: i32, c: i32, scratch: usize): usize {
  const out = align64(scratch);
  const n = <usize>rows * <usize>c;
  batchNormForward(x, mean, variance, gamma, beta, epsilon, out, rows, c, 0, out + (n << 2) + 64);
  reluBackward(out, dy, out, <i32>n);
  return out;
}

/**
 * dgamma = Σ dy·x̂, dbeta = Σ dy (each skipped when 0), and dx (skipped when 0): with batchStats,
 * gamma·invstd/rows·(rows·dy − Σdy − x̂·Σ(dy·x̂)); else gamma·invstd·dy. reluBeta (when not 0): dy is taken
 * as 0 where the forward's fused ReLU passed no gradient.
 */
export function batchNormBackward(
  x: usize, mean: usize, variance: usize, gamma: usize, epsilon: f64, dy: usize,
  dx: usize, dgamma: usize, dbeta: usize, rows: i32, c: i32, batchStats: i32, reluBeta: usize, scratch: usize,
): void {
  if (reluBeta) {
    // The gated dy goes to scratch; the per-column sums below come after it.
    dy = reluGate(x, mean, variance, gamma, reluBeta, epsilon, dy, rows, c, scratch);
    scratch = dy + ((<usize>rows * <usize>c) << 2);
  }
  const invStd = align64(scratch);
  const sumDy = align64(invStd + (<usize>c << 3));
  const sumDyXhat = align64(sumDy + (<usize>c << 3));
  ensure(sumDyXhat + (<usize>c << 3) + 64);
  for (let j = 0; j < c; j++) store<f64>(f8(invStd, j), 1 / Math.sqrt(<f64>load<f32>(f4(variance, j)) + epsilon));
  zeroF32(sumDy, 2 * c);
  zeroF32(sumDyXhat, 2 * c);
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * <usize>c) << 2;
    let j = 0;
    for (; j + 2 <= c; j += 2) {
      const d = load2(f4(dy + o, j));
      const xhat = f64x2.mul(f64x2.sub(load2(f4(x + o, j)), load2(f4(mean, j))), v128.load(f8(invStd, j)));
      v128.store(f8(sumDy, j), f64x2.add(v128.load(f8(sumDy, j)), d));
      v128.store(f8(sumDyXhat, j), f64x2.add(v128.load(f8(sumDyXhat, j)), f64x2.mul(d, xhat)));
    }
    for (; j < c; j++) {
      const d = <f64>load<f32>(f4(dy + o, j));
      const xhat = (<f64>load<f32>(f4(x + o, j)) - <f64>load<f32>(f4(mean, j))) * load<f64>(f8(invStd, j));
      store<f64>(f8(sumDy, j), load<f64>(f8(sumDy, j)) + d);
      store<f64>(f8(sumDyXhat, j), load<f64>(f8(sumDyXhat, j)) + d * xhat);
    }
  }
  for (let j = 0; j < c; j++) {
    if (dgamma) store<f32>(f4(dgamma, j), <f32>load<f64>(f8(sumDyXhat, j)));
    if (dbeta) store<f32>(f4(dbeta, j), <f32>load<f64>(f8(sumDy, j)));
  }
  if (dx) batchNormDx(x, mean, gamma, dy, dx, rows, c, batchStats, invStd, sumDy, sumDyXhat);
}

function batchNormDx(x: usize, mean: usize, gamma: usize, dy: usize, dx: usize, rows: i32, c: i32, batchStats: i32, invStd: usize, sumDy: usize, sumDyXhat: usize): void {
  const n = <f64>rows;
  const nV = f64x2.splat(n);
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * <usize>c) << 2;
    let j = 0;
    for (; j + 2 <= c; j += 2) {
      const k = f64x2.mul(load2(f4(gamma, j)), v128.load(f8(invStd, j)));
      const d = load2(f4(dy + o, j));
      let v: v128;
      if (!batchStats) v = f64x2.mul(k, d);
      else {
        const xhat = f64x2.mul(f64x2.sub(load2(f4(x + o, j)), load2(f4(mean, j))), v128.load(f8(invStd, j)));
        const t = f64x2.sub(f64x2.sub(f64x2.mul(nV, d), v128.load(f8(sumDy, j))), f64x2.mul(xhat, v128.load(f8(sumDyXhat, j))));
        v = f64x2.mul(f64x2.div(k, nV), t);
      }
      store2(f4(dx + o, j), v);
    }
    for (; j < c; j++) {
      const k = <f64>load<f32>(f4(gamma, j)) * load<f64>(f8(invStd, j));
      const d = <f64>load<f32>(f4(dy + o, j));
      let v: f64;
      if (!batchStats) v = k * d;
      else {
        const xhat = (<f64>load<f32>(f4(x + o, j)) - <f64>load<f32>(f4(mean, j))) * load<f64>(f8(invStd, j));
        v = (k / n) * (n * d - load<f64>(f8(sumDy, j)) - xhat * load<f64>(f8(sumDyXhat, j)));
      }
      store<f32>(f4(dx + o, j), <f32>v);
    }
  }
}
