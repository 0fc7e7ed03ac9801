// The native Winograd forward keeps a layer's transformed filters between calls on few tiles (batch-1
// inference): preparing them costs as much as the tiles. These tests pin what makes that safe: a kept form
// is used only while the weights hold the values it was made from (changed in place, as an optimizer or a
// load changes them, the next call sees the change), per instruction set, and with more layers than the
// cache holds. Each result is checked against the reference backend, and against the direct convolution's
// bits to show that the Winograd path (which batch-1 calls did not take before) is the one that ran.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Backend, FusedActivation } from '../src/engine/backend.js';
import { referenceBackend } from '../src/engine/backends/reference/index.js';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import { convGeometry, windowGeometry, type ConvGeometry } from '../src/engine/geometry.js';
import { compare, rand } from './helpers/kernel-cases.js';

const native = loadNativeBackend();
const binding = 'binding' in native ? native.binding : null;
const nb = 'backend' in native ? native.backend : (null as unknown as Backend);
const initial = binding?.info();
const ref = referenceBackend();

interface Layer {
  g: ConvGeometry;
  x: Float32Array;
  w: Float32Array;
  b: Float32Array;
  act: FusedActivation;
}

function layer(x: [number, number, number, number], oc: number, pad: 'same' | 'valid', act: FusedActivation, seed: number): Layer {
  const g = convGeometry('cache test', x, [3, 3], [1, 1], pad, oc);
  return { g, x: rand(x[0] * x[1] * x[2] * x[3], seed), w: rand(9 * x[3] * oc, seed + 1), b: rand(oc, seed + 2), act };
}

function forward(be: Backend, l: Layer, w = l.w): Float32Array {
  const y = new Float32Array(l.g.n * l.g.oh * l.g.ow * l.g.oc);
  be.conv2dForward(l.x, w, l.b, y, l.g, l.act);
  return y;
}

function direct(l: Layer, w = l.w): Float32Array {
  binding!.setWinograd(false);
  try {
    return forward(nb, l, w);
  } finally {
    binding!.setWinograd(true);
  }
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function closeToReference(got: Float32Array, l: Layer, w: Float32Array, what: string): void {
  const { rel, max } = compare(got, forward(ref, l, w));
  assert.ok(rel <= 1e-5 && max <= 1e-5, `${what}: relative error ${rel.toExponential(2)}, max ${max.toExponential(2)} against the reference backend`);
}

// Batch 1: 7x7x64 (4x4 tiles, few), 9x9x32 -> 40 (odd channel counts), 13x13x32 -> 64 under a ReLU (2x2 tiles).
const layers = () => [
  layer([1, 7, 7, 64], 64, 'same', 'linear', 10),
  layer([1, 9, 9, 32], 40, 'same', 'linear', 20),
  layer([1, 13, 13, 32], 64, 'valid', 'relu', 30),
];

const skip = binding ? false : `native addon not loaded: ${'error' in native ? native.error : ''}`;

describe('native Winograd forward: filters kept between calls', { skip }, () => {
  after(() => {
    binding!.setWinograd(true);
    binding!.setIsa('auto');
    binding!.setThreads(initial!.threads);
  });

  for (const isa of initial?.supportedIsas ?? []) {
    test(`${isa}: a second call reuses them (same bits); weights changed in place or copied elsewhere give their own result`, () => {
      binding!.setIsa(isa);
      for (const l of layers()) {
        const what = `${isa}, ${JSON.stringify([l.g.n, l.g.h, l.g.w, l.g.c])} -> ${l.g.oc}`;
        const first = forward(nb, l);
        closeToReference(first, l, l.w, `${what}, first call`);
        assert.ok(!sameBits(first, direct(l)), `${what}: took the Winograd path (its bits differ from the direct convolution's)`);
        assert.ok(sameBits(forward(nb, l), first), `${what}: second call, same bits`);
        assert.ok(sameBits(forward(nb, l, l.w.slice()), first), `${what}: the same weights at another address, same bits`);
        // One value changed in place, the last (a compare that stopped early would miss it), then the first.
        for (const i of [l.w.length - 1, 0]) {
          const old = l.w[i];
          l.w[i] += 0.5;
          const changed = forward(nb, l);
          closeToReference(changed, l, l.w, `${what}, weight ${i} changed in place`);
          assert.ok(!sameBits(changed, first), `${what}: weight ${i} changed in place changes the result`);
          l.w[i] = old;
          assert.ok(sameBits(forward(nb, l), first), `${what}: weight ${i} restored, the first result again`);
        }
      }
    });
  }

  test('switching the instruction set between calls on the same weights gives each set its own correct result', () => {
    const l = layers()[0];
    const per = new Map<string, Float32Array>();
    for (const round of [0, 1])
      for (const isa of initial!.supportedIsas) {
        binding!.setIsa(isa);
        const y = forward(nb, l);
        closeToReference(y, l, l.w, `${isa}, round ${round}`);
        if (round === 0) per.set(isa, y);
        else assert.ok(sameBits(y, per.get(isa)!), `${isa}: same bits as its own first call`);
      }
    binding!.setIsa('auto');
  });

  test('more layers than the cache holds (200), each called twice in turn, all correct', () => {
    const many = Array.from({ length: 200 }, (_, i) => layer([1, 6, 6, 24], 24, 'same', 'linear', 1000 + 3 * i));
    const firsts = many.map((l) => forward(nb, l));
    many.forEach((l, i) => assert.ok(sameBits(forward(nb, l), firsts[i]), `layer ${i}: second call, same bits`));
    for (const i of [0, 99, 199]) closeToReference(firsts[i], many[i], many[i].w, `layer ${i}`);
    assert.ok(!sameBits(firsts[0], direct(many[0])), 'the Winograd path ran');
  });

  test('releaseScratch frees the kept filters; the next call prepares them again, with the same bits', () => {
    const l = layers()[1];
    const first = forward(nb, l);
    binding!.releaseScratch();
    assert.ok(sameBits(forward(nb, l), first), 'after releaseScratch, same bits');
    assert.ok(sameBits(forward(nb, l), first), 'and again, kept');
  });

  test('a convolution that pools its output keeps its filters the same way', () => {
    const l = layer([1, 13, 13, 32], 64, 'valid', 'relu', 40);
    const pg = windowGeometry('cache test pool', [1, 11, 11, 64], [2, 2], [2, 2], 'valid');
    const run = (be: Backend) => {
      const y = new Float32Array(25 * 64), am = new Int32Array(25 * 64);
      be.conv2dMaxPoolForward(l.x, l.w, l.b, y, am, l.g, pg, 'relu');
      return y;
    };
    const first = run(nb);
    const want = run(ref);
    const { rel } = compare(first, want);
    assert.ok(rel <= 1e-5, `pooled: relative error ${rel.toExponential(2)}`);
    assert.ok(sameBits(run(nb), first), 'pooled: second call, same bits');
    l.w[l.w.length - 1] += 0.5;
    const changed = run(nb), wantChanged = run(ref);
    assert.ok(compare(changed, wantChanged).rel <= 1e-5, 'pooled: weights changed in place give their own result');
    assert.ok(!sameBits(changed, first), 'pooled: the change shows');
  });
});
