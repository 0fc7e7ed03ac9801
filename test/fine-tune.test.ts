// fineTune (src/train/fine-tune.ts) on real MNIST digits: layers before the last Dense/Conv2D layers keep
// their weights bit for bit, the trained ones change, the loss on the examples falls, every layer's
// trainable flag is restored.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor, labelsTensor } from '../src/data/tensors.js';
import { layers, Random, sequential, type Model } from '../src/engine/index.js';
import { fineTune, freezeAllButLast } from '../src/train/fine-tune.js';

function smallCnn(): Model {
  return sequential(
    [
      layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 16, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
    { seed: 3, name: 'small' },
  );
}

/** The weights of each layer, copied, by layer name. */
function weightsByLayer(m: Model): Map<string, Float32Array[]> {
  return new Map(m.layers.map((l) => [l.name, l.weights.map((w) => w.slice())]));
}

describe('fineTune', () => {
  const { test: mnist } = loadMnist();
  const x = imagesTensor(mnist, 40);
  const labels = Array.from(labelsTensor(mnist, 40).data);

  for (const trainLast of [1, 2]) {
    test(`trainLast=${trainLast}: frozen layers unchanged bit for bit, trained ones changed, loss falls`, async () => {
      const m = smallCnn();
      const before = weightsByLayer(m);
      const epochs: number[] = [];
      const r = await fineTune(m, x, labels, { trainLast, epochs: 40, learningRate: 0.01, seconds: 60, seed: 5, onEpoch: (e) => void epochs.push(e) });
      const trained = trainLast === 1 ? ['dense_1'] : ['dense', 'dense_1'];
      assert.deepEqual(r.trained.map((n) => n.replace(/^small\//, '')), trained);
      assert.equal(r.epochs, 40);
      assert.deepEqual(epochs, Array.from({ length: 40 }, (_, i) => i));
      for (const l of m.layers) {
        const was = before.get(l.name)!;
        l.weights.forEach((w, i) => {
          const same = Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(was[i].buffer, was[i].byteOffset, was[i].byteLength));
          assert.equal(same, !trained.includes(l.name), `${l.name} weight ${i} ${same ? 'unchanged' : 'changed'}`);
        });
        assert.equal(l.trainable, true, `${l.name} is trainable again afterwards`);
      }
      assert.ok(r.lossAfter < r.lossBefore * 0.8, `loss ${r.lossBefore} → ${r.lossAfter}`);
      const counts = trainLast === 1 ? 16 * 10 + 10 : 200 * 16 + 16 + 16 * 10 + 10;
      assert.equal(r.trainedParams, counts);
    });
  }

  test('stops at the time limit after at least one epoch', async () => {
    const r = await fineTune(smallCnn(), x, labels, { seconds: 0, epochs: 100 });
    assert.equal(r.epochs, 1);
  });

  test('errors name what is wrong', async () => {
    await assert.rejects(fineTune(smallCnn(), x, labels.slice(1)), /fineTune: 40 examples but 39 labels/);
    assert.throws(() => freezeAllButLast(smallCnn(), 5), /model 'small' has 4 Dense\/Conv2D layers, fewer than trainLast = 5/);
    assert.throws(() => freezeAllButLast(smallCnn(), 0), /trainLast must be a positive integer, got 0/);
  });
});
