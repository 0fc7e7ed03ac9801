// Bad input gets a clear error, raised where it arrives and naming what was wrong: input shapes, a missing
// flatten, labels out of range, non-finite inputs, fit before compile, bad options, a loss that diverges
// during fit. Also early stopping's patience and best-weights restore.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adam, earlyStopping, layers, referenceBackend, sequential, sgd, Tensor, type Optimizer } from '../src/engine/index.js';
import { seedCnn } from '../src/train/zoo/index.js';
import { oneHotRows, randomLabels, randomTensor } from './helpers/random.js';

const backend = referenceBackend();

/** A small compiled CNN on 8x8x1 inputs with 3 classes: fast enough to train in these tests. */
function tinyCnn(loss: 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' = 'sparseCategoricalCrossentropy', optimizer: Optimizer = adam()): ReturnType<typeof sequential> {
  const model = sequential([
    layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ], { seed: 3, name: 'tiny' });
  model.compile({ optimizer, loss, metrics: ['accuracy'], backend });
  return model;
}

const n = 6;
const x = randomTensor([n, 8, 8, 1], 1, 0, 1);
const ySparse = new Tensor(randomLabels(n, 3, 2), [n]);

describe('input shapes', () => {
  test('predict on [2,27,27,1] names the op, the model and both shapes', () => {
    const model = seedCnn({ seed: 1 });
    assert.throws(() => model.predict(Tensor.zeros([2, 27, 27, 1])), /predict: model 'seed_cnn' expects input of shape \[null,28,28,1\], got \[2,27,27,1\]/);
  });

  test('predict on a rank-3 batch [2,28,28] (channel axis missing)', () => {
    const model = seedCnn({ seed: 1 });
    assert.throws(() => model.predict(Tensor.zeros([2, 28, 28])), /predict: .*\[null,28,28,1\], got \[2,28,28\]/);
  });

  test('fit and evaluate on the wrong input shape', async () => {
    const model = tinyCnn();
    const bad = Tensor.zeros([n, 8, 8, 2]);
    await assert.rejects(async () => model.fit(bad, ySparse), /fit: model 'tiny' expects input of shape \[null,8,8,1\], got \[6,8,8,2\]/);
    assert.throws(() => model.evaluate(bad, ySparse), /evaluate: model 'tiny' .*\[null,8,8,1\], got \[6,8,8,2\]/);
  });

  test('a dense layer after a conv without flatten names the layer and both shapes', () => {
    assert.throws(
      () => sequential([layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 1] }), layers.dense({ units: 3, name: 'head' })]),
      /Dense layer 'head': expected input of rank 2 \[batch,features\], got \[null,6,6,4\]; add a flatten layer before it/,
    );
  });

  test('a conv window that does not fit its input', () => {
    assert.throws(() => sequential([layers.conv2d({ filters: 2, kernelSize: 5, inputShape: [3, 3, 1], name: 'big' })]), /Conv2D layer 'big': a 5x5 window with 'valid' padding does not fit an input of 3x3/);
  });

  test('a first layer without inputShape', () => {
    assert.throws(() => sequential([layers.dense({ units: 2 })]), /the first layer \(Dense\) needs an inputShape/);
  });
});

describe('labels', () => {
  test('sparse label outside the class range names the example and the range', async () => {
    const model = tinyCnn();
    const y = new Tensor([0, 1, 2, 3, 0, 1], [n]);
    await assert.rejects(async () => model.fit(x, y), /fit: label 3 is 3, outside the class range 0\.\.2/);
    assert.throws(() => model.evaluate(x, new Tensor([0, 1, -1, 0, 0, 0], [n])), /evaluate: label 2 is -1, outside the class range 0\.\.2/);
    assert.throws(() => model.evaluate(x, new Tensor([0, 1, 0.5, 0, 0, 0], [n])), /label 2 is 0\.5/);
  });

  test('one-hot row outside [0, 1] or not summing to 1', async () => {
    const model = tinyCnn('categoricalCrossentropy');
    const rows = oneHotRows(randomLabels(n, 3, 5), 3);
    rows[4 * 3 + 1] = 2;
    await assert.rejects(async () => model.fit(x, new Tensor(rows, [n, 3])), /fit: label row 4 holds 2; one-hot labels must lie in \[0, 1\]/);
    const twoHot = oneHotRows(randomLabels(n, 3, 5), 3);
    twoHot[0] = twoHot[1] = twoHot[2] = 1;
    await assert.rejects(async () => model.fit(x, new Tensor(twoHot, [n, 3])), /label row 0 sums to 3; one-hot labels must sum to 1/);
  });

  test('one-hot rows of the wrong width, and integer labels given to categoricalCrossentropy', async () => {
    const model = tinyCnn('categoricalCrossentropy');
    await assert.rejects(async () => model.fit(x, new Tensor(oneHotRows(randomLabels(n, 3, 5), 3).subarray(0, n * 2), [n, 2])), /expects one-hot labels of shape \[6,3\], got \[6,2\]/);
    await assert.rejects(async () => model.fit(x, ySparse), /got \[6\]; for integer labels use sparseCategoricalCrossentropy or oneHot\(\)/);
  });

  test('label count differs from the example count', async () => {
    const model = tinyCnn();
    await assert.rejects(async () => model.fit(x, new Tensor([0, 1, 2], [3])), /sparseCategoricalCrossentropy expects labels of shape \[6\].*got \[3\]/);
  });
});

describe('non-finite inputs', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    test(`${bad} in an input names the example and position, in fit, evaluate and predict`, async () => {
      const model = tinyCnn();
      const data = x.data.slice();
      data[2 * 64 + 10] = bad;
      const xb = new Tensor(data, x.shape);
      const re = new RegExp(`input example 2 holds ${String(bad)} at position 10; inputs must be finite numbers`);
      await assert.rejects(async () => model.fit(xb, ySparse), new RegExp(`fit: ${re.source}`));
      assert.throws(() => model.evaluate(xb, ySparse), new RegExp(`evaluate: ${re.source}`));
      assert.throws(() => model.predict(xb), new RegExp(`predict: ${re.source}`));
    });
  }

  test('every place of an input is checked, the last ones too, and the first bad value is named (trainStep)', () => {
    // 3 examples of 3 values: 9 floats, so the scan's four-wide part ends before the last one.
    const model = sequential([layers.dense({ units: 2, activation: 'softmax', inputShape: [3] })], { seed: 1, name: 'd3' });
    model.compile({ optimizer: sgd(), loss: 'sparseCategoricalCrossentropy', backend });
    const y = new Tensor([0, 1, 0], [3]);
    for (let at = 0; at < 9; at++) {
      const data = new Float32Array(9).fill(0.5);
      data[at] = at % 2 ? Infinity : NaN;
      if (at < 8) data[8] = -Infinity;
      const re = new RegExp(`trainStep: input example ${Math.floor(at / 3)} holds ${String(data[at])} at position ${at % 3};`);
      assert.throws(() => model.trainStep(new Tensor(data, [3, 3]), y), re);
    }
    assert.ok(Number.isFinite(model.trainStep(new Tensor(new Float32Array(9).fill(0.5), [3, 3]), y)), 'finite inputs pass');
  });

  test('non-finite validation data is named as such', async () => {
    const model = tinyCnn();
    const data = x.data.slice();
    data[5] = NaN;
    await assert.rejects(async () => model.fit(x, ySparse, { validationData: [new Tensor(data, x.shape), ySparse] }), /fit \(validation data\): input example 0 holds NaN/);
  });
});

describe('compile and fit options', () => {
  test('fit, evaluate and trainStep before compile', async () => {
    const model = seedCnn({ seed: 1 });
    const xs = Tensor.zeros([1, 28, 28, 1]);
    const ys = new Tensor([0], [1]);
    await assert.rejects(async () => model.fit(xs, ys), /fit: call compile\(\{ optimizer, loss \}\) on model 'seed_cnn' first/);
    assert.throws(() => model.evaluate(xs, ys), /evaluate: call compile/);
    assert.throws(() => model.trainStep(xs, ys), /trainStep: call compile/);
  });

  test('unknown loss or metric, and softmax with fromLogits', () => {
    const model = seedCnn({ seed: 1 });
    assert.throws(() => model.compile({ loss: 'mse' as never }), /compile: unknown loss 'mse'; use one of 'categoricalCrossentropy', 'sparseCategoricalCrossentropy'/);
    assert.throws(() => model.compile({ loss: 'categoricalCrossentropy', metrics: ['f1'] }), /compile: unknown metric 'f1'/);
    assert.throws(() => model.compile({ loss: 'categoricalCrossentropy', fromLogits: true }), /fromLogits is set but the last layer already applies softmax/);
  });

  test('bad fit options: epochs, batchSize, validationSplit', async () => {
    const model = tinyCnn();
    await assert.rejects(async () => model.fit(x, ySparse, { epochs: -1 }), /fit: epochs must be a positive integer, got -1/);
    await assert.rejects(async () => model.fit(x, ySparse, { epochs: 1.5 }), /fit: epochs must be a positive integer, got 1\.5/);
    await assert.rejects(async () => model.fit(x, ySparse, { batchSize: 0 }), /fit: batchSize must be a positive integer, got 0/);
    await assert.rejects(async () => model.fit(x, ySparse, { validationSplit: 1.5 }), /fit: validationSplit must be in \[0, 1\), got 1\.5/);
    await assert.rejects(async () => model.fit(x, ySparse, { validationSplit: -0.1 }), /validationSplit must be in \[0, 1\), got -0\.1/);
    await assert.rejects(async () => model.fit(x, ySparse, { validationSplit: 0.01 }), /validationSplit 0\.01 of 6 examples leaves no validation examples/);
    await assert.rejects(async () => model.fit(x, ySparse, { validationSplit: 0.5, validationData: [x, ySparse] }), /give validationData or validationSplit, not both/);
  });

  test('bad optimizer and layer options', () => {
    assert.throws(() => adam({ learningRate: -1 }), /adam: learningRate must be a positive number, got -1/);
    assert.throws(() => adam({ beta1: 1 }), /adam: beta1 must be in \[0, 1\), got 1/);
    assert.throws(() => sgd({ momentum: 1.2 }), /sgd: momentum must be in \[0, 1\), got 1\.2/);
    assert.throws(() => layers.conv2d({ filters: 0, kernelSize: 3 }), /conv2d: filters must be a positive integer, got 0/);
    assert.throws(() => layers.conv2d({ filters: 2, kernelSize: [3, 0] }), /conv2d: kernelSize must be a positive integer or a pair of them, got \[3,0\]/);
    assert.throws(() => layers.dense({ units: 4, activation: 'swish' as never }), /dense: activation must be one of 'linear', 'relu', 'tanh', 'sigmoid', 'elu', 'selu', 'softmax', got 'swish'/);
    assert.throws(() => layers.conv2d({ filters: 4, kernelSize: 3, activation: 'softmax' as never }), /conv2d: activation must be one of .*, got 'softmax'/);
    assert.throws(() => layers.dropout({ rate: 1 }), /dropout: rate must be in \[0, 1\), got 1/);
  });
});

describe('a loss that diverges stops fit', () => {
  const big = 48;
  const xs = randomTensor([big, 8, 8, 1], 7, 0, 1);
  const ys = new Tensor(randomLabels(big, 3, 8), [big]);

  test('SGD with learning rate 1e30: message names the epoch and the batch', async () => {
    const model = tinyCnn('sparseCategoricalCrossentropy', sgd({ learningRate: 1e30 }));
    const seen: number[] = [];
    await assert.rejects(
      async () => model.fit(xs, ys, { epochs: 3, batchSize: 8, callbacks: { onBatchEnd: (b) => void seen.push(b) } }),
      (e: Error) => {
        const m = /^fit: the loss became (NaN|Infinity) at epoch (\d+), batch (\d+) of 6; training stopped\. Lower the learning rate/.exec(e.message);
        assert.ok(m, `unexpected message: ${e.message}`);
        // The batch named is the first one whose loss is not finite: every batch before it completed.
        assert.equal((Number(m[2]) - 1) * 6 + Number(m[3]) - 1, seen.length, `batches completed before the error: ${seen.length}`);
        return true;
      },
    );
  });

  test('finite inputs scaled by 1e30 overflow float32 inside the network and stop fit', async () => {
    const model = tinyCnn('sparseCategoricalCrossentropy', sgd({ learningRate: 0.1 }));
    const huge = new Tensor(xs.data.map((v) => v * 1e30), xs.shape);
    await assert.rejects(async () => model.fit(huge, ys, { epochs: 2, batchSize: 8 }), /fit: the loss became (NaN|Infinity) at epoch \d+, batch \d+ of 6; training stopped/);
  });
});

/**
 * Keras's rule, the oracle for the tests below: `patience` is the number of epochs with no improvement
 * after which training stops. Returns the epoch at which training stops (or null) and the best epoch.
 */
function kerasEarlyStopping(values: number[], patience: number, mode: 'min' | 'max', minDelta = 0): { stopped: number | null; best: number } {
  let best = mode === 'min' ? Infinity : -Infinity;
  let bestEpoch = -1;
  let wait = 0;
  for (const [epoch, v] of values.entries()) {
    if (mode === 'min' ? v < best - minDelta : v > best + minDelta) {
      best = v;
      bestEpoch = epoch;
      wait = 0;
    } else if (++wait >= Math.max(patience, 1)) {
      return { stopped: epoch, best: bestEpoch };
    }
  }
  return { stopped: null, best: bestEpoch };
}

describe('earlyStopping', () => {
  /** Feeds `values` of `monitor` to the callback epoch by epoch, as fit does, until it asks to stop. */
  function drive(o: Parameters<typeof earlyStopping>[1], monitor: string, values: number[]): { stopped: number | null; epochsRun: number; model: ReturnType<typeof tinyCnn> } {
    const model = tinyCnn();
    const cb = earlyStopping(model, o);
    model.stopTraining = false;
    cb.onTrainBegin!({});
    let epoch = 0;
    for (; epoch < values.length && !model.stopTraining; epoch++) {
      model.params.fill(epoch); // weights that say which epoch they come from
      cb.onEpochEnd!(epoch, { loss: 1, [monitor]: values[epoch] });
    }
    cb.onTrainEnd!({});
    return { stopped: cb.stoppedEpoch, epochsRun: epoch, model };
  }

  const rising = [1.0, 0.8, 0.85, 0.9, 0.95, 1.0];
  for (const patience of [1, 2, 3]) {
    test(`patience ${patience}: stops after ${patience} epoch(s) without improvement in val_loss ${JSON.stringify(rising)}`, () => {
      const want = kerasEarlyStopping(rising, patience, 'min');
      const got = drive({ patience }, 'val_loss', rising);
      assert.equal(got.stopped, want.stopped, `stopped at epoch ${got.stopped}, Keras stops at ${want.stopped}`);
      assert.equal(got.epochsRun, want.stopped! + 1);
    });
  }

  test('an improvement resets the count; no stop when it keeps improving', () => {
    const values = [1.0, 0.9, 0.95, 0.8, 0.85, 0.7, 0.6];
    assert.equal(drive({ patience: 2 }, 'val_loss', values).stopped, kerasEarlyStopping(values, 2, 'min').stopped);
    assert.equal(drive({ patience: 2 }, 'val_loss', values).stopped, null);
  });

  test('minDelta: an improvement smaller than minDelta does not count', () => {
    const values = [1.0, 0.99, 0.985, 0.98, 0.9];
    const want = kerasEarlyStopping(values, 2, 'min', 0.05);
    assert.equal(drive({ patience: 2, minDelta: 0.05 }, 'val_loss', values).stopped, want.stopped);
    assert.equal(want.stopped, 2);
  });

  test("accuracy is maximized: monitor 'val_accuracy' infers mode max", () => {
    const values = [0.5, 0.7, 0.65, 0.6, 0.9];
    assert.equal(drive({ patience: 2, monitor: 'val_accuracy' }, 'val_accuracy', values).stopped, kerasEarlyStopping(values, 2, 'max').stopped);
  });

  test('restoreBestWeights restores the weights of the best epoch', () => {
    const values = [1.0, 0.6, 0.7, 0.8, 0.9, 1.0];
    const got = drive({ patience: 2, restoreBestWeights: true }, 'val_loss', values);
    const best = kerasEarlyStopping(values, 2, 'min').best;
    assert.ok(got.model.params.every((v) => v === best), `weights hold ${got.model.params[0]}, expected those of epoch ${best}`);
  });

  test('a monitor missing from the logs names it and the keys there are', () => {
    const model = tinyCnn();
    const cb = earlyStopping(model, { monitor: 'val_loss' });
    cb.onTrainBegin!({});
    assert.throws(() => cb.onEpochEnd!(0, { loss: 1, accuracy: 0.5 }), /earlyStopping: no 'val_loss' in the epoch logs \(loss, accuracy\)/);
  });

  test('in a real fit: stops as Keras would on the history it saw, and restores the best epoch', async () => {
    // Validation labels unrelated to the training labels: as the model fits the training set, val_loss rises.
    const m = 60;
    const xs = randomTensor([m, 8, 8, 1], 11, 0, 1);
    const ys = new Tensor(randomLabels(m, 3, 12), [m]);
    const yv = new Tensor(randomLabels(m, 3, 13), [m]);
    const model = tinyCnn('sparseCategoricalCrossentropy', adam({ learningRate: 0.02 }));
    const snapshots: Float32Array[] = [];
    const stopper = earlyStopping(model, { patience: 2, restoreBestWeights: true });
    const h = await model.fit(xs, ys, {
      epochs: 30,
      batchSize: 20,
      validationData: [xs, yv],
      callbacks: [{ onEpochEnd: () => void snapshots.push(model.getWeights()) }, stopper],
    });
    const want = kerasEarlyStopping(h.history.val_loss, 2, 'min');
    assert.notEqual(want.stopped, null, `val_loss never stalled for 2 epochs: ${h.history.val_loss.join(', ')}`);
    assert.equal(h.epoch.length, want.stopped! + 1, `ran ${h.epoch.length} epochs; val_loss ${h.history.val_loss.map((v) => v.toFixed(4)).join(', ')}`);
    assert.deepEqual(model.params, snapshots[want.best], `weights are not those of the best epoch ${want.best}`);
  });
});
