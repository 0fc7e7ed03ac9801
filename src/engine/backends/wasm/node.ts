// Loads the WebAssembly backend in Node from the files `npm run build` writes (dist/wasm/). Node-only;
// returns the reason instead of throwing when the files are missing or the runtime lacks SIMD.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASM_FILES, wasmBackendFromModule, wasmVariant, type WasmBackend, type WasmVariant } from './index.js';

/** dist/wasm of this package: the nearest folder above this file holding package.json, then dist/wasm. */
export function wasmDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'wasm', 'assembly'))) return join(dir, 'dist', 'wasm');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // dist/src/engine/backends/wasm/node.js → five levels up is the package.
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'dist', 'wasm');
}

const modules = new Map<WasmVariant, WebAssembly.Module>();

/** The backend for `variant` (default: the best this Node runs), or why it cannot load. */
export function loadWasmBackend(variant: WasmVariant | 'auto' = 'auto'): { backend: WasmBackend } | { error: string } {
  const best = wasmVariant();
  if (!best) return { error: 'this runtime has no WebAssembly SIMD' };
  const v = variant === 'auto' ? best : variant;
  if (v === 'relaxed-simd' && best !== 'relaxed-simd') return { error: 'this runtime has no WebAssembly relaxed SIMD' };
  try {
    let module = modules.get(v);
    if (!module) {
      const path = join(wasmDir(), WASM_FILES[v]);
      if (!existsSync(path)) return { error: `${path} not found (build it with \`npm run build\`)` };
      module = new WebAssembly.Module(readFileSync(path));
      modules.set(v, module);
    }
    return { backend: wasmBackendFromModule(module, v) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
