// A ReLU layer run inside the BatchNormalization or Add before it, and a MaxPooling2D gating the gradient for
// the ReLU before it (graph/execute.ts): which pairs the plan fuses, that the fused passes are really taken
// (fewer or smaller ReLU kernel calls), and that training, inference, a frozen normalization and the
// explanations' passes give the same bits as every layer run on its own, on the reference, WebAssembly and
// native backends.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adam, input, layers, model, referenceBackend, Tensor, type Backend, type Model } from '../src/engine/index.js';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import { loadWasmBackend } from '../src/engine/backends/wasm/node.js';
import type { Plan } from '../src/engine/graph/plan.js';
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

/**
 * Pools after ReLUs: three pairs where the pool gates the gradient (Conv2D(relu) → 2x2 pool; Conv2D →
 * ReLU layer → overlapping 3x3 windows, stride 2, 'same' padding; the same after a BN whose ReLU does not
 * fuse, since the BN's output is also added) and two that must not: a ReLU run inside its BN, and a
 * Conv2D(relu) whose output another layer reads too.
 */
function pooled(seed: number): Model {
  const inp = input({ shape: [12, 12, 2] });
  const c1 = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }).apply(inp);
  const p1 = layers.maxPooling2d({ name: 'p1' }).apply(c1);
  const c2 = layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'c2' }).apply(p1);
  const p2 = layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'p2' }).apply(layers.reLU({ name: 'r2' }).apply(c2));
  const c3 = layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', useBias: false, name: 'c3' }).apply(p2);
  const bn3 = layers.batchNormalization({ name: 'bn3' }).apply(c3);
  const r3 = layers.reLU({ name: 'r3' }).apply(bn3);
  const p3 = layers.maxPooling2d({ poolSize: 1, name: 'p3' }).apply(r3);
  const c4 = layers.conv2d({ filters: 5, kernelSize: 1, useBias: false, name: 'c4' }).apply(layers.add({ name: 'sum' }).apply([p3, bn3]));
  const p4 = layers.maxPooling2d({ name: 'p4' }).apply(layers.reLU({ name: 'r4' }).apply(layers.batchNormalization({ name: 'bn4' }).apply(c4)));
  const c5 = layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'c5' }).apply(p4);
  const both = layers.add({ name: 'both' }).apply([layers.maxPooling2d({ poolSize: 1, name: 'p5' }).apply(c5), c5]);
  const out = layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(layers.flatten().apply(both));
  return model({ inputs: inp, outputs: out, seed });
}

/** The backend, with a count of each kernel's calls (and, in `sizes`, of the elements each call was given). */
function counted(b: Backend, calls: Record<string, number>, sizes: Record<string, number> = {}): Backend {
  const out: Record<string, unknown> = { name: b.name };
  for (const k of Object.keys(b) as (keyof Backend)[]) {
    const f = b[k];
    if (typeof f !== 'function') continue;
    out[k] = (...a: unknown[]) => {
      calls[k] = (calls[k] ?? 0) + 1;
      if (k === 'activationBackward') sizes[k] = (sizes[k] ?? 0) + (a[1] as Float32Array).length;
      return (f as (...x: unknown[]) => unknown).apply(b, a);
    };
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

describe('which pools gate the gradient for the ReLU before them', () => {
  test("a MaxPooling2D that alone reads a Conv2D(relu) or a ReLU layer run on its own; not one after a BN's fused ReLU, nor a shared output", () => {
    const plan = (pooled(1) as unknown as { plan: Plan }).plan;
    const name = (k: number) => plan.nodes[k].layer.name;
    assert.deepEqual(plan.gatePairs.map((p) => `${name(p.producer)}→${name(p.gate)}`), ['c1→p1', 'r2→p2', 'r3→p3', 'r4→p4']);
    // r3 fuses into nothing (bn3 is read by the add too) and so gates in p3; r4 runs inside bn4 and does not.
    assert.deepEqual(plan.reluPairs.map((p) => `${name(p.producer)}→${name(p.relu)}`), ['bn4→r4']);
    // Of those, the Conv2D pools its own output in the forward.
    assert.deepEqual(plan.poolPairs.map((p) => `${name(p.producer)}→${name(p.pool)}`), ['c1→p1']);
  });
});

/**
 * Convolutions that pool their own output: one input channel into 16 filters (ReLU) → 2x2 pool, the first
 * layer, whose weight gradients then come from the pool's gradient directly; ReLU →
 * overlapping 3x3 windows, stride 2, 'same' padding; a linear convolution → 2x2 pool (no gate: nothing to
 * gate); and one that cannot: a tanh convolution (its activation is a pass of its own) → 1x1 pool.
 */
function poolingConvs(seed: number): Model {
  const inp = input({ shape: [10, 10, 1] });
  const wide = layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'wide' }).apply(inp);
  const ov = layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'ov' }).apply(layers.maxPooling2d({ name: 'pa' }).apply(wide));
  const lin = layers.conv2d({ filters: 6, kernelSize: 2, name: 'lin' }).apply(layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'po' }).apply(ov));
  const th = layers.conv2d({ filters: 5, kernelSize: 1, activation: 'tanh', name: 'th' }).apply(layers.maxPooling2d({ name: 'pl' }).apply(lin));
  const out = layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(layers.flatten().apply(layers.maxPooling2d({ poolSize: 1, name: 'pt' }).apply(th)));
  return model({ inputs: inp, outputs: out, seed });
}

const xc = randomTensor([5, 10, 10, 1], 8, -1, 1);
const yc = new Tensor(oneHotRows(randomLabels(5, 3, 9), 3), [5, 3]);

describe('which convolutions pool their own output', () => {
  test('a Conv2D with a ReLU or no activation that a MaxPooling2D alone reads; not a tanh one', () => {
    const plan = (poolingConvs(1) as unknown as { plan: Plan }).plan;
    const name = (k: number) => plan.nodes[k].layer.name;
    assert.deepEqual(plan.poolPairs.map((p) => `${name(p.producer)}→${name(p.pool)}`), ['wide→pa', 'ov→po', 'lin→pl']);
  });
});

for (const [name, be] of backends()) {
  describe(`convolutions pooling their own output agree with the plain passes bit for bit: ${name} backend`, () => {
    test('three Adam steps, then predictions: the weights; three pools run inside their convolutions', () => {
      const run = (fuse: boolean, calls: Record<string, number>) => {
        const m = poolingConvs(5);
        m.fuseLayers = fuse;
        m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy', backend: counted(be, calls) });
        for (let i = 0; i < 3; i++) m.trainStep(xc, yc);
        return m;
      };
      const fc: Record<string, number> = {}, pc: Record<string, number> = {};
      const fused = run(true, fc), plain = run(false, pc);
      assert.deepEqual([fc.conv2dMaxPoolForward, fc.maxPool2dForward, fc.conv2dForward], [9, 3, 3], 'fused: pooling convolutions, pools, convolutions');
      assert.deepEqual([pc.conv2dMaxPoolForward, pc.maxPool2dForward, pc.conv2dForward], [undefined, 12, 12], 'plain');
      // The first layer (no input gradient wanted) takes its weight gradients from pa's gradient and argmax.
      assert.deepEqual([fc.conv2dBackwardFilterPooled, fc.maxPool2dBackward, fc.conv2dBackwardFilter], [3, 9, 9], 'fused backward');
      assert.deepEqual([pc.conv2dBackwardFilterPooled, pc.maxPool2dBackward, pc.conv2dBackwardFilter], [undefined, 12, 12], 'plain backward');
      sameBits(fused.params, plain.params, 'weights');
      assert.ok(fused.params.some((v, i) => v !== poolingConvs(5).params[i]), 'the steps changed the weights');
      sameBits(fused.predict(xc).data, plain.predict(xc).data, 'predictions');
      // Asked for by name, a pooled convolution's output is computed on its own (and the pool's from it).
      const a = fused.activations(xc, ['wide', 'pa']), b = plain.activations(xc, ['wide', 'pa']);
      sameBits(a.wide.data, b.wide.data, 'wide output');
      sameBits(a.pa.data, b.pa.data, 'pa output');
      assert.ok(a.wide.data.some((v) => v === 0) && a.wide.data.some((v) => v > 0), 'the ReLU zeroed some outputs and not others');
    });
  });
}

const xp = randomTensor([4, 12, 12, 2], 5, -1, 1);
const yp = new Tensor(oneHotRows(randomLabels(4, 3, 6), 3), [4, 3]);

for (const [name, be] of backends()) {
  describe(`pools gating for the ReLU before them agree with the plain passes bit for bit: ${name} backend`, () => {
    test('three Adam steps: the weights; each gating pair gates its pool-sized gradient instead of the ReLU\'s own', () => {
      const run = (fuse: boolean, calls: Record<string, number>, sizes: Record<string, number>) => {
        const m = pooled(3);
        m.fuseLayers = fuse;
        m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy', backend: counted(be, calls, sizes) });
        for (let i = 0; i < 3; i++) m.trainStep(xp, yp);
        return m;
      };
      const fc: Record<string, number> = {}, fs: Record<string, number> = {}, pc: Record<string, number> = {}, ps: Record<string, number> = {};
      const fused = run(true, fc, fs), plain = run(false, pc, ps);
      sameBits(fused.params, plain.params, 'weights and moving statistics');
      // Per step: c1 gates 4·12·12·4 cells, p1 instead 4·6·6·4; r2 4·6·6·5 → p2 4·3·3·5; r3 → p3 as many (a
      // 1x1 pool); r4 (4·3·3·5) runs inside bn4 in the fused pass, on its own kernel in the plain one.
      const saved = 4 * (12 * 12 * 4 - 6 * 6 * 4) + 4 * (6 * 6 * 5 - 3 * 3 * 5) + 4 * 3 * 3 * 5;
      assert.equal(ps.activationBackward - fs.activationBackward, 3 * saved, 'ReLU backward elements saved a step');
      assert.equal(pc.activationBackward - fc.activationBackward, 3 * 1, 'one call fewer a step: r4 inside bn4');
      sameBits(fused.predict(xp).data, plain.predict(xp).data, 'predictions');
      // Windows whose ReLU values are all 0 pass no gradient, and some do not: the gate decided something.
      const p1 = fused.activations(xp, ['p1']).p1.data;
      assert.ok(p1.some((v) => v === 0) && p1.some((v) => v > 0), 'p1 has windows of zeros and of positive maxima');
    });

    test('a pool or ReLU asked for by name keeps the plain passes: input gradients at c1, p1 and r2', () => {
      const m = pooled(4), n = pooled(4);
      n.fuseLayers = false;
      for (const mm of [m, n]) mm.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', backend: be });
      const dOut = randomTensor([4, 3], 11);
      for (const names of [[], ['c1'], ['p1', 'r2']]) {
        const g = m.inputGradients(xp, dOut, { layers: names }), h = n.inputGradients(xp, dOut, { layers: names });
        sameBits(g.input.data, h.input.data, `input gradient, layers [${names}]`);
        for (const k of names) sameBits(g.layers[k].gradient.data, h.layers[k].gradient.data, `gradient at ${k}`);
      }
      assert.ok(m.inputGradients(xp, dOut).input.data.some((v) => v !== 0), 'the input gradient is not all zero');
    });
  });
}

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
