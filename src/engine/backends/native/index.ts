// The native backend: a C++ addon (native/*.cc, built by node-gyp into build/Release/digitnet_native.node)
// with packed-panel GEMM micro-kernels and SIMD kernels for AVX-512, AVX2+FMA and portable C++, chosen at
// run time, and a persistent thread pool; every Backend kernel runs in the addon. Node-only.
// loadNativeBackend() returns the reason instead of throwing when the addon is missing or does not load, so
// callers can fall back to the reference backend.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../backend.js';
import { addonCandidates, buildOnFirstUse, type AddonCandidate } from './locate.js';

/** What the addon exports (native/binding.cc): every Backend kernel, with the same signature, plus controls. */
export interface NativeBinding extends Omit<Backend, 'name'> {
  /** The micro-kernel in use, the pool size, the cores available and the instruction sets this CPU runs. */
  info(): { isa: string; threads: number; cores: number; supportedIsas: string[]; winograd: boolean | 2 | 4 };
  /** Resizes the thread pool (0 = available cores); returns the new size. */
  setThreads(n: number): number;
  /** Picks the instruction set of every kernel: 'auto', 'avx512', 'avx2' or 'generic'; throws when the CPU lacks it. */
  setIsa(isa: string): string;
  /**
   * Lets 3x3 stride-1 convolutions take the Winograd kernels, with a tile size chosen per layer (true, the
   * default), not (false), or with 2x2 or 4x4 output tiles on every such layer (2, 4: tests, benchmarks).
   */
  setWinograd(mode: boolean | 2 | 4): boolean | 2 | 4;
  /** Frees the grow-only scratch buffers and the Winograd filters kept between batch-1 calls. */
  releaseScratch(): void;
  /** Augments n one-channel h×w images of src into dst (native/augment.cc; defined by src/data/augment/reference.ts), across the pool. */
  augmentBatch(src: Float32Array, dst: Float32Array, n: number, h: number, w: number, spec: AugmentKernelSpec, seed: number): void;
  /** The same on a libuv thread, leaving the pool to training; resolves when dst is written. */
  augmentBatchAsync(src: Float32Array, dst: Float32Array, n: number, h: number, w: number, spec: AugmentKernelSpec, seed: number): Promise<void>;
}

/** Augmentation strengths as the kernel takes them (see src/data/augment/spec.ts). */
export interface AugmentKernelSpec {
  rotate: number;
  zoom: number;
  shift: number;
  shear: number;
  elastic: number;
  sigma: number;
}

export interface NativeOptions {
  /** Worker threads including the caller; default DIGITNET_THREADS, else the available cores. */
  threads?: number;
  /** Instruction set of the kernels; default 'auto' (the best this CPU supports). Mostly for tests. */
  isa?: 'auto' | 'avx512' | 'avx2' | 'generic';
  /**
   * 3x3 stride-1 convolutions (and the input gradients of 'same' ones) by Winograd's F(2x2, 3x3) or F(4x4, 3x3),
   * chosen per layer (true), or not (false), or one of them everywhere (2, 4); default DIGITNET_WINOGRAD, else true.
   */
  winograd?: boolean | 2 | 4;
}

export const ADDON_NAME = 'digitnet_native';

/** The repository (package) root: the nearest folder above this file holding package.json and binding.gyp. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // dist/src/engine/backends/native/index.js → five levels up.
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..');
}

let cached: { binding: NativeBinding; origin: string } | { error: string } | null = null;

/** Loads the addon once (see locate.ts for where it comes from); the error says why when it cannot. */
export function loadNativeBinding(): { binding: NativeBinding; origin: string } | { error: string } {
  if (cached) return cached;
  const root = packageRoot();
  const errors: string[] = [];
  const require = createRequire(import.meta.url);
  const tryLoad = (c: AddonCandidate): boolean => {
    try {
      cached = { binding: require(c.path) as NativeBinding, origin: c.origin };
      return true;
    } catch (e) {
      errors.push(`${c.path} did not load: ${(e as Error).message.split('\n')[0]}`);
      return false;
    }
  };
  const found = addonCandidates(root);
  if (found.some(tryLoad)) return cached!;
  const built = found.some((c) => c.origin === 'built on this machine') ? null : buildOnFirstUse(root);
  if (built && 'path' in built && tryLoad(built)) return cached!;
  if (built && 'error' in built) errors.push(built.error);
  cached = { error: errors.join('; ') || `${join(root, 'build', 'Release', ADDON_NAME + '.node')} not found (build it with \`npm install\` or \`npx node-gyp rebuild\`)` };
  return cached;
}

function threadsFromEnv(): number | undefined {
  const t = process.env.DIGITNET_THREADS;
  if (t === undefined || t === '') return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1) throw new Error(`DIGITNET_THREADS must be a positive integer, got '${t}'`);
  return n;
}

/**
 * DIGITNET_WINOGRAD=0 sends every convolution to the direct kernels (to compare, or to match runs made
 * without); 2 or 4 fixes the tile size; 1 or unset chooses it per layer.
 */
function winogradFromEnv(): boolean | 2 | 4 {
  const v = process.env.DIGITNET_WINOGRAD;
  if (v === undefined || v === '' || v === '1') return true;
  if (v === '0') return false;
  if (v === '2' || v === '4') return Number(v) as 2 | 4;
  throw new Error(`DIGITNET_WINOGRAD must be 0, 1, 2 or 4, got '${v}'`);
}

/** The native backend, or the reason it is not available. */
export function loadNativeBackend(opts: NativeOptions = {}): { backend: Backend; binding: NativeBinding; origin: string } | { error: string } {
  const loaded = loadNativeBinding();
  if ('error' in loaded) return loaded;
  const nb = loaded.binding;
  try {
    const threads = opts.threads ?? threadsFromEnv();
    if (threads !== undefined) {
      if (!Number.isInteger(threads) || threads < 1) return { error: `threads must be a positive integer, got ${threads}` };
      nb.setThreads(threads);
    }
    nb.setIsa(opts.isa ?? 'auto');
    nb.setWinograd(opts.winograd ?? winogradFromEnv());
  } catch (e) {
    return { error: (e as Error).message };
  }
  const info = nb.info();
  // Every kernel runs in the addon; listing them one by one (no spread) lets the compiler check that none is missing.
  const backend: Backend = {
    name: `native (${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'})`,
    matmul: (a, b, y, m, n, k, transA, transB) => nb.matmul(a, b, y, m, n, k, transA, transB),
    denseForward: (x, w, b, y, n, i, o, act) => nb.denseForward(x, w, b, y, n, i, o, act),
    denseBackward: (x, w, dy, dx, dw, db, n, i, o) => nb.denseBackward(x, w, dy, dx, dw, db, n, i, o),
    conv2dForward: (x, w, b, y, g, act) => nb.conv2dForward(x, w, b, y, g, act),
    conv2dMaxPoolForward: (x, w, b, y, argmax, g, pool, act) => nb.conv2dMaxPoolForward(x, w, b, y, argmax, g, pool, act),
    conv2dBackwardInput: (dy, w, dx, g) => nb.conv2dBackwardInput(dy, w, dx, g),
    conv2dBackwardFilter: (x, dy, dw, db, g) => nb.conv2dBackwardFilter(x, dy, dw, db, g),
    conv2dBackwardFilterPooled: (x, dy, argmax, dw, db, g, pool) => nb.conv2dBackwardFilterPooled(x, dy, argmax, dw, db, g, pool),
    maxPool2dForward: (x, y, argmax, g) => nb.maxPool2dForward(x, y, argmax, g),
    maxPool2dBackward: (dy, argmax, dx, g) => nb.maxPool2dBackward(dy, argmax, dx, g),
    avgPool2dForward: (x, y, g) => nb.avgPool2dForward(x, y, g),
    avgPool2dBackward: (dy, dx, g) => nb.avgPool2dBackward(dy, dx, g),
    globalAvgPoolForward: (x, y, n, hw, c) => nb.globalAvgPoolForward(x, y, n, hw, c),
    globalAvgPoolBackward: (dy, dx, n, hw, c) => nb.globalAvgPoolBackward(dy, dx, n, hw, c),
    reluForward: (x, y) => nb.reluForward(x, y),
    reluBackward: (y, dy, dx) => nb.reluBackward(y, dy, dx),
    activationForward: (act, x, y, alpha) => nb.activationForward(act, x, y, alpha),
    activationBackward: (act, y, dy, dx, alpha) => nb.activationBackward(act, y, dy, dx, alpha),
    mul: (a, b, y) => nb.mul(a, b, y),
    dropoutMask: (state, mask, rate, scale) => nb.dropoutMask(state, mask, rate, scale),
    add: (a, b, y, relu) => nb.add(a, b, y, relu),
    axpy: (alpha, x, y) => nb.axpy(alpha, x, y),
    copyColumns: (src, srcCols, srcOffset, dst, dstCols, dstOffset, rows, cols) =>
      nb.copyColumns(src, srcCols, srcOffset, dst, dstCols, dstOffset, rows, cols),
    batchNormStats: (x, mean, variance, rows, c) => nb.batchNormStats(x, mean, variance, rows, c),
    batchNormForward: (x, mean, variance, gamma, beta, epsilon, y, rows, c, relu) =>
      nb.batchNormForward(x, mean, variance, gamma, beta, epsilon, y, rows, c, relu),
    batchNormBackward: (x, mean, variance, gamma, epsilon, dy, dx, dgamma, dbeta, rows, c, batchStats, reluBeta) =>
      nb.batchNormBackward(x, mean, variance, gamma, epsilon, dy, dx, dgamma, dbeta, rows, c, batchStats, reluBeta),
    softmax: (x, y, rows, cols) => nb.softmax(x, y, rows, cols),
    softmaxBackward: (y, dy, dx, rows, cols) => nb.softmaxBackward(y, dy, dx, rows, cols),
    softmaxCrossEntropy: (logits, targets, probs, dlogits, rows, cols) => nb.softmaxCrossEntropy(logits, targets, probs, dlogits, rows, cols),
    adamStep: (params, grads, m, v, p) => nb.adamStep(params, grads, m, v, p),
    sgdStep: (params, grads, velocity, p) => nb.sgdStep(params, grads, velocity, p),
    rmspropStep: (params, grads, ms, mom, p) => nb.rmspropStep(params, grads, ms, mom, p),
  };
  return { backend, binding: nb, origin: loaded.origin };
}
