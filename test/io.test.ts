// Save/load in the TensorFlow.js Layers format, checked against TensorFlow.js itself: what we save,
// tf.loadLayersModel loads and predicts the same; what TensorFlow.js saves, we load and predict the same.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor } from '../src/data/tensors.js';
import { Tensor } from '../src/engine/index.js';
import { seedCnn } from '../src/train/zoo/index.js';
import { loadModel, saveModel } from '../src/engine/io/files.js';
import { tempDir } from './helpers/temp.js';

const mnist = loadMnist();
const x = imagesTensor(mnist.test, 64);
const tmp = (): string => tempDir('digitnet-io-');

/** What TensorFlow.js's file handler does: read model.json and the manifest's weight files. */
function tfjsFileHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const mj = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const bufs = mj.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(join(dir, p))));
      const all = Buffer.concat(bufs);
      return {
        modelTopology: mj.modelTopology,
        weightSpecs: mj.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        format: mj.format,
        generatedBy: mj.generatedBy,
      };
    },
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('tf.loadLayersModel loads a saved seed CNN and predicts the same classes', async () => {
  await tf.setBackend('cpu');
  const model = seedCnn({ seed: 7 });
  const dir = await saveModel(model, join(tmp(), 'model'));
  const ours = model.predict(x);
  const tfm = await tf.loadLayersModel(tfjsFileHandler(dir));
  const theirs = tf.tidy(() => (tfm.predict(tf.tensor4d(x.data, [64, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array);
  assert.deepEqual(Array.from(new Tensor(theirs, [64, 10]).argMax()), Array.from(ours.argMax()));
  assert.ok(maxAbsDiff(ours.data, theirs) < 1e-5, `probabilities differ by ${maxAbsDiff(ours.data, theirs)}`);
  assert.equal(tfm.countParams(), 225034);
});

test('loadModel reads a model that TensorFlow.js saved and predicts as TensorFlow.js does', async () => {
  await tf.setBackend('cpu');
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ filters: 8, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dropout({ rate: 0.3 }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  const dir = tmp();
  await m.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({
      modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const ours = (await loadModel(dir)).predict(x);
  const theirs = tf.tidy(() => (m.predict(tf.tensor4d(x.data, [64, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array);
  assert.ok(maxAbsDiff(ours.data, theirs) < 1e-5, `probabilities differ by ${maxAbsDiff(ours.data, theirs)}`);
});

test('save then load round-trips every weight exactly', async () => {
  const model = seedCnn({ seed: 3 });
  const loaded = await loadModel(await saveModel(model, join(tmp(), 'm')));
  assert.deepEqual(loaded.params, model.params);
  assert.deepEqual(loaded.summary(null), model.summary(null));
});

test('saving over an existing model replaces it whole and leaves no temporary folders', async () => {
  const parent = tmp();
  const dir = join(parent, 'model');
  await saveModel(seedCnn({ seed: 1 }), dir);
  const second = seedCnn({ seed: 2 });
  await saveModel(second, dir);
  assert.deepEqual(readdirSync(parent), ['model']);
  assert.deepEqual((await loadModel(dir)).params, second.params);
});

test('a failed save leaves no half-written folder', async () => {
  const parent = tmp();
  writeFileSync(join(parent, 'file'), 'not a folder');
  await assert.rejects(saveModel(seedCnn({ seed: 1 }), join(parent, 'file', 'model')), /saveModel|ENOTDIR|EEXIST/);
  assert.deepEqual(readdirSync(parent), ['file']);
});

test('loadModel names what is wrong with a broken model folder', async () => {
  const dir = await saveModel(seedCnn({ seed: 1 }), join(tmp(), 'm'));
  const json = readFileSync(join(dir, 'model.json'), 'utf8');
  const weights = readFileSync(join(dir, 'weights.bin'));
  const variant = (name: string, files: Record<string, string | Uint8Array>): string => {
    const d = join(tmp(), name);
    mkdirSync(d);
    for (const [f, c] of Object.entries(files)) writeFileSync(join(d, f), c);
    return d;
  };
  await assert.rejects(loadModel(join(tmp(), 'nowhere')), /does not exist/);
  await assert.rejects(loadModel(variant('nojson', { 'weights.bin': weights })), /holds no model\.json/);
  await assert.rejects(loadModel(variant('noweights', { 'model.json': json })), /weights file weights\.bin.*is missing/);
  await assert.rejects(loadModel(variant('short', { 'model.json': json, 'weights.bin': weights.subarray(0, 1000) })), /hold 1000 bytes, the manifest needs 900136/);
  await assert.rejects(loadModel(variant('badjson', { 'model.json': '{"modelTopology": ', 'weights.bin': weights })), /not valid JSON/);
  const wrongSize = json.replace('"shape":[3,3,1,32]', '"shape":[3,3,1,16]');
  await assert.rejects(loadModel(variant('size', { 'model.json': wrongSize, 'weights.bin': weights })), /weight 'conv2d\/kernel' has shape \[3,3,1,16\], but 'conv2d\/kernel' needs \[3,3,1,32\]/);
  const wrongShape = json.replace('"shape":[3,3,1,32]', '"shape":[3,3,32,1]');
  await assert.rejects(loadModel(variant('shape', { 'model.json': wrongShape, 'weights.bin': weights })), /has shape \[3,3,32,1\], but 'conv2d\/kernel' needs \[3,3,1,32\]/);
  const unsupported = json.replace('"class_name":"Flatten"', '"class_name":"LSTM"');
  await assert.rejects(loadModel(variant('lstm', { 'model.json': unsupported, 'weights.bin': weights })), /layer class LSTM is not supported; supported: .*BatchNormalization.*Conv2D/);
  const bigger = json.replace('"units":128', '"units":100000000');
  await assert.rejects(loadModel(variant('huge', { 'model.json': bigger, 'weights.bin': weights })), /the layers need 161,100,018,826 parameters \(layer 'dense' \(Dense\) alone needs 160,100,000,000\); a model may hold at most 100,000,000/);
});
