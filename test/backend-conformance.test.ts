// Every kernel of every backend against (1) tiny naive loops written here, in double precision, and (2) the
// reference backend (the definition of each kernel). One suite per backend: the reference always; the
// native addon when it loads, once per instruction set this CPU runs, once single-threaded and once with 3
// threads. When the addon is missing, the native suites are reported as skipped with the reason. The
// graph-model kernels' cases live in helpers/graph-kernels.ts, so that any backend can run them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Backend, FusedActivation as Activation } from '../src/engine/backend.js';
import { referenceBackend } from '../src/engine/backends/reference/index.js';
import { Random } from '../src/engine/random.js';
import { loadNativeBackend, type NativeBinding } from '../src/engine/backends/native/index.js';
import { convGeometry, windowGeometry, type ConvGeometry, type Padding, type WindowGeometry } from '../src/engine/geometry.js';
import { assertSameBits, graphKernelConformance, uniform, type Precision } from './helpers/graph-kernels.js';
import { compare } from './helpers/kernel-cases.js';
import { wasmVariant } from '../src/engine/backends/wasm/index.js';
import { loadWasmBackend } from '../src/engine/backends/wasm/node.js';

const TOL = 1e-4;

// ---- data -------------------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rand(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Checks ‖got − want‖ ≤ TOL·‖want‖ and max |got − want| ≤ TOL·max|want| (float32 sums vs double loops). */
function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = TOL): void {
  assert.equal(got.length, want.length, `${what}: length ${got.length}, expected ${want.length}`);
  const { rel, max, at } = compare(got, want);
  const worst = at >= 0 ? Math.abs(got[at] - want[at]) : 0;
  const allZero = Array.prototype.every.call(want, (v: number) => v === 0);
  const detail = at >= 0 ? ` (worst at ${at}: got ${got[at]}, expected ${want[at]})` : '';
  assert.ok(rel <= tol || allZero, `${what}: relative error ${rel.toExponential(2)} > ${tol}${detail}`);
  assert.ok(max <= (allZero ? tol * 1e-30 : tol) || worst === 0, `${what}: max difference ${worst.toExponential(2)} > ${tol}·max|expected|${detail}`);
}

// ---- naive loops (double precision) ---------------------------------------------------------------

// The naive loops and the reference backend give the same answer to every suite (one per backend, ISA and
// thread count), and they are most of the file's time: each is computed once, on first use, and kept.
const answers = new Map<string, unknown>();
function once<T>(key: string, compute: () => T): T {
  if (!answers.has(key)) answers.set(key, compute());
  return answers.get(key) as T;
}

function naiveMatmul(a: Float32Array, b: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      y[i * n + j] = s;
    }
  return y;
}

function naiveConv(x: Float32Array, w: Float32Array, bias: Float32Array, g: ConvGeometry, act: Activation): Float64Array {
  const y = new Float64Array(g.n * g.oh * g.ow * g.oc);
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let o = 0; o < g.oc; o++) {
          let s = bias[o];
          for (let ky = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.strideH - g.padTop + ky, ix = ox * g.strideW - g.padLeft + kx;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              for (let ci = 0; ci < g.c; ci++) s += x[((b * g.h + iy) * g.w + ix) * g.c + ci] * w[((ky * g.kw + kx) * g.c + ci) * g.oc + o];
            }
          y[((b * g.oh + oy) * g.ow + ox) * g.oc + o] = act === 'relu' ? Math.max(s, 0) : s;
        }
  return y;
}

function naiveConvBackward(x: Float32Array, w: Float32Array, dy: Float32Array, g: ConvGeometry) {
  const dx = new Float64Array(g.n * g.h * g.w * g.c), dw = new Float64Array(g.kh * g.kw * g.c * g.oc), db = new Float64Array(g.oc);
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let o = 0; o < g.oc; o++) {
          const d = dy[((b * g.oh + oy) * g.ow + ox) * g.oc + o];
          db[o] += d;
          for (let ky = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.strideH - g.padTop + ky, ix = ox * g.strideW - g.padLeft + kx;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              for (let ci = 0; ci < g.c; ci++) {
                const xi = ((b * g.h + iy) * g.w + ix) * g.c + ci, wi = ((ky * g.kw + kx) * g.c + ci) * g.oc + o;
                dx[xi] += d * w[wi];
                dw[wi] += d * x[xi];
              }
            }
        }
  return { dx, dw, db };
}

function naivePool(x: Float32Array, g: WindowGeometry) {
  const y = new Float64Array(g.n * g.oh * g.ow * g.c), am = new Int32Array(y.length);
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let ch = 0; ch < g.c; ch++) {
          let best = -Infinity, at = -1;
          for (let ky = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.strideH - g.padTop + ky, ix = ox * g.strideW - g.padLeft + kx;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              const i = ((b * g.h + iy) * g.w + ix) * g.c + ch;
              if (x[i] > best) { best = x[i]; at = i; }
            }
          const o = ((b * g.oh + oy) * g.ow + ox) * g.c + ch;
          y[o] = best;
          am[o] = at;
        }
  return { y, am };
}

// ---- cases ------------------------------------------------------------------------------------------

interface ConvCase { x: [number, number, number, number]; k: [number, number]; oc: number; s: [number, number]; pad: Padding }
const convCases: ConvCase[] = [
  { x: [2, 7, 7, 3], k: [3, 3], oc: 5, s: [2, 2], pad: 'same' },
  { x: [1, 28, 28, 1], k: [3, 3], oc: 32, s: [1, 1], pad: 'valid' },
  { x: [3, 13, 13, 32], k: [3, 3], oc: 64, s: [1, 1], pad: 'valid' },
  { x: [1, 8, 8, 1], k: [5, 5], oc: 7, s: [1, 1], pad: 'same' },
  { x: [2, 9, 10, 3], k: [5, 5], oc: 129, s: [2, 2], pad: 'same' },
  { x: [1, 1, 1, 1], k: [1, 1], oc: 1, s: [1, 1], pad: 'valid' },
  { x: [2, 6, 5, 7], k: [1, 1], oc: 13, s: [1, 1], pad: 'valid' },
  { x: [1, 12, 12, 16], k: [3, 3], oc: 33, s: [1, 1], pad: 'same' },
  { x: [4, 11, 11, 2], k: [3, 2], oc: 8, s: [2, 1], pad: 'same' },
  { x: [1, 5, 5, 129], k: [2, 2], oc: 7, s: [2, 2], pad: 'valid' },
  // One input channel with padding and stride (im2col's per-tap path at the borders), and enough pixels for
  // several fixed reduction chunks of the filter gradient (512 pixels each, the last one short).
  { x: [3, 19, 20, 1], k: [3, 3], oc: 32, s: [1, 1], pad: 'same' },
  { x: [2, 17, 15, 1], k: [5, 5], oc: 6, s: [2, 2], pad: 'same' },
  // Filter counts that fill whole B panels (dy read in place) or not, 1x1 convolutions read x in place.
  { x: [2, 5, 5, 8], k: [1, 1], oc: 32, s: [1, 1], pad: 'valid' },
  { x: [2, 9, 9, 16], k: [3, 3], oc: 48, s: [1, 1], pad: 'same' },
  // Few output pixels and whole panels of filters: the forward reads the filters in place, unpacked, here
  // over several depth blocks (a sum of 864).
  { x: [1, 10, 10, 96], k: [3, 3], oc: 32, s: [2, 2], pad: 'same' },
  // Stride-1 'same' input gradients go through the turned-kernel convolution (an even kernel pads
  // unevenly); a 'valid' image larger than one GEMM chunk of the input gradient has its rows cut.
  { x: [2, 16, 16, 64], k: [3, 3], oc: 8, s: [1, 1], pad: 'same' },
  { x: [2, 7, 6, 3], k: [2, 2], oc: 5, s: [1, 1], pad: 'same' },
  { x: [1, 18, 18, 64], k: [3, 3], oc: 8, s: [1, 1], pad: 'valid' },
  // 3x3 stride-1 layers with enough channels and tiles take the Winograd kernels (forward, filter gradient,
  // and the input gradient of 'same' ones): odd outputs (a last row and column of partial tiles), 'valid' and
  // 'same', channel counts off every vector width and panel, a sum deeper than one depth block, more tiles
  // than one block of a task.
  { x: [8, 9, 7, 24], k: [3, 3], oc: 37, s: [1, 1], pad: 'same' },
  { x: [3, 13, 13, 32], k: [3, 3], oc: 33, s: [1, 1], pad: 'same' },
  { x: [4, 11, 12, 41], k: [3, 3], oc: 24, s: [1, 1], pad: 'valid' },
  { x: [1, 6, 5, 600], k: [3, 3], oc: 40, s: [1, 1], pad: 'same' },
  { x: [9, 14, 14, 32], k: [3, 3], oc: 64, s: [1, 1], pad: 'same' },
  // One input channel, stride 1, at most 8 filters: the pixel-vectorized kernels (LeNet-5's first layer
  // on more images than the filter gradient's 8 chunks; rows of two strips and a tail on every vector
  // width; every filter count from 1 to 8 somewhere; an even kernel's uneven padding; a 1x1 output).
  { x: [10, 28, 28, 1], k: [5, 5], oc: 6, s: [1, 1], pad: 'same' },
  { x: [2, 9, 37, 1], k: [3, 3], oc: 1, s: [1, 1], pad: 'valid' },
  { x: [3, 7, 5, 1], k: [2, 3], oc: 8, s: [1, 1], pad: 'same' },
  { x: [1, 3, 3, 1], k: [3, 3], oc: 3, s: [1, 1], pad: 'valid' },
  { x: [2, 19, 17, 1], k: [4, 4], oc: 2, s: [1, 1], pad: 'same' },
  { x: [1, 11, 40, 1], k: [1, 7], oc: 4, s: [1, 1], pad: 'same' },
  { x: [2, 6, 33, 1], k: [3, 3], oc: 5, s: [1, 1], pad: 'valid' },
  // One input channel, stride 1, more than 8 filters: the forward vectorized along the filters (a last vector
  // of 5 lanes; 40 filters: a group of 4 vectors and one more on AVX2, 3 on AVX-512).
  { x: [2, 9, 11, 1], k: [3, 3], oc: 13, s: [1, 1], pad: 'same' },
  { x: [1, 7, 30, 1], k: [2, 3], oc: 40, s: [1, 1], pad: 'valid' },
];
// Convolutions that pool their own output (conv2dMaxPoolForward), with the pooling's window, strides and
// padding. 2x2 windows, which the native backend pools while the outputs are in cache: one input channel
// into 32 and 13 filters (vectorized along them) and into 6 (along the pixels), Winograd layers (2x2 tiles
// under a ReLU, 4x4 without), the GEMM path on padded images, strided, and odd outputs whose last row and
// column no window takes; and 3x3 windows with stride 2 and padding, which it runs as the two kernels.
const convPoolCases: [ConvCase, [number, number], [number, number], Padding][] = [
  [{ x: [3, 28, 28, 1], k: [3, 3], oc: 32, s: [1, 1], pad: 'valid' }, [2, 2], [2, 2], 'valid'],
  [{ x: [2, 9, 11, 1], k: [3, 3], oc: 13, s: [1, 1], pad: 'same' }, [2, 2], [2, 2], 'valid'],
  [{ x: [2, 11, 11, 1], k: [5, 5], oc: 6, s: [1, 1], pad: 'same' }, [2, 2], [2, 2], 'valid'],
  [{ x: [5, 13, 13, 32], k: [3, 3], oc: 64, s: [1, 1], pad: 'valid' }, [2, 2], [2, 2], 'valid'],
  [{ x: [2, 10, 10, 24], k: [3, 3], oc: 40, s: [1, 1], pad: 'same' }, [2, 2], [2, 2], 'valid'],
  [{ x: [2, 9, 9, 3], k: [2, 2], oc: 33, s: [1, 1], pad: 'same' }, [2, 2], [2, 2], 'valid'],
  [{ x: [1, 14, 14, 4], k: [3, 3], oc: 8, s: [2, 2], pad: 'same' }, [2, 2], [2, 2], 'valid'],
  [{ x: [2, 12, 12, 8], k: [3, 3], oc: 16, s: [1, 1], pad: 'same' }, [3, 3], [2, 2], 'same'],
];
interface PoolCase { x: [number, number, number, number]; k: [number, number]; s: [number, number]; pad: Padding }
const poolCases: PoolCase[] = [
  { x: [2, 26, 26, 32], k: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [1, 7, 7, 3], k: [2, 2], s: [2, 2], pad: 'same' },
  { x: [2, 5, 5, 1], k: [3, 3], s: [1, 1], pad: 'same' },
  { x: [1, 9, 9, 129], k: [3, 3], s: [2, 2], pad: 'valid' },
  { x: [3, 1, 1, 7], k: [1, 1], s: [1, 1], pad: 'valid' },
];
// Awkward on purpose: edges of every micro-tile (MR 12/6/4, NR 32/16), sums longer than one depth block,
// more columns than one column block, fewer than 4 rows (the row-vector path), an empty sum, fewer than 32
// rows or a sum shorter than 64 over whole panels (B read in place, uneven row chunks, several depth blocks),
// few outputs over a long sum (split into fixed chunks, the last one short; or into two halves, the second
// shorter, for a dense layer's form: 32 rows or more, a sum of 1,024 to 4,095), and wide products (B in
// L3-sized blocks: several depth blocks added in order, more columns than one such block where L3 allows
// about 4 MB for it).
const matmulCases: [number, number, number][] = [
  [1, 1, 1], [7, 129, 13], [129, 7, 300], [1, 128, 1600], [128, 10, 128], [300, 64, 600], [13, 33, 0], [13, 777, 700], [3, 1000, 50], [25, 48, 1030],
  [200, 96, 1100], [256, 64, 40], [37, 29, 5000], [40, 3100, 1030], [33, 40, 1031],
];
const denseCases: [number, number, number, Activation][] = [
  [1, 1600, 128, 'relu'], [128, 1600, 128, 'relu'], [7, 13, 129, 'linear'], [129, 3, 1, 'linear'], [2, 128, 10, 'linear'], [64, 1030, 400, 'relu'],
];
const sizes = [1, 7, 129, 100003];

const shape = (a: readonly number[]) => `[${a.join(',')}]`;

function conformance(be: () => Backend, precision: Precision = 'ulps'): void {
  const ref = referenceBackend();

  for (const c of convCases) {
    const g = convGeometry('test', c.x, c.k, c.s, c.pad, c.oc);
    const label = `x=${shape(c.x)} w=${shape([...c.k, c.x[3], c.oc])} s=${c.s[0] === c.s[1] ? c.s[0] : shape(c.s)} ${c.pad}`;
    const seed = c.x.reduce((a, b) => a * 31 + b, c.oc);
    const x = rand(c.x.reduce((a, b) => a * b, 1), seed);
    const w = rand(c.k[0] * c.k[1] * c.x[3] * c.oc, seed + 1);
    const bias = rand(c.oc, seed + 2, -0.5, 0.5);
    const dy = rand(g.n * g.oh * g.ow * g.oc, seed + 3);
    // The naive sums without bias, once: the cases below add the bias and the activation in double precision.
    const sums = () => once(`conv ${label}`, () => naiveConv(x, w, new Float32Array(c.oc), g, 'linear'));
    const naiveY = (act: Activation, withBias: boolean) =>
      sums().map((s, i) => { const v = withBias ? s + bias[i % c.oc] : s; return act === 'relu' ? Math.max(v, 0) : v; });
    const want = () => once(`convBackward ${label}`, () => naiveConvBackward(x, w, dy, g));
    for (const act of ['linear', 'relu'] as const) {
      test(`conv2dForward ${label} ${act}`, () => {
        const y = new Float32Array(g.n * g.oh * g.ow * g.oc).fill(NaN);
        be().conv2dForward(x, w, bias, y, g, act);
        close(y, naiveY(act, true), 'vs naive');
        close(y, once(`ref conv ${label} ${act}`, () => {
          const yr = new Float32Array(y.length);
          ref.conv2dForward(x, w, bias, yr, g, act);
          return yr;
        }), 'vs reference');
      });
    }
    // A layer without bias passes null: no bias added, no bias gradient computed, the rest the same.
    test(`conv2dForward ${label} relu, no bias`, () => {
      const y = new Float32Array(g.n * g.oh * g.ow * g.oc).fill(NaN);
      be().conv2dForward(x, w, null, y, g, 'relu');
      close(y, naiveY('relu', false), 'vs naive');
    });
    test(`conv2dBackwardFilter ${label}, no bias gradient`, () => {
      const dw = new Float32Array(w.length).fill(NaN), dwb = new Float32Array(w.length), db = new Float32Array(c.oc);
      be().conv2dBackwardFilter(x, dy, dw, null, g);
      be().conv2dBackwardFilter(x, dy, dwb, db, g);
      assert.deepEqual(dw, dwb, 'dw as with the bias gradient');
      close(dw, want().dw, 'dw vs naive');
    });
    test(`conv2dBackwardInput ${label}`, () => {
      const dx = new Float32Array(x.length).fill(NaN);
      be().conv2dBackwardInput(dy, w, dx, g);
      close(dx, want().dx, 'vs naive');
      close(dx, once(`ref convBackwardInput ${label}`, () => {
        const dr = new Float32Array(x.length);
        ref.conv2dBackwardInput(dy, w, dr, g);
        return dr;
      }), 'vs reference');
    });
    test(`conv2dBackwardFilter ${label}`, () => {
      const dw = new Float32Array(w.length).fill(NaN), db = new Float32Array(c.oc).fill(NaN);
      be().conv2dBackwardFilter(x, dy, dw, db, g);
      close(dw, want().dw, 'dw vs naive');
      close(db, want().db, 'db vs naive');
      const r = once(`ref convBackwardFilter ${label}`, () => {
        const dwr = new Float32Array(w.length), dbr = new Float32Array(c.oc);
        ref.conv2dBackwardFilter(x, dy, dwr, dbr, g);
        return { dwr, dbr };
      });
      close(dw, r.dwr, 'dw vs reference');
      close(db, r.dbr, 'db vs reference');
    });
  }

  for (const [c, pk, ps, ppad] of convPoolCases) {
    const g = convGeometry('test', c.x, c.k, c.s, c.pad, c.oc);
    const pg = windowGeometry('test', [g.n, g.oh, g.ow, g.oc], pk, ps, ppad);
    const label = `x=${shape(c.x)} w=${shape([...c.k, c.x[3], c.oc])} s=${c.s[0]} ${c.pad}, pool ${shape(pk)} s=${ps[0]} ${ppad}`;
    const seed = c.x.reduce((a, b) => a * 17 + b, c.oc);
    const x = rand(c.x.reduce((a, b) => a * b, 1), seed), w = rand(c.k[0] * c.k[1] * c.x[3] * c.oc, seed + 1), bias = rand(c.oc, seed + 2, -0.5, 0.5);
    for (const act of ['linear', 'relu'] as const) {
      test(`conv2dMaxPoolForward ${label} ${act}: the bits of conv2dForward then maxPool2dForward`, () => {
        const size = pg.n * pg.oh * pg.ow * pg.c;
        const y = new Float32Array(size).fill(NaN), am = new Int32Array(size).fill(-1);
        be().conv2dMaxPoolForward(x, w, bias, y, am, g, pg, act);
        const out = new Float32Array(g.n * g.oh * g.ow * g.oc), y2 = new Float32Array(size), am2 = new Int32Array(size);
        be().conv2dForward(x, w, bias, out, g, act);
        be().maxPool2dForward(out, y2, am2, pg);
        assertSameBits(y, y2, 'y');
        assert.deepEqual(am, am2, 'argmax');
        const want = once(`convPool ${label} ${act}`, () => {
          const z = naiveConv(x, w, bias, g, act);
          return Float64Array.from(naivePool(Float32Array.from(z), pg).am, (i) => z[i]);
        });
        close(y, want, 'vs naive');
      });
    }
    // Its backward where no input gradient is wanted: the filter gradient straight from the pooled gradient.
    test(`conv2dBackwardFilterPooled ${label}: the bits of maxPool2dBackward then conv2dBackwardFilter`, () => {
      const size = pg.n * pg.oh * pg.ow * pg.c;
      const y = new Float32Array(size), am = new Int32Array(size), dy = rand(size, seed + 3);
      be().conv2dMaxPoolForward(x, w, bias, y, am, g, pg, 'relu');
      const dw = new Float32Array(w.length).fill(NaN), db = new Float32Array(c.oc).fill(NaN);
      be().conv2dBackwardFilterPooled(x, dy, am, dw, db, g, pg);
      const dz = new Float32Array(g.n * g.oh * g.ow * g.oc), dw2 = new Float32Array(w.length), db2 = new Float32Array(c.oc);
      be().maxPool2dBackward(dy, am, dz, pg);
      be().conv2dBackwardFilter(x, dz, dw2, db2, g);
      assertSameBits(dw, dw2, 'dw');
      assertSameBits(db, db2, 'db');
      close(dw, naiveConvBackward(x, w, dz, g).dw, 'dw vs naive');
      const dwNoBias = new Float32Array(w.length);
      be().conv2dBackwardFilterPooled(x, dy, am, dwNoBias, null, g, pg);
      assertSameBits(dwNoBias, dw, 'dw without the bias gradient');
    });
  }

  for (const c of poolCases) {
    const g = windowGeometry('test', c.x, c.k, c.s, c.pad);
    const label = `x=${shape(c.x)} k=${shape(c.k)} s=${c.s[0]} ${c.pad}`;
    const seed = c.x.reduce((a, b) => a * 7 + b, 5);
    const x = rand(c.x.reduce((a, b) => a * b, 1), seed);
    // Ties: some windows with equal values, where the first maximum must win.
    for (let i = 0; i < x.length; i += 11) x[i] = 0.5;
    const dy = rand(g.n * g.oh * g.ow * g.c, seed + 1);
    test(`maxPool2dForward+Backward ${label}`, () => {
      const y = new Float32Array(dy.length).fill(NaN), am = new Int32Array(dy.length).fill(-1);
      be().maxPool2dForward(x, y, am, g);
      const want = naivePool(x, g);
      close(y, want.y, 'y vs naive', 0);
      assert.deepEqual(Array.from(am), Array.from(want.am), 'argmax vs naive');
      const dx = new Float32Array(x.length).fill(NaN);
      be().maxPool2dBackward(dy, am, dx, g);
      const wdx = new Float64Array(x.length);
      for (let i = 0; i < dy.length; i++) wdx[want.am[i]] += dy[i];
      close(dx, wdx, 'dx vs naive');
      const dr = new Float32Array(x.length);
      ref.maxPool2dBackward(dy, am, dr, g);
      close(dx, dr, 'dx vs reference');
    });
    // argmax from elsewhere (any cell, in any image, several outputs on one cell): the scatter's sums still.
    test(`maxPool2dBackward ${label}, argmax anywhere`, () => {
      const am = new Int32Array(dy.length);
      for (let i = 0; i < am.length; i++) am[i] = (i * 7919 + 13) % x.length;
      const dx = new Float32Array(x.length).fill(NaN);
      be().maxPool2dBackward(dy, am, dx, g);
      const wdx = new Float64Array(x.length);
      for (let i = 0; i < dy.length; i++) wdx[am[i]] += dy[i];
      close(dx, wdx, 'dx vs naive');
    });
  }

  for (const [m, n, k] of matmulCases) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) {
      test(`matmul m=${m} n=${n} k=${k}${ta ? ' transA' : ''}${tb ? ' transB' : ''}`, () => {
        const a = rand(m * k, m + 3 * n + 7 * k), b = rand(k * n, m * n + k);
        const y = new Float32Array(m * n).fill(NaN);
        be().matmul(a, b, y, m, n, k, ta, tb);
        const key = `${m} ${n} ${k} ${ta} ${tb}`;
        close(y, once(`matmul ${key}`, () => naiveMatmul(a, b, m, n, k, ta, tb)), 'vs naive');
        close(y, once(`ref matmul ${key}`, () => {
          const yr = new Float32Array(m * n);
          ref.matmul(a, b, yr, m, n, k, ta, tb);
          return yr;
        }), 'vs reference');
      });
    }
  }

  for (const [n, inSize, outSize, act] of denseCases) {
    const x = rand(n * inSize, n + inSize), w = rand(inSize * outSize, outSize, -0.1, 0.1), b = rand(outSize, 3);
    const dy = rand(n * outSize, 4);
    const label = `x=[${n},${inSize}] w=[${inSize},${outSize}] ${act}`;
    const xw = () => once(`dense xw ${label}`, () => naiveMatmul(x, w, n, outSize, inSize, false, false));
    const grads = () => once(`dense grads ${label}`, () => {
      const db = new Float64Array(outSize);
      for (let i = 0; i < dy.length; i++) db[i % outSize] += dy[i];
      return { dw: naiveMatmul(x, dy, inSize, outSize, n, true, false), db, dx: naiveMatmul(dy, w, n, inSize, outSize, false, true) };
    });
    test(`denseForward x=[${n},${inSize}] w=[${inSize},${outSize}] ${act}`, () => {
      const y = new Float32Array(n * outSize).fill(NaN);
      be().denseForward(x, w, b, y, n, inSize, outSize, act);
      const want = xw().map((v, i) => { const s = v + b[i % outSize]; return act === 'relu' ? Math.max(s, 0) : s; });
      close(y, want, 'vs naive');
      close(y, once(`ref denseForward ${label}`, () => {
        const yr = new Float32Array(y.length);
        ref.denseForward(x, w, b, yr, n, inSize, outSize, act);
        return yr;
      }), 'vs reference');
    });
    for (const withDx of [true, false]) {
      test(`denseBackward x=[${n},${inSize}] w=[${inSize},${outSize}]${withDx ? '' : ' dx=null'}`, () => {
        const dx = withDx ? new Float32Array(n * inSize).fill(NaN) : null;
        const dw = new Float32Array(w.length).fill(NaN), db = new Float32Array(outSize).fill(NaN);
        be().denseBackward(x, w, dy, dx, dw, db, n, inSize, outSize);
        close(dw, grads().dw, 'dw vs naive');
        close(db, grads().db, 'db vs naive');
        if (dx) close(dx, grads().dx, 'dx vs naive');
        const r = once(`ref denseBackward ${label}`, () => {
          const dxr = new Float32Array(n * inSize), dwr = new Float32Array(w.length), dbr = new Float32Array(outSize);
          ref.denseBackward(x, w, dy, dxr, dwr, dbr, n, inSize, outSize);
          return { dxr, dwr, dbr };
        });
        close(dw, r.dwr, 'dw vs reference');
        close(db, r.dbr, 'db vs reference');
        if (dx) close(dx, r.dxr, 'dx vs reference');
      });
    }
    // A layer without bias passes null: no bias added, no bias gradient, dw and dx as with them.
    test(`denseForward + denseBackward x=[${n},${inSize}] w=[${inSize},${outSize}] ${act}, no bias`, () => {
      const y = new Float32Array(n * outSize).fill(NaN);
      be().denseForward(x, w, null, y, n, inSize, outSize, act);
      const want = xw().map((v) => (act === 'relu' ? Math.max(v, 0) : v));
      close(y, want, 'y vs naive');
      const dx = new Float32Array(n * inSize).fill(NaN), dw = new Float32Array(w.length).fill(NaN);
      const dx1 = new Float32Array(n * inSize), dw1 = new Float32Array(w.length), db1 = new Float32Array(outSize);
      be().denseBackward(x, w, dy, dx, dw, null, n, inSize, outSize);
      be().denseBackward(x, w, dy, dx1, dw1, db1, n, inSize, outSize);
      assert.deepEqual(dw, dw1, 'dw as with the bias gradient');
      assert.deepEqual(dx, dx1, 'dx as with the bias gradient');
    });
  }

  for (const size of sizes) {
    test(`reluForward/reluBackward/mul size=${size}`, () => {
      const x = rand(size, size), dy = rand(size, size + 1);
      const y = new Float32Array(size).fill(NaN);
      be().reluForward(x, y);
      close(y, Array.from(x, (v) => Math.max(v, 0)), 'relu vs naive', 0);
      const inPlace = x.slice();
      be().reluForward(inPlace, inPlace);
      close(inPlace, y, 'relu in place', 0);
      const dx = new Float32Array(size).fill(NaN);
      be().reluBackward(y, dy, dx);
      close(dx, Array.from(dy, (d, i) => (y[i] > 0 ? d : 0)), 'reluBackward vs naive', 0);
      const m = new Float32Array(size).fill(NaN);
      be().mul(x, dy, m);
      close(m, Array.from(x, (v, i) => Math.fround(v * dy[i])), 'mul vs naive', 0);
    });
    test(`dropoutMask size=${size}: the draws of Random.next(), the generator left where they leave it`, () => {
      for (const rate of [0, 0.25, 0.5, 0.9]) {
        const a = new Random(size + rate * 1000), b = new Random(size + rate * 1000);
        const keep = 1 / (1 - rate);
        const want = Float32Array.from({ length: size }, () => (a.next() < rate ? 0 : keep));
        const got = new Float32Array(size + 1).fill(NaN);
        b.lend((state) => be().dropoutMask(state, got.subarray(0, size), rate, keep));
        assertSameBits(got.subarray(0, size), want, `rate ${rate}`);
        assert.ok(Number.isNaN(got[size]), `rate ${rate}: nothing written past the mask`);
        assert.deepEqual([b.nextUint32(), b.nextUint32()], [a.nextUint32(), a.nextUint32()], `rate ${rate}: the generator after the mask`);
      }
    });
    test(`adamStep size=${size} steps 1 and 10`, () => {
      const p = rand(size, 1), g = rand(size, 2), m = rand(size, 3, 0, 0.1), v = rand(size, 4, 0, 0.1);
      const [p2, m2, v2] = [p.slice(), m.slice(), v.slice()];
      const [p3, m3, v3] = [p.slice(), m.slice(), v.slice()];
      for (const step of [1, 10]) {
        const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step, weightDecay: 0 };
        be().adamStep(p2, g, m2, v2, hp);
        ref.adamStep(p3, g, m3, v3, hp);
        // naive
        const c1 = 1 - 0.9 ** step, c2 = 1 - 0.999 ** step;
        for (let i = 0; i < size; i++) {
          m[i] = 0.9 * m[i] + 0.1 * g[i];
          v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
          p[i] -= (1e-3 * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-7);
        }
      }
      close(p2, p, 'params vs naive');
      close(m2, m, 'm vs naive');
      close(v2, v, 'v vs naive');
      close(p2, p3, 'params vs reference');
    });
    test(`sgdStep size=${size} momentum 0, 0.9, nesterov`, () => {
      for (const [momentum, nesterov] of [[0, false], [0.9, false], [0.9, true]] as const) {
        const p = rand(size, 5), g = rand(size, 6), vel = rand(size, 7, -0.1, 0.1);
        const [p2, v2] = [p.slice(), vel.slice()];
        const [p3, v3] = [p.slice(), vel.slice()];
        be().sgdStep(p2, g, v2, { lr: 0.01, momentum, nesterov });
        ref.sgdStep(p3, g, v3, { lr: 0.01, momentum, nesterov });
        for (let i = 0; i < size; i++) {
          if (momentum === 0) { p[i] -= 0.01 * g[i]; continue; }
          vel[i] = momentum * vel[i] - 0.01 * g[i];
          p[i] += nesterov ? momentum * vel[i] - 0.01 * g[i] : vel[i];
        }
        close(p2, p, `params vs naive (momentum ${momentum}${nesterov ? ' nesterov' : ''})`);
        close(v2, vel, 'velocity vs naive');
        close(p2, p3, 'params vs reference');
      }
    });
  }

  for (const [rows, cols] of [[1, 1], [7, 10], [129, 13], [128, 10]] as const) {
    test(`softmax and softmaxCrossEntropy rows=${rows} cols=${cols}`, () => {
      const logits = rand(rows * cols, rows * cols, -5, 5);
      logits[0] = 100; // stability: a large logit must not overflow
      const targets = new Float32Array(rows * cols);
      const r = rng(rows);
      for (let i = 0; i < rows; i++) {
        if (i % 3 === 2) {
          // soft targets
          let s = 0;
          for (let j = 0; j < cols; j++) s += (targets[i * cols + j] = r());
          for (let j = 0; j < cols; j++) targets[i * cols + j] /= s;
        } else targets[i * cols + Math.floor(r() * cols)] = 1;
      }
      const wantP = new Float64Array(rows * cols), wantD = new Float64Array(rows * cols);
      let wantLoss = 0;
      for (let i = 0; i < rows; i++) {
        let mx = -Infinity;
        for (let j = 0; j < cols; j++) mx = Math.max(mx, logits[i * cols + j]);
        let s = 0;
        for (let j = 0; j < cols; j++) s += Math.exp(logits[i * cols + j] - mx);
        for (let j = 0; j < cols; j++) {
          const lp = logits[i * cols + j] - mx - Math.log(s);
          wantP[i * cols + j] = Math.exp(lp);
          wantLoss -= targets[i * cols + j] * lp;
          wantD[i * cols + j] = (wantP[i * cols + j] - targets[i * cols + j]) / rows;
        }
      }
      const y = new Float32Array(rows * cols).fill(NaN);
      be().softmax(logits, y, rows, cols);
      close(y, wantP, 'softmax vs naive');
      const probs = new Float32Array(rows * cols).fill(NaN), dl = new Float32Array(rows * cols).fill(NaN);
      const loss = be().softmaxCrossEntropy(logits, targets, probs, dl, rows, cols);
      assert.ok(Math.abs(loss - wantLoss) <= TOL * Math.max(1, Math.abs(wantLoss)), `loss ${loss} vs naive ${wantLoss}`);
      close(probs, wantP, 'probs vs naive');
      close(dl, wantD, 'dlogits vs naive');
      const probs2 = new Float32Array(rows * cols);
      const loss2 = be().softmaxCrossEntropy(logits, targets, probs2, null, rows, cols);
      assert.equal(loss2, loss, 'loss without dlogits');
      const pr = new Float32Array(rows * cols), dr = new Float32Array(rows * cols);
      const lr = ref.softmaxCrossEntropy(logits, targets, pr, dr, rows, cols);
      assert.ok(Math.abs(loss - lr) <= TOL * Math.max(1, Math.abs(lr)), `loss ${loss} vs reference ${lr}`);
      close(probs, pr, 'probs vs reference');
      close(dl, dr, 'dlogits vs reference');
    });
  }
  graphKernelConformance(be, { precision });
}

// ---- suites -----------------------------------------------------------------------------------------

describe('backend reference', () => conformance(() => referenceBackend()));

// The WebAssembly backend: its SIMD build always (a build that does not load fails here), and its relaxed
// SIMD build where this Node runs relaxed SIMD (Chromium runs both: wasm-browser.test.ts).
for (const variant of wasmVariant() === 'relaxed-simd' ? (['simd', 'relaxed-simd'] as const) : (['simd'] as const)) {
  describe(`backend wasm (${variant})`, () => {
    const r = loadWasmBackend(variant);
    if ('error' in r) test('loads', () => assert.fail(r.error));
    else conformance(() => r.backend, 'float32');
  });
}

const native = loadNativeBackend();
const nativeSkip = 'error' in native ? `native addon not loaded: ${native.error}` : false;
const binding: NativeBinding | null = 'binding' in native ? native.binding : null;
const initial = binding?.info();
// Every micro-kernel the addon has, on 1, 2 and 3 threads (3 > the cores of a small machine: tasks are
// claimed unevenly). An instruction set this CPU lacks gets a test saying so, which checks that the addon
// refuses it rather than running it.
const ALL_ISAS = ['avx512', 'avx2', 'generic'] as const;
// 3x3 stride-1 layers of 24 channels or more take the Winograd kernels by default, with 4x4 output tiles
// where those save enough (most cases here), else 2x2; each set runs twice more, with 2x2 tiles everywhere
// and with Winograd off, so that every path stays checked on those shapes.
const variants: { label: string; isa: string; threads: number; winograd?: boolean | 2 | 4 }[] = [];
if (binding && initial) {
  for (const isa of initial.supportedIsas) {
    for (const threads of [1, 2, 3]) variants.push({ label: `${isa}, ${threads} thread${threads > 1 ? 's' : ''}`, isa, threads });
    variants.push({ label: `${isa}, 2 threads, Winograd 2x2 tiles`, isa, threads: 2, winograd: 2 });
    variants.push({ label: `${isa}, 2 threads, direct convolutions`, isa, threads: 2, winograd: false });
  }
} else {
  variants.push({ label: 'auto', isa: 'auto', threads: 0 });
}

for (const v of variants) {
  describe(`backend native (${v.label})`, { skip: nativeSkip }, () => {
    let be: Backend | null = null;
    before(() => {
      const r = loadNativeBackend({ threads: v.threads || undefined, isa: v.isa as 'auto', winograd: v.winograd ?? true });
      if ('error' in r) throw new Error(r.error);
      be = r.backend;
    });
    after(() => {
      if (binding && initial) {
        binding.setWinograd(true);
        binding.setIsa('auto');
        binding.setThreads(initial.threads);
      }
    });
    conformance(() => be!);
  });
}

if (binding && initial) {
  for (const isa of ALL_ISAS.filter((i) => !initial.supportedIsas.includes(i))) {
    test(`backend native (${isa}): not applicable on this CPU (the addon refuses to select it)`, () => {
      assert.throws(() => binding.setIsa(isa), RangeError);
      assert.equal(binding.info().isa, initial.isa, 'the micro-kernel in use is unchanged');
    });
  }
}

describe('native binding rejects bad buffers', { skip: nativeSkip }, () => {
  const nb = () => binding!;
  const g = convGeometry('test', [2, 7, 7, 3], [3, 3], [1, 1], 'valid', 4);
  const ok = {
    x: new Float32Array(2 * 7 * 7 * 3), w: new Float32Array(3 * 3 * 3 * 4), b: new Float32Array(4), y: new Float32Array(2 * 5 * 5 * 4),
  };
  test('conv2dForward with a Float64Array x throws a TypeError', () => {
    assert.throws(() => nb().conv2dForward(new Float64Array(ok.x.length) as unknown as Float32Array, ok.w, ok.b, ok.y, g, 'relu'), TypeError);
  });
  test('conv2dForward with a plain array or undefined throws', () => {
    assert.throws(() => nb().conv2dForward([1, 2, 3] as unknown as Float32Array, ok.w, ok.b, ok.y, g, 'relu'), TypeError);
    assert.throws(() => nb().conv2dForward(undefined as unknown as Float32Array, ok.w, ok.b, ok.y, g, 'relu'), TypeError);
  });
  test('conv2dForward with y too short throws a RangeError naming y', () => {
    assert.throws(() => nb().conv2dForward(ok.x, ok.w, ok.b, new Float32Array(10), g, 'relu'), { name: 'RangeError', message: /y has 10 elements/ });
  });
  test('conv2dForward with x too short for the geometry throws', () => {
    assert.throws(() => nb().conv2dForward(ok.x.subarray(1), ok.w, ok.b, ok.y, g, 'linear'), RangeError);
  });
  test('conv2dForward with a negative, fractional or missing geometry field throws', () => {
    assert.throws(() => nb().conv2dForward(ok.x, ok.w, ok.b, ok.y, { ...g, n: -1 }, 'relu'), RangeError);
    assert.throws(() => nb().conv2dForward(ok.x, ok.w, ok.b, ok.y, { ...g, kh: 2.5 }, 'relu'), RangeError);
    const { oc: _, ...noOc } = g;
    assert.throws(() => nb().conv2dForward(ok.x, ok.w, ok.b, ok.y, noOc as ConvGeometry, 'relu'), TypeError);
    assert.throws(() => nb().conv2dForward(ok.x, ok.w, ok.b, ok.y, null as unknown as ConvGeometry, 'relu'), TypeError);
    assert.throws(() => nb().conv2dForward(ok.x, ok.w, ok.b, ok.y, { ...g, n: 1e12 }, 'relu'), RangeError);
  });
  test('conv2dForward with an unknown activation throws', () => {
    assert.throws(() => nb().conv2dForward(ok.x, ok.w, ok.b, ok.y, g, 'tanh' as Activation), RangeError);
  });
  test('conv2dMaxPoolForward / conv2dBackwardFilterPooled with a pooling geometry not over the convolution\'s output, a short y, a Float32Array or out-of-range argmax throw', () => {
    const pg = windowGeometry('test', [2, 5, 5, 4], [2, 2], [2, 2], 'valid');
    const y = new Float32Array(32), am = new Int32Array(32);
    nb().conv2dMaxPoolForward(ok.x, ok.w, ok.b, y, am, g, pg, 'relu');
    const other = windowGeometry('test', [2, 6, 5, 4], [2, 2], [2, 2], 'valid');
    assert.throws(() => nb().conv2dMaxPoolForward(ok.x, ok.w, ok.b, y, am, g, other, 'relu'), {
      name: 'RangeError', message: /conv2dMaxPoolForward: the pooling geometry's input \(2, 6, 5, 4\) is not the convolution's output \(2, 5, 5, 4\)/,
    });
    assert.throws(() => nb().conv2dMaxPoolForward(ok.x, ok.w, ok.b, new Float32Array(31), am, g, pg, 'relu'), { name: 'RangeError', message: /y has 31 elements/ });
    assert.throws(() => nb().conv2dMaxPoolForward(ok.x, ok.w, ok.b, y, new Float32Array(32) as unknown as Int32Array, g, pg, 'relu'), TypeError);
    const dw = new Float32Array(ok.w.length), db = new Float32Array(4);
    nb().conv2dBackwardFilterPooled(ok.x, y, am, dw, db, g, pg);
    assert.throws(() => nb().conv2dBackwardFilterPooled(ok.x, y, am, dw, db, g, other), { name: 'RangeError', message: /conv2dBackwardFilterPooled: the pooling geometry's input/ });
    assert.throws(() => nb().conv2dBackwardFilterPooled(ok.x, y, new Int32Array(32).fill(500), dw, db, g, pg), {
      name: 'RangeError', message: /argmax holds an index outside the convolution's output/,
    });
  });
  test('setWinograd takes true, false, 2 or 4 and nothing else', () => {
    try {
      for (const bad of [1, 3, 8, '4', null]) assert.throws(() => binding!.setWinograd(bad as never), { name: 'RangeError', message: /winograd must be true, false, 2 or 4/ });
      assert.equal(binding!.setWinograd(4), 4);
      assert.equal(binding!.info().winograd, 4);
      assert.equal(binding!.setWinograd(false), false);
    } finally {
      binding!.setWinograd(true);
    }
    assert.equal(binding!.info().winograd, true);
  });
  test('dropoutMask with a state that is not 4 Uint32 words, or a rate outside [0, 1), throws', () => {
    const mask = new Float32Array(8);
    assert.throws(() => nb().dropoutMask(new Float32Array(4) as unknown as Uint32Array, mask, 0.5, 2), { name: 'TypeError', message: /state must be a Uint32Array/ });
    assert.throws(() => nb().dropoutMask(new Uint32Array(3), mask, 0.5, 2), { name: 'RangeError', message: /state has 3 elements/ });
    assert.throws(() => nb().dropoutMask(new Uint32Array(4), mask, 1, 2), { name: 'RangeError', message: /rate must be in \[0, 1\)/ });
  });
  test('conv2dBackwardInput / conv2dBackwardFilter with short buffers throw', () => {
    assert.throws(() => nb().conv2dBackwardInput(ok.y, ok.w, new Float32Array(3), g), RangeError);
    assert.throws(() => nb().conv2dBackwardFilter(ok.x, ok.y, ok.w, new Float32Array(1), g), RangeError);
  });
  test('matmul with negative dims, too-short buffers, or both transposes throws', () => {
    const a = new Float32Array(12), b = new Float32Array(12), y = new Float32Array(9);
    assert.throws(() => nb().matmul(a, b, y, -3, 3, 4, false, false), RangeError);
    assert.throws(() => nb().matmul(a, b, y, 3, 3, 5, false, false), RangeError);
    assert.throws(() => nb().matmul(a, b, y, 3, 3, 4, true, true), RangeError);
    assert.throws(() => nb().matmul(a, b, y, 3, 3, 4, 1 as unknown as boolean, false), TypeError);
    assert.throws(() => (nb().matmul as unknown as (...a: unknown[]) => void)(a, b, y, 3), TypeError);
  });
  test('dense kernels with short buffers throw', () => {
    assert.throws(() => nb().denseForward(new Float32Array(6), new Float32Array(6), new Float32Array(2), new Float32Array(5), 3, 2, 3, 'linear'), RangeError);
    assert.throws(() => nb().denseBackward(new Float32Array(6), new Float32Array(6), new Float32Array(9), new Float32Array(2), new Float32Array(6), new Float32Array(3), 3, 2, 3), RangeError);
  });
  test('maxPool2d with a Float32Array argmax or an out-of-range argmax throws', () => {
    const pg = windowGeometry('test', [1, 4, 4, 2], [2, 2], [2, 2], 'valid');
    const x = new Float32Array(32), y = new Float32Array(8);
    assert.throws(() => nb().maxPool2dForward(x, y, new Float32Array(8) as unknown as Int32Array, pg), TypeError);
    const am = new Int32Array(8).fill(1000);
    assert.throws(() => nb().maxPool2dBackward(y, am, x, pg), RangeError);
    am.fill(-1);
    assert.throws(() => nb().maxPool2dBackward(y, am, x, pg), RangeError);
  });
  test('elementwise kernels and optimizers with short buffers throw', () => {
    assert.throws(() => nb().reluForward(new Float32Array(10), new Float32Array(9)), RangeError);
    assert.throws(() => nb().reluBackward(new Float32Array(10), new Float32Array(10), new Float32Array(9)), RangeError);
    assert.throws(() => nb().mul(new Float32Array(10), new Int32Array(10) as unknown as Float32Array, new Float32Array(10)), TypeError);
    assert.throws(() => nb().softmaxCrossEntropy(new Float32Array(20), new Float32Array(19), new Float32Array(20), null, 2, 10), RangeError);
    const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1, weightDecay: 0 };
    assert.throws(() => nb().adamStep(new Float32Array(10), new Float32Array(10), new Float32Array(10), new Float32Array(5), hp), RangeError);
    assert.throws(() => nb().adamStep(new Float32Array(10), new Float32Array(10), new Float32Array(10), new Float32Array(10), { ...hp, lr: 'x' } as unknown as typeof hp), TypeError);
    assert.throws(() => nb().sgdStep(new Float32Array(10), new Float32Array(3), new Float32Array(10), { lr: 0.1, momentum: 0, nesterov: false }), RangeError);
  });
});

describe('native reductions give the same bits for any thread count', { skip: nativeSkip }, () => {
  after(() => {
    if (binding && initial) {
      binding.setIsa('auto');
      binding.setThreads(initial.threads);
    }
  });
  // Batch-norm statistics and gradient sums, global average pooling: fixed chunks merged in order.
  const run = (be: Backend) => {
    const out: Float32Array[] = [];
    for (const [rows, c] of [[12544, 16], [3001, 33], [5, 7]]) {
      const x = uniform(rows * c, rows, 1, 3), dy = uniform(rows * c, rows + 1);
      const mean = new Float32Array(c), variance = new Float32Array(c), gamma = uniform(c, 5, 0.5, 1.5);
      be.batchNormStats(x, mean, variance, rows, c);
      const dx = new Float32Array(rows * c), dgamma = new Float32Array(c), dbeta = new Float32Array(c);
      be.batchNormBackward(x, mean, variance, gamma, 1e-3, dy, dx, dgamma, dbeta, rows, c, true, null);
      const n = rows >= 16 ? 16 : 1, hw = Math.floor(rows / n), y = new Float32Array(n * c);
      be.globalAvgPoolForward(x, y, n, hw, c);
      out.push(mean, variance, dx, dgamma, dbeta, y);
    }
    return out;
  };
  for (const isa of initial?.supportedIsas ?? []) {
    test(`batchNormStats, batchNormBackward, globalAvgPoolForward (${isa}): 1, 2, 3, 4 and 7 threads, twice each`, () => {
      const at = (threads: number) => {
        const r = loadNativeBackend({ threads, isa: isa as 'auto' });
        if ('error' in r) throw new Error(r.error);
        return r.backend;
      };
      const want = run(at(1));
      for (const threads of [1, 2, 3, 4, 7])
        for (let k = 0; k < 2; k++) run(at(threads)).forEach((got, i) => assertSameBits(got, want[i], `output ${i}, ${threads} threads`));
    });
  }
});

describe('native binding rejects bad arguments to the graph-model kernels', { skip: nativeSkip }, () => {
  const nb = () => binding!;
  const f = (n: number) => new Float32Array(n);
  const bad = <T>(v: unknown) => v as T;
  test('activationForward/Backward: unknown or non-string activation, short y or dx, bad alpha', () => {
    assert.throws(() => nb().activationForward(bad('swish'), f(4), f(4), 0), { name: 'RangeError', message: /activation must be .*got 'swish'/ });
    assert.throws(() => nb().activationForward(bad(3), f(4), f(4), 0), TypeError);
    assert.throws(() => nb().activationForward('tanh', f(4), f(3), 0), { name: 'RangeError', message: /y has 3 elements, needs at least 4/ });
    assert.throws(() => nb().activationForward('elu', f(4), f(4), bad('1')), TypeError);
    assert.throws(() => nb().activationForward('elu', f(4), f(4), NaN), RangeError);
    assert.throws(() => nb().activationBackward('sigmoid', f(4), f(4), f(2), 0), { name: 'RangeError', message: /dx has 2/ });
    assert.throws(() => nb().activationBackward('relu', f(4), bad(new Float64Array(4)), f(4), 0), TypeError);
  });
  test('batchNormStats/Forward: buffers short for rows × c, bad dims, bad types', () => {
    assert.throws(() => nb().batchNormStats(f(11), f(3), f(3), 4, 3), { name: 'RangeError', message: /x has 11 elements, needs at least 12/ });
    assert.throws(() => nb().batchNormStats(f(12), f(3), f(2), 4, 3), { name: 'RangeError', message: /variance has 2/ });
    assert.throws(() => nb().batchNormStats(f(12), f(3), f(3), -4, 3), RangeError);
    assert.throws(() => nb().batchNormStats(f(12), f(3), f(3), 4, 1.5), RangeError);
    assert.throws(() => nb().batchNormStats(f(12), f(3), f(3), 1e10, 1e10), RangeError);
    assert.throws(() => nb().batchNormForward(f(12), f(3), f(3), bad(new Float64Array(3)), f(3), 1e-3, f(12), 4, 3, false), { name: 'TypeError', message: /gamma must be a Float32Array/ });
    assert.throws(() => nb().batchNormForward(f(12), f(3), f(3), f(3), f(3), bad('1e-3'), f(12), 4, 3, false), { name: 'TypeError', message: /epsilon/ });
    assert.throws(() => nb().batchNormForward(f(12), f(3), f(3), f(3), f(3), 1e-3, f(6), 4, 3, false), { name: 'RangeError', message: /y has 6/ });
    assert.throws(() => nb().batchNormForward(f(12), f(3), f(3), f(3), f(3), 1e-3, f(12), 4, 3, bad(1)), { name: 'TypeError', message: /relu must be a boolean/ });
  });
  test('batchNormBackward: short outputs, a non-boolean batchStats, a short reluBeta, missing arguments; null outputs are fine', () => {
    const args = (dx: Float32Array | null, dg: Float32Array | null, db: Float32Array | null, bs: unknown = true, rb: Float32Array | null = null) =>
      [f(12), f(3), f(3), f(3), 1e-3, f(12), dx, dg, db, 4, 3, bs, rb] as const;
    const call = (a: readonly unknown[]) => (nb().batchNormBackward as unknown as (...x: unknown[]) => void)(...a);
    assert.throws(() => call(args(f(11), f(3), f(3))), { name: 'RangeError', message: /dx has 11/ });
    assert.throws(() => call(args(f(12), f(2), f(3))), { name: 'RangeError', message: /dgamma has 2/ });
    assert.throws(() => call(args(null, null, f(1))), { name: 'RangeError', message: /dbeta has 1/ });
    assert.throws(() => call(args(f(12), f(3), f(3), 1)), { name: 'TypeError', message: /batchStats must be a boolean/ });
    assert.throws(() => call(args(f(12), f(3), f(3), true, f(2))), { name: 'RangeError', message: /reluBeta has 2/ });
    assert.throws(() => call(args(f(12), f(3), f(3)).slice(0, 12)), TypeError);
    call(args(null, null, null));
    call(args(f(12), null, null, false, f(3)));
  });
  test('avgPool2d: a window made only of padding, short buffers', () => {
    const g = windowGeometry('test', [1, 5, 5, 2], [2, 2], [2, 2], 'same');
    assert.throws(() => nb().avgPool2dForward(f(50), f(17), g), { name: 'RangeError', message: /y has 17/ });
    assert.throws(() => nb().avgPool2dBackward(f(18), f(49), g), { name: 'RangeError', message: /dx has 49/ });
    assert.throws(() => nb().avgPool2dForward(f(50), f(18), { ...g, padTop: 2 }), { name: 'RangeError', message: /only of padding/ });
    assert.throws(() => nb().avgPool2dForward(f(50), f(18), bad(null)), TypeError);
  });
  test('globalAvgPool: hw of 0, short buffers', () => {
    assert.throws(() => nb().globalAvgPoolForward(f(0), f(6), 2, 0, 3), { name: 'RangeError', message: /hw must be an integer ≥ 1/ });
    assert.throws(() => nb().globalAvgPoolForward(f(29), f(6), 2, 5, 3), { name: 'RangeError', message: /x has 29/ });
    assert.throws(() => nb().globalAvgPoolBackward(f(6), f(29), 2, 5, 3), { name: 'RangeError', message: /dx has 29/ });
  });
  test('add, axpy, softmaxBackward: short buffers, a non-boolean relu, bad alpha', () => {
    assert.throws(() => nb().add(f(5), f(4), f(5), false), { name: 'RangeError', message: /b has 4/ });
    assert.throws(() => nb().add(f(5), f(5), f(4), true), { name: 'RangeError', message: /y has 4/ });
    assert.throws(() => nb().add(f(5), f(5), f(5), bad(0)), { name: 'TypeError', message: /relu must be a boolean/ });
    assert.throws(() => nb().axpy(bad('2'), f(5), f(5)), TypeError);
    assert.throws(() => nb().axpy(Infinity, f(5), f(5)), RangeError);
    assert.throws(() => nb().axpy(2, f(5), f(4)), { name: 'RangeError', message: /y has 4/ });
    assert.throws(() => nb().softmaxBackward(f(20), f(20), f(19), 2, 10), { name: 'RangeError', message: /dx has 19/ });
  });
  test('copyColumns: a block wider than its rows, buffers short for the last row, negative dims', () => {
    assert.throws(() => nb().copyColumns(f(20), 4, 2, f(30), 6, 0, 5, 3), { name: 'RangeError', message: /srcOffset \+ cols \(5\) exceeds srcCols \(4\)/ });
    assert.throws(() => nb().copyColumns(f(20), 4, 0, f(30), 6, 4, 5, 3), { name: 'RangeError', message: /dstOffset/ });
    assert.throws(() => nb().copyColumns(f(19), 4, 1, f(30), 6, 0, 5, 3), { name: 'RangeError', message: /src has 19 elements, needs at least 20/ });
    assert.throws(() => nb().copyColumns(f(20), 4, 0, f(27), 6, 3, 5, 3), { name: 'RangeError', message: /dst has 27 elements, needs at least 30/ });
    assert.throws(() => nb().copyColumns(f(20), 4, 0, f(30), 6, 0, -1, 3), RangeError);
  });
  test('rmspropStep and adamStep: short state, missing hyperparameters', () => {
    const hp = { lr: 1e-3, rho: 0.9, momentum: 0, epsilon: 1e-7 };
    assert.throws(() => nb().rmspropStep(f(10), f(10), f(9), f(10), hp), { name: 'RangeError', message: /ms has 9/ });
    assert.throws(() => nb().rmspropStep(f(10), f(10), f(10), f(0), { ...hp, momentum: 0.9 }), { name: 'RangeError', message: /mom has 0/ });
    nb().rmspropStep(f(10), f(10), f(10), f(0), hp); // without momentum, mom is never read
    const { rho: _, ...noRho } = hp;
    assert.throws(() => nb().rmspropStep(f(10), f(10), f(10), f(10), bad(noRho)), { name: 'TypeError', message: /rho must be a number/ });
    const adam = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1 };
    assert.throws(() => nb().adamStep(f(10), f(10), f(10), f(10), bad(adam)), { name: 'TypeError', message: /weightDecay must be a number/ });
  });
});
