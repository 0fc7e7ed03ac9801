// Bundled into a page by wasm-browser.test.ts: runs the shared kernel cases (helpers/kernel-cases.ts) on
// the WebAssembly backend, loaded in the page as the page loads it, and on the reference backend, in the
// browser, and reports each output's errors for the test to judge.

import { referenceBackend } from '../../src/engine/backends/reference/index.js';
import { instantiateWasmBackend, wasmVariant, WASM_FILES, type WasmVariant } from '../../src/engine/backends/wasm/index.js';
import { compare, type Outputs } from '../helpers/kernel-cases.js';
import { allKernelCases } from '../helpers/kernel-cases-core.js';

export interface CaseResult {
  name: string;
  tol: number;
  /** Per output: norm-relative error and largest difference relative to the largest value. */
  errors: Record<string, { rel: number; max: number }>;
}

async function run(variant: WasmVariant): Promise<{ backend: string; results: CaseResult[] }> {
  const bytes = await (await fetch(WASM_FILES[variant])).arrayBuffer();
  const be = await instantiateWasmBackend(bytes, variant);
  const ref = referenceBackend();
  const asArray = (v: Outputs[string]) => (typeof v === 'number' ? [v] : v);
  const results = allKernelCases().map((c) => {
    const got = c.run(be), want = c.run(ref);
    const errors: CaseResult['errors'] = {};
    for (const key of Object.keys(want)) errors[key] = key in got ? compare(asArray(got[key]), asArray(want[key])) : { rel: Infinity, max: Infinity };
    return { name: c.name, tol: c.tol, errors };
  });
  return { backend: be.name, results };
}

/** Starts worker.js (a module worker) and returns what it reports after one training step. */
function inWorker(): Promise<unknown> {
  const worker = new Worker(new URL('worker.js', location.href), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      worker.terminate();
      resolve(e.data);
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage('start');
  });
}

Object.assign(globalThis, { wasmKernels: { run, wasmVariant, inWorker } });
