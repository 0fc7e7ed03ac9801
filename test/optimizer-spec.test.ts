// `digitnet train --optimizer`: specs parsed against their table (Keras's defaults filled in, the canonical
// form run.json records, one-line errors naming what was wrong), the optimizer objects they build, SGD's
// decoupled weight decay against its formula step by step, and a real training run with SGD and momentum
// that records its optimizer and learns.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { referenceBackend, sgd } from '../src/engine/index.js';
import { buildOptimizer, formatOptimizer, parseOptimizer } from '../src/train/optimizer-spec.js';
import { checkResumeOptions, settle } from '../src/train/run-config.js';
import { tempDir } from './helpers/temp.js';

describe('--optimizer specs', () => {
  test("Keras's defaults are filled in, and the canonical form names only what differs from them", () => {
    assert.deepEqual(parseOptimizer('adam'), { name: 'adam', params: { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } });
    assert.deepEqual(parseOptimizer('sgd').params, { momentum: 0, nesterov: 0, weight_decay: 0 });
    assert.equal(formatOptimizer(parseOptimizer('adam,beta1=0.9')), 'adam');
    assert.equal(formatOptimizer(parseOptimizer(' sgd , weight_decay=5e-4, momentum=0.9')), 'sgd,momentum=0.9,weight_decay=0.0005');
    assert.equal(formatOptimizer(parseOptimizer('adamw')), 'adamw');
    assert.equal(formatOptimizer(parseOptimizer('rmsprop,rho=0.95')), 'rmsprop,rho=0.95');
  });

  test('each spec builds its optimizer with those settings', () => {
    const o = buildOptimizer(parseOptimizer('sgd,momentum=0.9,nesterov=1,weight_decay=0.0005'), 0.05);
    assert.equal(o.className, 'SGD');
    assert.deepEqual(o.config(), { learning_rate: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.0005 });
    assert.deepEqual(buildOptimizer(parseOptimizer('adam'), 0.002).config(), { learning_rate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    assert.equal(buildOptimizer(parseOptimizer('adamw,weight_decay=0.01'), 0.001).config().weight_decay, 0.01);
    assert.deepEqual(buildOptimizer(parseOptimizer('rmsprop,momentum=0.5'), 0.01).config(), { learning_rate: 0.01, rho: 0.9, momentum: 0.5, epsilon: 1e-7 });
  });

  test('an unknown optimizer or parameter, or a value out of range, is a one-line error naming it', () => {
    assert.throws(() => parseOptimizer('adagrad'), /^Error: --optimizer: unknown optimizer 'adagrad'; choose one of adam, adamw, sgd, rmsprop$/);
    assert.throws(() => parseOptimizer('sgd,mom=0.9'), /^Error: --optimizer: 'sgd' has no parameter 'mom'; it takes momentum, nesterov, weight_decay$/);
    assert.throws(() => parseOptimizer('sgd,momentum=1'), /--optimizer: momentum=1 is out of range \(0 to 0\.999/);
    assert.throws(() => parseOptimizer('sgd,nesterov=0.5'), /--optimizer: nesterov=0\.5 is out of range \(a whole number, 0 to 1/);
    assert.throws(() => parseOptimizer('adam,weight_decay=0.1'), /'adam' has no parameter 'weight_decay'; it takes beta1, beta2, epsilon/);
  });
});

test('a backup from before --optimizer existed resumes as the Adam it ran, and refuses another optimizer', () => {
  const { optimizer, ...old } = settle({ schedule: 'onecycle' });
  assert.equal(optimizer, 'adam');
  checkResumeOptions(old, { optimizer: 'adam,beta1=0.9' }, 'runs/old');
  assert.throws(() => checkResumeOptions(old, { optimizer: 'sgd' }, 'runs/old'), /^Error: --resume runs\/old: the run was started with --optimizer adam, not sgd; resume it without that option, or start a new run$/);
});

describe("SGD's decoupled weight decay", () => {
  test('each step: p ← p − p·wd·lr, then the momentum step v ← m·v − lr·g, p ← p + v (float32, as Keras 3)', () => {
    const lr = 0.1, wd = 0.01, m = 0.9;
    const opt = sgd({ learningRate: lr, momentum: m, weightDecay: wd });
    const params = new Float32Array([1, -2, 0.5, 3]);
    const want = Float64Array.from(params);
    const v = new Float64Array(4);
    const f = Math.fround;
    for (let step = 0; step < 3; step++) {
      const grads = new Float32Array([0.3, -0.1, 0.2 * step, 1]);
      opt.apply(referenceBackend(), params, grads, [[0, 4]]);
      for (let i = 0; i < 4; i++) {
        const decayed = f(want[i] - f(f(want[i] * f(wd)) * f(lr)));
        v[i] = f(f(m * v[i]) - f(lr * grads[i]));
        want[i] = f(decayed + v[i]);
      }
      for (let i = 0; i < 4; i++) assert.ok(Math.abs(params[i] - want[i]) <= 1e-6 * Math.abs(want[i]) + 1e-9, `step ${step + 1}, weight ${i}: ${params[i]} against ${want[i]}`);
    }
    // Without the decay the same steps end elsewhere: the decay is applied.
    const plain = sgd({ learningRate: lr, momentum: m });
    const p2 = new Float32Array([1, -2, 0.5, 3]);
    for (let step = 0; step < 3; step++) plain.apply(referenceBackend(), p2, new Float32Array([0.3, -0.1, 0.2 * step, 1]), [[0, 4]]);
    assert.ok(Math.abs(p2[1] - params[1]) > 1e-3, `decayed ${params[1]}, plain ${p2[1]}`);
    assert.throws(() => sgd({ weightDecay: -1 }), /sgd: weightDecay must be a non-negative number, got -1/);
  });
});

describe('digitnet train --optimizer', () => {
  const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const cwd = tempDir('digitnet-optimizer-');
  const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, DIGITNET_QUIET: '1' } });

  test('SGD with momentum and weight decay trains the seed CNN, and run.json and the report say so', () => {
    const r = run(['train', '--optimizer', 'sgd,momentum=0.9,weight_decay=5e-4', '--lr', '0.05', '--schedule', 'onecycle', '--limit', '3000', '--test-limit', '500', '--epochs', '2', '--augment', 'none', '--out', 'sgd']);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(readFileSync(join(cwd, 'sgd', 'run.json'), 'utf8'));
    assert.equal(info.hyperparameters.optimizer, 'sgd,momentum=0.9,weight_decay=0.0005');
    const metrics = JSON.parse(readFileSync(join(cwd, 'sgd', 'metrics.json'), 'utf8'));
    assert.ok(metrics.test.accuracy > 0.9, `test accuracy ${metrics.test.accuracy}`);
    assert.match(readFileSync(join(cwd, 'sgd', 'report.html'), 'utf8'), /sgd,momentum=0\.9,weight_decay=0\.0005 \(learning rate 0\.05/);
  });

  test('a bad spec is refused in one line before anything is written', () => {
    const r = run(['train', '--optimizer', 'sgd,momentum=2', '--limit', '100', '--out', 'bad']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), 'digitnet: --optimizer: momentum=2 is out of range (0 to 0.999: velocity kept per step)');
  });
});
