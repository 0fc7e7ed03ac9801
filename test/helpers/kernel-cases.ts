// Kernel cases for the WebAssembly backend's check in Chromium (wasm-browser.test.ts bundles this file and
// kernel-cases-core.ts; in Node every backend runs backend-conformance.test.ts with helpers/graph-kernels.ts):
// each case runs one kernel on fresh copies of seeded inputs and returns its outputs; `naive` computes the same
// in double precision with plain loops. Awkward shapes: sizes not a multiple of 4, one row, one channel,
// 'same' padding at the edges, in-place calls. Browser-safe: no Node APIs, no assertions.

import { SELU_ALPHA, SELU_SCALE, type Activation, type Backend } from '../../src/engine/backend.js';
import { windowGeometry, type Padding, type WindowGeometry } from '../../src/engine/geometry.js';
import { randomTensor } from './random.js';

export type Outputs = Record<string, ArrayLike<number> | number>;

export interface KernelCase {
  name: string;
  /** graph: the kernels the graph models added; core: a representative set of the others. */
  group: 'graph' | 'core';
  run(be: Backend): Outputs;
  naive?(): Outputs;
  /** Tolerance (see compare); 0: bit-identical. */
  tol: number;
}

export const rand = (n: number, seed: number, lo = -1, hi = 1) => randomTensor([n], seed, lo, hi).data;
export const copy = (a: Float32Array) => a.slice();
export const shape = (a: readonly number[]) => `[${a.join(',')}]`;

/** Norm-relative error and the largest difference relative to the largest expected magnitude. */
export function compare(got: ArrayLike<number>, want: ArrayLike<number>): { rel: number; max: number; at: number } {
  if (got.length !== want.length) return { rel: Infinity, max: Infinity, at: -1 };
  let num = 0, den = 0, worst = 0, at = -1, scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = got[i] - want[i];
    num += d * d;
    den += want[i] * want[i];
    scale = Math.max(scale, Math.abs(want[i]));
    if (!(Math.abs(d) <= worst)) {
      worst = Math.abs(d);
      at = i;
    }
  }
  return { rel: den === 0 ? Math.sqrt(num) : Math.sqrt(num) / Math.sqrt(den), max: scale === 0 ? worst : worst / scale, at };
}

// ---- activations ---------------------------------------------------------------------------------------

function activate(act: Activation, x: number, alpha: number): number {
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

function derivative(act: Activation, x: number, alpha: number): number {
  switch (act) {
    case 'linear': return 1;
    case 'relu': return x > 0 ? 1 : 0;
    case 'leakyRelu': return x < 0 ? alpha : 1;
    case 'tanh': return 1 - Math.tanh(x) ** 2;
    case 'sigmoid': { const s = 1 / (1 + Math.exp(-x)); return s * (1 - s); }
    case 'elu': return x > 0 ? 1 : alpha * Math.exp(x);
    case 'selu': return x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x);
  }
}

const ACTIVATIONS: Activation[] = ['linear', 'relu', 'tanh', 'sigmoid', 'elu', 'selu', 'leakyRelu'];

function activationCases(): KernelCase[] {
  const out: KernelCase[] = [];
  for (const size of [1, 7, 1003]) {
    const x = rand(size, size, -3, 3);
    x[0] = 0; // the kink: relu'(0) = 0, leakyRelu and elu take their x ≥ 0 branch
    const dy = rand(size, size + 1);
    for (const act of ACTIVATIONS) {
      const alpha = act === 'elu' ? 0.7 : 0.2;
      out.push({
        name: `activationForward/Backward ${act} size=${size}`,
        group: 'graph',
        tol: act === 'relu' || act === 'linear' ? 0 : 1e-5,
        run(be) {
          const y = new Float32Array(size).fill(NaN), dx = new Float32Array(size).fill(NaN);
          be.activationForward(act, x, y, alpha);
          be.activationBackward(act, y, dy, dx, alpha);
          const inPlace = copy(x), dInPlace = copy(dy);
          be.activationForward(act, inPlace, inPlace, alpha);
          be.activationBackward(act, inPlace, dInPlace, dInPlace, alpha);
          return { y, dx, yInPlace: inPlace, dxInPlace: dInPlace };
        },
        naive() {
          const y = Array.from(x, (v) => activate(act, v, alpha));
          const dx = Array.from(x, (v, i) => dy[i] * derivative(act, v, alpha));
          return { y, dx, yInPlace: y, dxInPlace: dx };
        },
      });
    }
  }
  return out;
}

// ---- batch normalization -------------------------------------------------------------------------------

function naiveMoments(x: Float32Array, rows: number, c: number): { mean: number[]; variance: number[] } {
  const mean = Array.from({ length: c }, (_, j) => { let s = 0; for (let r = 0; r < rows; r++) s += x[r * c + j]; return s / rows; });
  const variance = mean.map((m, j) => { let s = 0; for (let r = 0; r < rows; r++) s += (x[r * c + j] - m) ** 2; return s / rows; });
  return { mean, variance };
}

function batchNormCases(): KernelCase[] {
  const out: KernelCase[] = [];
  const eps = 1e-3;
  for (const [rows, c] of [[1, 1], [7, 3], [130, 33], [2000, 5]] as const) {
    const x = rand(rows * c, rows * 7 + c, -2, 3), dy = rand(rows * c, rows + c);
    const gamma = rand(c, c + 1, 0.5, 1.5), beta = rand(c, c + 2);
    const ref = naiveMoments(x, rows, c);
    const mean = Float32Array.from(ref.mean), variance = Float32Array.from(ref.variance);
    out.push({
      name: `batchNormStats x=[${rows},${c}]`, group: 'graph', tol: 1e-5,
      run(be) {
        const m = new Float32Array(c).fill(NaN), v = new Float32Array(c).fill(NaN);
        be.batchNormStats(x, m, v, rows, c);
        return { mean: m, variance: v };
      },
      naive: () => ({ mean: ref.mean, variance: ref.variance }),
    });
    // With a fused ReLU the forward clamps at 0, and the backward passes dy only where the forward's value was above 0.
    for (const relu of [false, true]) {
      out.push({
        name: `batchNormForward${relu ? ' with a fused ReLU' : ''} x=[${rows},${c}] (and in place)`, group: 'graph', tol: 1e-5,
        run(be) {
          const y = new Float32Array(rows * c).fill(NaN), inPlace = copy(x);
          be.batchNormForward(x, mean, variance, gamma, beta, eps, y, rows, c, relu);
          be.batchNormForward(inPlace, mean, variance, gamma, beta, eps, inPlace, rows, c, relu);
          return { y, inPlace };
        },
        naive() {
          const y = Array.from(x, (v, i) => {
            const j = i % c, z = (gamma[j] * (v - mean[j])) / Math.sqrt(variance[j] + eps) + beta[j];
            return relu ? Math.max(0, z) : z;
          });
          return { y, inPlace: y };
        },
      });
    }
    const scale = Float32Array.from(gamma, (g, j) => g / Math.sqrt(variance[j] + eps));
    const shift = Float32Array.from(beta, (b, j) => b - mean[j] * scale[j]);
    const open = Array.from(x, (v, i) => Math.fround(v * scale[i % c] + shift[i % c]) > 0);
    out.push({
      name: `batchNormBackward with a fused ReLU x=[${rows},${c}] batchStats=true`, group: 'graph', tol: rows === 1 ? 1e-3 : 1e-4,
      run(be) {
        const dx = new Float32Array(rows * c).fill(NaN), dg = new Float32Array(c).fill(NaN), db = new Float32Array(c).fill(NaN);
        be.batchNormBackward(x, mean, variance, gamma, eps, dy, dx, dg, db, rows, c, true, beta);
        return { dx, dgamma: dg, dbeta: db };
      },
      naive() {
        const g = Array.from(dy, (d, i) => (open[i] ? d : 0));
        const sumDy = new Float64Array(c), sumDyXhat = new Float64Array(c);
        const inv = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
        const xhat = (i: number) => (x[i] - mean[i % c]) * inv[i % c];
        g.forEach((d, i) => {
          sumDy[i % c] += d;
          sumDyXhat[i % c] += d * xhat(i);
        });
        const dx = g.map((d, i) => { const j = i % c; return ((gamma[j] * inv[j]) / rows) * (rows * d - sumDy[j] - xhat(i) * sumDyXhat[j]); });
        return { dx, dgamma: sumDyXhat, dbeta: sumDy };
      },
    });
    for (const batchStats of [true, false]) {
      out.push({
        name: `batchNormBackward x=[${rows},${c}] batchStats=${batchStats} (and dx in place, nulls)`, group: 'graph', tol: rows === 1 && batchStats ? 1e-3 : 1e-4,
        run(be) {
          const dx = new Float32Array(rows * c).fill(NaN), dg = new Float32Array(c).fill(NaN), db = new Float32Array(c).fill(NaN);
          be.batchNormBackward(x, mean, variance, gamma, eps, dy, dx, dg, db, rows, c, batchStats, null);
          const inPlace = copy(dy), dgOnly = new Float32Array(c).fill(NaN);
          be.batchNormBackward(x, mean, variance, gamma, eps, inPlace, inPlace, null, null, rows, c, batchStats, null);
          be.batchNormBackward(x, mean, variance, gamma, eps, dy, null, dgOnly, null, rows, c, batchStats, null);
          return { dx, dgamma: dg, dbeta: db, dxInPlace: inPlace, dgammaOnly: dgOnly };
        },
        naive() {
          const sumDy = new Float64Array(c), sumDyXhat = new Float64Array(c);
          const inv = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
          const xhat = (i: number) => (x[i] - mean[i % c]) * inv[i % c];
          for (let i = 0; i < rows * c; i++) {
            sumDy[i % c] += dy[i];
            sumDyXhat[i % c] += dy[i] * xhat(i);
          }
          const dx = Array.from(dy, (d, i) => {
            const j = i % c, k = gamma[j] * inv[j];
            return batchStats ? (k / rows) * (rows * d - sumDy[j] - xhat(i) * sumDyXhat[j]) : k * d;
          });
          return { dx, dgamma: sumDyXhat, dbeta: sumDy, dxInPlace: dx, dgammaOnly: sumDyXhat };
        },
      });
    }
  }
  return out;
}

// ---- pooling -------------------------------------------------------------------------------------------

function naiveAvgPool(x: Float32Array, dy: Float32Array, g: WindowGeometry): { y: Float64Array; dx: Float64Array } {
  const y = new Float64Array(g.n * g.oh * g.ow * g.c), dx = new Float64Array(g.n * g.h * g.w * g.c);
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let ch = 0; ch < g.c; ch++) {
          const cells: number[] = [];
          for (let ky = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.strideH - g.padTop + ky, ix = ox * g.strideW - g.padLeft + kx;
              if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) cells.push(((b * g.h + iy) * g.w + ix) * g.c + ch);
            }
          const o = ((b * g.oh + oy) * g.ow + ox) * g.c + ch;
          y[o] = cells.reduce((s, i) => s + x[i], 0) / cells.length;
          for (const i of cells) dx[i] += dy[o] / cells.length;
        }
  return { y, dx };
}

interface PoolCase { x: [number, number, number, number]; k: [number, number]; s: [number, number]; pad: Padding }
/** Pooling geometries: 'same' at the edges, a window wider than its stride, one channel, 129 channels. */
export const POOLS: PoolCase[] = [
  { x: [2, 7, 7, 3], k: [2, 2], s: [2, 2], pad: 'same' },
  { x: [1, 9, 9, 129], k: [3, 3], s: [2, 2], pad: 'valid' },
  { x: [2, 5, 5, 1], k: [3, 3], s: [1, 1], pad: 'same' },
  { x: [1, 6, 7, 8], k: [3, 2], s: [2, 1], pad: 'same' },
];

function poolCases(): KernelCase[] {
  const out: KernelCase[] = [];
  for (const p of POOLS) {
    const g = windowGeometry('test', p.x, p.k, p.s, p.pad);
    const x = rand(p.x.reduce((a, b) => a * b, 1), p.x.reduce((a, b) => a * 5 + b, 3));
    const dy = rand(g.n * g.oh * g.ow * g.c, g.oh * 13 + g.c);
    out.push({
      name: `avgPool2dForward/Backward x=${shape(p.x)} k=${shape(p.k)} s=${shape(p.s)} ${p.pad}`, group: 'graph', tol: 1e-5,
      run(be) {
        const y = new Float32Array(dy.length).fill(NaN), dx = new Float32Array(x.length).fill(NaN);
        be.avgPool2dForward(x, y, g);
        be.avgPool2dBackward(dy, dx, g);
        return { y, dx };
      },
      naive: () => naiveAvgPool(x, dy, g),
    });
  }
  for (const [n, hw, c] of [[1, 1, 1], [2, 49, 5], [3, 16, 130]] as const) {
    const x = rand(n * hw * c, n + hw + c), dy = rand(n * c, n * c);
    out.push({
      name: `globalAvgPoolForward/Backward x=[${n},${hw},${c}]`, group: 'graph', tol: 1e-5,
      run(be) {
        const y = new Float32Array(n * c).fill(NaN), dx = new Float32Array(x.length).fill(NaN);
        be.globalAvgPoolForward(x, y, n, hw, c);
        be.globalAvgPoolBackward(dy, dx, n, hw, c);
        return { y, dx };
      },
      naive() {
        const y = Array.from({ length: n * c }, (_, i) => { const b = Math.floor(i / c), ch = i % c; let s = 0; for (let q = 0; q < hw; q++) s += x[(b * hw + q) * c + ch]; return s / hw; });
        const dx = Array.from(x, (_, i) => { const ch = i % c, b = Math.floor(i / (hw * c)); return dy[b * c + ch] / hw; });
        return { y, dx };
      },
    });
  }
  return out;
}

// ---- element-wise, softmax backward, optimizers --------------------------------------------------------

function elementwiseCases(): KernelCase[] {
  const out: KernelCase[] = [];
  for (const size of [1, 7, 1003]) {
    const a = rand(size, size * 3), b = rand(size, size * 3 + 1);
    out.push({
      name: `add (and with a fused ReLU)/axpy size=${size} (and in place)`, group: 'graph', tol: 1e-6,
      run(be) {
        const y = new Float32Array(size).fill(NaN), inPlace = copy(a), acc = copy(b), relu = new Float32Array(size).fill(NaN);
        be.add(a, b, y, false);
        be.add(inPlace, b, inPlace, false);
        be.add(a, b, relu, true);
        be.axpy(-0.37, a, acc);
        return { y, inPlace, relu, axpy: acc };
      },
      naive: () => ({
        y: Array.from(a, (v, i) => v + b[i]), inPlace: Array.from(a, (v, i) => v + b[i]), relu: Array.from(a, (v, i) => Math.max(0, v + b[i])),
        axpy: Array.from(b, (v, i) => v - 0.37 * a[i]),
      }),
    });
  }
  for (const [rows, srcCols, srcOffset, dstCols, dstOffset, cols] of [[5, 7, 2, 10, 6, 3], [1, 1, 0, 1, 0, 1], [33, 64, 0, 96, 32, 64]] as const) {
    const src = rand(rows * srcCols, rows + srcCols), dst0 = rand(rows * dstCols, rows + dstCols);
    out.push({
      name: `copyColumns rows=${rows} src=[${srcCols}]+${srcOffset} dst=[${dstCols}]+${dstOffset} cols=${cols}`, group: 'graph', tol: 0,
      run(be) {
        const dst = copy(dst0);
        be.copyColumns(src, srcCols, srcOffset, dst, dstCols, dstOffset, rows, cols);
        return { dst };
      },
      naive() {
        const dst = Array.from(dst0);
        for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) dst[r * dstCols + dstOffset + j] = src[r * srcCols + srcOffset + j];
        return { dst };
      },
    });
  }
  for (const [rows, cols] of [[1, 1], [7, 10], [129, 13]] as const) {
    const logits = rand(rows * cols, rows * cols, -4, 4), dy = rand(rows * cols, rows + cols);
    out.push({
      name: `softmaxBackward rows=${rows} cols=${cols} (and in place)`, group: 'graph', tol: 1e-5,
      run(be) {
        const y = new Float32Array(rows * cols), dx = new Float32Array(rows * cols).fill(NaN), inPlace = copy(dy);
        be.softmax(logits, y, rows, cols);
        be.softmaxBackward(y, dy, dx, rows, cols);
        be.softmaxBackward(y, inPlace, inPlace, rows, cols);
        return { dx, inPlace };
      },
      naive() {
        const dx = new Float64Array(rows * cols);
        for (let r = 0; r < rows; r++) {
          const o = r * cols, row = Array.from(logits.subarray(o, o + cols));
          const mx = Math.max(...row), e = row.map((v) => Math.exp(v - mx)), s = e.reduce((p, q) => p + q, 0);
          const y = e.map((v) => v / s), dot = y.reduce((p, v, j) => p + v * dy[o + j], 0);
          for (let j = 0; j < cols; j++) dx[o + j] = y[j] * (dy[o + j] - dot);
        }
        return { dx, inPlace: dx };
      },
    });
  }
  for (const size of [1, 7, 1003]) {
    const p0 = rand(size, 11 * size), g = rand(size, 11 * size + 1), s0 = rand(size, 11 * size + 2, 0, 0.1), m0 = rand(size, 11 * size + 3, -0.01, 0.01);
    for (const momentum of [0, 0.9]) {
      const hp = { lr: 0.01, rho: 0.9, momentum, epsilon: 1e-7 };
      out.push({
        name: `rmspropStep size=${size} momentum=${momentum}, two steps`, group: 'graph', tol: 1e-5,
        run(be): Outputs {
          const p = copy(p0), ms = copy(s0), mom = copy(m0);
          for (let i = 0; i < 2; i++) be.rmspropStep(p, g, ms, mom, hp);
          return momentum ? { p, ms, mom } : { p, ms };
        },
        naive(): Outputs {
          const p = Array.from(p0), ms = Array.from(s0), mom = Array.from(m0);
          for (let s = 0; s < 2; s++)
            for (let i = 0; i < size; i++) {
              ms[i] = 0.9 * ms[i] + 0.1 * g[i] * g[i];
              const step = (0.01 * g[i]) / Math.sqrt(ms[i] + 1e-7);
              if (momentum) p[i] -= mom[i] = momentum * mom[i] + step;
              else p[i] -= step;
            }
          return momentum ? { p, ms, mom } : { p, ms };
        },
      });
    }
    const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.05 };
    out.push({
      name: `adamStep (AdamW, weightDecay 0.05) size=${size}, steps 1 and 2`, group: 'graph', tol: 1e-5,
      run(be) {
        const p = copy(p0), m = copy(m0), v = copy(s0);
        for (const step of [1, 2]) be.adamStep(p, g, m, v, { ...hp, step });
        return { p, m, v };
      },
      naive() {
        const p = Array.from(p0), m = Array.from(m0), v = Array.from(s0);
        for (const step of [1, 2])
          for (let i = 0; i < size; i++) {
            p[i] -= 1e-3 * 0.05 * p[i];
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
            p[i] -= (1e-3 * (m[i] / (1 - 0.9 ** step))) / (Math.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-7);
          }
        return { p, m, v };
      },
    });
  }
  return out;
}

/** The kernels the graph models added, each with its naive twin. */
export function graphKernelCases(): KernelCase[] {
  return [...activationCases(), ...batchNormCases(), ...poolCases(), ...elementwiseCases()];
}
