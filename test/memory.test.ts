// Buffers are owned by the engine and reused: memory must stay flat from epoch to epoch, and a user
// never disposes anything.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor, oneHotTensor } from '../src/data/tensors.js';
import { adam, layers, referenceBackend, sequential } from '../src/engine/index.js';

test('memory stays flat across epochs of fit, evaluate and predict', async () => {
  const mnist = loadMnist();
  const x = imagesTensor(mnist.train, 600);
  const y = oneHotTensor(mnist.train, 600);
  const model = sequential([
    layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu', inputShape: [28, 28, 1] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dropout({ rate: 0.2 }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ], { seed: 1 });
  model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', backend: referenceBackend() });
  const samples: number[] = [];
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void; // collect garbage before each sample, so only live memory counts
  await model.fit(x, y, {
    epochs: 8,
    batchSize: 50,
    validationSplit: 0.2,
    callbacks: {
      onEpochEnd: () => {
        model.evaluate(x, y);
        model.predict(x.slice0(0, 7));
        gc();
        samples.push(process.memoryUsage().arrayBuffers);
      },
    },
  });
  // After the first epochs have sized every buffer, typed-array memory must not grow.
  const growth = samples[samples.length - 1] - samples[2];
  assert.ok(growth < 256 * 1024, `array buffers grew by ${growth} bytes over epochs 3..8: ${samples.join(', ')}`);
});
