// The native backend inside the real model: one whole training step of the seed CNN against the reference
// backend (loss, gradients via a plain SGD step, and a few Adam steps), and a short seeded training on real
// MNIST reaching the same accuracy on both backends. Skipped, with the reason, when the addon is missing.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adam, sgd, Tensor, type Backend } from '../src/engine/index.js';
import { seedCnn } from '../src/train/zoo/index.js';
import { referenceBackend } from '../src/engine/backends/reference/index.js';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import { loadMnist } from '../src/data/mnist.js';

const native = loadNativeBackend();
const skip = 'error' in native ? `native addon not loaded: ${native.error}` : false;

function mnist(count: number, test: boolean): { x: Tensor; y: Tensor } {
  const m = loadMnist();
  const set = test ? m.test : m.train;
  const x = new Float32Array(count * 784), y = new Float32Array(count * 10);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 784; p++) x[i * 784 + p] = set.images[i * 784 + p] / 255;
    y[i * 10 + set.labels[i]] = 1;
  }
  return { x: new Tensor(x, [count, 28, 28, 1]), y: new Tensor(y, [count, 10]) };
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

function model(backend: Backend, optimizer: 'sgd' | 'adam') {
  const m = seedCnn({ seed: 1 });
  m.compile({
    optimizer: optimizer === 'sgd' ? sgd({ learningRate: 0.1 }) : adam({ learningRate: 1e-3 }),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
    backend,
  });
  return m;
}

describe('native backend trains the seed CNN like the reference backend', { skip }, () => {
  const nat = () => ('backend' in native ? native.backend : referenceBackend());

  test('one SGD step on 64 MNIST images: same loss and same gradient (weight change) within 1e-4', () => {
    const { x, y } = mnist(64, false);
    const a = model(referenceBackend(), 'sgd'), b = model(nat(), 'sgd');
    const w0 = a.getWeights();
    assert.equal(relErr(b.getWeights(), w0), 0, 'same initial weights');
    const la = a.trainStep(x, y), lb = b.trainStep(x, y);
    assert.ok(Math.abs(la - lb) <= 1e-4 * Math.abs(la), `loss: native ${lb}, reference ${la}`);
    const da = a.getWeights().map((v, i) => v - w0[i]), db = b.getWeights().map((v, i) => v - w0[i]);
    const e = relErr(db, da);
    assert.ok(e <= 1e-4, `weight change (= -lr·gradient): relative error ${e.toExponential(2)}`);
  });

  test('three Adam steps on batches of 128: same losses and weights within 1e-4', () => {
    const { x, y } = mnist(384, false);
    const a = model(referenceBackend(), 'adam'), b = model(nat(), 'adam');
    const w0 = a.getWeights();
    for (let s = 0; s < 3; s++) {
      const xb = x.slice0(s * 128, (s + 1) * 128), yb = y.slice0(s * 128, (s + 1) * 128);
      const la = a.trainStep(xb, yb), lb = b.trainStep(xb, yb);
      assert.ok(Math.abs(la - lb) <= 1e-4 * Math.abs(la), `step ${s + 1} loss: native ${lb}, reference ${la}`);
    }
    const da = a.getWeights().map((v, i) => v - w0[i]), db = b.getWeights().map((v, i) => v - w0[i]);
    // Adam normalizes each update, so elements with a near-zero gradient may differ more: norm-relative 1e-3
    // on the change, and 1e-4 on the weights themselves.
    assert.ok(relErr(b.getWeights(), a.getWeights()) <= 1e-4, 'weights after 3 Adam steps');
    const e = relErr(db, da);
    assert.ok(e <= 1e-3, `weight change after 3 Adam steps: relative error ${e.toExponential(2)}`);
  });

  test('seeded training on 3,000 MNIST images: same test accuracy on both backends (within noise)', async () => {
    const train = mnist(3000, false), testSet = mnist(1000, true);
    const acc: number[] = [];
    for (const be of [nat(), referenceBackend()]) {
      const m = model(be, 'adam');
      await m.fit(train.x, train.y, { epochs: 1, batchSize: 64, shuffle: true });
      acc.push(m.evaluate(testSet.x, testSet.y).accuracy);
    }
    const [an, ar] = acc;
    assert.ok(an > 0.85 && ar > 0.85, `accuracy native ${an}, reference ${ar}: both should exceed 0.85`);
    assert.ok(Math.abs(an - ar) <= 0.02, `accuracy native ${an} vs reference ${ar}`);
  });
});
