// The native backend: a C++ addon (native/*.cc, built by node-gyp into build/Release/digitnet_native.node)
// with packed-panel GEMM micro-kernels for AVX-512, AVX2+FMA and portable C++, chosen at run time, and a
// persistent thread pool. Node-only. loadNativeBackend() returns the reason instead of throwing when the
// addon is missing or does not load, so callers can fall back to the reference backend.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../backend.js';
import { referenceBackend } from '../reference/index.js';

/** What the addon exports (native/binding.cc): every Backend kernel, with the same signature, plus controls. */
export interface NativeBinding extends Omit<Backend, 'name'> {
  /** The micro-kernel in use, the pool size, the cores available and the instruction sets this CPU runs. */
  info(): { isa: string; threads: number; cores: number; supportedIsas: string[] };
  /** Resizes the thread pool (0 = available cores); returns the new size. */
  setThreads(n: number): number;
  /** Picks the GEMM micro-kernel: 'auto', 'avx512', 'avx2' or 'generic'; throws when the CPU lacks it. */
  setIsa(isa: string): string;
  /** Frees the grow-only scratch buffers. */
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
  /** GEMM micro-kernel; default 'auto' (the best this CPU supports). Mostly for tests. */
  isa?: 'auto' | 'avx512' | 'avx2' | 'generic';
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

let cached: { binding: NativeBinding } | { error: string } | null = null;

/** Loads the addon once; the error says why when it cannot. */
export function loadNativeBinding(): { binding: NativeBinding } | { error: string } {
  if (cached) return cached;
  const root = packageRoot();
  const candidates = [join(root, 'build', 'Release', `${ADDON_NAME}.node`), join(root, 'build', 'Debug', `${ADDON_NAME}.node`)];
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    cached = { error: `${candidates[0]} not found (build it with \`npm install\` or \`npx node-gyp rebuild\`)` };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = { binding: require(path) as NativeBinding };
  } catch (e) {
    cached = { error: `${path} did not load: ${(e as Error).message}` };
  }
  return cached;
}

function threadsFromEnv(): number | undefined {
  const t = process.env.DIGITNET_THREADS;
  if (t === undefined || t === '') return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1) throw new Error(`DIGITNET_THREADS must be a positive integer, got '${t}'`);
  return n;
}

/** The native backend, or the reason it is not available. */
export function loadNativeBackend(opts: NativeOptions = {}): { backend: Backend; binding: NativeBinding } | { error: string } {
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
  } catch (e) {
    return { error: (e as Error).message };
  }
  const info = nb.info();
  // Interim: the kernels the engine's graph models added (batch norm, activations, average pooling, add,
  // concatenate, RMSprop, AdamW's decay) run on the reference backend until the addon has them.
  const ref = referenceBackend();
  const backend: Backend = {
    ...ref,
    name: `native (${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'})`,
    matmul: (a, b, y, m, n, k, transA, transB) => nb.matmul(a, b, y, m, n, k, transA, transB),
    denseForward: (x, w, b, y, n, i, o, act) => nb.denseForward(x, w, b, y, n, i, o, act),
    denseBackward: (x, w, dy, dx, dw, db, n, i, o) => nb.denseBackward(x, w, dy, dx, dw, db, n, i, o),
    conv2dForward: (x, w, b, y, g, act) => nb.conv2dForward(x, w, b, y, g, act),
    conv2dBackwardInput: (dy, w, dx, g) => nb.conv2dBackwardInput(dy, w, dx, g),
    conv2dBackwardFilter: (x, dy, dw, db, g) => nb.conv2dBackwardFilter(x, dy, dw, db, g),
    maxPool2dForward: (x, y, argmax, g) => nb.maxPool2dForward(x, y, argmax, g),
    maxPool2dBackward: (dy, argmax, dx, g) => nb.maxPool2dBackward(dy, argmax, dx, g),
    reluForward: (x, y) => nb.reluForward(x, y),
    reluBackward: (y, dy, dx) => nb.reluBackward(y, dy, dx),
    mul: (a, b, y) => nb.mul(a, b, y),
    softmax: (x, y, rows, cols) => nb.softmax(x, y, rows, cols),
    softmaxCrossEntropy: (logits, targets, probs, dlogits, rows, cols) => nb.softmaxCrossEntropy(logits, targets, probs, dlogits, rows, cols),
    adamStep: (params, grads, m, v, p) => (p.weightDecay > 0 ? ref.adamStep(params, grads, m, v, p) : nb.adamStep(params, grads, m, v, p)),
    sgdStep: (params, grads, velocity, p) => nb.sgdStep(params, grads, velocity, p),
  };
  return { backend, binding: nb };
}
