// Graph models in the TensorFlow.js Layers format, both ways: a saved ResNet-20 loads in tf.loadLayersModel
// and predicts the same digits; a graph model TensorFlow.js saved (BatchNormalization with its moving
// statistics, Add, Concatenate, pooling, activation layers) loads here and predicts as TensorFlow.js does;
// our round trip keeps names, frozen flags and every weight; a run folder written by digitnet 0.1 still
// loads, evaluates, predicts, rebuilds its report and serves.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { encodeGrayPng } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor, labelsTensor } from '../src/data/tensors.js';
import { adam, Tensor } from '../src/engine/index.js';
import { selectBackend } from '../src/engine/backends/select.js';
import { loadModel, saveModel } from '../src/engine/io/files.js';
import { resnet20 } from '../src/train/zoo/index.js';
import { assertClose } from './helpers/close.js';
import { loadTf } from './helpers/tfjs.js';
import { tempDir } from './helpers/temp.js';

await loadTf();
const mnist = loadMnist();
const tmp = (): string => tempDir('digitnet-iog-');
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/run-v0.1', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** What TensorFlow.js's file loader does: model.json and the manifest's weight files. */
function tfjsFiles(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const mj = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const all = Buffer.concat(mj.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(join(dir, p)))));
      return {
        modelTopology: mj.modelTopology,
        weightSpecs: mj.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

/** A handler that writes what TensorFlow.js saves into dir, as its file handler would. */
function tfjsSaveTo(dir: string): tf.io.IOHandler {
  return {
    save: async (a) => {
      writeFileSync(join(dir, 'model.json'), JSON.stringify({
        modelTopology: a.modelTopology, format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      }));
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  };
}

describe('graph models in the TensorFlow.js format', () => {
  test('tf.loadLayersModel loads a saved ResNet-20 (after training steps) and predicts the same digits', async () => {
    const model = resnet20({ seed: 2 });
    model.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', backend: selectBackend().backend });
    // A few steps, so that BatchNormalization's moving statistics are no longer their initial values.
    await model.fit(imagesTensor(mnist.train, 256), labelsTensor(mnist.train, 256), { epochs: 1, batchSize: 64 });
    const dir = await saveModel(model, join(tmp(), 'resnet20'));
    const mj = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.equal(mj.modelTopology.class_name, 'Functional');
    assert.ok(mj.modelTopology.config.layers.some((l: { class_name: string; inbound_nodes: unknown[][] }) => l.class_name === 'Add' && l.inbound_nodes[0].length === 2));
    // TensorFlow.js's cpu backend runs ResNet-20 at a few images per second: a handful of digits.
    const x = imagesTensor(mnist.test, 6);
    const ours = model.predict(x);
    const tfm = await tf.loadLayersModel(tfjsFiles(dir));
    assert.equal(tfm.countParams(), model.countParams().total);
    const theirs = tf.tidy(() => (tfm.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync() as Float32Array);
    assert.deepEqual(Array.from(new Tensor(theirs, [6, 10]).argMax()), Array.from(ours.argMax()));
    assertClose(ours.data, theirs, 'ResNet-20 probabilities', 1e-4);
    tfm.dispose();
  });

  test('loadModel reads a graph model TensorFlow.js saved and predicts as TensorFlow.js does', async () => {
    const inp = tf.input({ shape: [28, 28, 1] });
    const c1 = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false }).apply(inp) as tf.SymbolicTensor;
    const b1 = tf.layers.batchNormalization().apply(c1) as tf.SymbolicTensor;
    const r1 = tf.layers.leakyReLU({ alpha: 0.1 }).apply(b1) as tf.SymbolicTensor;
    const c2 = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'elu' }).apply(r1) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([c2, r1]) as tf.SymbolicTensor;
    const pooled = tf.layers.averagePooling2d({ poolSize: 2 }).apply(sum) as tf.SymbolicTensor;
    const other = tf.layers.maxPooling2d({ poolSize: 2 }).apply(r1) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate().apply([pooled, other]) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({}).apply(cat) as tf.SymbolicTensor;
    const act = tf.layers.activation({ activation: 'tanh' }).apply(tf.layers.dense({ units: 12 }).apply(gap)) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(act) as tf.SymbolicTensor;
    const tfm = tf.model({ inputs: inp, outputs: out });
    // Non-default moving statistics, so that reading them is tested.
    const bn = tfm.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
    bn.setWeights(bn.getWeights().map((w, i) => tf.add(w, tf.fill(w.shape, i === 3 ? 0.5 : 0.2))));
    const dir = tmp();
    await tfm.save(tfjsSaveTo(dir));
    const ours = await loadModel(dir);
    assert.equal(ours.className, 'Functional');
    assert.equal(ours.countParams().total, tfm.countParams());
    assert.equal(ours.countParams().nonTrainable, 12);
    const x = imagesTensor(mnist.test, 8);
    const theirs = tf.tidy(() => (tfm.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor).dataSync() as Float32Array);
    assertClose(ours.predict(x).data, theirs, 'probabilities of the TensorFlow.js graph model', 1e-5);
    tfm.dispose();
  });

  test('our round trip keeps layer names, classes, frozen flags and every weight', async () => {
    const model = resnet20({ seed: 4 });
    model.getLayer('conv2d').trainable = false;
    model.params.set(model.params.map((_, i) => Math.sin(i)));
    const again = await loadModel(await saveModel(model, join(tmp(), 'm')));
    assert.deepEqual(again.layers.map((l) => `${l.name}:${l.className}:${l.trainable}`), model.layers.map((l) => `${l.name}:${l.className}:${l.trainable}`));
    assert.deepEqual(again.params, model.params);
    assert.deepEqual(again.countParams(), model.countParams());
  });
});

describe('a run folder written by digitnet 0.1', () => {
  const run = tmp();
  cpSync(FIXTURE, run, { recursive: true });
  const cli = (args: string[]): { code: number; out: string; err: string } => {
    const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, DIGITNET_QUIET: '1' } });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  const saved = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')).test;

  test('loads as a Sequential seed CNN and scores what its metrics.json says', async () => {
    const model = await loadModel(join(run, 'model'));
    assert.equal(model.className, 'Sequential');
    assert.equal(model.countParams().total, 225034);
    const n: number = saved.count;
    const pred = model.predict(imagesTensor(mnist.test, n)).argMax();
    const correct = pred.reduce((s, p, i) => s + (p === mnist.test.labels[i] ? 1 : 0), 0);
    assert.equal(correct / n, saved.accuracy);
  });

  test('evaluate, predict and report run on it', () => {
    const ev = cli(['evaluate', '--model', run, '--json']);
    assert.equal(ev.code, 0, ev.err);
    assert.ok(JSON.parse(ev.out).test.accuracy > 0.6, ev.out.slice(0, 200));
    const png = join(run, 'seven.png');
    writeFileSync(png, encodeGrayPng(mnist.test.images.subarray(0, 784), 28, 28));
    const pr = cli(['predict', '--model', run, '--json', png]);
    assert.equal(pr.code, 0, pr.err);
    assert.equal(JSON.parse(pr.out.trim()).label, 7);
    const rep = cli(['report', run]);
    assert.equal(rep.code, 0, rep.err);
    assert.match(readFileSync(join(run, 'report.html'), 'utf8'), /<html/i);
  });

  test('serve answers predictions with it', async () => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--model', run, '--port', '0', '--host', '127.0.0.1'], { env: { ...process.env, DIGITNET_QUIET: '1' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += String(d);
          const m = /http:\/\/[0-9.]+:(\d+)\//.exec(out);
          if (m) resolve(`http://127.0.0.1:${m[1]}`);
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      const pixels = Array.from(mnist.test.images.subarray(0, 784));
      const r = await fetch(`${url}/api/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels }) });
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { label: number }).label, 7);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
