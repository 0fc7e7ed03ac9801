// Conformance cases for the graph-model kernels (activations, batch normalization, average pooling, add,
// axpy, copyColumns, softmax backward, RMSprop, AdamW), for any backend: graphKernelConformance(be) registers
// one node:test case per kernel and shape, checking the backend against naive float64 loops written here
// and against the reference backend (the definition). Awkward shapes on purpose: one row, channels that are
// not a multiple of any vector width, odd sizes with 'same' padding and stride 2, in-place calls where the
// interface allows them, null outputs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Activation, Backend } from '../../src/engine/backend.js';
import { SELU_ALPHA, SELU_SCALE } from '../../src/engine/backend.js';
import { referenceBackend } from '../../src/engine/backends/reference/index.js';
import { windowGeometry, type Padding, type WindowGeometry } from '../../src/engine/geometry.js';
import { Random } from '../../src/engine/random.js';
import { assertClose } from './close.js';

// ---- data and comparisons ---------------------------------------------------------------------------

export function uniform(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = new Random(seed);
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = r.uniform(lo, hi);
  return a;
}

/** The spacing of float32 values at v (the smallest denormal below the normal range). */
export function ulp(v: number): number {
  const a = Math.abs(Math.fround(v));
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Every |got − want| ≤ ulps·ulp(want) + floor (NaN where want is NaN), naming the worst element. */
export function assertUlps(got: ArrayLike<number>, want: ArrayLike<number>, ulps: number, what: string, floor = 0): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  let worst = -1, at = -1;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) {
      assert.ok(Number.isNaN(got[i]), `${what}: index ${i} is ${got[i]}, expected NaN`);
      continue;
    }
    const excess = Math.abs(got[i] - want[i]) - ulps * ulp(want[i]) - floor;
    if (!(excess <= worst)) [worst, at] = [excess, i];
  }
  if (at >= 0) {
    const d = Math.abs(got[at] - want[at]) / ulp(want[at]);
    assert.ok(worst <= 0, `${what}: index ${at} is ${got[at]}, expected ${want[at]} (${d.toFixed(1)} ulp, allowed ${ulps}${floor ? ` + ${floor}` : ''})`);
  }
}

/** Bit-for-bit equality of two float32 arrays (NaNs included). */
export function assertSameBits(got: Float32Array, want: Float32Array, what: string): void {
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length), b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${what}: index ${i} is ${got[i]}, expected the same bits as ${want[i]}`);
}

const filled = (n: number, v = NaN) => new Float32Array(n).fill(v);

// ---- naive float64 definitions --------------------------------------------------------------------

function naiveAct(act: Activation, x: number, alpha: number): number {
  switch (act) {
    case 'linear': return x;
    case 'relu': return x > 0 ? x : 0;
    case 'leakyRelu': return x < 0 ? alpha * x : x;
    case 'tanh': return Math.tanh(x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'elu': return x > 0 ? x : alpha * Math.expm1(x);
    case 'selu': return x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x);
  }
}

/** f'(x) written from y = f(x), in float64. */
function naiveActGrad(act: Activation, y: number, alpha: number): number {
  switch (act) {
    case 'linear': return 1;
    case 'relu': return y > 0 ? 1 : 0;
    case 'leakyRelu': return y < 0 ? alpha : 1;
    case 'tanh': return 1 - y * y;
    case 'sigmoid': return y * (1 - y);
    case 'elu': return y > 0 ? 1 : y + alpha;
    case 'selu': return y > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
  }
}

function naiveMoments(x: Float32Array, rows: number, c: number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(c), variance = new Float64Array(c);
  for (let i = 0; i < rows * c; i++) mean[i % c] += x[i] / rows;
  for (let i = 0; i < rows * c; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / rows;
  return { mean, variance };
}

interface BnBackward { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array }
function naiveBnBackward(
  x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, eps: number, dy: Float32Array, rows: number, c: number, batchStats: boolean,
): BnBackward {
  const dgamma = new Float64Array(c), dbeta = new Float64Array(c), dx = new Float64Array(rows * c);
  const inv = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  for (let i = 0; i < rows * c; i++) {
    const j = i % c;
    dbeta[j] += dy[i];
    dgamma[j] += dy[i] * (x[i] - mean[j]) * inv[j];
  }
  for (let i = 0; i < rows * c; i++) {
    const j = i % c, xhat = (x[i] - mean[j]) * inv[j];
    // d/dx of gamma·x̂ + beta, through the batch mean and variance when they are this batch's.
    dx[i] = batchStats ? (gamma[j] * inv[j] / rows) * (rows * dy[i] - dbeta[j] - xhat * dgamma[j]) : gamma[j] * inv[j] * dy[i];
  }
  return { dx, dgamma, dbeta };
}

/** Window [y0, y1) × [x0, x1) of output (oy, ox), clipped to the input. */
function window(g: WindowGeometry, oy: number, ox: number): [number, number, number, number] {
  const y0 = oy * g.strideH - g.padTop, x0 = ox * g.strideW - g.padLeft;
  return [Math.max(y0, 0), Math.min(y0 + g.kh, g.h), Math.max(x0, 0), Math.min(x0 + g.kw, g.w)];
}

function naiveAvgPool(x: Float32Array, dy: Float32Array, g: WindowGeometry): { y: Float64Array; dx: Float64Array } {
  const y = new Float64Array(g.n * g.oh * g.ow * g.c), dx = new Float64Array(x.length);
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++) {
        const [y0, y1, x0, x1] = window(g, oy, ox), count = (y1 - y0) * (x1 - x0);
        for (let ch = 0; ch < g.c; ch++) {
          const o = ((b * g.oh + oy) * g.ow + ox) * g.c + ch;
          for (let iy = y0; iy < y1; iy++)
            for (let ix = x0; ix < x1; ix++) {
              const i = ((b * g.h + iy) * g.w + ix) * g.c + ch;
              y[o] += x[i] / count;
              dx[i] += dy[o] / count;
            }
        }
      }
  return { y, dx };
}

// ---- cases --------------------------------------------------------------------------------------------

const ACTS: [Activation, number][] = [['linear', 0], ['relu', 0], ['tanh', 0], ['sigmoid', 0], ['elu', 1], ['elu', 0.7], ['selu', 0], ['leakyRelu', 0.3]];
const SIZES = [1, 7, 17, 129, 100003];
/** Values at the kernels' branch points and limits (polynomial ranges of exp/expm1/tanh, exp's clamp). */
const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-6, -1e-6, 0.3499, -0.3501, 0.6249, -0.6251, 1, -1, 9, -9, 20, -20, 87.5, -87.5, 89, -89, 100, -100, Infinity, -Infinity];

function activationInput(size: number, seed: number): Float32Array {
  const x = uniform(size, seed, -6, 6);
  for (let i = 0; i < Math.min(size, SPECIAL.length); i++) x[(i * 7919) % size] = SPECIAL[i];
  return x;
}

const BN_SHAPES: [number, number][] = [[1, 1], [1, 5], [3, 17], [129, 3], [100, 16], [7, 129], [300, 1], [1000, 33], [3136, 16], [5000, 64], [2000, 257]];
interface PoolCase { x: [number, number, number, number]; k: [number, number]; s: [number, number]; pad: Padding }
const AVG_POOL_CASES: PoolCase[] = [
  { x: [2, 7, 7, 3], k: [2, 2], s: [2, 2], pad: 'same' },
  { x: [1, 5, 5, 1], k: [3, 3], s: [1, 1], pad: 'same' },
  { x: [2, 9, 9, 17], k: [3, 3], s: [2, 2], pad: 'same' },
  { x: [1, 9, 9, 129], k: [3, 3], s: [2, 2], pad: 'valid' },
  { x: [3, 28, 28, 6], k: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [2, 6, 5, 33], k: [3, 2], s: [2, 1], pad: 'same' },
  { x: [1, 1, 1, 7], k: [1, 1], s: [1, 1], pad: 'valid' },
  { x: [16, 14, 14, 16], k: [2, 2], s: [2, 2], pad: 'valid' },
  // Windows that tile the input, with a row and a column no window covers (their dx is 0).
  { x: [2, 7, 9, 5], k: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [1, 7, 5, 9], k: [3, 2], s: [3, 2], pad: 'valid' },
];
const GAP_SHAPES: [number, number, number][] = [[1, 1, 1], [3, 7, 10], [2, 49, 64], [5, 784, 3], [1, 1000, 17], [128, 49, 64]];

const shape = (a: readonly number[]) => `[${a.join(',')}]`;

/**
 * How close a backend must come. 'ulps' (the native backend): within the ulp bounds of each case, as float64
 * arithmetic or fused multiply-adds give. 'float32' (the WebAssembly backend, which computes in float32 SIMD,
 * summing in float32 where the reference sums in float64): within 1e-5 of each output's largest magnitude,
 * elementwise, and 1e-6 in norm.
 */
export type Precision = 'ulps' | 'float32';
let precision: Precision = 'ulps';

/** Registers the graph-model kernel cases for the backend that `be` returns (called when each test runs). */
export function graphKernelConformance(be: () => Backend, o: { precision?: Precision } = {}): void {
  precision = o.precision ?? 'ulps';
  const ref = referenceBackend();
  activationCases(be, ref);
  batchNormCases(be, ref);
  poolingCases(be, ref);
  elementwiseCases(be, ref);
  optimizerCases(be, ref);
  precision = 'ulps';
}

/** assertUlps for the precision the cases are registered with (read when the case is registered). */
function nearFor(p: Precision): (got: ArrayLike<number>, want: ArrayLike<number>, ulps: number, what: string, floor?: number) => void {
  if (p === 'ulps') return assertUlps;
  // A floor marks a case whose error is bounded by a larger quantity than the output (batch norm's x·scale):
  // float32 arithmetic gets 64 times the bound there.
  return (got, want, ulps, what, floor = 0) => (floor > 0 ? assertUlps(got, want, 64 * ulps, what, 64 * floor) : closeFloat32(got, want, what));
}

/** Non-finite values must agree exactly; finite ones within 1e-5 of the largest finite magnitude (1e-6 in norm). */
function closeFloat32(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  const g: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < want.length; i++) {
    if (Number.isFinite(want[i])) {
      g.push(got[i]);
      w.push(want[i]);
    } else {
      assert.ok(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])), `${what}: index ${i} is ${got[i]}, expected ${want[i]}`);
    }
  }
  assertClose(g, w, what, 1e-6, 1e-5);
}

function activationCases(be: () => Backend, ref: Backend): void {
  const near = nearFor(precision);
  for (const [act, alpha] of ACTS)
    for (const size of SIZES) {
      test(`activationForward/Backward ${act}${alpha ? ` alpha=${alpha}` : ''} size=${size}`, () => {
        const x = activationInput(size, size + alpha * 10), dy = uniform(size, size + 1);
        const y = filled(size);
        be().activationForward(act, x, y, alpha);
        near(y, Array.from(x, (v) => naiveAct(act, v, alpha)), 4, 'forward vs naive', 1e-37);
        const yr = new Float32Array(size);
        ref.activationForward(act, x, yr, alpha);
        near(y, yr, 4, 'forward vs reference', 1e-37);
        const inPlace = x.slice();
        be().activationForward(act, inPlace, inPlace, alpha);
        assertSameBits(inPlace, y, 'forward in place');

        const dx = filled(size);
        be().activationBackward(act, yr, dy, dx, alpha);
        near(dx, Array.from(dy, (d, i) => d * naiveActGrad(act, yr[i], alpha)), 4, 'backward vs naive', 1e-37);
        const dr = new Float32Array(size);
        ref.activationBackward(act, yr, dy, dr, alpha);
        near(dx, dr, 4, 'backward vs reference', 1e-37);
        const dyInPlace = dy.slice();
        be().activationBackward(act, yr, dyInPlace, dyInPlace, alpha);
        assertSameBits(dyInPlace, dx, 'backward in place (dx = dy)');
      });
    }
  test('activationForward of NaN: NaN, except relu (0, as x > 0 is false)', () => {
    for (const [act, alpha] of ACTS) {
      const y = new Float32Array(19);
      be().activationForward(act, new Float32Array(19).fill(NaN), y, alpha);
      for (const v of y) assert.ok(act === 'relu' ? v === 0 : Number.isNaN(v), `${act}: NaN gave ${v}`);
    }
  });
}

function batchNormCases(be: () => Backend, ref: Backend): void {
  const near = nearFor(precision);
  const float32 = precision === 'float32';
  for (const [rows, c] of BN_SHAPES) {
    const seed = rows * 31 + c;
    // Offset data (mean 3, spread 0.5): a one-pass Σx² formula would lose digits here.
    const x = uniform(rows * c, seed, 2.5, 3.5), dy = uniform(rows * c, seed + 1);
    const gamma = uniform(c, seed + 2, 0.5, 1.5), beta = uniform(c, seed + 3, -0.5, 0.5);
    const eps = 1e-3;
    test(`batchNormStats rows=${rows} c=${c}`, () => {
      const mean = filled(c), variance = filled(c);
      be().batchNormStats(x, mean, variance, rows, c);
      const want = naiveMoments(x, rows, c);
      near(mean, want.mean, 1, 'mean vs naive');
      near(variance, want.variance, 2, 'variance vs naive');
      const mr = new Float32Array(c), vr = new Float32Array(c);
      ref.batchNormStats(x, mr, vr, rows, c);
      near(mean, mr, 1, 'mean vs reference');
      near(variance, vr, 2, 'variance vs reference');
    });
    const mean = new Float32Array(c), variance = new Float32Array(c);
    ref.batchNormStats(x, mean, variance, rows, c);
    test(`batchNormForward rows=${rows} c=${c}, and in place`, () => {
      const y = filled(rows * c);
      be().batchNormForward(x, mean, variance, gamma, beta, eps, y, rows, c, false);
      const want = Array.from(x, (v, i) => (gamma[i % c] * (v - mean[i % c])) / Math.sqrt(variance[i % c] + eps) + beta[i % c]);
      // The definition computes x·scale + shift with scale and shift rounded to float32: its error is a few
      // ulps of x·scale, however small y is (y = beta exactly when rows is 1).
      let big = 0;
      for (let i = 0; i < x.length; i++) big = Math.max(big, Math.abs(x[i] * gamma[i % c]) / Math.sqrt(variance[i % c] + eps));
      near(y, want, 2, 'vs naive', 2 * ulp(big));
      const yr = new Float32Array(rows * c);
      ref.batchNormForward(x, mean, variance, gamma, beta, eps, yr, rows, c, false);
      near(y, yr, 1, 'vs reference', float32 ? 2 * ulp(big) : 0);
      const inPlace = x.slice();
      be().batchNormForward(inPlace, mean, variance, gamma, beta, eps, inPlace, rows, c, false);
      assertSameBits(inPlace, y, 'in place (y = x)');
    });
    test(`batchNorm with a fused ReLU rows=${rows} c=${c}: the same bits as the normalization and then the ReLU, forward and backward`, () => {
      const b = be();
      const bn = filled(rows * c), relu = filled(rows * c), fused = filled(rows * c);
      b.batchNormForward(x, mean, variance, gamma, beta, eps, bn, rows, c, false);
      b.activationForward('relu', bn, relu, 0);
      b.batchNormForward(x, mean, variance, gamma, beta, eps, fused, rows, c, true);
      assertSameBits(fused, relu, 'forward');
      const zeros = relu.filter((v) => v === 0).length;
      if (rows * c >= 16) assert.ok(zeros > 0 && zeros < relu.length, `the ReLU clears some values and keeps others (${zeros} of ${relu.length} cleared)`);
      const inPlace = x.slice();
      b.batchNormForward(inPlace, mean, variance, gamma, beta, eps, inPlace, rows, c, true);
      assertSameBits(inPlace, relu, 'forward in place');
      for (const batchStats of [true, false]) {
        // The layers on their own: the ReLU's backward gates dy, then the normalization's backward.
        const gated = filled(rows * c);
        b.activationBackward('relu', relu, dy, gated, 0);
        const dx = filled(rows * c), dgamma = filled(c), dbeta = filled(c);
        b.batchNormBackward(x, mean, variance, gamma, eps, gated, dx, dgamma, dbeta, rows, c, batchStats, null);
        const fx = filled(rows * c), fg = filled(c), fb = filled(c);
        b.batchNormBackward(x, mean, variance, gamma, eps, dy, fx, fg, fb, rows, c, batchStats, beta);
        assertSameBits(fx, dx, `dx, batchStats=${batchStats}`);
        assertSameBits(fg, dgamma, `dgamma, batchStats=${batchStats}`);
        assertSameBits(fb, dbeta, `dbeta, batchStats=${batchStats}`);
        const over = dy.slice(), only = filled(c);
        b.batchNormBackward(x, mean, variance, gamma, eps, over, over, null, null, rows, c, batchStats, beta);
        assertSameBits(over, dx, `dx written over dy, batchStats=${batchStats}`);
        b.batchNormBackward(x, mean, variance, gamma, eps, dy, null, only, null, rows, c, batchStats, beta);
        assertSameBits(only, dgamma, `dgamma alone, batchStats=${batchStats}`);
      }
    });
    for (const batchStats of [true, false]) {
      test(`batchNormBackward rows=${rows} c=${c} batchStats=${batchStats}: all outputs, null ones, dx = dy`, () => {
        const want = naiveBnBackward(x, mean, variance, gamma, eps, dy, rows, c, batchStats);
        const dx = filled(rows * c), dgamma = filled(c), dbeta = filled(c);
        be().batchNormBackward(x, mean, variance, gamma, eps, dy, dx, dgamma, dbeta, rows, c, batchStats, null);
        assertClose(dgamma, want.dgamma, 'dgamma vs naive', 1e-6, 1e-6);
        assertClose(dbeta, want.dbeta, 'dbeta vs naive', 1e-6, 1e-6);
        assertClose(dx, want.dx, 'dx vs naive', 1e-6, 1e-5);
        const dxr = new Float32Array(rows * c), dgr = new Float32Array(c), dbr = new Float32Array(c);
        ref.batchNormBackward(x, mean, variance, gamma, eps, dy, dxr, dgr, dbr, rows, c, batchStats, null);
        assertClose(dx, dxr, 'dx vs reference', 1e-6, 1e-5);
        assertClose(dgamma, dgr, 'dgamma vs reference', 1e-6, 1e-6);
        assertClose(dbeta, dbr, 'dbeta vs reference', 1e-6, 1e-6);
        // Null outputs: the others are still written, and dy is left alone.
        const dy2 = dy.slice(), dg2 = filled(c), db2 = filled(c), dx2 = filled(rows * c);
        be().batchNormBackward(x, mean, variance, gamma, eps, dy2, null, dg2, null, rows, c, batchStats, null);
        assertSameBits(dg2, dgamma, 'dgamma with dx and dbeta null');
        be().batchNormBackward(x, mean, variance, gamma, eps, dy2, null, null, db2, rows, c, batchStats, null);
        assertSameBits(db2, dbeta, 'dbeta with dx and dgamma null');
        be().batchNormBackward(x, mean, variance, gamma, eps, dy2, dx2, null, null, rows, c, batchStats, null);
        assertSameBits(dx2, dx, 'dx with dgamma and dbeta null');
        be().batchNormBackward(x, mean, variance, gamma, eps, dy2, null, null, null, rows, c, batchStats, null);
        assertSameBits(dy2, dy, 'dy untouched');
        // dx written over dy.
        be().batchNormBackward(x, mean, variance, gamma, eps, dy2, dy2, null, null, rows, c, batchStats, null);
        assertSameBits(dy2, dx, 'dx = dy');
      });
    }
  }
}

function poolingCases(be: () => Backend, ref: Backend): void {
  const near = nearFor(precision);
  for (const p of AVG_POOL_CASES) {
    const g = windowGeometry('test', p.x, p.k, p.s, p.pad);
    const seed = p.x.reduce((a, b) => a * 13 + b, 3);
    const x = uniform(p.x.reduce((a, b) => a * b, 1), seed), dy = uniform(g.n * g.oh * g.ow * g.c, seed + 1);
    test(`avgPool2dForward/Backward x=${shape(p.x)} k=${shape(p.k)} s=${shape(p.s)} ${p.pad}`, () => {
      const want = naiveAvgPool(x, dy, g);
      const y = filled(dy.length);
      be().avgPool2dForward(x, y, g);
      assertClose(y, want.y, 'y vs naive', 1e-6, 1e-6);
      const yr = new Float32Array(dy.length);
      ref.avgPool2dForward(x, yr, g);
      assertClose(y, yr, 'y vs reference', 1e-6, 1e-6);
      const dx = filled(x.length);
      be().avgPool2dBackward(dy, dx, g);
      assertClose(dx, want.dx, 'dx vs naive', 1e-6, 1e-6);
      const dxr = new Float32Array(x.length);
      ref.avgPool2dBackward(dy, dxr, g);
      assertClose(dx, dxr, 'dx vs reference', 1e-6, 1e-6);
    });
  }
  for (const [n, hw, c] of GAP_SHAPES) {
    test(`globalAvgPoolForward/Backward n=${n} hw=${hw} c=${c}`, () => {
      const x = uniform(n * hw * c, n + hw + c, 0, 2), dy = uniform(n * c, n * c);
      const want = new Float64Array(n * c);
      for (let i = 0; i < x.length; i++) want[Math.floor(i / (hw * c)) * c + (i % c)] += x[i] / hw;
      const y = filled(n * c);
      be().globalAvgPoolForward(x, y, n, hw, c);
      near(y, want, 1, 'y vs naive');
      const yr = new Float32Array(n * c);
      ref.globalAvgPoolForward(x, yr, n, hw, c);
      near(y, yr, 1, 'y vs reference');
      const dx = filled(x.length);
      be().globalAvgPoolBackward(dy, dx, n, hw, c);
      assertSameBits(dx, Float32Array.from(x, (_, i) => dy[Math.floor(i / (hw * c)) * c + (i % c)] / hw), 'dx vs naive');
    });
  }
}

function elementwiseCases(be: () => Backend, ref: Backend): void {
  const near = nearFor(precision);
  const strictAliasing = precision === 'ulps';
  for (const size of SIZES) {
    test(`add (and with a fused ReLU) and axpy size=${size}, in place`, () => {
      const a = uniform(size, size), b = uniform(size, size + 1, -1e3, 1e3);
      const y = filled(size);
      be().add(a, b, y, false);
      assertSameBits(y, Float32Array.from(a, (v, i) => v + b[i]), 'add vs naive');
      const a2 = a.slice(), b2 = b.slice();
      be().add(a2, b, a2, false);
      be().add(a, b2, b2, false);
      assertSameBits(a2, y, 'add into a');
      assertSameBits(b2, y, 'add into b');
      // With the ReLU: the same bits as the add and then the backend's own ReLU; in place too.
      const relu = filled(size), fused = filled(size), fusedInPlace = a.slice();
      be().activationForward('relu', y, relu, 0);
      be().add(a, b, fused, true);
      be().add(fusedInPlace, b, fusedInPlace, true);
      assertSameBits(fused, relu, 'add with a ReLU vs add, then relu');
      assertSameBits(fusedInPlace, relu, 'add with a ReLU into a');
      if (size >= 16) assert.ok(fused.some((v) => v === 0) && fused.some((v) => v > 0), 'the ReLU clears some sums and keeps others');
      const special = Float32Array.of(NaN, -0, 0, -1, 1), zeros = new Float32Array(5), out5 = filled(5);
      be().add(special, zeros, out5, true);
      assertSameBits(out5, Float32Array.of(0, 0, 0, 0, 1), 'NaN, −0, 0, −1, 1 through the fused ReLU: +0 but for 1');
      for (const alpha of [1, -0.37, 1e-4]) {
        const yy = b.slice(), yr = b.slice();
        be().axpy(alpha, a, yy);
        ref.axpy(alpha, a, yr);
        near(yy, Array.from(b, (v, i) => v + alpha * a[i]), 0.5, `axpy alpha=${alpha} vs naive`);
        near(yy, yr, 0, `axpy alpha=${alpha} vs reference`);
      }
    });
  }
  // [rows, srcCols, srcOffset, dstCols, dstOffset, cols]
  const copies: [number, number, number, number, number, number][] = [[1, 5, 2, 7, 4, 3], [9, 3, 0, 8, 5, 3], [300, 16, 0, 48, 16, 16], [17, 33, 1, 33, 0, 31], [4, 6, 6, 3, 3, 0], [0, 4, 0, 4, 0, 4], [3000, 64, 32, 96, 64, 32]];
  for (const [rows, sc, so, dc, dOff, cols] of copies) {
    test(`copyColumns rows=${rows} src ${sc}@${so} → dst ${dc}@${dOff} cols=${cols}`, () => {
      const src = uniform(rows * sc, rows + sc);
      const dst = filled(rows * dc, 7), want = filled(rows * dc, 7);
      for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) want[r * dc + dOff + j] = src[r * sc + so + j];
      be().copyColumns(src, sc, so, dst, dc, dOff, rows, cols);
      assertSameBits(dst, want, 'vs naive (other columns untouched)');
    });
  }
  if (strictAliasing) test('copyColumns within one buffer: rows in order, as the reference', () => {
    const buf = uniform(40, 3), mine = buf.slice(), theirs = buf.slice();
    be().copyColumns(mine, 4, 0, mine.subarray(2), 4, 1, 9, 3);
    ref.copyColumns(theirs, 4, 0, theirs.subarray(2), 4, 1, 9, 3);
    assertSameBits(mine, theirs, 'vs reference');
  });
  for (const [rows, cols] of [[1, 1], [7, 10], [129, 13], [128, 10], [3000, 17]] as const) {
    test(`softmaxBackward rows=${rows} cols=${cols}, and dx = dy`, () => {
      const logits = uniform(rows * cols, rows + cols, -4, 4), dy = uniform(rows * cols, rows * cols);
      const y = new Float32Array(rows * cols);
      ref.softmax(logits, y, rows, cols);
      const want = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += dy[r * cols + j] * y[r * cols + j];
        for (let j = 0; j < cols; j++) want[r * cols + j] = y[r * cols + j] * (dy[r * cols + j] - dot);
      }
      const dx = filled(rows * cols);
      be().softmaxBackward(y, dy, dx, rows, cols);
      assertClose(dx, want, 'vs naive', 1e-6, 1e-6);
      const dr = new Float32Array(rows * cols);
      ref.softmaxBackward(y, dy, dr, rows, cols);
      assertClose(dx, dr, 'vs reference', 1e-6, 1e-6);
      const inPlace = dy.slice();
      be().softmaxBackward(y, inPlace, inPlace, rows, cols);
      assertSameBits(inPlace, dx, 'dx = dy');
    });
  }
}

function optimizerCases(be: () => Backend, ref: Backend): void {
  const near = nearFor(precision);
  for (const size of SIZES) {
    test(`rmspropStep size=${size} momentum 0 and 0.9, three steps`, () => {
      for (const momentum of [0, 0.9]) {
        const hp = { lr: 1e-3, rho: 0.9, momentum, epsilon: 1e-7 };
        const p = uniform(size, 1), g = uniform(size, 2), ms = uniform(size, 3, 0, 0.1), mom = uniform(size, 4, -0.01, 0.01);
        const mine = [p.slice(), ms.slice(), mom.slice()], theirs = [p.slice(), ms.slice(), mom.slice()];
        const naive = [Float64Array.from(p), Float64Array.from(ms), Float64Array.from(mom)];
        for (let s = 0; s < 3; s++) {
          be().rmspropStep(mine[0], g, mine[1], mine[2], hp);
          ref.rmspropStep(theirs[0], g, theirs[1], theirs[2], hp);
          for (let i = 0; i < size; i++) {
            naive[1][i] = 0.9 * naive[1][i] + 0.1 * g[i] * g[i];
            const step = (1e-3 * g[i]) / Math.sqrt(naive[1][i] + 1e-7);
            naive[0][i] -= momentum > 0 ? (naive[2][i] = momentum * naive[2][i] + step) : step;
          }
        }
        assertClose(mine[0], naive[0], `params vs naive (momentum ${momentum})`, 1e-6, 1e-6);
        assertClose(mine[1], naive[1], 'ms vs naive', 1e-6, 1e-6);
        near(mine[0], theirs[0], 1, 'params vs reference', 4 * ulp(1e-3));
        near(mine[1], theirs[1], 1, 'ms vs reference');
        near(mine[2], theirs[2], 1, 'mom vs reference');
      }
    });
    test(`adamStep with weightDecay (AdamW) size=${size}, steps 1 to 3`, () => {
      const p = uniform(size, 5), g = uniform(size, 6), m = uniform(size, 7, 0, 0.1), v = uniform(size, 8, 0, 0.1);
      const mine = [p.slice(), m.slice(), v.slice()], theirs = [p.slice(), m.slice(), v.slice()];
      const naive = [Float64Array.from(p), Float64Array.from(m), Float64Array.from(v)];
      for (let step = 1; step <= 3; step++) {
        const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step, weightDecay: 0.004 };
        be().adamStep(mine[0], g, mine[1], mine[2], hp);
        ref.adamStep(theirs[0], g, theirs[1], theirs[2], hp);
        const c1 = 1 - 0.9 ** step, c2 = 1 - 0.999 ** step;
        for (let i = 0; i < size; i++) {
          naive[0][i] -= 1e-2 * 0.004 * naive[0][i];
          naive[1][i] = 0.9 * naive[1][i] + 0.1 * g[i];
          naive[2][i] = 0.999 * naive[2][i] + 0.001 * g[i] * g[i];
          naive[0][i] -= (1e-2 * (naive[1][i] / c1)) / (Math.sqrt(naive[2][i] / c2) + 1e-7);
        }
      }
      assertClose(mine[0], naive[0], 'params vs naive', 1e-6, 1e-6);
      // m and v may differ from the reference by an ulp (a contracted multiply-add in float64 that lands on
      // the other side of a float32 rounding boundary), then a few ulps of their largest values where later steps
      // cancel them; params a few ulps of the update (lr = 1e-2).
      near(mine[0], theirs[0], 1, 'params vs reference', 4 * ulp(1e-2));
      near(mine[1], theirs[1], 1, 'm vs reference', 2 * ulp(0.25));
      near(mine[2], theirs[2], 1, 'v vs reference', 2 * ulp(0.1));
    });
  }
}
