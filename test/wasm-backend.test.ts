// The WebAssembly backend inside the real model and around its kernels: training steps of the seed CNN
// match the reference backend; its memory stops growing once it has seen its largest call; arrays that live
// in its memory are used in place; and bad arguments fail with the kernel and the argument named.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adam, sgd, Tensor, type Backend } from '../src/engine/index.js';
import { seedCnn } from '../src/train/zoo/index.js';
import { referenceBackend } from '../src/engine/backends/reference/index.js';
import { loadWasmBackend } from '../src/engine/backends/wasm/node.js';
import type { WasmBackend } from '../src/engine/backends/wasm/index.js';
import { convGeometry, windowGeometry } from '../src/engine/geometry.js';
import { loadMnist } from '../src/data/mnist.js';
import { relNormError } from './helpers/close.js';
import { randomTensor } from './helpers/random.js';

function wasm(): WasmBackend {
  const r = loadWasmBackend('simd');
  if ('error' in r) throw new Error(r.error);
  return r.backend;
}

function mnistBatch(count: number, offset = 0): { x: Tensor; y: Tensor } {
  const set = loadMnist().train;
  const x = new Float32Array(count * 784), y = new Float32Array(count * 10);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 784; p++) x[i * 784 + p] = set.images[(offset + i) * 784 + p] / 255;
    y[i * 10 + set.labels[offset + i]] = 1;
  }
  return { x: new Tensor(x, [count, 28, 28, 1]), y: new Tensor(y, [count, 10]) };
}

function model(backend: Backend, optimizer: 'sgd' | 'adam') {
  const m = seedCnn({ seed: 3 });
  m.compile({ optimizer: optimizer === 'sgd' ? sgd({ learningRate: 0.1 }) : adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy', backend });
  return m;
}

describe('wasm backend trains the seed CNN like the reference backend', () => {
  test('one SGD step on 32 MNIST images: same loss and weight change within 1e-4', () => {
    const { x, y } = mnistBatch(32);
    const a = model(referenceBackend(), 'sgd'), b = model(wasm(), 'sgd');
    const w0 = a.getWeights();
    const la = a.trainStep(x, y), lb = b.trainStep(x, y);
    assert.ok(Math.abs(la - lb) <= 1e-4 * Math.abs(la), `loss: wasm ${lb}, reference ${la}`);
    const e = relNormError(b.getWeights().map((v, i) => v - w0[i]), a.getWeights().map((v, i) => v - w0[i]));
    assert.ok(e <= 1e-4, `weight change: relative error ${e.toExponential(2)}`);
  });

  test('three Adam steps on batches of 25: same losses and weights within 1e-4', () => {
    const { x, y } = mnistBatch(75, 64);
    const a = model(referenceBackend(), 'adam'), b = model(wasm(), 'adam');
    for (let s = 0; s < 3; s++) {
      const xb = x.slice0(s * 25, (s + 1) * 25), yb = y.slice0(s * 25, (s + 1) * 25);
      const la = a.trainStep(xb, yb), lb = b.trainStep(xb, yb);
      assert.ok(Math.abs(la - lb) <= 1e-4 * Math.abs(la), `step ${s + 1} loss: wasm ${lb}, reference ${la}`);
    }
    assert.ok(relNormError(b.getWeights(), a.getWeights()) <= 1e-4, 'weights after 3 Adam steps');
  });

  test('memory stops growing: after a first step, more steps and a smaller batch allocate nothing', () => {
    const be = wasm();
    const m = model(be, 'adam');
    const { x, y } = mnistBatch(128);
    m.trainStep(x.slice0(0, 64), y.slice0(0, 64));
    const bytes = be.arena.bytes;
    for (let s = 0; s < 3; s++) m.trainStep(x.slice0(s * 32, s * 32 + 64), y.slice0(s * 32, s * 32 + 64));
    m.trainStep(x.slice0(0, 17), y.slice0(0, 17));
    m.predict(x.slice0(0, 1));
    assert.equal(be.arena.bytes, bytes, 'linear memory grew after the first batch');
  });
});

describe('wasm backend memory', () => {
  const g = convGeometry('test', [3, 11, 11, 8], [3, 3], [1, 1], 'same', 16);
  const x = randomTensor([3, 11, 11, 8], 1).data, w = randomTensor([3, 3, 8, 16], 2).data, b = randomTensor([16], 3).data;

  test('arrays allocated in its memory are used in place, with the results of copied ones', () => {
    const be = wasm();
    be.arena.reserve(8 << 20); // growing later would detach the resident arrays
    const yCopied = new Float32Array(3 * 11 * 11 * 16);
    be.conv2dForward(x, w, b, yCopied, g, 'relu');
    const [rx, rw, rb, ry] = [x.length, w.length, b.length, yCopied.length].map((n) => be.arena.allocate(n));
    rx.set(x);
    rw.set(w);
    rb.set(b);
    be.conv2dForward(rx, rw, rb, ry, g, 'relu');
    assert.equal(ry.buffer, be.kernels.memory.buffer, 'still a view of the module memory');
    assert.deepEqual(Array.from(ry), Array.from(yCopied));
    be.reluForward(ry, ry);
    assert.deepEqual(Array.from(ry), Array.from(yCopied), 'in place on a resident array');
  });

  test('a call larger than any before grows the memory, and results stay exact', () => {
    const be = wasm();
    const small = randomTensor([1000], 4).data, big = randomTensor([3_000_000], 5).data;
    const ys = new Float32Array(small.length), yb = new Float32Array(big.length);
    be.reluForward(small, ys);
    const before = be.arena.bytes;
    be.reluForward(big, yb);
    assert.ok(be.arena.bytes > before + 20e6, `memory ${before} → ${be.arena.bytes} bytes`);
    assert.ok(yb.every((v, i) => v === (big[i] > 0 ? big[i] : 0)));
    be.reluForward(small, ys);
    assert.ok(ys.every((v, i) => v === (small[i] > 0 ? small[i] : 0)));
  });

  test('outputs longer than the kernel writes are left untouched past what it writes', () => {
    const be = wasm();
    const a = new Float32Array([1, -2, 3]), y = new Float32Array([9, 9, 9, 9, 9]);
    be.reluForward(a, y);
    assert.deepEqual(Array.from(y), [1, 0, 3, 9, 9]);
  });
});

describe('wasm backend rejects bad arguments, naming the kernel and the argument', () => {
  const be = wasm();
  test('a buffer shorter than its dimensions need', () => {
    const g = convGeometry('test', [2, 7, 7, 3], [3, 3], [1, 1], 'valid', 4);
    assert.throws(() => be.conv2dForward(new Float32Array(2 * 7 * 7 * 3), new Float32Array(108), new Float32Array(4), new Float32Array(10), g, 'relu'), {
      name: 'RangeError',
      message: 'wasm backend: conv2dForward: y has 10 elements, needs 200',
    });
    assert.throws(() => be.matmul(new Float32Array(12), new Float32Array(11), new Float32Array(9), 3, 3, 4, false, false), /matmul: b has 11 elements, needs 12/);
    assert.throws(() => be.adamStep(new Float32Array(10), new Float32Array(10), new Float32Array(10), new Float32Array(5), { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1, weightDecay: 0 }), /adamStep: v has 5 elements, needs 10/);
  });
  test('both transposes, an unknown activation', () => {
    assert.throws(() => be.matmul(new Float32Array(12), new Float32Array(12), new Float32Array(9), 3, 3, 4, true, true), /transA and transB together/);
    assert.throws(() => be.activationForward('swish' as never, new Float32Array(4), new Float32Array(4), 0), /activationForward: unknown activation 'swish'/);
    const g = convGeometry('test', [1, 4, 4, 1], [3, 3], [1, 1], 'valid', 2);
    assert.throws(() => be.conv2dForward(new Float32Array(16), new Float32Array(18), new Float32Array(2), new Float32Array(8), g, 'tanh' as never), /unknown fused activation 'tanh'/);
  });
  test('an argmax outside dx', () => {
    const g = windowGeometry('test', [1, 4, 4, 2], [2, 2], [2, 2], 'valid');
    assert.throws(() => be.maxPool2dBackward(new Float32Array(8), new Int32Array(8).fill(32), new Float32Array(32), g), /maxPool2dBackward: argmax\[0\] = 32 is outside dx \(32 elements\)/);
  });
});
