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
import { convGeometry, windowGeometry } from '../src/engine/geometry.js';

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

  // A fused-ReLU layer's output is exactly 0 wherever its window holds only zeros (a digit's background), and
  // ReLU passes no gradient there. Winograd with 4x4 tiles would leave ±1e-9 in many of those outputs (and
  // let the gradient through half of them); its 2x2 tiles keep them 0, so that is what a fused ReLU gets.
  test('a fused-ReLU convolution keeps exact zeros where its window sees only zeros (the second conv on MNIST activations)', () => {
    if (!('binding' in native)) return;
    const be = native.backend;
    // The seed CNN's first convolution (ReLU) and pooling on 64 MNIST digits: 13x13x32 activations, ≥ 0.
    const { x } = mnist(64, false);
    const g1 = convGeometry('conv1', [64, 28, 28, 1], [3, 3], [1, 1], 'valid', 32);
    const y1 = new Float32Array(64 * 26 * 26 * 32);
    be.conv2dForward(x.data, Float32Array.from({ length: 9 * 32 }, (_, i) => Math.cos(i) * 0.3), new Float32Array(32), y1, g1, 'relu');
    const p = windowGeometry('pool', [64, 26, 26, 32], [2, 2], [2, 2], 'valid');
    const a = { data: new Float32Array(64 * 13 * 13 * 32) };
    be.maxPool2dForward(y1, a.data, new Int32Array(a.data.length), p);
    const g = convGeometry('conv2', [64, 13, 13, 32], [3, 3], [1, 1], 'valid', 64);
    const w = Float32Array.from({ length: 9 * 32 * 64 }, (_, i) => Math.sin(i) * 0.1), b = new Float32Array(64);
    const zeroWindow = (n: number, oy: number, ox: number) => {
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++)
          for (let ci = 0; ci < 32; ci++) if (a.data[((n * 13 + oy + ky) * 13 + ox + kx) * 32 + ci] !== 0) return false;
      return true;
    };
    const y = new Float32Array(64 * 11 * 11 * 64);
    be.conv2dForward(a.data, w, b, y, g, 'relu');
    let zeros = 0;
    for (let n = 0; n < 64; n++)
      for (let oy = 0; oy < 11; oy++)
        for (let ox = 0; ox < 11; ox++) {
          if (!zeroWindow(n, oy, ox)) continue;
          zeros++;
          for (let o = 0; o < 64; o++) assert.equal(y[((n * 11 + oy) * 11 + ox) * 64 + o], 0, `image ${n}, output (${oy}, ${ox}, ${o})`);
        }
    assert.ok(zeros > 1000, `${zeros} outputs with all-zero windows: the background should give many`);
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
