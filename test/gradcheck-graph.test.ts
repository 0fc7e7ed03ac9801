// Finite-difference gradient checks for the graph engine's layers and losses, on the reference backend:
// BatchNormalization (batch statistics in training, moving ones in inference), average and global average
// pooling, every activation, merges, a residual block (a tensor that fans out, gradients summed), label
// smoothing, L2 penalties, the probability-output loss of an averaged ensemble, and the gradients that
// explanations ask for (w.r.t. the input and a layer's output).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  categoricalCrossentropy, input, l2, layers, model, Random, referenceBackend, sequential, sgd, Tensor, type Layer, type Model, type SymbolicTensor,
} from '../src/engine/index.js';
import type { RunContext } from '../src/engine/layers/layer.js';
import { gradCheck, positivity, project } from './helpers/gradcheck.js';
import { oneHotRows, randomLabels, randomTensor } from './helpers/random.js';

const backend = referenceBackend();

/** d(Σ r·layer(x))/dx and /dW of one layer built alone, in training or inference mode. */
function checkLayer(layer: Layer, xShape: number[], training = true, eps = 1e-2): void {
  const m = sequential([layer], { seed: 11 });
  for (const s of m.weightSpecs) {
    const w = m.params.subarray(s.offset, s.offset + s.shape.reduce((a, b) => a * b, 1));
    const r = randomTensor(s.shape, s.offset + 5, 0.5, 1.5).data;
    w.set(s.name.endsWith('moving_mean') || s.name.endsWith('beta') ? r.map((v) => v - 1) : r);
  }
  const ctx = (): RunContext => ({ backend, training, rng: new Random(9), weightGrads: true });
  const x = randomTensor(xShape, 3);
  const r = randomTensor([xShape[0], ...layer.outputShape], 4);
  let last: Float32Array = new Float32Array(0);
  const f = (): number => project((last = layer.forward(x, ctx()).data), r.data);
  // Where an evaluation flips the sign of an output (elu/selu/relu kinks at 0), central differences are retried smaller.
  const pattern = (): string => positivity(last);
  layer.forward(x, ctx());
  const dx = layer.backward(new Tensor(r.data.slice(), r.shape), ctx(), true)!;
  const dxCopy = dx.data.slice();
  const grads = layer.grads.map((g) => g.slice());
  gradCheck(`${layer.className} dL/dx`, x.data, dxCopy, f, { eps, pattern });
  layer.paramSpecs().forEach((p, k) => {
    if (p.trainable) gradCheck(`${layer.className} dL/d${p.name}`, layer.weights[k], grads[k], f, { eps, pattern });
  });
}

describe('layer gradients by central differences', () => {
  test('batchNormalization in training x=[6,3,3,4] (batch statistics)', () => checkLayer(layers.batchNormalization({ inputShape: [3, 3, 4] }), [6, 3, 3, 4]));
  test('batchNormalization in training x=[5,7] (rank 2)', () => checkLayer(layers.batchNormalization({ inputShape: [7] }), [5, 7]));
  test('batchNormalization in inference x=[4,3,3,2] (moving statistics)', () => checkLayer(layers.batchNormalization({ inputShape: [3, 3, 2] }), [4, 3, 3, 2], false));
  test('batchNormalization without gamma and beta x=[5,6]', () => checkLayer(layers.batchNormalization({ inputShape: [6], center: false, scale: false }), [5, 6]));
  test('averagePooling2d pool=2 p=valid x=[2,5,5,2]', () => checkLayer(layers.averagePooling2d({ poolSize: 2, inputShape: [5, 5, 2] }), [2, 5, 5, 2]));
  test('averagePooling2d pool=3 s=2 p=same x=[2,7,6,2]', () => checkLayer(layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', inputShape: [7, 6, 2] }), [2, 7, 6, 2]));
  test('globalAveragePooling2d x=[3,4,5,2]', () => checkLayer(layers.globalAveragePooling2d({ inputShape: [4, 5, 2] }), [3, 4, 5, 2]));
  for (const a of ['tanh', 'sigmoid', 'elu', 'selu', 'softmax', 'linear'] as const) {
    test(`activation ${a} x=[3,7]`, () => checkLayer(layers.activation({ activation: a, inputShape: [7] }), [3, 7]));
    test(`dense activation ${a} x=[3,5] units=4`, () => checkLayer(layers.dense({ units: 4, activation: a, inputShape: [5] }), [3, 5]));
  }
  for (const a of ['tanh', 'sigmoid', 'elu', 'selu'] as const) {
    test(`conv2d activation ${a} s=2 p=same no bias x=[2,6,5,2]`, () => checkLayer(layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', useBias: false, activation: a, inputShape: [6, 5, 2] }), [2, 6, 5, 2]));
  }
  test('leakyReLU alpha=0.3 x=[3,9] (inputs away from the kink)', () => {
    const layer = layers.leakyReLU({ alpha: 0.3, inputShape: [9] });
    sequential([layer]);
    const ctx: RunContext = { backend, training: true, rng: new Random(1), weightGrads: true };
    const x = randomTensor([3, 9], 5).data.map((v) => (Math.abs(v) < 0.1 ? v + 0.3 : v));
    const y = layer.forward(new Tensor(x, [3, 9]), ctx).data.slice();
    y.forEach((v, i) => assert.equal(v, x[i] < 0 ? Math.fround(0.3 * x[i]) : x[i]));
    const dx = layer.backward(new Tensor(new Float32Array(27).fill(1), [3, 9]), ctx, true)!.data;
    dx.forEach((v, i) => assert.equal(v, x[i] < 0 ? Math.fround(0.3) : 1));
  });
});

/** A model's loss gradients in training mode, every trainable weight, by central differences of the loss. */
function checkModel(m: Model, x: Tensor, targets: Float32Array, eps = 3e-3): void {
  const n = x.shape[0];
  m.lossAndGradients(x, targets);
  const analytic = m.grads.slice();
  const loss = (): number => m.lossAndGradients(x, targets).loss / n;
  for (const s of m.weightSpecs) {
    if (!s.trainable) continue;
    const size = s.shape.reduce((a, b) => a * b, 1);
    gradCheck(s.name, m.params.subarray(s.offset, s.offset + size), analytic.subarray(s.offset, s.offset + size), loss, { eps, samples: 12 });
  }
}

function residualBlock(): Model {
  // Conv-BN-tanh-Conv-BN plus a 1x1 projection shortcut, added, then tanh: the input fans out to both paths.
  const convBn = (x: SymbolicTensor, f: number, k: number, s: number): SymbolicTensor =>
    layers.batchNormalization().apply(layers.conv2d({ filters: f, kernelSize: k, strides: s, padding: 'same', useBias: false }).apply(x));
  const x = input({ shape: [6, 6, 2] });
  const y = convBn(layers.activation({ activation: 'tanh' }).apply(convBn(x, 3, 3, 2)), 3, 3, 1);
  const h = layers.activation({ activation: 'tanh' }).apply(layers.add().apply([y, convBn(x, 3, 1, 2)]));
  const out = layers.dense({ units: 4, activation: 'softmax' }).apply(layers.flatten().apply(h));
  return model({ inputs: x, outputs: out, seed: 5 });
}

describe('loss gradients through graph models (training mode)', () => {
  const x = randomTensor([5, 6, 6, 2], 7);
  const targets = oneHotRows(randomLabels(5, 4, 8), 4);

  test('a residual block with a projection shortcut and BatchNormalization', () => {
    const m = residualBlock();
    m.compile({ optimizer: sgd(), loss: 'categoricalCrossentropy', backend });
    checkModel(m, x, targets);
  });

  test('concatenate of two branches and the input itself', () => {
    const inp = input({ shape: [6, 6, 2] });
    const a = layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(inp);
    const b = layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(inp);
    const cat = layers.concatenate().apply([a, inp, b]);
    const out = layers.dense({ units: 4, activation: 'softmax' }).apply(layers.globalAveragePooling2d().apply(cat));
    const m = model({ inputs: inp, outputs: out, seed: 3 });
    m.compile({ optimizer: sgd(), loss: 'categoricalCrossentropy', backend });
    checkModel(m, x, targets, 1e-2);
  });

  test('label smoothing 0.2: gradients of the smoothed loss, whose value is the cross-entropy to the smoothed targets', () => {
    const m = residualBlock();
    m.compile({ optimizer: sgd(), loss: categoricalCrossentropy({ labelSmoothing: 0.2 }), backend });
    checkModel(m, x, smoothTargets(targets, 0.2));
    const probs = m.predict(x).data;
    const smooth = smoothTargets(targets, 0.2);
    const want = -smooth.reduce((s, t, i) => s + t * Math.log(probs[i]), 0) / 5;
    const got = m.evaluate(x, new Tensor(targets, [5, 4])).loss;
    assert.ok(Math.abs(got - want) < 1e-5 * want, `evaluate's smoothed loss ${got}, expected ${want}`);
  });

  test('L2 penalties: the loss grows by Σ l2·‖W‖², the gradient by 2·l2·W', () => {
    const build = (f: number): Model => sequential([
      layers.conv2d({ filters: 2, kernelSize: 3, kernelRegularizer: l2(f), inputShape: [6, 6, 2] }),
      layers.flatten(),
      layers.dense({ units: 4, activation: 'softmax', kernelRegularizer: l2(f / 2) }),
    ], { seed: 9 });
    const plain = build(0);
    const reg = build(0.05);
    for (const m of [plain, reg]) m.compile({ optimizer: sgd(), loss: 'categoricalCrossentropy', backend });
    checkModel(reg, x, targets);
    const kernels = reg.weightSpecs.filter((s) => s.name.endsWith('kernel'));
    const penalty = kernels.reduce((s, k) => s + k.spec.l2! * reg.params.subarray(k.offset, k.offset + k.shape.reduce((a, b) => a * b, 1)).reduce((q, w) => q + w * w, 0), 0);
    const diff = reg.lossAndGradients(x, targets).loss / 5 - plain.lossAndGradients(x, targets).loss / 5;
    assert.ok(Math.abs(diff - penalty) < 1e-5, `loss grew by ${diff}, the penalty is ${penalty}`);
  });

  test('an averaged ensemble (probability output, clipped cross-entropy as Keras)', () => {
    const inp = input({ shape: [6, 6, 2] });
    const flat = layers.flatten().apply(inp);
    const heads = [layers.dense({ units: 4, activation: 'softmax' }).apply(flat), layers.dense({ units: 4, activation: 'softmax' }).apply(flat)];
    const m = model({ inputs: inp, outputs: layers.average().apply(heads), seed: 4 });
    m.compile({ optimizer: sgd(), loss: 'categoricalCrossentropy', backend });
    checkModel(m, x, targets, 1e-2);
  });
});

function smoothTargets(t: Float32Array, s: number): Float32Array {
  return t.map((v) => v * (1 - s) + s / 4);
}

describe('gradients for explanations', () => {
  test('inputGradients: d(logit of a class)/d(input) and d/d(a layer output) match central differences', () => {
    const m = residualBlock();
    const x = randomTensor([2, 6, 6, 2], 12);
    const d = new Tensor(new Float32Array([0, 1, 0, 0, 0, 0, 0, 1]), [2, 4]);
    const layerName = m.layers.find((l) => l.className === 'Add')!.name;
    const g = m.inputGradients(x, d, { layers: [layerName] });
    // The logits: the last dense layer's pre-softmax values, read back through its own view.
    const logitScore = (): number => {
      m.forward(x, false);
      const z = m.outputLayer.softmaxLogits()!.data;
      return z[1] + z[7];
    };
    gradCheck('d score / d input', x.data, g.input.data, logitScore, { eps: 1e-2, samples: 30 });
    assert.deepEqual(g.layers[layerName].output.shape, [2, 3, 3, 3]);
    assert.ok(g.layers[layerName].gradient.data.some((v) => v !== 0), 'the layer gradient is not all zero');
    // The model did not change: no moving statistic moved, no weight gradient was written.
    const before = m.getWeights();
    m.inputGradients(x, d);
    assert.deepEqual(m.getWeights(), before);
  });
});
