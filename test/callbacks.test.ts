// Callbacks as Keras's: ReduceLROnPlateau lowers the rate after `patience` epochs without improvement (with
// cooldown and a floor) and refuses a schedule; EarlyStopping stops and restores the best weights;
// ModelCheckpoint saves every epoch or the best; BackupAndRestore continues an interrupted fit so that it
// ends exactly where an uninterrupted one does; fit records each epoch's learning rate and starts at
// initialEpoch. On real MNIST images, reference backend.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor, oneHotTensor } from '../src/data/tensors.js';
import {
  adam, earlyStopping, exponentialDecay, layers, reduceLROnPlateau, referenceBackend, sequential, type Callback, type Logs, type Sequential } from '../src/engine/index.js';
import { backupAndRestore, BACKUP_FILE, readBackup } from '../src/train/callbacks/backup.js';
import { modelCheckpoint } from '../src/train/callbacks/checkpoint.js';
import { tempDir } from './helpers/temp.js';

const mnist = loadMnist();
const x = imagesTensor(mnist.train, 300);
const y = oneHotTensor(mnist.train, 300);

function small(seed: number, lr: number | ReturnType<typeof exponentialDecay> = 0.01): Sequential {
  const m = sequential([
    layers.flatten({ inputShape: [28, 28, 1] }),
    layers.dense({ units: 16, activation: 'relu' }),
    layers.dropout({ rate: 0.2 }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ], { seed });
  m.compile({ optimizer: adam({ learningRate: lr }), loss: 'categoricalCrossentropy', metrics: ['accuracy'], backend: referenceBackend() });
  return m;
}

/** Feeds a callback the given val_loss values as epoch ends. */
async function feed(cb: Callback, values: number[]): Promise<void> {
  await cb.onTrainBegin?.({});
  for (let e = 0; e < values.length; e++) await cb.onEpochEnd?.(e, { val_loss: values[e] });
}

describe('ReduceLROnPlateau', () => {
  test('multiplies the rate by factor after patience epochs without an improvement of minDelta, then waits cooldown epochs, never below minLr', async () => {
    const model = small(1, 0.1);
    const rates: number[] = [];
    const cb = reduceLROnPlateau(model, { factor: 0.5, patience: 2, cooldown: 1, minLr: 0.02, minDelta: 0.01 });
    const wrapped: Callback = { onTrainBegin: cb.onTrainBegin, onEpochEnd: (e: number, l: Logs) => (cb.onEpochEnd!(e, l), void rates.push(model.optimizer!.learningRate)) };
    // 1.0 best; 0.995 is no improvement (minDelta 0.01); two such epochs → ×0.5; a cooldown epoch counts again
    // at once (as Keras); the floor 0.02 stops the last reductions.
    await feed(wrapped, [1.0, 0.995, 0.999, 0.998, 0.997, 0.996, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]);
    assert.deepEqual(rates, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02]);
  });

  test('its state (best, wait, cooldown, the rate) survives getState/setState', async () => {
    const model = small(1, 0.1);
    const a = reduceLROnPlateau(model, { factor: 0.5, patience: 2 });
    await feed(a, [1, 1.1, 1.2]);
    const state = a.getState();
    assert.equal(state.learningRate, 0.05);
    const other = small(2, 0.1);
    const b = reduceLROnPlateau(other, { factor: 0.5, patience: 2 });
    await b.onTrainBegin?.({});
    b.setState(state);
    assert.equal(other.optimizer!.learningRate, 0.05);
    await b.onEpochEnd?.(3, { val_loss: 1.3 });
    await b.onEpochEnd?.(4, { val_loss: 1.3 });
    assert.equal(other.optimizer!.learningRate, 0.025);
  });

  test('refuses an optimizer whose rate is a schedule, and a missing monitor', async () => {
    const model = small(1, exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }));
    await assert.rejects(model.fit(x, y, { epochs: 1, validationSplit: 0.2, callbacks: reduceLROnPlateau(model) }), /the optimizer's learning rate is a schedule \(ExponentialDecay\); use one or the other/);
    const plain = small(1);
    await assert.rejects(plain.fit(x, y, { epochs: 1, callbacks: reduceLROnPlateau(plain) }), /reduceLROnPlateau: no 'val_loss' in the epoch logs \(loss, accuracy, learning_rate\)/);
  });
});

describe('EarlyStopping', () => {
  test('stops after patience epochs without improvement and restores the best epoch\'s weights', async () => {
    const model = small(3);
    const snapshots: Float32Array[] = [];
    const es = earlyStopping(model, { monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    // val_loss forced by a callback placed before it: best at epoch 1 (0-based), then worse twice.
    const forced = [0.9, 0.5, 0.6, 0.7, 0.4];
    const h = await model.fit(x, y, {
      epochs: 5, batchSize: 100, validationSplit: 0.2,
      callbacks: [{ onEpochEnd: (e: number, l: Logs) => { l.val_loss = forced[e]; snapshots.push(model.getWeights()); } }, es],
    });
    assert.equal(h.epoch.length, 4, 'stopped after epoch 4 (two epochs without improvement on 0.5)');
    assert.equal(es.stoppedEpoch, 3);
    assert.deepEqual(model.getWeights(), snapshots[1], 'the weights of the best epoch came back');
  });
});

describe('fit records the learning rate and starts at initialEpoch', () => {
  test("history.learning_rate holds each epoch's rate (its last step's) for a schedule", async () => {
    const model = small(4, exponentialDecay({ initialLearningRate: 0.01, decaySteps: 3, decayRate: 0.5, staircase: true }));
    const h = await model.fit(x, y, { epochs: 3, batchSize: 100 });
    assert.deepEqual(h.history.learning_rate, [0.01, 0.005, 0.0025]);
  });

  test('initialEpoch: the epochs before it are skipped (the shuffle of epoch k is the same either way)', async () => {
    const seen: number[] = [];
    const model = small(5);
    const h = await model.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 100, callbacks: { onEpochBegin: (e) => void seen.push(e) } });
    assert.deepEqual(seen, [2, 3]);
    assert.deepEqual(h.epoch, [2, 3]);
  });
});

describe('ModelCheckpoint', () => {
  test('every epoch: one model folder per epoch; best only: one folder, written when val_loss improves', async () => {
    const dir = tempDir('digitnet-ckpt-');
    const model = small(6);
    await model.fit(x, y, { epochs: 3, batchSize: 100, validationSplit: 0.2, callbacks: modelCheckpoint(model, { dir: join(dir, 'every') }) });
    assert.deepEqual(readdirSync(join(dir, 'every')).sort(), ['epoch-001', 'epoch-002', 'epoch-003']);
    const forced = [0.5, 0.7, 0.3, 0.4];
    const saved: number[] = [];
    const best = modelCheckpoint(model, { dir: join(dir, 'ck'), saveBestOnly: true });
    await model.fit(x, y, {
      epochs: 4, batchSize: 100, validationSplit: 0.2,
      callbacks: [{ onEpochEnd: (e: number, l: Logs) => void (l.val_loss = forced[e]) }, best, { onEpochEnd: (e: number) => {
        const meta = JSON.parse(readFileSync(join(dir, 'ck', 'best', 'model.json'), 'utf8')).userDefinedMetadata.digitnet;
        saved.push(meta.epoch);
        void e;
      } }],
    });
    assert.deepEqual(saved, [1, 1, 3, 3], 'the best folder holds epoch 1, then epoch 3');
    assert.deepEqual(readdirSync(join(dir, 'ck')), ['best']);
  });
});

describe('BackupAndRestore', () => {
  /** Fits 4 epochs with a backup in `dir`; `stopAt` throws at the end of that epoch (after the backup). */
  async function run(dir: string, seed: number, stopAt: number | null): Promise<{ model: Sequential; history: Record<string, number[]> }> {
    const model = small(seed, 0.01);
    const plateau = reduceLROnPlateau(model, { factor: 0.5, patience: 1 });
    const backup = backupAndRestore(model, { dir, callbacks: [plateau], meta: { run: 'test' } });
    const crash: Callback = { onEpochEnd: (e: number) => { if (e === stopAt) throw new Error('killed'); } };
    // A val_loss that stalls after epoch 2, so that the plateau callback acts (and its state matters).
    const stall: Callback = { onEpochEnd: (e: number, l: Logs) => void (l.val_loss = [1, 0.8, 0.8, 0.8][e]) };
    const h = await model.fit(x, y, { epochs: 4, batchSize: 64, validationSplit: 0.2, callbacks: [stall, plateau, backup, crash] });
    return { model, history: h.history };
  }

  test('a fit interrupted after epoch 2, then run again with the same backup, ends with the uninterrupted weights and history, bit for bit', async () => {
    const whole = await run(tempDir('digitnet-bk-'), 7, null);
    const dir = tempDir('digitnet-bk-');
    await assert.rejects(run(dir, 7, 1), /killed/);
    const b = readBackup(dir)!;
    assert.equal(b.header.epoch, 2);
    assert.ok(existsSync(join(dir, BACKUP_FILE)));
    assert.deepEqual(b.header.meta, { run: 'test' });
    // A fresh model (initialized alike; its weights are replaced by the backup's) continues at epoch 3.
    const resumed = await run(dir, 7, null);
    assert.deepEqual(new Uint32Array(resumed.model.getWeights().buffer), new Uint32Array(whole.model.getWeights().buffer));
    assert.deepEqual(resumed.history, whole.history);
    // The rate logged is the epoch's own; the plateau halves it at the ends of epochs 3 and 4.
    assert.deepEqual(whole.history.learning_rate, [0.01, 0.01, 0.01, 0.005]);
  });

  test('a backup of another model is refused, naming the counts', async () => {
    const dir = tempDir('digitnet-bk-');
    await assert.rejects(run(dir, 8, 0), /killed/);
    const other = sequential([layers.flatten({ inputShape: [28, 28, 1] }), layers.dense({ units: 10, activation: 'softmax' })], { seed: 1 });
    other.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', backend: referenceBackend() });
    await assert.rejects(other.fit(x, y, { epochs: 2, callbacks: backupAndRestore(other, { dir }) }), /the backup holds 12730 weights, the model has 7850/);
  });
});
