// The WebAssembly backend: SIMD kernels written in AssemblyScript (wasm/assembly/), compiled at build time
// into dist/wasm/ in two variants, one with relaxed SIMD's fused multiply-add. Browser-safe: the caller
// brings the module's bytes (fetch in the page and its worker, node.ts's loader in Node), and feature
// detection tells which variant, if any, this runtime can run.

import { kernelsOf } from './kernels.js';
import { makeWasmBackend, type WasmBackend } from './backend.js';

export type { WasmBackend } from './backend.js';
export type { WasmKernels } from './kernels.js';

export type WasmVariant = 'relaxed-simd' | 'simd';

/** The file each variant is built into (dist/wasm/, and dist/web/ beside the page). */
export const WASM_FILES: Record<WasmVariant, string> = {
  'relaxed-simd': 'digitnet-relaxed-simd.wasm',
  simd: 'digitnet-simd.wasm',
};

// Smallest modules that use one instruction of each feature (as wasm-feature-detect probes them):
// i8x16.popcnt for SIMD, i8x16.relaxed_swizzle for relaxed SIMD.
const SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];
const RELAXED_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11];

function validates(bytes: number[]): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(new Uint8Array(bytes));
  } catch {
    return false;
  }
}

/** The best variant this runtime runs, or null when it has no WebAssembly SIMD (use the reference backend). */
export function wasmVariant(): WasmVariant | null {
  if (!validates(SIMD_PROBE)) return null;
  return validates(RELAXED_PROBE) ? 'relaxed-simd' : 'simd';
}

const backendName = (v: WasmVariant) => `wasm (${v === 'simd' ? 'simd' : 'relaxed simd'})`;

/** Builds the backend from a compiled module, synchronously (the module's instantiation is small). */
export function wasmBackendFromModule(module: WebAssembly.Module, variant: WasmVariant): WasmBackend {
  return makeWasmBackend(kernelsOf(new WebAssembly.Instance(module, {})), backendName(variant));
}

/** Compiles and instantiates the module's bytes without blocking (browsers limit synchronous compiles). */
export async function instantiateWasmBackend(bytes: BufferSource, variant: WasmVariant): Promise<WasmBackend> {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return makeWasmBackend(kernelsOf(instance), backendName(variant));
}
