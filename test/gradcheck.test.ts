// Finite-difference gradient checks: every layer's input and weight gradients (each layer alone, its output
// projected on a fixed random vector), and both losses end to end through small models, on the reference
// backend. A wrong backward kernel, a missed ReLU mask or a misplaced padding offset fails here.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { layers, Random, referenceBackend, sequential, sgd, Tensor, type Backend, type Layer } from '../src/engine/index.js';
import type { RunContext } from '../src/engine/layers/layer.js';
import { gradCheck, positivity, project, type GradCheckOptions } from './helpers/gradcheck.js';
import { oneHotRows, randomLabels, randomTensor } from './helpers/random.js';

const backend = referenceBackend();
const shape = (s: readonly number[]): string => `[${s.join(',')}]`;

/**
 * Builds `layer` alone in a model (which binds its weights), then checks d(Σ r·layer(x))/dx and /dW.
 * A fresh generator with the same seed per forward pass keeps dropout's mask fixed across evaluations.
 */
function checkLayer(layer: Layer, xShape: number[], o: GradCheckOptions & { training?: boolean; lo?: number; backend?: Backend } = {}): void {
  const model = sequential([layer], { seed: 11 });
  const ctx = (): RunContext => ({ backend: o.backend ?? backend, training: o.training ?? true, rng: new Random(99), weightGrads: true });
  // Biases start at zero; give them values so that they matter to ReLU and softmax.
  model.params.set(randomTensor([model.params.length], 5, -0.5, 0.5).data);
  const x = randomTensor(xShape, 3, o.lo ?? -1, 1);
  const y0 = layer.forward(x, ctx());
  const r = randomTensor([...y0.shape], 4);
  let last = y0;
  const f = (): number => project((last = layer.forward(x, ctx())).data, r.data);
  const pattern = (): string => positivity(last.data);
  const opts = { ...o, pattern: hasRelu(layer) ? pattern : undefined };
  layer.forward(x, ctx());
  const dx = layer.backward(new Tensor(r.data.slice(), r.shape), ctx(), true);
  assert.ok(dx, `${layer.className}: backward returned no input gradient`);
  assert.deepEqual(dx.shape, x.shape, `${layer.className}: input gradient shape`);
  const dxCopy = dx.data.slice();
  const weightGrads = layer.grads.map((g) => g.slice());
  gradCheck(`${layer.className} dL/dx`, x.data, dxCopy, f, opts);
  model.weightSpecs.forEach((spec, k) => gradCheck(`${layer.className} dL/d${spec.name}`, layer.weights[k], weightGrads[k], f, opts));
}

function hasRelu(layer: Layer): boolean {
  return (layer instanceof layers.Conv2D || layer instanceof layers.Dense) && layer.activation === 'relu';
}

/** The ReLU pattern of every layer of `model` on x (inference mode). */
function modelPattern(model: ReturnType<typeof sequential>, x: Tensor): string {
  const ctx = { backend, training: false, rng: new Random(0), weightGrads: true };
  let out = x;
  let s = '';
  for (const layer of model.layers) {
    out = layer.forward(out, ctx);
    if (hasRelu(layer)) s += positivity(out.data);
  }
  return s;
}

describe('layer gradients (reference backend)', () => {
  const convCases: { x: number[]; k: number | [number, number]; filters: number; s: number | [number, number]; p: 'valid' | 'same'; act: 'relu' | 'linear' }[] = [
    { x: [2, 7, 7, 3], k: 3, filters: 4, s: 1, p: 'valid', act: 'linear' },
    { x: [2, 7, 7, 3], k: 3, filters: 4, s: 1, p: 'valid', act: 'relu' },
    { x: [2, 7, 7, 3], k: 3, filters: 4, s: 1, p: 'same', act: 'relu' },
    { x: [2, 7, 7, 3], k: 3, filters: 4, s: 2, p: 'valid', act: 'linear' },
    { x: [2, 7, 7, 3], k: 3, filters: 4, s: 2, p: 'same', act: 'relu' },
    // Even sizes with 'same': TensorFlow puts the odd padding pixel at the bottom/right.
    { x: [2, 6, 6, 2], k: 3, filters: 3, s: 2, p: 'same', act: 'linear' },
    { x: [1, 6, 6, 2], k: 2, filters: 3, s: 1, p: 'same', act: 'linear' },
    { x: [1, 5, 6, 2], k: [3, 2], filters: 2, s: [1, 2], p: 'same', act: 'relu' },
  ];
  for (const c of convCases) {
    const ks = typeof c.k === 'number' ? [c.k, c.k] : c.k;
    test(`conv2d x=${shape(c.x)} f=${shape([...ks, c.x[3], c.filters])} s=${c.s} p=${c.p} ${c.act}`, () => {
      checkLayer(layers.conv2d({ filters: c.filters, kernelSize: c.k, strides: c.s, padding: c.p, activation: c.act, inputShape: c.x.slice(1) }), c.x, { eps: 3e-3 });
    });
  }

  test('conv2d without bias x=[1,5,5,2] f=[3,3,2,2] p=valid', () => {
    checkLayer(layers.conv2d({ filters: 2, kernelSize: 3, useBias: false, inputShape: [5, 5, 2] }), [1, 5, 5, 2]);
  });

  const poolCases: { x: number[]; pool: number; s?: number; p: 'valid' | 'same' }[] = [
    { x: [2, 6, 6, 3], pool: 2, p: 'valid' },
    { x: [2, 7, 7, 2], pool: 2, p: 'valid' }, // the last row and column fall outside every window
    { x: [1, 7, 7, 2], pool: 3, s: 2, p: 'valid' }, // overlapping windows: gradients add
    { x: [2, 5, 5, 2], pool: 2, p: 'same' },
  ];
  for (const c of poolCases) {
    test(`maxPooling2d x=${shape(c.x)} pool=${c.pool} s=${c.s ?? c.pool} p=${c.p}`, () => {
      checkLayer(layers.maxPooling2d({ poolSize: c.pool, strides: c.s, padding: c.p, inputShape: c.x.slice(1) }), c.x, { eps: 1e-3 });
    });
  }

  test('flatten x=[2,3,4,5]', () => {
    checkLayer(layers.flatten({ inputShape: [3, 4, 5] }), [2, 3, 4, 5]);
  });

  for (const act of ['linear', 'relu', 'softmax'] as const) {
    test(`dense x=[4,12] units=5 ${act}`, () => {
      checkLayer(layers.dense({ units: 5, activation: act, inputShape: [12] }), [4, 12], { eps: 3e-3 });
    });
  }

  test('dense without bias x=[3,6] units=4 relu', () => {
    checkLayer(layers.dense({ units: 4, activation: 'relu', useBias: false, inputShape: [6] }), [3, 6], { eps: 3e-3 });
  });

  test('dropout rate=0.5 in training x=[3,20] (fixed mask)', () => {
    checkLayer(layers.dropout({ rate: 0.5, inputShape: [20] }), [3, 20]);
  });

  test('dropout mask zeroes about rate of the values and scales the rest by 1/(1-rate)', () => {
    const layer = layers.dropout({ rate: 0.25, inputShape: [400] });
    sequential([layer]);
    const x = randomTensor([5, 400], 8, 1, 2);
    const y = layer.forward(x, { backend, training: true, rng: new Random(3), weightGrads: true });
    let zeros = 0;
    for (let i = 0; i < y.size; i++) {
      if (y.data[i] === 0) zeros++;
      else assert.ok(Math.abs(y.data[i] - x.data[i] / 0.75) < 1e-6 * y.data[i], `kept value ${i} is ${y.data[i]}, expected ${x.data[i] / 0.75}`);
    }
    assert.ok(zeros > 0.2 * y.size && zeros < 0.3 * y.size, `dropped ${zeros} of ${y.size} values at rate 0.25`);
  });

  test("dropout's mask is the one next() per value would draw, and leaves the generator where those draws do", () => {
    for (const [n, rate] of [[1, 0.5], [1000, 0.25], [4099, 0.9], [7, 0]] as const) {
      const a = new Random(n), b = new Random(n);
      const keep = 1 / (1 - rate);
      const want = Float32Array.from({ length: n }, () => (a.next() < rate ? 0 : keep));
      const got = new Float32Array(n);
      b.lend((state) => backend.dropoutMask(state, got, rate, keep));
      assert.deepEqual(got, want, `n=${n} rate=${rate}`);
      assert.deepEqual([b.nextUint32(), b.nextUint32()], [a.nextUint32(), a.nextUint32()], `the generator after n=${n}`);
    }
  });

  test('dropout at inference is the identity, forward and backward', () => {
    const layer = layers.dropout({ rate: 0.5, inputShape: [10] });
    sequential([layer]);
    const ctx = { backend, training: false, rng: new Random(1), weightGrads: true };
    const x = randomTensor([2, 10], 1);
    assert.deepEqual(Array.from(layer.forward(x, ctx).data), Array.from(x.data));
    const dy = randomTensor([2, 10], 2);
    assert.deepEqual(Array.from(layer.backward(dy, ctx, true)!.data), Array.from(dy.data));
  });
});

describe('the checker itself', () => {
  // Gradient checks that cannot fail prove nothing: feed them kernels with classic bugs and expect failure.
  test('rejects a conv input gradient shifted by one pixel (a padding offset bug)', () => {
    const shifted: Backend = {
      ...backend,
      conv2dBackwardInput(dy, w, dx, g) {
        backend.conv2dBackwardInput(dy, w, dx, g);
        dx.copyWithin(0, g.c);
      },
    };
    const layer = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [6, 6, 2] });
    assert.throws(() => checkLayer(layer, [2, 6, 6, 2], { backend: shifted }), /Conv2D dL\/dx: gradient relative error/);
  });

  test('rejects a max-pool backward that routes every gradient to the window corner', () => {
    const corner: Backend = {
      ...backend,
      maxPool2dBackward(dy, _argmax, dx, g) {
        dx.fill(0, 0, g.n * g.h * g.w * g.c);
        let o = 0;
        for (let b = 0; b < g.n; b++)
          for (let y = 0; y < g.oh; y++)
            for (let x = 0; x < g.ow; x++)
              for (let ch = 0; ch < g.c; ch++) dx[((b * g.h + y * g.strideH) * g.w + x * g.strideW) * g.c + ch] += dy[o++];
      },
    };
    const layer = layers.maxPooling2d({ poolSize: 2, inputShape: [4, 4, 2] });
    assert.throws(() => checkLayer(layer, [1, 4, 4, 2], { backend: corner }), /MaxPooling2D dL\/dx: gradient relative error/);
  });
});

/** A small CNN with every layer kind the losses flow back through. */
function smallCnn(last: 'softmax' | 'linear' = 'softmax'): ReturnType<typeof sequential> {
  const model = sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 2] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 4, kernelSize: 2, strides: 1, padding: 'same', activation: 'relu' }),
    layers.flatten(),
    layers.dense({ units: 6, activation: 'relu' }),
    layers.dense({ units: 4, activation: last }),
  ], { seed: 21 });
  // Non-zero biases, so that their gradients are exercised from a generic point.
  for (const s of model.weightSpecs) {
    if (s.name.endsWith('/bias')) model.params.set(randomTensor(s.shape, s.offset, -0.1, 0.1).data, s.offset);
  }
  return model;
}

/** Checks the model's analytic parameter gradients, layer by layer, against central differences of `loss`. */
function checkParams(model: ReturnType<typeof sequential>, x: Tensor, analytic: Float32Array, loss: () => number): void {
  const pattern = (): string => modelPattern(model, x);
  for (const s of model.weightSpecs) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const view = model.params.subarray(s.offset, s.offset + size);
    gradCheck(`${s.name} ${shape(s.shape)}`, view, analytic.slice(s.offset, s.offset + size), loss, { eps: 3e-3, samples: 16, pattern });
  }
}

describe('loss gradients through a small CNN x=[4,8,8,2] (reference backend)', () => {
  const n = 4;
  const classes = 4;
  const x = randomTensor([n, 8, 8, 2], 31, 0, 1);
  const labels = randomLabels(n, classes, 32);

  test('categoricalCrossentropy: one-hot targets, every parameter array', () => {
    const model = smallCnn();
    model.compile({ optimizer: sgd(), loss: 'categoricalCrossentropy', backend });
    const y = new Tensor(oneHotRows(labels, classes), [n, classes]);
    model.lossAndGradients(x, y.data);
    checkParams(model, x, model.grads.slice(), () => model.evaluate(x, y).loss);
  });

  test('categoricalCrossentropy: soft targets (rows like [0.7,0.2,0.1,0])', () => {
    const model = smallCnn();
    model.compile({ optimizer: sgd(), loss: 'categoricalCrossentropy', backend });
    const soft = new Float32Array(n * classes);
    labels.forEach((l, i) => {
      soft[i * classes + l] = 0.7;
      soft[i * classes + ((l + 1) % classes)] = 0.2;
      soft[i * classes + ((l + 2) % classes)] = 0.1;
    });
    const y = new Tensor(soft, [n, classes]);
    model.lossAndGradients(x, y.data);
    checkParams(model, x, model.grads.slice(), () => model.evaluate(x, y).loss);
  });

  test('sparseCategoricalCrossentropy: gradient read back from one SGD step (lr 1, no momentum)', () => {
    const model = smallCnn();
    model.compile({ optimizer: sgd({ learningRate: 1 }), loss: 'sparseCategoricalCrossentropy', backend });
    const y = new Tensor(labels, [n]);
    const before = model.getWeights();
    const trainLoss = model.trainStep(x, y);
    const after = model.getWeights();
    const grad = before.map((b, i) => b - after[i]);
    model.setWeights(before);
    assert.ok(Math.abs(trainLoss - model.evaluate(x, y).loss) < 1e-6, 'trainStep returns the mean loss before the update');
    checkParams(model, x, grad, () => model.evaluate(x, y).loss);
  });

  test('fromLogits with a linear last layer gives the gradients of softmax cross-entropy', () => {
    const model = smallCnn('linear');
    model.compile({ optimizer: sgd(), loss: 'categoricalCrossentropy', fromLogits: true, backend });
    const y = new Tensor(oneHotRows(labels, classes), [n, classes]);
    model.lossAndGradients(x, y.data);
    checkParams(model, x, model.grads.slice(), () => model.evaluate(x, y).loss);
  });

  test('loss value is the mean of −log p(label), from predict in float64', () => {
    const model = smallCnn();
    model.compile({ optimizer: sgd(), loss: 'sparseCategoricalCrossentropy', backend });
    const p = model.predict(x).data;
    const want = labels.reduce((s, l, i) => s - Math.log(p[i * classes + l]), 0) / n;
    const got = model.evaluate(x, new Tensor(labels, [n])).loss;
    assert.ok(Math.abs(got - want) < 1e-5 * want, `loss ${got}, expected ${want}`);
    const summed = model.lossAndGradients(x, oneHotRows(labels, classes)).loss;
    assert.ok(Math.abs(summed - n * want) < 1e-5 * n * want, `lossAndGradients returns the summed loss: ${summed}, expected ${n * want}`);
  });
});
