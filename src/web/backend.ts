// The backend the page and its worker run on: the WebAssembly SIMD backend where the browser has
// WebAssembly SIMD (with relaxed SIMD's fused multiply-add where it has that too), else the reference
// backend, with the reason. No DOM: a Web Worker calls this as the page does.

import { referenceBackend, setBackend, type Backend } from '../engine/index.js';
import { instantiateWasmBackend, wasmVariant, WASM_FILES } from '../engine/backends/wasm/index.js';

export interface PageBackend {
  backend: Backend;
  /** What the page shows: the backend in words, and why when it is the slow one. */
  label: string;
}

/**
 * Chooses the backend, installs it (setBackend: models built afterwards run on it) and returns it.
 * `base`: where the .wasm files are (the page's folder: the bundle's own URL by default).
 */
export async function chooseBackend(base: string | URL = import.meta.url): Promise<PageBackend> {
  const variant = wasmVariant();
  let chosen: PageBackend;
  if (!variant) {
    chosen = { backend: referenceBackend(), label: 'reference backend (TypeScript): this browser has no WebAssembly SIMD' };
  } else {
    try {
      const url = new URL(WASM_FILES[variant], base);
      const r = await fetch(url);
      if (!r.ok) throw new Error(`${url.pathname}: ${r.status} ${r.statusText}`);
      const backend = await instantiateWasmBackend(await r.arrayBuffer(), variant);
      chosen = { backend, label: `WebAssembly SIMD backend${variant === 'relaxed-simd' ? ' (relaxed SIMD)' : ''}` };
    } catch (e) {
      chosen = { backend: referenceBackend(), label: `reference backend (TypeScript): the WebAssembly backend did not load (${(e as Error).message})` };
    }
  }
  setBackend(chosen.backend);
  return chosen;
}
