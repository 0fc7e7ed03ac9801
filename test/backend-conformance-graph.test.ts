// The kernels the graph models added (activations, batch normalization, average pooling, add, axpy,
// copyColumns, softmax backward, RMSprop, AdamW's decay) on every backend that implements them here: each
// against its naive double-precision loops and against the reference backend. The cases live in
// helpers/kernel-cases.ts, which the Chromium check of the WebAssembly backend runs too.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend } from '../src/engine/backend.js';
import { referenceBackend } from '../src/engine/backends/reference/index.js';
import { wasmVariant } from '../src/engine/backends/wasm/index.js';
import { loadWasmBackend } from '../src/engine/backends/wasm/node.js';
import { compare, graphKernelCases, type Outputs } from './helpers/kernel-cases.js';

function assertOutputs(got: Outputs, want: Outputs, tol: number, what: string): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${what}: outputs`);
  for (const key of Object.keys(want)) {
    const g = got[key], w = want[key];
    const e = compare(typeof g === 'number' ? [g] : g, typeof w === 'number' ? [w] : w);
    const detail = e.at >= 0 && typeof g !== 'number' && typeof w !== 'number' ? ` (worst at ${e.at}: got ${g[e.at]}, expected ${w[e.at]})` : '';
    assert.ok(e.rel <= tol && e.max <= tol, `${what} ${key}: relative error ${e.rel.toExponential(2)}, max ${e.max.toExponential(2)} > ${tol}${detail}`);
  }
}

function suite(be: () => Backend): void {
  const ref = referenceBackend();
  for (const c of graphKernelCases()) {
    test(c.name, () => {
      const got = c.run(be());
      if (c.naive) assertOutputs(got, c.naive(), Math.max(c.tol, 1e-6), 'vs naive');
      assertOutputs(got, c.run(ref), c.tol, 'vs reference');
    });
  }
}

describe('graph kernels: reference backend', () => suite(() => referenceBackend()));

for (const variant of wasmVariant() === 'relaxed-simd' ? (['simd', 'relaxed-simd'] as const) : (['simd'] as const)) {
  describe(`graph kernels: wasm backend (${variant})`, () => {
    const r = loadWasmBackend(variant);
    if ('error' in r) test('loads', () => assert.fail(r.error));
    else suite(() => r.backend);
  });
}
