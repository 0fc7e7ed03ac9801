// Transfer learning (`digitnet train --from RUN --freeze LAYER`), with real training runs: the frozen layers'
// weights (and a frozen BatchNormalization's moving statistics) come out bit for bit as they went in while the
// rest trains; the head is replaced when the new data has another class count and kept otherwise; fine-tuning
// unfreezes all but BatchNormalization; and the wrong inputs are one-line errors (another input shape, a
// layer that does not exist, a freeze that leaves nothing to train, --freeze without --from).

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeGrayPng } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { loadModel, saveModel, type Model } from '../src/index.js';
import { Random } from '../src/engine/random.js';
import { sizeOf } from '../src/engine/tensor.js';
import { trainRun } from '../src/train/run.js';
import type { RunJson } from '../src/train/run-files.js';
import { vgg } from '../src/train/zoo/index.js';
import { fails } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'digitnet-transfer-'));
const mnist = loadMnist();
let source: string;
let folder: string;

/** A class folder tree of MNIST training digits as PNG files: classes named by `classes` (name → digit). */
function digitFolder(name: string, classes: Record<string, number>, n: number): string {
  const root = join(dir, name);
  for (const [cls, d] of Object.entries(classes)) {
    mkdirSync(join(root, cls), { recursive: true });
    let k = 0;
    for (let i = 0; k < n; i++) {
      if (mnist.train.labels[i] === d) writeFileSync(join(root, cls, `${k++}.png`), encodeGrayPng(mnist.train.images.subarray(i * 784, (i + 1) * 784), 28, 28));
    }
  }
  return root;
}

/** A layer's weights (every one of them, non-trainable state included) as bytes. */
function weightsOf(m: Model, layer: string): Buffer[] {
  return m.weightSpecs.filter((s) => s.layer.name === layer).map((s) => Buffer.from(m.params.buffer, m.params.byteOffset + s.offset * 4, sizeOf(s.shape) * 4));
}

function sameWeights(a: Model, b: Model, layer: string): boolean {
  const [x, y] = [weightsOf(a, layer), weightsOf(b, layer)];
  assert.ok(x.length > 0, `layer ${layer} has weights`);
  return x.length === y.length && x.every((w, i) => w.equals(y[i]));
}

const run = (d: string): RunJson => JSON.parse(readFileSync(join(d, 'run.json'), 'utf8'));

before(async () => {
  source = join(dir, 'mnist-run');
  await trainRun({ limit: 3000, testLimit: 500, epochs: 1, out: source, report: false });
  folder = digitFolder('ones-fours-sevens', { one: 1, four: 4, seven: 7 }, 40);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('--from --freeze: the frozen layers are unchanged bit for bit, the head is replaced for three classes, the rest trains', async () => {
  const out = join(dir, 'to-three');
  const r = await trainRun({ from: source, freeze: 'max_pooling2d_1', data: folder, epochs: 3, out, report: false, seed: 5 });
  const before = await loadModel(join(source, 'model'));
  const after = await loadModel(join(out, 'model'));
  for (const l of ['conv2d', 'conv2d_1']) assert.ok(sameWeights(before, after, l), `${l} is frozen: its weights are the source's, bit for bit`);
  assert.ok(!sameWeights(before, after, 'dense'), 'dense trains');
  assert.deepEqual(after.outputShape, [3]);
  assert.deepEqual(after.weightSpecs.filter((s) => s.layer.name === 'dense_1').map((s) => s.shape), [[128, 3], [3]]);
  const t = run(out).transfer!;
  assert.deepEqual(t.headReplaced, { layer: 'dense_1', fromClasses: 10, toClasses: 3 });
  assert.deepEqual(t.frozen, ['conv2d', 'max_pooling2d', 'conv2d_1', 'max_pooling2d_1']);
  assert.deepEqual(t.sourceInputShape, [28, 28, 1]);
  const meta = JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8')).userDefinedMetadata.digitnet;
  assert.deepEqual(meta.classNames, ['four', 'one', 'seven']);
  assert.equal(meta.preprocess, 'mnist');
  assert.ok(r.files.metrics.test.accuracy >= 0.8, `the MNIST features read three digit classes: ${r.files.metrics.test.accuracy}`);
  // The saved model says which layers were frozen: what tf.loadLayersModel reads as trainable.
  const topo = JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8')).modelTopology.config.layers as { config: { name: string; trainable: boolean } }[];
  assert.deepEqual(topo.filter((l) => !l.config.trainable).map((l) => l.config.name), t.frozen);
});

test('a frozen BatchNormalization keeps its weights and moving statistics bit for bit; fine-tuning unfreezes the convolutions but not it', async () => {
  const start = vgg({ seed: 3 });
  // Moving statistics unlike their initial values (so that "unchanged" cannot be a reset to 0 and 1), of the
  // size an untrained convolution's outputs have on MNIST (larger means would switch every ReLU off).
  const rng = new Random(9);
  for (const s of start.weightSpecs) {
    const [lo, hi] = s.name.endsWith('moving_mean') ? [-0.05, 0.05] : s.name.endsWith('moving_variance') ? [0.02, 0.2] : [0, 0];
    for (let i = 0; hi > 0 && i < sizeOf(s.shape); i++) start.params[s.offset + i] = rng.uniform(lo, hi);
  }
  const src = join(dir, 'vgg-start');
  await saveModel(start, src);
  const base = { from: src, freeze: 're_lu_1', data: 'mnist', limit: 300, testLimit: 100, validationSplit: 0, batchSize: 50, report: false };
  const frozen = await trainRun({ ...base, epochs: 1, out: join(dir, 'vgg-frozen') });
  const tuned = await trainRun({ ...base, epochs: 1, fineTuneEpochs: 1, fineTuneLr: 1e-4, out: join(dir, 'vgg-tuned') });
  const a = await loadModel(src);
  const f = await loadModel(join(dir, 'vgg-frozen', 'model'));
  const t = await loadModel(join(dir, 'vgg-tuned', 'model'));
  for (const l of ['conv2d', 'batch_normalization', 'conv2d_1', 'batch_normalization_1']) assert.ok(sameWeights(a, f, l), `${l} frozen`);
  assert.ok(!sameWeights(a, f, 'batch_normalization_2'), 'an unfrozen BatchNormalization trains and re-estimates its statistics');
  for (const l of ['batch_normalization', 'batch_normalization_1']) assert.ok(sameWeights(a, t, l), `${l} stays frozen while fine-tuning`);
  for (const l of ['conv2d', 'conv2d_1']) assert.ok(!sameWeights(a, t, l), `${l} is fine-tuned`);
  assert.equal(tuned.files.history.epoch.length, 2, 'one epoch, then one of fine-tuning');
  assert.deepEqual(run(join(dir, 'vgg-tuned')).transfer!.fineTune, { epochs: 1, learningRate: 1e-4 });
  assert.equal(frozen.files.run.transfer!.headReplaced, null, 'ten classes to ten: the head is kept');
});

test('the same class count keeps the head and trains it on the new data', async () => {
  const out = join(dir, 'same');
  await trainRun({ from: source, data: 'mnist', limit: 600, testLimit: 100, epochs: 1, out, report: false });
  const [a, b] = [await loadModel(join(source, 'model')), await loadModel(join(out, 'model'))];
  assert.deepEqual(b.outputShape, [10]);
  assert.ok(!sameWeights(a, b, 'dense_1'), 'the head trains');
  assert.equal(run(out).transfer!.headReplaced, null);
  assert.deepEqual(run(out).transfer!.frozen, []);
});

test('--from another input shape, --freeze of a missing layer or of every layer, --freeze without --from: one-line errors', () => {
  fails(dir, ['train', '--from', source, '--data', folder, '--image-size', '32', '--channels', '3', '--out', 'x1'],
    /^--from \S+mnist-run: the model takes input \[null,28,28,1\], the data is \[null,32,32,3\]; give --image-size 28 --channels 1 to make the images so$/);
  fails(dir, ['train', '--from', source, '--freeze', 'conv9', '--data', folder, '--out', 'x2'],
    /^--freeze conv9: the model has no layer 'conv9'; its layers are conv2d, max_pooling2d, conv2d_1, max_pooling2d_1, flatten, dense, dense_1$/);
  fails(dir, ['train', '--from', source, '--freeze', 'dense_1', '--data', folder, '--out', 'x3'], /^--freeze dense_1: that freezes every layer with weights, so nothing would train/);
  fails(dir, ['train', '--freeze', 'conv2d', '--out', 'x4'], /^--freeze needs --from RUN_DIR/);
  fails(dir, ['train', '--from', join(dir, 'nowhere'), '--out', 'x5'], /nowhere: no such model or run folder$/);
  fails(dir, ['train', '--from', source, '--fine-tune-lr', '0.001', '--out', 'x6'], /^--fine-tune-lr needs --fine-tune-epochs N/);
});
