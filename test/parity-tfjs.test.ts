// Parity with TensorFlow.js (its `cpu` backend): with the same weights, each layer's forward output and
// its input and weight gradients, the seed CNN's forward pass and loss gradients, and whole optimizer steps
// (Adam, SGD with momentum) give the same numbers as TensorFlow.js, within float32 rounding.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor, labelsTensor, oneHotTensor } from '../src/data/tensors.js';
import { adam, layers, Random, referenceBackend, sequential, sgd, Tensor, type Layer, type Sequential } from '../src/engine/index.js';
import { seedCnn } from '../src/train/zoo/index.js';
import { assertClose, assertWithin } from './helpers/close.js';
import { randomTensor } from './helpers/random.js';
import { loadTf, tfjsParams, tfjsVariables, toTfjs } from './helpers/tfjs.js';

const backend = referenceBackend();
const tf = await loadTf();
const shape = (s: readonly number[]): string => `[${s.join(',')}]`;

/** Our forward output, input gradient and weight gradients of Σ r·layer(x), and TensorFlow.js's. */
function layerParity(layer: Layer, xShape: number[]): void {
  const model = sequential([layer], { seed: 11 });
  model.params.set(randomTensor([model.params.length], 5, -0.5, 0.5).data);
  const tfm = toTfjs(tf, model);
  const x = randomTensor(xShape, 3);
  const ctx = { backend, training: true, rng: new Random(1), weightGrads: true };
  const y = layer.forward(x, ctx).data.slice();
  const r = randomTensor([xShape[0], ...layer.outputShape], 4);
  const dx = layer.backward(new Tensor(r.data.slice(), r.shape), ctx, true)!.data.slice();
  const grads = layer.grads.map((g) => g.slice());
  tf.tidy(() => {
    const xt = tf.tensor(x.data, [...xShape]);
    const rt = tf.tensor(r.data, [...r.shape]);
    const f = (xi: TF.Tensor): TF.Scalar => tf.sum(tf.mul(tfm.apply(xi) as TF.Tensor, rt));
    assertClose(y, (tfm.apply(xt) as TF.Tensor).dataSync(), 'forward output', 1e-5);
    assertClose(dx, tf.grad(f)(xt).dataSync(), 'input gradient', 1e-5);
    const vars = tfjsVariables(tfm);
    if (vars.length === 0) return;
    const g = tf.variableGrads(() => f(xt), vars).grads;
    model.weightSpecs.forEach((s, k) => assertClose(grads[k], g[vars[k].name].dataSync(), `${s.name} gradient`, 1e-5));
  });
  tfm.dispose();
}

describe('layer parity with TensorFlow.js: forward, input and weight gradients', () => {
  const convCases: { x: number[]; k: number; filters: number; s: number; p: 'valid' | 'same'; act: 'relu' | 'linear' }[] = [
    { x: [2, 7, 7, 3], k: 3, filters: 4, s: 1, p: 'valid', act: 'relu' },
    { x: [2, 7, 7, 3], k: 3, filters: 4, s: 1, p: 'same', act: 'linear' },
    { x: [2, 7, 7, 3], k: 3, filters: 4, s: 2, p: 'valid', act: 'linear' },
    { x: [2, 7, 7, 3], k: 3, filters: 4, s: 2, p: 'same', act: 'relu' },
    { x: [2, 8, 8, 2], k: 3, filters: 5, s: 2, p: 'same', act: 'linear' },
    { x: [2, 6, 6, 2], k: 2, filters: 3, s: 1, p: 'same', act: 'relu' },
    { x: [1, 9, 9, 1], k: 5, filters: 2, s: 3, p: 'same', act: 'linear' },
    { x: [4, 28, 28, 1], k: 3, filters: 8, s: 1, p: 'valid', act: 'relu' },
  ];
  for (const c of convCases) {
    test(`conv2d x=${shape(c.x)} f=${shape([c.k, c.k, c.x[3], c.filters])} s=${c.s} p=${c.p} ${c.act}`, () => {
      layerParity(layers.conv2d({ filters: c.filters, kernelSize: c.k, strides: c.s, padding: c.p, activation: c.act, inputShape: c.x.slice(1) }), c.x);
    });
  }

  const poolCases: { x: number[]; pool: number; s: number; p: 'valid' | 'same' }[] = [
    { x: [2, 6, 6, 3], pool: 2, s: 2, p: 'valid' },
    { x: [2, 7, 7, 2], pool: 2, s: 2, p: 'valid' },
    { x: [2, 7, 7, 2], pool: 2, s: 2, p: 'same' },
    { x: [1, 7, 7, 2], pool: 3, s: 2, p: 'valid' },
    { x: [1, 6, 5, 2], pool: 3, s: 1, p: 'same' },
  ];
  for (const c of poolCases) {
    test(`maxPooling2d x=${shape(c.x)} pool=${c.pool} s=${c.s} p=${c.p}`, () => {
      layerParity(layers.maxPooling2d({ poolSize: c.pool, strides: c.s, padding: c.p, inputShape: c.x.slice(1) }), c.x);
    });
  }

  test('flatten x=[2,3,4,5]', () => layerParity(layers.flatten({ inputShape: [3, 4, 5] }), [2, 3, 4, 5]));

  for (const act of ['linear', 'relu', 'softmax'] as const) {
    test(`dense x=[4,12] w=[12,5] ${act}`, () => layerParity(layers.dense({ units: 5, activation: act, inputShape: [12] }), [4, 12]));
  }
  test('dense x=[3,1600] w=[1600,128] relu', () => layerParity(layers.dense({ units: 128, activation: 'relu', inputShape: [1600] }), [3, 1600]));
});

describe('seed CNN parity with TensorFlow.js on real MNIST images', () => {
  const mnist = loadMnist();
  // TensorFlow.js's cpu backend trains the seed CNN at ~2 images/s, so batches here are small.
  const x = imagesTensor(mnist.train, 4);
  const y = oneHotTensor(mnist.train, 4);

  test('forward x=[16,28,28,1] → [16,10] probabilities', () => {
    const model = seedCnn({ seed: 3 });
    model.backend = backend;
    const tfm = toTfjs(tf, model);
    const xt = imagesTensor(mnist.test, 16);
    const ours = model.predict(xt);
    const theirs = tf.tidy(() => (tfm.predict(tf.tensor(xt.data, [...xt.shape])) as TF.Tensor).dataSync() as Float32Array);
    assertClose(ours.data, theirs, 'probabilities', 1e-5);
    assert.deepEqual(Array.from(ours.argMax()), Array.from(new Tensor(theirs, [16, 10]).argMax()));
    tfm.dispose();
  });

  test('categoricalCrossentropy loss and every weight gradient x=[4,28,28,1]', () => {
    const model = seedCnn({ seed: 4 });
    model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', backend });
    const tfm = toTfjs(tf, model);
    const loss = model.lossAndGradients(x, y.data).loss / 4;
    tf.tidy(() => {
      const vars = tfjsVariables(tfm);
      const xt = tf.tensor(x.data, [...x.shape]);
      const yt = tf.tensor(y.data, [...y.shape]);
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.metrics.categoricalCrossentropy(yt, tfm.apply(xt) as TF.Tensor)) as TF.Scalar, vars);
      assert.ok(Math.abs(loss - value.dataSync()[0]) < 1e-5 * loss, `loss ${loss}, TensorFlow.js ${value.dataSync()[0]}`);
      model.weightSpecs.forEach((s, k) => {
        const size = s.shape.reduce((a, b) => a * b, 1);
        assertClose(model.grads.subarray(s.offset, s.offset + size), grads[vars[k].name].dataSync(), `${s.name} ${shape(s.shape)} gradient`, 1e-5);
      });
    });
    tfm.dispose();
  });

  /** Trains ours and TensorFlow.js's copies on the same batches; returns both weight vectors and losses. */
  async function trainBoth(
    model: Sequential, tfOptimizer: TF.Optimizer, loss: 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy', steps: number, batch: number,
  ): Promise<{ ours: Float32Array; theirs: Float32Array; losses: [number, number][] }> {
    const tfm = toTfjs(tf, model);
    tfm.compile({ optimizer: tfOptimizer, loss });
    const losses: [number, number][] = [];
    for (let s = 0; s < steps; s++) {
      const xb = imagesTensor(mnist.train, batch, batch * s);
      const yb = loss === 'categoricalCrossentropy' ? oneHotTensor(mnist.train, batch, batch * s) : labelsTensor(mnist.train, batch, batch * s);
      const ourLoss = model.trainStep(xb, yb);
      const xt = tf.tensor(xb.data, [...xb.shape]);
      const yt = tf.tensor(yb.data, [...yb.shape]);
      const theirLoss = (await tfm.trainOnBatch(xt, yt)) as number;
      tf.dispose([xt, yt]);
      losses.push([ourLoss, theirLoss]);
    }
    const theirs = tfjsParams(tfm);
    tfm.dispose();
    return { ours: model.params, theirs, losses };
  }

  function assertSameLosses(losses: [number, number][]): void {
    for (const [i, [a, b]] of losses.entries()) assert.ok(Math.abs(a - b) < 1e-5 * b, `step ${i + 1}: loss ${a}, TensorFlow.js ${b}`);
  }

  test('Adam(lr 0.001, 0.9, 0.999, 1e-7): one step on x=[8,28,28,1] gives the same weights', async () => {
    const model = seedCnn({ seed: 5 });
    model.compile({ optimizer: adam({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }), loss: 'categoricalCrossentropy', backend });
    const before = model.getWeights();
    const { ours, theirs, losses } = await trainBoth(model, tf.train.adam(0.001, 0.9, 0.999, 1e-7), 'categoricalCrossentropy', 1, 8);
    assertSameLosses(losses);
    assertWithin(ours, theirs, 1e-4, 'weights after one Adam step');
    assertClose(ours, theirs, 'weights after one Adam step', 1e-6);
    // The steps moved the weights by far more than the tolerance (Adam's first step is ~lr per weight).
    let moved = 0;
    for (let i = 0; i < before.length; i++) moved = Math.max(moved, Math.abs(ours[i] - before[i]));
    assert.ok(moved > 1e-3, `Adam moved no weight by more than ${moved}`);
  });

  for (const nesterov of [false, true]) {
    // Two steps, so that the second uses the velocity. (With a larger rate, 0.05, the float32 rounding
    // differences of the first update, ~1e-8, can flip a ReLU in the second step: a genuine divergence that
    // says nothing about either implementation, hence the modest rate.)
    test(`SGD(lr 0.01, momentum 0.9${nesterov ? ', nesterov' : ''}): two steps on x=[4,28,28,1] give the same weights (sparse labels)`, async () => {
      const model = seedCnn({ seed: 6 });
      model.compile({ optimizer: sgd({ learningRate: 0.01, momentum: 0.9, nesterov }), loss: 'sparseCategoricalCrossentropy', backend });
      const { ours, theirs, losses } = await trainBoth(model, tf.train.momentum(0.01, 0.9, nesterov), 'sparseCategoricalCrossentropy', 2, 4);
      assertSameLosses(losses);
      assertWithin(ours, theirs, 1e-5, 'weights after 2 SGD steps');
      assertClose(ours, theirs, 'weights after 2 SGD steps', 1e-6);
    });
  }
});
