// Parity with TensorFlow.js (its `cpu` backend) for the graph engine: every new layer inside a small model,
// and a residual model, loaded into TensorFlow.js from the model.json we write. With the same weights, the
// training-mode loss and every weight gradient, the inference-mode output and input gradient, one Adam step
// (weights and BatchNormalization's moving statistics) and RMSprop steps agree within float32 rounding.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import {
  adam, input, l2, layers, model, referenceBackend, rmsprop, Tensor, type Model, type SymbolicTensor,
} from '../src/engine/index.js';
import { assertClose, relNormError } from './helpers/close.js';
import { oneHotRows, randomLabels, randomTensor } from './helpers/random.js';
import { loadTf } from './helpers/tfjs.js';
import { slice, tfParamsAsOurs, tfVariablesByName, viaArtifacts } from './helpers/tfjs-graph.js';

const backend = referenceBackend();
const tf = await loadTf();

type Build = (x: SymbolicTensor) => SymbolicTensor;

interface Case {
  name: string;
  inputShape: number[];
  body: Build;
  batch?: number;
  /**
   * TensorFlow.js's cpu AvgPoolGrad divides by the full window size, also where 'same' padding cuts the window
   * (TensorFlow divides by the cells inside, as its forward does): for these the input gradient is checked
   * against central differences of the forward instead.
   */
  tfjsAvgPoolGradBug?: boolean;
}

/** input → body → (flatten) → dense softmax, with weights moved off their initial values so gammas are not all 1. */
function build(c: Case, seed: number): Model {
  const x = input({ shape: c.inputShape });
  let y = c.body(x);
  if (y.shape.length > 1) y = layers.flatten().apply(y);
  const out = layers.dense({ units: 5, activation: 'softmax' }).apply(y);
  const m = model({ inputs: x, outputs: out, seed });
  const jitter = randomTensor([m.params.length], seed + 1, -0.2, 0.2).data;
  for (const s of m.weightSpecs) {
    const w = slice(m.params, s);
    const j = slice(jitter, s);
    for (let i = 0; i < w.length; i++) w[i] = s.name.endsWith('moving_variance') ? 1 + Math.abs(j[i]) : w[i] + j[i];
  }
  m.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', backend });
  return m;
}

function data(c: Case, seed: number): { x: Tensor; y: Tensor } {
  const n = c.batch ?? 4;
  const x = randomTensor([n, ...c.inputShape], seed);
  return { x, y: new Tensor(oneHotRows(randomLabels(n, 5, seed + 7), 5), [n, 5]) };
}

/** The L2 penalties TensorFlow.js's model adds to its loss in training (its regularization losses). */
function tfPenalty(tfm: TF.LayersModel, m: Model): TF.Scalar {
  const vars = tfVariablesByName(tfm, m);
  let total = tf.scalar(0);
  for (const s of m.weightSpecs) if (s.spec.l2) total = tf.add(total, tf.mul(s.spec.l2, tf.sum(tf.square(vars.get(s.name)!.read()))));
  return total;
}

async function trainingParity(c: Case): Promise<void> {
  const m = build(c, 21);
  const tfm = await viaArtifacts(tf, m);
  const { x, y } = data(c, 5);
  const loss = m.lossAndGradients(x, y.data).loss / x.shape[0];
  tf.tidy(() => {
    const vars = tfVariablesByName(tfm, m);
    const trainable = m.weightSpecs.filter((s) => s.trainable);
    const xt = tf.tensor(x.data, [...x.shape]);
    const yt = tf.tensor(y.data, [...y.shape]);
    const f = (): TF.Scalar => tf.add(tf.mean(tf.metrics.categoricalCrossentropy(yt, tfm.apply(xt, { training: true }) as TF.Tensor)), tfPenalty(tfm, m)) as TF.Scalar;
    const { value, grads } = tf.variableGrads(f, trainable.map((s) => vars.get(s.name)!.read() as TF.Variable));
    const want = value.dataSync()[0];
    assert.ok(Math.abs(loss - want) <= 1e-5 * want, `training loss ${loss}, TensorFlow.js ${want}`);
    for (const s of trainable) assertClose(slice(m.grads, s), grads[(vars.get(s.name)!.read() as TF.Variable).name].dataSync(), `${s.name} gradient`, 1e-5);
  });
  tfm.dispose();
}

async function inferenceParity(c: Case): Promise<void> {
  const m = build(c, 22);
  const tfm = await viaArtifacts(tf, m);
  const { x } = data(c, 6);
  const r = randomTensor([x.shape[0], 5], 9);
  const ours = m.inputGradients(x, r, { atLogits: false });
  tf.tidy(() => {
    const xt = tf.tensor(x.data, [...x.shape]);
    const rt = tf.tensor(r.data, [...r.shape]);
    assertClose(ours.output.data, (tfm.predict(xt) as TF.Tensor).dataSync(), 'inference output', 1e-5);
    const g = tf.grad((xi: TF.Tensor) => tf.sum(tf.mul(tfm.apply(xi, { training: false }) as TF.Tensor, rt)))(xt);
    if (!c.tfjsAvgPoolGradBug) return assertClose(ours.input.data, g.dataSync(), 'input gradient', 1e-5);
    assertClose(ours.input.data, numericInputGradient(m, x, r), 'input gradient vs central differences', 2e-3);
    assert.ok(relNormError(ours.input.data, g.dataSync()) > 0.1, 'TensorFlow.js AvgPoolGrad now agrees: make this an ordinary case');
  });
  tfm.dispose();
}

/** d Σ r·model(x) / dx by central differences, summed in float64. */
function numericInputGradient(m: Model, x: Tensor, r: Tensor): Float64Array {
  const f = (): number => m.predict(x).data.reduce((s, v, i) => s + v * r.data[i], 0);
  const out = new Float64Array(x.size);
  const eps = 1e-2;
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i];
    x.data[i] = v + eps;
    const up = f();
    x.data[i] = v - eps;
    const down = f();
    x.data[i] = v;
    out[i] = (up - down) / (2 * eps);
  }
  return out;
}

const conv = (filters: number, o: Partial<Parameters<typeof layers.conv2d>[0]> = {}): Parameters<typeof layers.conv2d>[0] =>
  ({ filters, kernelSize: 3, padding: 'same', ...o });

const CASES: Case[] = [
  { name: 'batchNormalization x=[4,5,5,3]', inputShape: [5, 5, 3], body: (x) => layers.batchNormalization().apply(x) },
  { name: 'batchNormalization after dense x=[6,8]', inputShape: [8], batch: 6, body: (x) => layers.batchNormalization({ momentum: 0.9, epsilon: 1e-2 }).apply(layers.dense({ units: 7, useBias: false }).apply(x)) },
  { name: 'conv2d s=2 p=same no bias → batchNormalization → reLU x=[3,7,7,2]', inputShape: [7, 7, 2], batch: 3, body: (x) => layers.reLU().apply(layers.batchNormalization().apply(layers.conv2d(conv(4, { strides: 2, useBias: false })).apply(x))) },
  { name: 'conv2d s=2 p=same k=1 x=[2,8,8,3]', inputShape: [8, 8, 3], batch: 2, body: (x) => layers.conv2d(conv(4, { kernelSize: 1, strides: 2 })).apply(x) },
  { name: 'averagePooling2d pool=2 p=valid x=[4,6,6,2]', inputShape: [6, 6, 2], body: (x) => layers.averagePooling2d({ poolSize: 2 }).apply(x) },
  { name: 'averagePooling2d pool=3 s=2 p=same x=[2,7,7,2]', inputShape: [7, 7, 2], batch: 2, tfjsAvgPoolGradBug: true, body: (x) => layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) },
  { name: 'averagePooling2d pool=2 s=1 p=same x=[2,5,4,3]', inputShape: [5, 4, 3], batch: 2, tfjsAvgPoolGradBug: true, body: (x) => layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(x) },
  { name: 'globalAveragePooling2d x=[4,5,5,3]', inputShape: [5, 5, 3], body: (x) => layers.globalAveragePooling2d().apply(x) },
  ...(['tanh', 'sigmoid', 'elu', 'selu', 'relu', 'linear', 'softmax'] as const).map((a): Case => (
    { name: `dense activation ${a} x=[4,6]`, inputShape: [6], body: (x) => layers.dense({ units: 8, activation: a }).apply(x) })),
  ...(['tanh', 'sigmoid', 'elu', 'selu'] as const).map((a): Case => (
    { name: `conv2d activation ${a} x=[2,6,6,2]`, inputShape: [6, 6, 2], batch: 2, body: (x) => layers.conv2d(conv(3, { activation: a })).apply(x) })),
  ...(['tanh', 'sigmoid', 'elu', 'selu', 'softmax'] as const).map((a): Case => (
    { name: `activation layer ${a} x=[4,6]`, inputShape: [6], body: (x) => layers.activation({ activation: a }).apply(layers.dense({ units: 8 }).apply(x)) })),
  { name: 'leakyReLU alpha=0.2 x=[4,6]', inputShape: [6], body: (x) => layers.leakyReLU({ alpha: 0.2 }).apply(layers.dense({ units: 8 }).apply(x)) },
  { name: 'add: conv branch + identity shortcut (the input fans out) x=[3,6,6,2]', inputShape: [6, 6, 2], batch: 3, body: (x) => layers.add().apply([layers.conv2d(conv(2)).apply(x), x]) },
  { name: 'add of three x=[4,6]', inputShape: [6], body: (x) => layers.add().apply([layers.dense({ units: 4 }).apply(x), layers.dense({ units: 4, activation: 'tanh' }).apply(x), layers.dense({ units: 4 }).apply(x)]) },
  { name: 'concatenate along channels x=[2,5,5,2]', inputShape: [5, 5, 2], batch: 2, body: (x) => layers.concatenate().apply([layers.conv2d(conv(3)).apply(x), x, layers.conv2d(conv(1, { activation: 'relu' })).apply(x)]) },
  { name: 'average of two softmax heads x=[4,6]', inputShape: [6], body: (x) => layers.average().apply([layers.dense({ units: 4, activation: 'softmax' }).apply(x), layers.dense({ units: 4, activation: 'sigmoid' }).apply(x)]) },
  { name: 'l2 kernel regularizers on conv2d and dense x=[2,5,5,2]', inputShape: [5, 5, 2], batch: 2, body: (x) => layers.dense({ units: 6, kernelRegularizer: l2(0.01) }).apply(layers.flatten().apply(layers.conv2d(conv(3, { kernelRegularizer: l2(0.05) })).apply(x))) },
];

describe('graph layers: training-mode loss and weight gradients equal TensorFlow.js', () => {
  for (const c of CASES) test(c.name, () => trainingParity(c));
});

describe('graph layers: inference-mode output and input gradient equal TensorFlow.js', () => {
  for (const c of CASES) test(c.name, () => inferenceParity(c));
});

/** A residual model of two blocks (one with a projection shortcut), as the zoo's resnet20 builds them. */
function residual(seed: number): Model {
  const convBn = (x: SymbolicTensor, f: number, k: number, s: number): SymbolicTensor =>
    layers.batchNormalization().apply(layers.conv2d({ filters: f, kernelSize: k, strides: s, padding: 'same', useBias: false }).apply(x));
  const block = (x: SymbolicTensor, f: number, s: number): SymbolicTensor => {
    const y = convBn(layers.reLU().apply(convBn(x, f, 3, s)), f, 3, 1);
    const short = s !== 1 || x.shape[2] !== f ? convBn(x, f, 1, s) : x;
    return layers.reLU().apply(layers.add().apply([y, short]));
  };
  const x = input({ shape: [9, 9, 1] });
  const h = block(block(layers.reLU().apply(convBn(x, 4, 3, 1)), 4, 1), 6, 2);
  const out = layers.dense({ units: 5, activation: 'softmax' }).apply(layers.globalAveragePooling2d().apply(h));
  return model({ inputs: x, outputs: out, seed });
}

describe('a residual model in TensorFlow.js and digitnet', () => {
  test('the same loss, then one Adam step gives the same weights and moving statistics', async () => {
    const m = residual(3);
    m.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', backend });
    const tfm = await viaArtifacts(tf, m);
    tfm.compile({ optimizer: tf.train.adam(0.01, 0.9, 0.999, 1e-7), loss: 'categoricalCrossentropy' });
    const x = randomTensor([6, 9, 9, 1], 4, 0, 1);
    const y = new Tensor(oneHotRows(randomLabels(6, 5, 8), 5), [6, 5]);
    const before = m.getWeights();
    const ours = m.trainStep(x, y);
    const theirs = (await tfm.trainOnBatch(tf.tensor(x.data, [...x.shape]), tf.tensor(y.data, [...y.shape]))) as number;
    assert.ok(Math.abs(ours - theirs) <= 1e-5 * theirs, `loss ${ours}, TensorFlow.js ${theirs}`);
    const after = tfParamsAsOurs(tfm, m);
    for (const s of m.weightSpecs) {
      const moved = slice(m.params, s).map((v, i) => v - slice(before, s)[i]);
      const tfMoved = slice(after, s).map((v, i) => v - slice(before, s)[i]);
      assertClose(moved, tfMoved, `${s.name}: change after one step`, 2e-4);
      assert.ok(moved.some((d) => d !== 0), `${s.name} did not move`);
    }
    tfm.dispose();
  });

  test('RMSprop(lr 0.01, rho 0.9, momentum 0.5): three steps give the same weights', async () => {
    const m = residual(4);
    m.compile({ optimizer: rmsprop({ learningRate: 0.01, rho: 0.9, momentum: 0.5 }), loss: 'categoricalCrossentropy', backend });
    const tfm = await viaArtifacts(tf, m);
    tfm.compile({ optimizer: tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7), loss: 'categoricalCrossentropy' });
    for (let step = 0; step < 3; step++) {
      const x = randomTensor([4, 9, 9, 1], 10 + step, 0, 1);
      const y = new Tensor(oneHotRows(randomLabels(4, 5, 20 + step), 5), [4, 5]);
      const ours = m.trainStep(x, y);
      const theirs = (await tfm.trainOnBatch(tf.tensor(x.data, [...x.shape]), tf.tensor(y.data, [...y.shape]))) as number;
      assert.ok(Math.abs(ours - theirs) <= 1e-4 * theirs, `step ${step + 1}: loss ${ours}, TensorFlow.js ${theirs}`);
    }
    assertClose(m.params, tfParamsAsOurs(tfm, m), 'weights after 3 RMSprop steps', 1e-5);
    tfm.dispose();
  });
});
