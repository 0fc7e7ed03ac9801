// The model zoo: each architecture's layers and parameter counts (trainable counts equal PyTorch's for the
// same architecture in ../peers' definitions; Keras adds BatchNormalization's moving statistics as
// non-trainable), its summary, and a real training run that learns for each. A graph model's summary shows
// what each layer reads.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor, labelsTensor } from '../src/data/tensors.js';
import { adam } from '../src/engine/index.js';
import { selectBackend } from '../src/engine/backends/select.js';
import { recalibrateBatchNorm } from '../src/train/precise-bn.js';
import { ZOO, zooModel } from '../src/train/zoo/index.js';
import { assertClose } from './helpers/close.js';

// PyTorch's parameter counts of ../peers/torch_zoo.py (which counts no BatchNormalization running statistics).
const COUNTS: Record<string, { trainable: number; nonTrainable: number }> = {
  seed: { trainable: 225_034, nonTrainable: 0 },
  lenet5: { trainable: 61_706, nonTrainable: 0 },
  vgg: { trainable: 871_082, nonTrainable: 896 },
  resnet20: { trainable: 272_186, nonTrainable: 1_568 },
};

describe('the zoo', () => {
  for (const [name, want] of Object.entries(COUNTS)) {
    test(`${name}: ${want.trainable.toLocaleString('en-US')} trainable parameters, Keras's three summary lines`, () => {
      const m = zooModel(name, { seed: 1 });
      assert.deepEqual(m.countParams(), { total: want.trainable + want.nonTrainable, ...want });
      const lines: string[] = [];
      const s = m.summary((l) => lines.push(l));
      assert.equal(s.totalParams, want.trainable + want.nonTrainable);
      assert.ok(lines.includes(`Total params: ${(want.trainable + want.nonTrainable).toLocaleString('en-US')}`), lines.join('\n'));
      assert.ok(lines.includes(`Trainable params: ${want.trainable.toLocaleString('en-US')}`));
      assert.ok(lines.includes(`Non-trainable params: ${want.nonTrainable.toLocaleString('en-US')}`));
      assert.deepEqual(m.outputShape, [10]);
    });
  }

  test('resnet20 is a graph: its summary has the Connected to column, and each Add reads two layers', () => {
    const m = zooModel('resnet20');
    const lines: string[] = [];
    const { rows } = m.summary((l) => lines.push(l));
    assert.match(lines[2], /Layer \(type\)\s+Output Shape\s+Param #\s+Connected to/);
    const adds = rows.filter((r) => r.className === 'Add');
    assert.equal(adds.length, 9);
    for (const a of adds) assert.equal(a.connectedTo.length, 2);
    assert.deepEqual(rows.find((r) => r.className === 'GlobalAveragePooling2D')!.outputShape, [null, 64]);
    // Stride 2 with TensorFlow's same padding: 28 → 14 → 7.
    assert.deepEqual(rows.filter((r) => r.className === 'Add').map((r) => r.outputShape[1]), [28, 28, 28, 14, 14, 14, 7, 7, 7]);
  });

  test('an unknown architecture names the ones there are', () => {
    assert.throws(() => zooModel('resnet50'), /unknown architecture 'resnet50'; choose one of seed, lenet5, vgg, resnet20/);
  });

  test('other input shapes and class counts where the architecture allows them', () => {
    assert.deepEqual(zooModel('resnet20', { inputShape: [32, 32, 3], classes: 26 }).outputShape, [26]);
    assert.deepEqual(zooModel('vgg', { inputShape: [32, 32, 3], classes: 4 }).outputShape, [4]);
  });
});

describe('every zoo model learns MNIST (native backend, 1,500 images, one epoch)', () => {
  const { train, test: testSet } = loadMnist();
  const backend = selectBackend().backend;
  const floor: Record<string, number> = { seed: 0.8, lenet5: 0.7, vgg: 0.8, resnet20: 0.7 };
  const x = imagesTensor(train, 1500);
  for (const name of Object.keys(ZOO)) {
    test(`${name} reaches ${floor[name] * 100}% on 1,000 test images`, async () => {
      const m = zooModel(name, { seed: 3 });
      m.compile({ optimizer: adam({ learningRate: 0.003 }), loss: 'sparseCategoricalCrossentropy', backend });
      await m.fit(x, labelsTensor(train, 1500), { epochs: 1, batchSize: 32 });
      recalibrateBatchNorm(m, x);
      const { accuracy } = m.evaluate(imagesTensor(testSet, 1000), labelsTensor(testSet, 1000));
      assert.ok(accuracy >= floor[name], `${name}: ${(accuracy * 100).toFixed(1)}% test accuracy`);
    });
  }
});

describe('re-estimated BatchNormalization statistics (precise BN)', () => {
  test('the moving statistics become the mean of the batches\' statistics, the weights do not change, and a short run scores far better', async () => {
    const { train, test: testSet } = loadMnist();
    const m = zooModel('vgg', { seed: 5 });
    m.compile({ optimizer: adam({ learningRate: 0.001 }), loss: 'sparseCategoricalCrossentropy', backend: selectBackend().backend });
    const x = imagesTensor(train, 640);
    await m.fit(x, labelsTensor(train, 640), { epochs: 1, batchSize: 64 });
    const xt = imagesTensor(testSet, 1000);
    const yt = labelsTensor(testSet, 1000);
    const lagging = m.evaluate(xt, yt).accuracy;
    const trainable = m.weightSpecs.filter((s) => s.trainable).map((s) => m.params.slice(s.offset, s.offset + s.shape.reduce((a, b) => a * b, 1)));
    // The first BatchNormalization's batch statistics, by hand: it reads the first convolution's output.
    const firstBn = m.weightSpecs.find((s) => s.name === 'batch_normalization/moving_mean')!;
    const conv = m.getLayer('conv2d');
    const sums = new Float64Array(32);
    for (let b = 0; b < 5; b++) {
      const out = m.activations(x.slice0(b * 128, (b + 1) * 128), [conv.name])[conv.name].data;
      for (let i = 0; i < out.length; i++) sums[i % 32] += out[i] / (out.length / 32) / 5;
    }
    assert.equal(recalibrateBatchNorm(m, x, { batchSize: 128 }), 640);
    assertClose(m.params.subarray(firstBn.offset, firstBn.offset + 32), sums, 'moving mean = mean of the 5 batch means', 1e-5);
    m.weightSpecs.filter((s) => s.trainable).forEach((s, i) => assert.deepEqual(m.params.slice(s.offset, s.offset + trainable[i].length), trainable[i], s.name));
    const calibrated = m.evaluate(xt, yt).accuracy;
    assert.ok(calibrated > lagging + 0.2, `test accuracy ${lagging} with the lagging statistics, ${calibrated} re-estimated`);
  });
});
