// `--arch` on the command line, as a user runs it (real processes): a zoo name trains and is recorded in the
// run; a model.json topology (here one TensorFlow.js wrote) trains as an architecture; summary prints a
// graph's table; a wrong name, a file with an unsupported layer or a shape that does not fit the data is a
// one-line error, said before any data is read or any training starts.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadTf } from './helpers/tfjs.js';
import { tempDir } from './helpers/temp.js';

await loadTf();
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cwd = tempDir('digitnet-arch-');

function digitnet(args: string[]): { code: number; out: string; err: string; ms: number } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, DIGITNET_QUIET: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr, ms: performance.now() - t };
}

test('train --arch lenet5 trains the zoo model and records it in run.json', () => {
  const r = digitnet(['train', '--arch', 'lenet5', '--limit', '1500', '--epochs', '1', '--out', 'lenet']);
  assert.equal(r.code, 0, r.err);
  const run = JSON.parse(readFileSync(join(cwd, 'lenet', 'run.json'), 'utf8'));
  assert.equal(run.hyperparameters.arch, 'lenet5');
  assert.equal(run.model.totalParams, 61706);
  assert.ok(JSON.parse(readFileSync(join(cwd, 'lenet', 'metrics.json'), 'utf8')).test.accuracy > 0.5);
});

test('train --arch with a model.json TensorFlow.js wrote trains that topology', async () => {
  const inp = tf.input({ shape: [28, 28, 1] });
  const c = tf.layers.conv2d({ filters: 8, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' }).apply(inp) as tf.SymbolicTensor;
  const b = tf.layers.batchNormalization().apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(tf.layers.flatten().apply(b)) as tf.SymbolicTensor;
  const m = tf.model({ inputs: inp, outputs: out, name: 'mine' });
  await m.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(cwd, 'mine.json'), JSON.stringify({ modelTopology: a.modelTopology, format: 'layers-model', weightsManifest: [] }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const r = digitnet(['train', '--arch', 'mine.json', '--limit', '1500', '--epochs', '1', '--out', 'mine']);
  assert.equal(r.code, 0, r.err);
  const run = JSON.parse(readFileSync(join(cwd, 'mine', 'run.json'), 'utf8'));
  assert.equal(run.model.name, 'mine');
  assert.equal(run.model.totalParams, m.countParams());
  assert.ok(JSON.parse(readFileSync(join(cwd, 'mine', 'metrics.json'), 'utf8')).test.accuracy > 0.5);
  const s = digitnet(['summary', '--arch', 'mine.json']);
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /batch_normalization\S* \(BatchNormalization\)\s+\[null,14,14,8\]\s+32\s+conv2d\S*\[0\]\[0\]/);
});

test('summary --arch resnet20 prints the graph with what each layer reads and the three parameter lines', () => {
  const r = digitnet(['summary', '--arch', 'resnet20']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Connected to/);
  assert.match(r.out, /add \(Add\)\s+\[null,28,28,16\]\s+0\s+batch_normalization_2\[0\]\[0\], re_lu\[0\]\[0\]/);
  assert.match(r.out, /Total params: 273,754\nTrainable params: 272,186\nNon-trainable params: 1,568/);
});

test('bad architectures are one-line errors, before any data is read', () => {
  const fails = (args: string[], message: RegExp): void => {
    const r = digitnet(args);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, message);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  };
  fails(['train', '--arch', 'resnet50', '--data', 'nowhere.csv'], /^digitnet: --arch: unknown architecture 'resnet50'; choose one of seed, lenet5, vgg, resnet20, or give the path of a model\.json/);
  writeFileSync(join(cwd, 'lstm.json'), JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'LSTM', config: { units: 4, batch_input_shape: [null, 28, 28] } }] } } }));
  fails(['train', '--arch', 'lstm.json', '--data', 'nowhere.csv'], /layer class LSTM is not supported; supported: Activation, Add, .*Conv2D/);
  writeFileSync(join(cwd, 'rgb.json'), JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [
    { class_name: 'Flatten', config: { batch_input_shape: [null, 32, 32, 3] } }, { class_name: 'Dense', config: { units: 10, activation: 'softmax' } }] } } }));
  fails(['train', '--arch', 'rgb.json', '--limit', '500', '--epochs', '1', '--out', 'rgb'], /--arch \S*rgb\.json: the model takes input \[null,32,32,3\], the data is \[null,28,28,1\]/);
  fails(['summary', '--arch', 'missing.json'], /--arch: \S*missing\.json does not exist/);
});
