// Native training is bit-reproducible: the same seed gives the same weights, bit for bit, run after run
// and whatever the thread count, because every reduction in the native kernels (the filter gradient's sum
// over pixels above all) runs in a fixed order that depends on the shapes only, never on which thread
// finished first. Resuming a killed training run depends on this.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { adam, Tensor } from '../src/engine/index.js';
import { seedCnn } from '../src/train/zoo/index.js';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import { convGeometry } from '../src/engine/geometry.js';
import { loadMnist } from '../src/data/mnist.js';
import { rand } from './helpers/kernel-cases.js';

const native = loadNativeBackend();
const binding = 'binding' in native ? native.binding : null;
const initialThreads = binding?.info().threads ?? 1;

function mnist(count: number): { x: Tensor; y: Tensor } {
  const set = loadMnist().train;
  const x = new Float32Array(count * 784), y = new Float32Array(count * 10);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 784; p++) x[i * 784 + p] = set.images[i * 784 + p] / 255;
    y[i * 10 + set.labels[i]] = 1;
  }
  return { x: new Tensor(x, [count, 28, 28, 1]), y: new Tensor(y, [count, 10]) };
}

/** Trains the seed CNN from seed 7 for one shuffled epoch on `threads` threads; returns its weights. */
async function train(threads: number, data: { x: Tensor; y: Tensor }): Promise<Float32Array> {
  const r = loadNativeBackend({ threads });
  if ('error' in r) throw new Error(r.error);
  const m = seedCnn({ seed: 7 });
  m.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy', backend: r.backend });
  await m.fit(data.x, data.y, { epochs: 1, batchSize: 64, shuffle: true });
  return m.getWeights();
}

/** Index of the first weight whose bits differ, or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? -1 : x.length;
}

describe('native training is bit-reproducible', { skip: binding ? false : `native addon not loaded: ${'error' in native ? native.error : ''}` }, () => {
  after(() => binding?.setThreads(initialThreads));
  const data = mnist(2000);

  test('two training runs with the same seed on 2 threads give bit-identical weights', async () => {
    const a = await train(2, data);
    const b = await train(2, data);
    const i = firstDifference(a, b);
    assert.equal(i, -1, `weight ${i} differs: ${a[i]} vs ${b[i]}`);
    const w0 = seedCnn({ seed: 7 }).getWeights();
    assert.notEqual(firstDifference(a, w0), -1, 'the weights moved from their initial values');
  });

  test('the same run on 1 and 3 threads gives the same bits as on 2', async () => {
    const two = await train(2, data);
    for (const t of [1, 3]) {
      const w = await train(t, data);
      const i = firstDifference(two, w);
      assert.equal(i, -1, `${t} threads: weight ${i} differs: ${w[i]} vs ${two[i]}`);
    }
  });

  /** conv2dBackwardFilter on a batch of 128 gives the same bits on every call, on 1, 2 and 3 threads. */
  function sameBitsOnAnyThreads(shape: [number, number, number, number], k: number, pad: 'valid' | 'same', oc: number, winograd: false | 2 | 4): void {
    const g = convGeometry('test', shape, [k, k], [1, 1], pad, oc);
    let s = 1;
    const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296) * 2 - 1;
    const x = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(rnd), dy = new Float32Array(g.n * g.oh * g.ow * oc).map(rnd);
    const first = { dw: new Float32Array(k * k * shape[3] * oc), db: new Float32Array(oc) };
    binding!.setWinograd(winograd);
    try {
      binding!.setThreads(2);
      binding!.conv2dBackwardFilter(x, dy, first.dw, first.db, g);
      for (const t of [2, 3, 1, 2, 3]) {
        binding!.setThreads(t);
        for (let rep = 0; rep < 3; rep++) {
          const dw = new Float32Array(first.dw.length), db = new Float32Array(oc);
          binding!.conv2dBackwardFilter(x, dy, dw, db, g);
          assert.equal(firstDifference(first.dw, dw), -1, `dw differs on ${t} threads`);
          assert.equal(firstDifference(first.db, db), -1, `db differs on ${t} threads`);
        }
      }
    } finally {
      binding!.setWinograd(true);
    }
  }

  // Every path of a 3x3 stride-1 layer: the direct kernel's fixed pixel chunks and Winograd's fixed tile chunks.
  for (const winograd of [false, 2, 4] as const) {
    test(`conv2dBackwardFilter of a batch of 128 gives the same bits on every call, on 1, 2 and 3 threads (${winograd ? `Winograd ${winograd}x${winograd}` : 'direct'})`, () => {
      sameBitsOnAnyThreads([128, 13, 13, 32], 3, 'valid', 64, winograd);
    });
  }
  // One input channel and few filters: the pixel-vectorized kernel's fixed image chunks (LeNet-5's first layer).
  test('conv2dBackwardFilter of a one-channel batch of 128 with 6 filters gives the same bits on every call, on 1, 2 and 3 threads', () => {
    sameBitsOnAnyThreads([128, 28, 28, 1], 5, 'same', 6, false);
  });

  // Few outputs over a long sum (a weight gradient's form) split the sum into fixed chunks added in order,
  // a dense layer's forward (at most 16,384 outputs over a sum of 1,024 to 4,095) into halves; a wide
  // product packs B in L3-sized blocks and adds its depth blocks in order.
  const products: [string, number, number, number, boolean][] = [
    ['a 288 x 64 result over a sum of 9,000 (transposed A)', 288, 64, 9000, true],
    ['a dense 128 x 128 result over a sum of 1,600', 128, 128, 1600, false],
    ['a wide 40 x 3,100 result over a sum of 1,030', 40, 3100, 1030, false],
  ];
  for (const [what, m, n, k, ta] of products) {
    test(`matmul of ${what} gives the same bits on 1, 2 and 3 threads`, () => {
      const a = rand(m * k, 3), b = rand(k * n, 4);
      binding!.setThreads(2);
      const first = new Float32Array(m * n);
      binding!.matmul(a, b, first, m, n, k, ta, false);
      for (const t of [1, 3, 2]) {
        binding!.setThreads(t);
        const y = new Float32Array(m * n);
        binding!.matmul(a, b, y, m, n, k, ta, false);
        assert.equal(firstDifference(first, y), -1, `${t} threads: the result differs`);
      }
    });
  }
});
