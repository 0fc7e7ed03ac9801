// Ensembles: one graph model whose output is the mean of its members' probabilities (checked against the
// members' own predictions), members of different architectures side by side with unique layer names; it
// saves, loads, and TensorFlow.js loads it and predicts the same; `digitnet ensemble` writes a run folder
// that evaluate reads, with each member's accuracy on the same images and the mistakes they share (checked
// against the members' own predictions); members that cannot be averaged are refused in one line naming
// them; and `digitnet train --ensemble 2` trains its members and averages them.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor, labelsTensor } from '../src/data/tensors.js';
import { adam, layers, sequential, type Model } from '../src/engine/index.js';
import { loadModel, saveModel } from '../src/engine/io/files.js';
import { memberAgreement } from '../src/eval/agreement.js';
import { evaluateModel } from '../src/eval/evaluate.js';
import { buildEnsemble } from '../src/train/ensemble.js';
import { lenet5, seedCnn } from '../src/train/zoo/index.js';
import { assertClose } from './helpers/close.js';
import { viaArtifacts } from './helpers/tfjs-graph.js';
import { loadTf } from './helpers/tfjs.js';
import { tempDir } from './helpers/temp.js';

const mnist = loadMnist();
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cwd = tempDir('digitnet-ensemble-');
const ENV = { ...process.env, DIGITNET_QUIET: '1' };
const x = imagesTensor(mnist.test, 200);

function digitnet(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function trained(m: Model): Promise<Model> {
  m.compile({ optimizer: adam({ learningRate: 0.003 }), loss: 'sparseCategoricalCrossentropy' });
  await m.fit(imagesTensor(mnist.train, 1000), labelsTensor(mnist.train, 1000), { epochs: 1, batchSize: 50 });
  return m;
}

let members: Model[] = [];

before(async () => {
  members = [await trained(seedCnn({ seed: 1 })), await trained(lenet5({ seed: 2 })), await trained(seedCnn({ seed: 3 }))];
});

describe('buildEnsemble', () => {
  test("the output is the mean of the members' probabilities (a seed CNN, a LeNet-5 and another seed CNN)", () => {
    const e = buildEnsemble(members.map((model, k) => ({ model, source: `m${k}` })));
    const want = new Float32Array(200 * 10);
    for (const m of members) m.predict(x).data.forEach((v, i) => (want[i] += v / 3));
    assertClose(e.predict(x).data, want, 'ensemble probabilities', 1e-6);
    assert.equal(e.countParams().total, members.reduce((s, m) => s + m.countParams().total, 0));
    const names = e.layers.map((l) => l.name);
    assert.equal(new Set(names).size, names.length, 'layer names are unique');
    assert.ok(names.includes('m1_conv2d') && names.includes('m3_conv2d') && names.includes('m2_average_pooling2d'));
    assert.equal(e.outputLayer.className, 'Average');
  });

  test("evaluateModel reads each member's own predictions from the ensemble's single pass", () => {
    const e = buildEnsemble(members.map((model, k) => ({ model, source: `m${k}` })));
    const set = { ...mnist.test, count: 200, images: mnist.test.images.subarray(0, 200 * 784), labels: mnist.test.labels.subarray(0, 200) };
    const outputs = members.map((m, k) => `m${k + 1}_${m.outputLayer.name}`);
    const ev = evaluateModel(e, set, { layers: outputs });
    assert.equal(ev.layerPredicted.length, 3);
    members.forEach((m, k) => assert.deepEqual([...ev.layerPredicted[k]], [...m.predict(x).argMax()], `member ${k + 1}`));
    const plain = evaluateModel(e, set);
    assert.deepEqual(ev.predicted, plain.predicted);
    assert.equal(ev.loss, plain.loss);
    assert.deepEqual(plain.layerPredicted, []);
    assert.ok(members.some((m, k) => m.predict(x).argMax().some((p, i) => p !== ev.predicted[i])), 'some member disagrees with the average');
  });

  test('it saves and loads as any graph model, and TensorFlow.js loads it and predicts the same', async () => {
    const e = buildEnsemble(members.map((model, k) => ({ model, source: `m${k}` })));
    const dir = await saveModel(e, join(cwd, 'saved'));
    const back = await loadModel(dir);
    assert.deepEqual(back.predict(x).data, e.predict(x).data);
    const tf = await loadTf();
    const tfm = await viaArtifacts(tf, e);
    const theirs = tf.tidy(() => (tfm.predict(tf.tensor(x.data.subarray(0, 20 * 784), [20, 28, 28, 1])) as import('@tensorflow/tfjs').Tensor).dataSync() as Float32Array);
    assertClose(e.predict(x.slice0(0, 20)).data, theirs, 'TensorFlow.js against ours', 1e-5);
    tfm.dispose();
  });

  test('members that cannot be averaged are refused, naming them', () => {
    const wide = sequential([layers.flatten({ inputShape: [32, 32, 1] }), layers.dense({ units: 10, activation: 'softmax' })]);
    const eleven = sequential([layers.flatten({ inputShape: [28, 28, 1] }), layers.dense({ units: 11, activation: 'softmax' })]);
    const logits = sequential([layers.flatten({ inputShape: [28, 28, 1] }), layers.dense({ units: 10 })]);
    const m = (model: Model, source: string): { model: Model; source: string } => ({ model, source });
    assert.throws(() => buildEnsemble([m(members[0], 'runs/a'), m(wide, 'runs/b')]), /^Error: ensemble: runs\/b takes input \[null,32,32,1\] but runs\/a takes \[null,28,28,1\]; members must take the same images$/);
    assert.throws(() => buildEnsemble([m(members[0], 'runs/a'), m(eleven, 'runs/c')]), /^Error: ensemble: runs\/c has 11 classes but runs\/a has 10; members must have the same classes$/);
    assert.throws(() => buildEnsemble([m(members[0], 'runs/a'), m(logits, 'runs/d')]), /runs\/d does not end in a softmax \(its last layer applies 'linear'\); an ensemble averages probabilities/);
    assert.throws(() => buildEnsemble([m(members[0], 'runs/a')]), /needs at least 2 members, got 1/);
  });
});

describe('memberAgreement', () => {
  test("counts the images every member misses, those any member misses, and the ensemble's errors among them", () => {
    const labels = [0, 1, 2, 3, 4, 5];
    const a = [0, 1, 9, 9, 4, 9];
    const b = [0, 9, 2, 8, 4, 9];
    const ensemble = [0, 1, 2, 9, 9, 5];
    assert.deepEqual(memberAgreement(labels, [a, b], ensemble), {
      memberAccuracy: [3 / 6, 3 / 6],
      missedByEvery: 2, // images 3 and 5
      missedByAny: 4, // 1, 2, 3 and 5
      errors: 2, // 3 (missed by both) and 4 (missed by neither)
      errorsMissedByEvery: 1,
    });
    assert.throws(() => memberAgreement(labels, [a, b.slice(1)], ensemble), /^Error: memberAgreement: member 2's predictions cover 5 images, the labels 6$/);
    assert.throws(() => memberAgreement(labels, [a], ensemble.slice(2)), /the ensemble's predictions cover 4 images, the labels 6/);
  });
});

describe('the ensemble commands', () => {
  test('digitnet ensemble RUN RUN --out DIR writes a run folder that evaluate reads', async () => {
    for (const [k, m] of members.slice(0, 2).entries()) await saveModel(m, join(cwd, `member${k}`, 'model'));
    const r = digitnet(['ensemble', 'member0', 'member1', '--out', 'avg', '--test-limit', '500']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Ensemble of 2 written to avg\/$/m);
    for (const f of ['model/model.json', 'metrics.json', 'run.json', 'report.html', 'figures/confusion.svg']) assert.ok(existsSync(join(cwd, 'avg', f)), f);
    const metrics = JSON.parse(readFileSync(join(cwd, 'avg', 'metrics.json'), 'utf8'));
    const ev = digitnet(['evaluate', '--model', 'avg', '--limit', '500', '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    assert.equal(JSON.parse(ev.stdout).test.accuracy, metrics.test.accuracy);
    const run = JSON.parse(readFileSync(join(cwd, 'avg', 'run.json'), 'utf8'));
    assert.equal(run.members.length, 2);
    // The members' accuracies and shared mistakes, from their own predictions on the same 500 images.
    const labels = mnist.test.labels.subarray(0, 500);
    const own = members.slice(0, 2).map((m) => m.predict(imagesTensor(mnist.test, 500)).argMax());
    const wrong = (p: ArrayLike<number>, i: number): boolean => p[i] !== labels[i];
    const every = [...labels].filter((_, i) => own.every((p) => wrong(p, i))).length;
    const any = [...labels].filter((_, i) => own.some((p) => wrong(p, i))).length;
    assert.deepEqual(run.agreement.memberAccuracy, own.map((p) => [...labels].filter((_, i) => !wrong(p, i)).length / 500));
    assert.equal(run.agreement.missedByEvery, every);
    assert.equal(run.agreement.missedByAny, any);
    assert.ok(every < any, `the two members differ somewhere (${every} and ${any})`);
    assert.equal(run.agreement.errors, Math.round((1 - metrics.test.accuracy) * 500));
    assert.ok(run.agreement.errorsMissedByEvery <= Math.min(every, run.agreement.errors));
    assert.match(r.stdout, new RegExp(`^Members on the 500 test images: [0-9.]+%, [0-9.]+%; every member misclassifies ${every} of them, at least one ${any}; of the ensemble's ${run.agreement.errors} errors, every member made ${run.agreement.errorsMissedByEvery}$`, 'm'));
    const report = readFileSync(join(cwd, 'avg', 'report.html'), 'utf8');
    assert.match(report, new RegExp(`Every member misclassifies ${every} of the test images and at least one member ${any}`));
  });

  test('digitnet ensemble refuses members of different input shapes in one line', async () => {
    await saveModel(sequential([layers.flatten({ inputShape: [14, 14, 1] }), layers.dense({ units: 10, activation: 'softmax' })]), join(cwd, 'small', 'model'));
    const r = digitnet(['ensemble', 'member0', 'small', '--out', 'bad']);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^digitnet: ensemble: small takes input \[null,14,14,1\] but member0 takes \[null,28,28,1\]; members must take the same images$/);
  });

  test('digitnet train --ensemble 2 trains two members (seeds 7 and 8) and averages them', () => {
    const r = digitnet(['train', '--ensemble', '2', '--seed', '7', '--limit', '1000', '--test-limit', '300', '--epochs', '1', '--out', 'team']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Member 1 of 2 \(seed 7\)$/m);
    assert.match(r.stdout, /^Member 2 of 2 \(seed 8\)$/m);
    const run = JSON.parse(readFileSync(join(cwd, 'team', 'run.json'), 'utf8'));
    assert.deepEqual(run.members.map((m: { run: string; seed: number }) => [m.run, m.seed]), [['members/seed-7', 7], ['members/seed-8', 8]]);
    assert.ok(existsSync(join(cwd, 'team', 'members', 'seed-8', 'model', 'model.json')));
    assert.match(readFileSync(join(cwd, 'team', 'report.html'), 'utf8'), /<td>seed-8<\/td>/, "the report names each member's run folder");
    const again = digitnet(['train', '--ensemble', '2', '--resume', 'team']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already finished/);
  });
});
