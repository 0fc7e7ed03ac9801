// Learning-rate schedules against their formulas (Keras's ExponentialDecay, PiecewiseConstantDecay and
// CosineDecay with warm-up; PyTorch's OneCycleLR), written out here independently, at the steps where they
// turn; their configs round-trip; `--schedule` specs become the right objects; an optimizer steps at the
// schedule's rate; bad settings are refused with the setting named.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adam, cosineDecay, exponentialDecay, oneCycle, piecewiseConstantDecay, scheduleFromConfig, sequential, layers, referenceBackend, Tensor } from '../src/engine/index.js';
import { buildSchedule, parseSchedule } from '../src/train/schedule-spec.js';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b), `${what}: ${a} ≠ ${b}`);

describe('schedules against their formulas (i = step − 1 steps taken)', () => {
  test('exponentialDecay: lr0·rate^(i/decaySteps), floored with staircase', () => {
    const smooth = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    const stairs = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    for (const step of [1, 2, 10, 11, 12, 21, 100, 1001]) {
      const i = step - 1;
      close(smooth.valueAt(step), 0.1 * 0.5 ** (i / 10), `smooth step ${step}`);
      close(stairs.valueAt(step), 0.1 * 0.5 ** Math.floor(i / 10), `staircase step ${step}`);
    }
    assert.equal(stairs.valueAt(10), 0.1, 'the 10th step is still in the first stair');
    assert.equal(stairs.valueAt(11), 0.05);
  });

  test('piecewiseConstantDecay: values[k] while boundaries[k−1] < i ≤ boundaries[k]', () => {
    const s = piecewiseConstantDecay({ boundaries: [100, 200], values: [1, 0.5, 0.1] });
    const want = (i: number): number => (i <= 100 ? 1 : i <= 200 ? 0.5 : 0.1);
    for (const i of [0, 99, 100, 101, 200, 201, 5000]) assert.equal(s.valueAt(i + 1), want(i), `i=${i}`);
  });

  test('cosineDecay: peak·((1−α)·½(1+cos(π·t)) + α), after a linear warm-up from the initial rate', () => {
    const plain = cosineDecay({ initialLearningRate: 0.2, decaySteps: 100, alpha: 0.1 });
    for (const i of [0, 1, 25, 50, 99, 100, 150]) {
      const t = Math.min(i, 100) / 100;
      close(plain.valueAt(i + 1), 0.2 * (0.9 * 0.5 * (1 + Math.cos(Math.PI * t)) + 0.1), `plain i=${i}`);
    }
    const warm = cosineDecay({ initialLearningRate: 0, decaySteps: 90, warmupTarget: 0.01, warmupSteps: 10 });
    close(warm.valueAt(1), 0, 'warm-up starts at the initial rate');
    close(warm.valueAt(6), 0.01 * 5 / 10, 'half-way up');
    close(warm.valueAt(11), 0.01, 'the peak right after the warm-up');
    close(warm.valueAt(11 + 45), 0.01 * 0.5, 'half-way down');
    close(warm.valueAt(1000), 0, 'the floor (alpha 0)');
  });

  test("oneCycle: PyTorch's two cosine phases, max/div → max → max/div/final", () => {
    const total = 100;
    const s = oneCycle({ maxLearningRate: 0.01, totalSteps: total, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 });
    const start = 0.01 / 25;
    const end = start / 1e4;
    const up = 0.3 * total - 1;
    const cosAnneal = (a: number, b: number, p: number): number => b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1);
    for (const i of [0, 1, 10, 28, 29, 30, 60, 98, 99]) {
      const want = i <= up ? cosAnneal(start, 0.01, i / up) : cosAnneal(0.01, end, (i - up) / (total - 1 - up));
      close(s.valueAt(i + 1), want, `i=${i}`);
    }
    close(s.valueAt(1), start, 'starts at max/div');
    close(s.valueAt(30), 0.01, 'peaks at pct·total − 1');
    close(s.valueAt(100), end, 'ends at max/div/final on the last step');
    close(s.valueAt(500), end, 'stays there after');
  });

  test('configs round-trip through scheduleFromConfig', () => {
    const all = [
      exponentialDecay({ initialLearningRate: 0.01, decaySteps: 7, decayRate: 0.9, staircase: true }),
      piecewiseConstantDecay({ boundaries: [3, 9], values: [0.1, 0.01, 0.001] }),
      cosineDecay({ initialLearningRate: 0.001, decaySteps: 50, alpha: 0.05, warmupTarget: 0.01, warmupSteps: 5 }),
      oneCycle({ maxLearningRate: 0.02, totalSteps: 40, pctStart: 0.25 }),
    ];
    for (const s of all) {
      const back = scheduleFromConfig({ class_name: s.className, config: s.config() });
      for (const step of [1, 2, 5, 6, 10, 30, 60]) assert.equal(back.valueAt(step), s.valueAt(step), `${s.className} step ${step}`);
    }
    assert.throws(() => scheduleFromConfig({ class_name: 'Warp', config: {} }), /schedule 'Warp' is not known/);
  });

  test('bad settings are refused, naming the setting', () => {
    assert.throws(() => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }), /decaySteps must be a whole number ≥ 1, got 0/);
    assert.throws(() => exponentialDecay({ initialLearningRate: -1, decaySteps: 1, decayRate: 0.5 }), /initialLearningRate must be a positive number/);
    assert.throws(() => piecewiseConstantDecay({ boundaries: [5, 5], values: [1, 2, 3] }), /boundaries must increase/);
    assert.throws(() => piecewiseConstantDecay({ boundaries: [5], values: [1] }), /one more value than boundaries/);
    assert.throws(() => cosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupSteps: 5 }), /warmupSteps needs a warmupTarget/);
    assert.throws(() => oneCycle({ maxLearningRate: 0.1, totalSteps: 10, pctStart: 1 }), /pctStart must be between 0 and 1/);
  });
});

describe('an optimizer with a schedule', () => {
  test("each step asks the schedule for its rate: after step s the optimizer's rate is valueAt(s)", () => {
    const model = sequential([layers.dense({ units: 3, inputShape: [4], activation: 'softmax' })], { seed: 3 });
    const sched = exponentialDecay({ initialLearningRate: 0.5, decaySteps: 1, decayRate: 0.5 });
    const opt = adam({ learningRate: sched });
    model.compile({ optimizer: opt, loss: 'categoricalCrossentropy', backend: referenceBackend() });
    const x = new Tensor(Float32Array.from({ length: 8 }, (_, i) => (i % 5) / 5), [2, 4]);
    const y = new Tensor(Float32Array.from([1, 0, 0, 0, 1, 0]), [2, 3]);
    const seen: number[] = [];
    for (let s = 0; s < 4; s++) {
      model.trainStep(x, y);
      seen.push(opt.learningRate);
    }
    assert.deepEqual(seen, [0.5, 0.25, 0.125, 0.0625]);
  });
});

describe('--schedule specs', () => {
  const o = { lr: 0.001, epochs: 8, batchesPerEpoch: 100 };

  test("'exponential,rate=0.7' is the old per-epoch decay: lr·0.7^epoch for every step of the epoch", () => {
    const { learningRate } = buildSchedule(parseSchedule('exponential,rate=0.7'), null, o);
    const s = learningRate as { valueAt(step: number): number };
    for (const [step, epoch] of [[1, 0], [100, 0], [101, 1], [250, 2], [800, 7]]) close(s.valueAt(step), 0.001 * 0.7 ** epoch, `step ${step}`);
  });

  test('step, cosine (warm-up in epochs), onecycle and plateau become their objects', () => {
    const step = buildSchedule(parseSchedule('step,every=3,factor=0.1'), null, o).learningRate as { valueAt(s: number): number };
    close(step.valueAt(300), 0.001, 'epoch 2');
    close(step.valueAt(301), 0.0001, 'epoch 3');
    const cos = buildSchedule(parseSchedule('cosine,warmup=1'), null, o).learningRate as { valueAt(s: number): number; className: string };
    assert.equal(cos.className, 'CosineDecay');
    close(cos.valueAt(1), 0, 'warm-up from 0');
    close(cos.valueAt(101), 0.001, 'the peak after one epoch');
    const one = buildSchedule(parseSchedule('onecycle,pct=0.25'), null, o).learningRate as { valueAt(s: number): number };
    close(one.valueAt(200), 0.001, 'the peak a quarter in');
    const model = { optimizer: adam({ learningRate: 0.001 }) };
    const plateau = buildSchedule(parseSchedule('plateau,factor=0.5,patience=3'), model, o);
    assert.equal(plateau.learningRate, 0.001);
    assert.equal(plateau.callback?.stateKey, 'reduceLROnPlateau');
    assert.equal(buildSchedule(parseSchedule('constant'), null, o).learningRate, 0.001);
  });

  test('an unknown schedule or parameter, or a value out of range, is a one-line error naming it', () => {
    assert.throws(() => parseSchedule('linear'), /^Error: --schedule: unknown schedule 'linear'; choose one of constant, exponential, step, cosine, onecycle, plateau$/);
    assert.throws(() => parseSchedule('cosine,warm=1'), /--schedule: 'cosine' has no parameter 'warm'; it takes warmup, alpha/);
    assert.throws(() => parseSchedule('exponential,rate=2'), /--schedule: rate=2 is out of range \(0\.01 to 1/);
    assert.throws(() => parseSchedule('step,every'), /--schedule: 'every' is not name=value/);
  });
});
