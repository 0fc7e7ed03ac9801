// A ReLU layer run inside the BatchNormalization or Add before it (graph/execute.ts): which pairs the plan fuses,
// that the fused passes are really taken (fewer ReLU kernel calls), and that training, inference, a frozen
// normalization and the explanations' passes give the same bits as every layer run on its own, on the
// reference, WebAssembly and native backends.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adam, input, layers, model, referenceBackend, Tensor, type Backend, type Model } from '../src/engine/index.js';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import { loadWasmBackend } from '../src/engine/backends/wasm/node.js';
import { oneHotRows, randomLabels, randomTensor } from './helpers/random.js';

/**
 * Four fusable pairs (BN → ReLU layer, BN → Activation('relu'), Add → ReLU, a frozen BN → ReLU) and one that
 * must not fuse: a BN whose output also feeds the residual add.
 */
function residual(seed: number): Model {
  const inp = input({ shape: [8, 8, 2] });
  const c1 = layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, name: 'c1' }).apply(inp);
  const r1 = layers.reLU({ name: 'r1' }).apply(layers.batchNormalization({ name: 'bn1' }).apply(c1));
  const c2 = layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, name: 'c2' }).apply(r1);
  const r2 = layers.activation({ activation: 'relu', name: 'r2' }).apply(layers.batchNormalization({ name: 'bn2' }).apply(c2));
  const c3 = layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, name: 'c3' }).apply(r2);
  const bn3 = layers.batchNormalization({ name: 'bn3' }).apply(c3);
  const r3 = layers.reLU({ name: 'r3' }).apply(bn3);
  const sum = layers.reLU({ name: 'r4' }).apply(layers.add({ name: 'sum' }).apply([r3, bn3]));
  const c4 = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'c4' }).apply(sum);
  const r5 = layers.reLU({ name: 'r5' }).apply(layers.batchNormalization({ name: 'frozen_bn' }).apply(c4));
  const out = layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(layers.globalAveragePooling2d().apply(r5));
  const m = model({ inputs: inp, outputs: out, seed });
  m.getLayer('frozen_bn').trainable = false;
  return m;
}

/** The backend, with a count of each kernel's calls. */
function counted(b: Backend, calls: Record<string, number>): Backend {
  const out: Record<string, unknown> = { name: b.name };
  for (const k of Object.keys(b) as (keyof Backend)[]) {
    const f = b[k];
    if (typeof f === 'function') out[k] = (...a: unknown[]) => ((calls[k] = (calls[k] ?? 0) + 1), (f as (...x: unknown[]) => unknown).apply(b, a));
  }
  return out as unknown as Backend;
}

const x = randomTensor([6, 8, 8, 2], 3, -1, 2);
const y = new Tensor(oneHotRows(randomLabels(6, 3, 4), 3), [6, 3]);

function trained(be: Backend, fuse: boolean, calls: Record<string, number> = {}): Model {
  const m = residual(7);
  m.fuseLayers = fuse;
  m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy', backend: counted(be, calls) });
  for (let i = 0; i < 3; i++) m.trainStep(x, y);
  return m;
}

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length), v = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const differ = u.filter((w, i) => w !== v[i]).length;
  assert.equal(differ, 0, `${what}: ${differ} of ${a.length} values differ`);
}

function backends(): [string, Backend][] {
  const w = loadWasmBackend();
  const n = loadNativeBackend();
  return [
    ['reference', referenceBackend()],
    ['wasm', 'error' in w ? failed(`wasm: ${w.error}`) : w.backend],
    ['native', 'error' in n ? failed(`native: ${n.error}`) : n.backend],
  ];
}
function failed(why: string): never {
  throw new Error(why);
}

describe('which ReLU layers the plan fuses', () => {
  test('a ReLU or Activation(relu) that alone reads a BatchNormalization or an Add; not one after a BN another layer reads', () => {
    const calls: Record<string, number> = {};
    const m = residual(1);
    m.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', backend: counted(referenceBackend(), calls) });
    m.forward(x, true);
    // r1, r2 and r5 run inside their BN, r4 inside the add; r3 (bn3 is read by the add too) on its own.
    assert.equal(calls.activationForward, 1, 'ReLU kernel calls with fusion');
    assert.equal(calls.batchNormForward, 4);
    m.fuseLayers = false;
    calls.activationForward = 0;
    m.forward(x, true);
    assert.equal(calls.activationForward, 5, 'ReLU kernel calls, every layer on its own');
  });
});

for (const [name, be] of backends()) {
  describe(`fused and unfused passes agree bit for bit: ${name} backend`, () => {
    test('three Adam steps: the weights, the moving statistics and then the predictions', () => {
      const fusedCalls: Record<string, number> = {}, plainCalls: Record<string, number> = {};
      const fused = trained(be, true, fusedCalls), plain = trained(be, false, plainCalls);
      sameBits(fused.params, plain.params, 'weights and moving statistics');
      // Per step the three BNs gate dy in their own passes; the Add gates with the ReLU's backward kernel twice
      // (its copy for the second input, written gated, and dy itself): one call more than the ReLU's one.
      assert.equal(plainCalls.activationBackward - fusedCalls.activationBackward, 3 * (3 - 1), 'ReLU backward calls saved a step');
      assert.equal(plainCalls.activationForward - fusedCalls.activationForward, 3 * 4, 'four ReLU forward calls a step run inside their layers');
      sameBits(fused.predict(x).data, plain.predict(x).data, 'predictions (inference mode)');
      // The moving statistics did move (a training-mode forward ran), and the frozen one did not.
      const moved = fused.getLayer('bn1').weights[2];
      assert.ok(moved.some((v) => v !== 0), 'bn1 moving mean moved');
      assert.ok(fused.getLayer('frozen_bn').weights[2].every((v) => v === 0), 'the frozen BN keeps its moving mean');
    });

    test('a layer asked for by name keeps its own output: activations and inputGradients', () => {
      const fused = trained(be, true), plain = trained(be, false);
      const a = fused.activations(x, ['bn1', 'r1']), b = plain.activations(x, ['bn1', 'r1']);
      assert.ok(a.bn1.data.some((v) => v < 0), 'bn1 is the normalization before the ReLU (it has negative values)');
      sameBits(a.bn1.data, b.bn1.data, 'bn1 output');
      sameBits(a.r1.data, b.r1.data, 'r1 output');
      const dOut = randomTensor([6, 3], 9);
      for (const names of [[], ['bn2'], ['r5']]) {
        const g = fused.inputGradients(x, dOut, { layers: names }), h = plain.inputGradients(x, dOut, { layers: names });
        sameBits(g.input.data, h.input.data, `input gradient, layers [${names}]`);
        for (const n of names) sameBits(g.layers[n].gradient.data, h.layers[n].gradient.data, `gradient at ${n}`);
      }
      assert.ok(fused.inputGradients(x, dOut).input.data.some((v) => v !== 0), 'the input gradient is not all zero');
    });
  });
}
