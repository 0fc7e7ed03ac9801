// The graph API's behaviour: building, naming, getLayer, frozen layers (no update, no weight gradient, and a
// frozen BatchNormalization in inference mode), skipping the backward of a frozen base, sharing rules,
// optimizers' extras (AdamW, clipping, schedules, state), and the errors for bad graphs, each raised where
// the mistake is made and naming the layers and shapes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  adam, adamw, input, layers, model, referenceBackend, sequential, sgd, Tensor, type Backend, type LearningRateSchedule,
} from '../src/engine/index.js';
import { modelFromArtifacts, modelToArtifacts } from '../src/engine/io/artifacts.js';
import { assertClose } from './helpers/close.js';
import { oneHotRows, randomLabels, randomTensor } from './helpers/random.js';

const backend = referenceBackend();
const x = randomTensor([8, 6, 6, 1], 1, 0, 1);
const y = new Tensor(oneHotRows(randomLabels(8, 3, 2), 3), [8, 3]);

function smallGraph(seed = 1) {
  const inp = input({ shape: [6, 6, 1] });
  const c = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'base_conv' }).apply(inp);
  const b = layers.batchNormalization({ name: 'base_bn' }).apply(c);
  const r = layers.reLU().apply(b);
  const head = layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(layers.flatten().apply(r));
  return model({ inputs: inp, outputs: head, seed });
}

describe('building and naming', () => {
  test('unnamed layers get Keras-style unique names; getLayer finds them and names the others when it fails', () => {
    const m = smallGraph();
    assert.deepEqual(m.layers.map((l) => l.name), ['input', 'base_conv', 'base_bn', 're_lu', 'flatten', 'head']);
    assert.equal(m.getLayer('base_bn').className, 'BatchNormalization');
    assert.throws(() => m.getLayer('nope'), /getLayer: model 'model' has no layer 'nope'; its layers are input, base_conv, base_bn, re_lu, flatten, head/);
  });

  test('sequential lists its layers without the implicit input, as Keras does', () => {
    const m = sequential([layers.dense({ units: 2, inputShape: [3] }), layers.dense({ units: 2 })]);
    assert.deepEqual(m.layers.map((l) => l.name), ['dense', 'dense_1']);
  });

  test('two layers with one name are refused', () => {
    const inp = input({ shape: [4] });
    const a = layers.dense({ units: 2, name: 'same' }).apply(inp);
    assert.throws(() => model({ inputs: inp, outputs: layers.dense({ units: 2, name: 'same' }).apply(a) }), /two layers are named 'same'/);
  });
});

describe('bad graphs are refused where they are built', () => {
  test('add of mismatched shapes names both layers and shapes', () => {
    const inp = input({ shape: [6, 6, 1] });
    const a = layers.conv2d({ filters: 4, kernelSize: 3, name: 'left' }).apply(inp);
    const b = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'right' }).apply(inp);
    assert.throws(() => layers.add({ name: 'sum' }).apply([a, b]),
      /Add layer 'sum': inputs must have the same shape, got Conv2D 'left' \[null,4,4,4\] and Conv2D 'right' \[null,6,6,4\]/);
  });

  test('concatenate of mismatched spatial sizes names both layers and shapes', () => {
    const inp = input({ shape: [6, 6, 1] });
    const a = layers.maxPooling2d({ name: 'pooled' }).apply(inp);
    assert.throws(() => layers.concatenate({ name: 'cat' }).apply([a, inp]), /Concatenate layer 'cat': inputs must agree on every axis but the last, got MaxPooling2D 'pooled' \[null,3,3,1\] and InputLayer \[null,6,6,1\]/);
  });

  test('a layer applied twice, an output from another input, and an input the output ignores', () => {
    const inp = input({ shape: [4] });
    const d = layers.dense({ units: 4, name: 'd' });
    d.apply(inp);
    assert.throws(() => d.apply(inp), /Dense layer 'd' is already applied in a graph; a layer is used once/);
    const other = input({ shape: [4], name: 'other' });
    const out = layers.dense({ units: 2 }).apply(other);
    assert.throws(() => model({ inputs: inp, outputs: out }), /the output depends on InputLayer 'other', which is not the model's input/);
    assert.throws(() => model({ inputs: [inp, other], outputs: out }), /inputs must be one symbolic tensor/);
  });

  test('a model.json graph with a cycle or a reference to a missing layer', () => {
    const { modelJson, weightData } = modelToArtifacts(smallGraph());
    const cyclic = structuredClone(modelJson);
    const layersJson = (cyclic.modelTopology.config as { layers: { name: string; inbound_nodes: unknown[][][] }[] }).layers;
    layersJson.find((l) => l.name === 'base_conv')!.inbound_nodes = [[['re_lu', 0, 0, {}]]];
    assert.throws(() => modelFromArtifacts(cyclic, weightData), /the graph has a cycle through layer '(base_conv|base_bn|re_lu)'/);
    const dangling = structuredClone(modelJson);
    (dangling.modelTopology.config as { layers: { name: string; inbound_nodes: unknown[][][] }[] }).layers.find((l) => l.name === 'head')!.inbound_nodes = [[['ghost', 0, 0, {}]]];
    assert.throws(() => modelFromArtifacts(dangling, weightData), /layer 'head' reads 'ghost', which is not a layer of the model/);
  });
});

/** A backend that counts the calls to each kernel. */
function counting(): { backend: Backend; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrapped = Object.fromEntries(Object.entries(backend).map(([k, f]) => [k, typeof f === 'function'
    ? (...a: unknown[]) => (calls.set(k, (calls.get(k) ?? 0) + 1), (f as (...b: unknown[]) => unknown)(...a)) : f])) as unknown as Backend;
  return { backend: wrapped, calls };
}

describe('frozen layers', () => {
  test('a frozen base keeps its weights and moving statistics bit for bit, runs no backward, and the head learns', async () => {
    const m = smallGraph(3);
    m.getLayer('base_conv').trainable = false;
    m.getLayer('base_bn').trainable = false;
    const { backend: spy, calls } = counting();
    m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy', backend: spy });
    const frozen = m.weightSpecs.filter((s) => s.name.startsWith('base_'));
    const before = frozen.map((s) => m.params.slice(s.offset, s.offset + s.shape.reduce((a, b) => a * b, 1)));
    const head = m.weightSpecs.find((s) => s.name === 'head/kernel')!;
    const headBefore = m.params.slice(head.offset, head.offset + 72 * 3);
    await m.fit(x, y, { epochs: 3, batchSize: 4 });
    frozen.forEach((s, i) => assert.deepEqual(m.params.slice(s.offset, s.offset + before[i].length), before[i], `${s.name} changed`));
    assert.notDeepEqual(m.params.slice(head.offset, head.offset + 72 * 3), headBefore);
    // No gradient flowed into the frozen base: neither its filter nor its input gradient was computed.
    assert.equal(calls.get('conv2dBackwardFilter') ?? 0, 0);
    assert.equal(calls.get('conv2dBackwardInput') ?? 0, 0);
    assert.equal(calls.get('batchNormBackward') ?? 0, 0);
    assert.equal(calls.get('batchNormStats') ?? 0, 0, 'a frozen BatchNormalization normalizes with its moving statistics');
    assert.deepEqual(m.countParams(), { total: 487, trainable: 435, nonTrainable: 52 });
  });

  test('frozen in the middle: the layers before it still learn through it', async () => {
    const m = smallGraph(4);
    m.getLayer('base_bn').trainable = false;
    m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy', backend });
    const conv = m.weightSpecs.find((s) => s.name === 'base_conv/kernel')!;
    const before = m.params.slice(conv.offset, conv.offset + 36);
    await m.fit(x, y, { epochs: 1, batchSize: 8 });
    assert.notDeepEqual(m.params.slice(conv.offset, conv.offset + 36), before);
  });
});

describe('optimizer extras', () => {
  test('AdamW decays weights as Keras: p ← p − lr·wd·p, then the Adam step', () => {
    const m = sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [36] })], { seed: 2 });
    const twin = sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [36] })], { seed: 2 });
    m.compile({ optimizer: adamw({ learningRate: 0.01, weightDecay: 0.1 }), loss: 'categoricalCrossentropy', backend });
    twin.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', backend });
    const flat = new Tensor(x.data, [8, 36]);
    const w0 = m.getWeights();
    m.trainStep(flat, y);
    twin.setWeights(w0.map((w) => Math.fround(w - 0.01 * 0.1 * w)));
    const decayed = twin.getWeights();
    twin.setWeights(w0);
    // Adam's update depends only on the gradient, taken before the decay; apply it to the decayed weights.
    twin.trainStep(flat, y);
    const adamDelta = twin.getWeights().map((v, i) => v - w0[i]);
    assertClose(m.getWeights(), decayed.map((v, i) => v + adamDelta[i]), 'AdamW weights', 1e-6);
  });

  test('clipnorm and globalClipnorm bound the gradient norm (SGD lr 1 shows the step)', () => {
    for (const [opt, check] of [
      [sgd({ learningRate: 1, clipnorm: 0.01 }), (d: Float32Array, specs: [number, number][]) => specs.forEach(([s, e]) => assert.ok(norm(d.subarray(s, e)) <= 0.01 + 1e-7))],
      [sgd({ learningRate: 1, globalClipnorm: 0.01 }), (d: Float32Array) => assert.ok(Math.abs(norm(d) - 0.01) < 1e-6, `global norm ${norm(d)}`)],
    ] as const) {
      const m = smallGraph(5);
      m.compile({ optimizer: opt, loss: 'categoricalCrossentropy', backend });
      const before = m.getWeights();
      m.trainStep(x, y);
      const step = m.getWeights().map((v, i) => v - before[i]);
      check(step.subarray(0, m.trainableRanges()[0][1]), m.trainableSlices());
    }
  });

  test('a learning-rate schedule is asked for each step; its state survives getState/setState', () => {
    const seen: number[] = [];
    const schedule: LearningRateSchedule = { className: 'Halving', valueAt: (s) => (seen.push(s), 0.1 / 2 ** (s - 1)), config: () => ({}) };
    const m = smallGraph(6);
    const opt = adam({ learningRate: schedule });
    m.compile({ optimizer: opt, loss: 'categoricalCrossentropy', backend });
    m.trainStep(x, y);
    m.trainStep(x, y);
    assert.equal(opt.learningRate, 0.05);
    const state = opt.getState();
    const other = adam({ learningRate: schedule });
    other.setState(state);
    assert.equal(other.iterations, 2);
    assert.equal(other.learningRate, 0.05);
    assert.deepEqual(other.getState().slots.m, state.slots.m);
    assert.ok(seen.includes(1) && seen.includes(2));
  });
});

function norm(a: Float32Array): number {
  return Math.sqrt(a.reduce((s, v) => s + v * v, 0));
}
