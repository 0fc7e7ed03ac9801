// Explanations on a small CNN trained on real MNIST: the saliency is the gradient of the class's logit
// (central differences on pixels agree), Grad-CAM follows its definition (α_k = mean gradient, ReLU of the
// weighted sum; on a global-average-pooling head it equals CAM computed from the dense weights), its heat map
// is the upsampled map over its maximum, and it points at the digit; the default Grad-CAM layer of each zoo
// model; feature maps and filters, and the sizes of their PNG grids; one-line errors.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor } from '../src/data/tensors.js';
import { layers, sequential, Tensor, type Model } from '../src/engine/index.js';
import { explain, saliencyMap, topClasses } from '../src/explain/explain.js';
import { convActivations, firstLayerFilters, type FeatureMaps } from '../src/explain/features.js';
import { featureMapGrid, filterGrid, GRID_GAP } from '../src/explain/figures.js';
import { gradCamLayer, upsampleBilinear } from '../src/explain/gradcam.js';
import { ZOO } from '../src/train/zoo/index.js';
import { positivity } from './helpers/gradcheck.js';
import { sharedFixtureRun, type SharedRun } from './helpers/trained-fixture.js';

const mnist = loadMnist();
let tmp: string;
let fx: SharedRun;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'digitnet-explain-'));
  fx = await sharedFixtureRun(join(tmp, 'run'));
});
after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

/** The logit of class c for x (the pre-softmax score), read after a forward pass. */
function logit(m: Model, x: Tensor, c: number): number {
  m.forward(x, false);
  return m.outputLayer.softmaxLogits()!.data[c];
}

/**
 * Where the model is not differentiable: which ReLUs are on, and which cell wins each 2x2 max-pool window (on
 * the black background whole windows tie). A step that changes this pattern crosses a kink, where a central
 * difference means nothing.
 */
function kinks(m: Model, x: Tensor): () => string {
  return () => convActivations(m, x).map((a) => positivity(a.data) + poolWinners(a)).join('|');
}

function poolWinners(a: FeatureMaps): string {
  let s = '';
  for (let y = 0; y + 1 < a.height; y += 2) {
    for (let x = 0; x + 1 < a.width; x += 2) {
      for (let c = 0; c < a.channels; c++) {
        const at = (dy: number, dx: number): number => a.data[((y + dy) * a.width + x + dx) * a.channels + c];
        const cells = [at(0, 0), at(0, 1), at(1, 0), at(1, 1)];
        s += cells.indexOf(Math.max(...cells));
      }
    }
  }
  return s;
}

/**
 * Central differences of the class logit on the given pixels against the analytic gradient. A step of 1e-2,
 * or 2e-3 where a kink lies within the first; a pixel with a kink within both is skipped. The tolerance is 1%
 * (judged against 1% of the largest gradient for near-zero entries) plus what float32 rounding of the logit
 * (4 units in the last place) does to the quotient. Returns how many pixels were checked.
 */
function checkPixels(m: Model, x: Tensor, c: number, gradient: Float32Array, pixels: number[]): number {
  const pattern = kinks(m, x);
  const f = (): number => logit(m, x, c);
  const z = f();
  const base = pattern();
  const floor = 0.01 * Math.max(...gradient.map(Math.abs));
  let checked = 0;
  for (const i of pixels) {
    const v = x.data[i];
    for (const step of [1e-2, 2e-3]) {
      x.data[i] = v + step;
      const [hi, fHi, pHi] = [x.data[i], f(), pattern()];
      x.data[i] = v - step;
      const [lo, fLo, pLo] = [x.data[i], f(), pattern()];
      x.data[i] = v;
      if (pHi !== base || pLo !== base) continue;
      const numeric = (fHi - fLo) / (hi - lo);
      const a = gradient[i];
      const rounding = (4 * Math.abs(z) * 2 ** -23) / (hi - lo);
      const allowed = 0.01 * Math.max(Math.abs(a), Math.abs(numeric), floor) + rounding;
      assert.ok(Math.abs(a - numeric) <= allowed, `pixel ${i} (row ${Math.floor(i / 28)}, column ${i % 28}), step ${step}: analytic ${a}, numeric ${numeric}`);
      checked++;
      break;
    }
  }
  return checked;
}

/** The `k` most salient pixels and `k` more of the ink chosen by a fixed stride. */
function pixelsToCheck(saliency: Float32Array, image: Float32Array, k: number): number[] {
  const top = Array.from(saliency, (v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, k).map((p) => p[1]);
  const ink = Array.from(image, (v, i) => [v, i]).filter(([v, i]) => v > 0.1 && !top.includes(i)).map((p) => p[1]);
  return [...top, ...ink.filter((_, j) => j % Math.max(1, Math.floor(ink.length / k)) === 0).slice(0, k)];
}

describe('saliency', () => {
  test('the gradient of the predicted class logit matches central differences on pixels (the most salient and random ones)', () => {
    const x = imagesTensor(mnist.test, 1, 3);
    const [e] = explain(fx.model, x);
    assert.equal(e.classIndex, e.top[0].index);
    assert.equal(e.classIndex, mnist.test.labels[3], 'the fixture reads this digit right');
    const pixels = pixelsToCheck(e.saliency, x.data, 10);
    const checked = checkPixels(fx.model, x, e.classIndex, e.gradient, pixels);
    assert.ok(checked >= 10, `${checked} of ${pixels.length} pixels away from kinks`);
    assert.deepEqual(e.saliency, e.gradient.map(Math.abs), 'one channel: the saliency is |gradient|');
  });

  test('another class can be explained; a batch gives each image what it gets alone', () => {
    const x = imagesTensor(mnist.test, 4, 10);
    const batch = explain(fx.model, x, { classIndex: [1, 2, 3, 4] });
    batch.forEach((e, r) => {
      const one = explain(fx.model, x.slice0(r, r + 1).reshape([1, 28, 28, 1]), { classIndex: r + 1 })[0];
      assert.equal(e.classIndex, r + 1);
      for (let i = 0; i < 784; i++) assert.ok(Math.abs(e.gradient[i] - one.gradient[i]) <= 1e-5 * (1 + Math.abs(one.gradient[i])), `image ${r}, pixel ${i}`);
      assert.deepEqual(e.gradCam!.weights.length, one.gradCam!.weights.length);
    });
    // Class 1 for the first image (not its predicted class): the gradient of that logit.
    const x1 = new Tensor(x.data.slice(0, 784), [1, 28, 28, 1]);
    // Candidates enough that at least 6 sit away from ReLU and pooling kinks, whatever the fixture learned.
    const checked = checkPixels(fx.model, x1, 1, batch[0].gradient, pixelsToCheck(batch[0].saliency, x1.data, 16));
    assert.ok(checked >= 6, `${checked} pixels checked`);
  });

  test('top classes and the saliency map over channels', () => {
    assert.deepEqual(topClasses([0.1, 0.5, 0.05, 0.35], 3).map((c) => c.index), [1, 3, 0]);
    assert.deepEqual(Array.from(saliencyMap(new Float32Array([1, -3, 0.5, 2, -0.25, 0]), 3)), [3, 2]);
  });
});

describe('Grad-CAM', () => {
  test('shape, non-negativity, and the heat map is the upsampled map divided by its maximum', () => {
    const x = imagesTensor(mnist.test, 8);
    for (const e of explain(fx.model, x)) {
      const g = e.gradCam!;
      assert.equal(g.layer, 'conv2d_1');
      assert.deepEqual([g.height, g.width, g.weights.length, g.map.length], [11, 11, 16, 121]);
      assert.deepEqual([g.heatmapHeight, g.heatmapWidth, g.heatmap.length], [28, 28, 784]);
      assert.ok(g.map.every((v) => v >= 0) && g.heatmap.every((v) => v >= 0 && v <= 1));
      const up = upsampleBilinear(g.map, 11, 11, 28, 28);
      const max = Math.max(...up);
      if (max === 0) {
        assert.ok(g.heatmap.every((v) => v === 0));
        continue;
      }
      assert.equal(Math.max(...g.heatmap), 1);
      for (let i = 0; i < 784; i++) assert.ok(Math.abs(g.heatmap[i] - up[i] / max) < 1e-6);
    }
  });

  test('weights are the mean gradient of the feature maps: on a global-average-pooling head Grad-CAM is CAM (weights = dense kernel / cells)', () => {
    const m = sequential([
      layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 1] }),
      layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu', name: 'maps' }),
      layers.globalAveragePooling2d(),
      layers.dense({ units: 5, activation: 'softmax', name: 'head' }),
    ], { seed: 21 });
    const x = new Tensor(Float32Array.from({ length: 2 * 144 }, (_, i) => ((i * 7919) % 101) / 101), [2, 12, 12, 1]);
    const es = explain(m, x, { classIndex: [1, 3] });
    const acts = m.activations(x, ['maps']).maps;
    const kernel = m.getLayer('head').weights[0]; // (6, 5)
    es.forEach((e, r) => {
      const g = e.gradCam!;
      assert.equal(g.layer, 'maps');
      const cells = g.height * g.width;
      assert.equal(cells, 16); // 12 → 10 (3x3 valid) → 4 (3x3, stride 2)
      for (let k = 0; k < 6; k++) assert.ok(Math.abs(g.weights[k] - kernel[k * 5 + e.classIndex] / cells) < 1e-6, `α_${k}`);
      for (let p = 0; p < cells; p++) {
        let s = 0;
        for (let k = 0; k < 6; k++) s += (kernel[k * 5 + e.classIndex] / cells) * acts.data[(r * cells + p) * 6 + k];
        assert.ok(Math.abs(g.map[p] - Math.max(0, s)) < 1e-6, `cell ${p}: ${g.map[p]} vs ReLU(${s})`);
      }
    });
  });

  test('bilinear upsampling with half-pixel centres: a 2x2 map to 4x4, and a constant stays constant', () => {
    const up = Array.from(upsampleBilinear(new Float32Array([0, 1, 2, 3]), 2, 2, 4, 4));
    assert.deepEqual(up, [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
    assert.ok(upsampleBilinear(new Float32Array(121).fill(0.3), 11, 11, 28, 28).every((v) => Math.abs(v - 0.3) < 1e-7));
  });

  test('it points at the digit: most of its mass inside the bounding box of the ink, on real test digits', (t) => {
    const n = 200;
    const x = imagesTensor(mnist.test, n, 200);
    const es = explain(fx.model, x);
    const inside: number[] = [];
    const areas: number[] = [];
    es.forEach((e, r) => {
      if (e.classIndex !== mnist.test.labels[200 + r]) return;
      const px = x.data.subarray(r * 784, (r + 1) * 784);
      const box = inkBox(px);
      let all = 0;
      let within = 0;
      e.gradCam!.heatmap.forEach((v, i) => {
        all += v;
        if (inBox(box, i % 28, Math.floor(i / 28))) within += v;
      });
      if (all > 0) inside.push(within / all);
      areas.push(((box.x1 - box.x0 + 1) * (box.y1 - box.y0 + 1)) / 784);
    });
    const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
    const share = mean(inside);
    const area = mean(areas);
    t.diagnostic(`Grad-CAM over ${es[0].gradCam!.layer}: ${(share * 100).toFixed(1)}% of the mass inside the ink's box (boxes cover ${(area * 100).toFixed(1)}% of the image); ${areas.length - inside.length} of ${areas.length} maps all zero`);
    assert.ok(inside.length >= 0.6 * areas.length, `${inside.length} of ${areas.length} correctly read digits have a non-zero Grad-CAM`);
    assert.ok(share > 0.5, `on average ${(share * 100).toFixed(1)}% of Grad-CAM's mass is inside the digit's box`);
    assert.ok(share > 1.2 * area, `${(share * 100).toFixed(1)}% inside boxes that cover ${(area * 100).toFixed(1)}% of the image: more than an even spread would put there`);
  });

  test('the default layer of each zoo model: the last convolution, after the normalization, activation and addition that follow it', () => {
    const want: Record<string, string> = { seed: 'Conv2D', lenet5: 'Conv2D', vgg: 'ReLU', resnet20: 'ReLU' };
    for (const [name, make] of Object.entries(ZOO)) {
      const m = make({ seed: 1 });
      const layer = gradCamLayer(m)!;
      assert.equal(layer.className, want[name], name);
      const convs = m.layers.filter((l) => l.className === 'Conv2D');
      const after = m.layers.slice(m.layers.indexOf(convs[convs.length - 1]) + 1, m.layers.indexOf(layer) + 1).map((l) => l.className);
      assert.ok(after.every((c) => ['BatchNormalization', 'ReLU', 'Add'].includes(c)), `${name}: ${after}`);
      assert.equal(layer.outputShape.length, 3);
      if (name === 'resnet20') assert.deepEqual(after, ['BatchNormalization', 'Add', 'ReLU']);
    }
    assert.equal(gradCamLayer(sequential([layers.flatten({ inputShape: [28, 28, 1] }), layers.dense({ units: 10, activation: 'softmax' })])), null);
  });
});

describe('feature maps and filters', () => {
  test("every convolution's feature maps, and their grid's size", () => {
    const x = imagesTensor(mnist.test, 1);
    const maps = convActivations(fx.model, x);
    assert.deepEqual(maps.map((m) => [m.layer, m.height, m.width, m.channels]), [['conv2d', 26, 26, 8], ['conv2d_1', 11, 11, 16]]);
    assert.deepEqual(maps[1].data, fx.model.activations(x, ['conv2d_1']).conv2d_1.data);
    const grid = featureMapGrid(maps[0], 4); // 8 channels of 26x26 enlarged 4 times, one row of 8
    assert.deepEqual([grid.width, grid.height, grid.channels], [8 * 104 + 9 * GRID_GAP, 104 + 2 * GRID_GAP, 1]);
    const grid2 = featureMapGrid(maps[1], 4); // 16 channels: two rows
    assert.deepEqual([grid2.width, grid2.height], [8 * 44 + 9 * GRID_GAP, 2 * 44 + 3 * GRID_GAP]);
  });

  test('the first layer filters are its kernel, one per filter; the grid has one 3x3 tile per filter', () => {
    const f = firstLayerFilters(fx.model);
    assert.deepEqual([f.layer, f.kernelHeight, f.kernelWidth, f.inChannels, f.count], ['conv2d', 3, 3, 1, 8]);
    const k = fx.model.getLayer('conv2d').weights[0];
    for (let j = 0; j < 8; j++) for (let i = 0; i < 9; i++) assert.equal(f.kernels[j][i], k[i * 8 + j]);
    const grid = filterGrid(f, 8);
    assert.deepEqual([grid.width, grid.height], [8 * 24 + 9 * GRID_GAP, 24 + 2 * GRID_GAP]);
    const seed = filterGrid(firstLayerFilters(ZOO.seed({ seed: 1 })), 8); // 32 filters: 4 rows of 8
    assert.deepEqual([seed.width, seed.height], [210, 106]);
    const lenet = filterGrid(firstLayerFilters(ZOO.lenet5({ seed: 1 })), 8); // 6 filters of 5x5: one row of 6
    assert.deepEqual([lenet.width, lenet.height], [6 * 40 + 7 * GRID_GAP, 40 + 2 * GRID_GAP]);
  });

  test('errors name the layer or the class', () => {
    const x = imagesTensor(mnist.test, 1);
    assert.throws(() => explain(fx.model, x, { layer: 'dense' }), { message: "explain: Grad-CAM needs feature maps [null,h,w,channels], but layer 'dense' outputs [null,10]" });
    assert.throws(() => explain(fx.model, x, { layer: 'nope' }), { message: /^getLayer: model 'fixture_cnn' has no layer 'nope'; its layers are / });
    assert.throws(() => explain(fx.model, x, { classIndex: 10 }), { message: "explain: class 10 is not one of the model's classes 0..9" });
    const mlp = sequential([layers.flatten({ inputShape: [28, 28, 1] }), layers.dense({ units: 10, activation: 'softmax' })], { seed: 1 });
    assert.throws(() => firstLayerFilters(mlp), { message: "explain: model 'sequential' has no Conv2D layer, so no filters to show" });
    assert.equal(explain(mlp, x)[0].gradCam, null);
  });
});

function inkBox(px: Float32Array): { x0: number; x1: number; y0: number; y1: number } {
  const b = { x0: 28, x1: -1, y0: 28, y1: -1 };
  px.forEach((v, i) => {
    if (v <= 0) return;
    const [x, y] = [i % 28, Math.floor(i / 28)];
    b.x0 = Math.min(b.x0, x);
    b.x1 = Math.max(b.x1, x);
    b.y0 = Math.min(b.y0, y);
    b.y1 = Math.max(b.y1, y);
  });
  return b;
}

function inBox(b: { x0: number; x1: number; y0: number; y1: number }, x: number, y: number): boolean {
  return x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1;
}
