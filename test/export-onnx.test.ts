// ONNX export, checked by running the files: every zoo model, a graph that uses every converter, an MLP and a
// trained model exported through the CLI are loaded in onnxruntime-web (its WebAssembly backend, from the
// package's own .wasm files) and run on real MNIST test images; probabilities agree with digitnet's within
// 1e-4 and logits within 1e-4 of their scale. Also: the declared input and outputs (symbolic batch, NHWC or
// NCHW), the protobuf varints, and the one-line errors.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { loadMnist } from '../src/data/mnist.js';
import { selectBackend } from '../src/engine/backends/select.js';
import { imagesTensor } from '../src/data/tensors.js';
import { Layer, sequential, layers, Tensor, type Model } from '../src/engine/index.js';
import { exportOnnx, onnxModel } from '../src/export/onnx.js';
import { registerOnnxConverter } from '../src/export/onnx-layers.js';
import { varint } from '../src/export/protobuf.js';
import { everyLayerGraph, mlp, zooForExport } from './helpers/onnx-models.js';
import { trainFixtureRun, type FixtureRun } from './helpers/server-fixture.js';

ort.env.wasm.numThreads = 1;
selectBackend(); // digitnet's side on the native backend when it loads (the models take it when built)
const IMAGES = 32;
const test10k = loadMnist().test;
const x = imagesTensor(test10k, IMAGES, 100);

async function runOnnx(bytes: Uint8Array, input: Tensor, shape = input.shape): Promise<{ probabilities: ort.Tensor; logits: ort.Tensor; session: ort.InferenceSession }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const out = await session.run({ input: new ort.Tensor('float32', input.data, [...shape]) });
  return { probabilities: out.probabilities, logits: out.logits, session };
}

/** The pre-softmax scores digitnet computes (the output layer's softmax logits). */
function digitnetLogits(m: Model, input: Tensor): Float32Array {
  m.forward(input, false);
  return m.outputLayer.softmaxLogits()!.data.slice();
}

/** Probabilities within 1e-4 absolute; logits within 1e-4 of the largest |logit|; and the logits vary enough to tell a wrong graph. */
function assertAgrees(what: string, got: { probabilities: ort.Tensor; logits: ort.Tensor }, m: Model, input: Tensor): void {
  const probs = m.predict(input).data;
  const logits = digitnetLogits(m, input);
  assert.deepEqual(got.probabilities.dims, [input.shape[0], 10], `${what}: probabilities' shape`);
  assert.deepEqual(got.logits.dims, [input.shape[0], 10], `${what}: logits' shape`);
  const p = got.probabilities.data as Float32Array;
  const l = got.logits.data as Float32Array;
  let worstP = 0;
  let worstL = 0;
  let scale = 0;
  for (let i = 0; i < probs.length; i++) {
    worstP = Math.max(worstP, Math.abs(p[i] - probs[i]));
    worstL = Math.max(worstL, Math.abs(l[i] - logits[i]));
    scale = Math.max(scale, Math.abs(logits[i]));
  }
  assert.ok(worstP <= 1e-4, `${what}: probabilities differ by up to ${worstP.toExponential(2)}`);
  assert.ok(worstL <= 1e-4 * Math.max(1, scale), `${what}: logits differ by up to ${worstL.toExponential(2)} (scale ${scale.toFixed(2)})`);
  // The comparison means something only if the outputs depend on the image: spread of one logit across images.
  if (input.shape[0] === 1) return;
  const first = Array.from({ length: input.shape[0] }, (_, r) => logits[r * 10]);
  const spread = Math.max(...first) - Math.min(...first);
  assert.ok(spread > 1e-2, `${what}: logits barely vary across images (spread ${spread})`);
}

describe('every zoo model runs in onnxruntime-web as in digitnet', () => {
  for (const name of ['seed', 'lenet5', 'vgg', 'resnet20']) {
    test(`${name}: probabilities and logits on ${IMAGES} MNIST test images`, async () => {
      const m = zooForExport(name);
      const out = await runOnnx(exportOnnx(m), x);
      assert.deepEqual(out.session.inputNames, ['input']);
      assert.deepEqual(out.session.outputNames, ['probabilities', 'logits']);
      assertAgrees(name, out, m, x);
    });
  }
});

describe('graphs', () => {
  test('every converter in one graph (Concatenate, AveragePooling same, LeakyReLU, Average, Add of three, BN after Dense, ...)', async () => {
    const m = everyLayerGraph();
    const classes = new Set(m.layers.map((l) => l.className));
    for (const c of ['Concatenate', 'AveragePooling2D', 'LeakyReLU', 'Average', 'Add', 'MaxPooling2D', 'BatchNormalization', 'GlobalAveragePooling2D', 'Dropout', 'Activation', 'ReLU', 'Flatten']) {
      assert.ok(classes.has(c), `the graph uses ${c}`);
    }
    assertAgrees('every_layer', await runOnnx(exportOnnx(m), x), m, x);
  });

  test('a batch of one and a full batch run through the same file (symbolic batch dimension)', async () => {
    const m = zooForExport('seed');
    const bytes = exportOnnx(m);
    const one = x.slice0(7, 8);
    assertAgrees('batch of 1', await runOnnx(bytes, one), m, one.reshape([1, 28, 28, 1]));
    const decl = onnxModel(m).graph;
    assert.deepEqual(decl.inputs[0].shape, ['batch', 28, 28, 1]);
    assert.deepEqual(decl.outputs.map((o) => [o.name, o.shape]), [['probabilities', ['batch', 10]], ['logits', ['batch', 10]]]);
    assert.equal(decl.nodes[0].opType, 'Transpose', 'NHWC input transposed to NCHW first');
    assert.deepEqual(decl.nodes[0].attributes, { perm: [0, 3, 1, 2] });
  });

  test("inputLayout 'nchw' declares [batch,c,h,w] and needs no Transpose: same answers for transposed images", async () => {
    const m = zooForExport('lenet5');
    const decl = onnxModel(m, { inputLayout: 'nchw' }).graph;
    assert.deepEqual(decl.inputs[0].shape, ['batch', 1, 28, 28]);
    assert.notEqual(decl.nodes[0].opType, 'Transpose');
    // For one channel NHWC and NCHW hold the same bytes; only the declared shape differs.
    assertAgrees('nchw', await runOnnx(exportOnnx(m, { inputLayout: 'nchw' }), x, [IMAGES, 1, 28, 28]), m, x);
  });

  test('an MLP on flat 784-pixel vectors (BatchNormalization on [batch,features])', async () => {
    const m = mlp();
    const flat = x.reshape([IMAGES, 784]);
    assertAgrees('mlp', await runOnnx(exportOnnx(m), flat), m, flat);
  });

  test('a model that outputs logits gets a Softmax appended; its logits are the model output', async () => {
    const m = sequential([layers.flatten({ inputShape: [28, 28, 1] }), layers.dense({ units: 10 })], { seed: 9 });
    const out = await runOnnx(exportOnnx(m), x);
    const logits = m.predict(x).data;
    const l = out.logits.data as Float32Array;
    const p = out.probabilities.data as Float32Array;
    for (let r = 0; r < IMAGES; r++) {
      const row = Array.from(logits.subarray(r * 10, r * 10 + 10));
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      row.forEach((v, j) => {
        assert.ok(Math.abs(l[r * 10 + j] - v) <= 1e-4, `logit ${r},${j}`);
        assert.ok(Math.abs(p[r * 10 + j] - Math.exp(v) / z) <= 1e-4, `probability ${r},${j}`);
      });
    }
  });
});

describe('errors and encoding', () => {
  class Square extends Layer {
    readonly className: string = 'Square';
    constructor() {
      super('square', undefined);
    }
    protected computeOutputShape(s: readonly number[]): number[] {
      return [...s];
    }
    forward(t: Tensor): Tensor {
      return new Tensor(t.data.map((v) => v * v), t.shape);
    }
    backward(): null {
      return null;
    }
    config(): Record<string, unknown> {
      return {};
    }
  }

  test('a layer ONNX cannot express is a one-line error naming it', () => {
    const m = sequential([layers.flatten({ inputShape: [28, 28, 1] }), new Square(), layers.dense({ units: 10, activation: 'softmax' })], { seed: 1 });
    assert.throws(() => exportOnnx(m), (e: Error) => {
      assert.match(e.message, /^export: layer 'square' \(Square\) cannot be expressed in ONNX .*layers that export: Activation, Add, /);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  });

  test('a converter registered for a new layer class makes it export', async () => {
    class Squared extends Square {
      override readonly className: string = 'Squared';
    }
    const m = sequential([layers.flatten({ inputShape: [28, 28, 1] }), new Squared(), layers.dense({ units: 10, activation: 'softmax' })], { seed: 1 });
    registerOnnxConverter('Squared', (layer, [v], g) => ({ name: g.node('Mul', [v.name, v.name], layer.name), rank: v.rank }));
    assertAgrees('square', await runOnnx(exportOnnx(m), x), m, x);
  });

  test('a model that is not a classifier is refused in one line', () => {
    const sig = sequential([layers.flatten({ inputShape: [28, 28, 1] }), layers.dense({ units: 10, activation: 'sigmoid' })], { seed: 1 });
    assert.throws(() => exportOnnx(sig), { message: /^export: model 'sequential' ends in 'sigmoid' \(layer 'dense'\); ONNX export needs a classifier/ });
    const maps = sequential([layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [28, 28, 1] })], { seed: 1 });
    assert.throws(() => exportOnnx(maps), { message: /^export: model 'sequential' outputs \[null,26,26,2\]; ONNX export needs a classifier's \[null,classes\]$/ });
  });

  test('varints as protobuf writes them (300, 2^35, -1 as ten bytes)', () => {
    assert.deepEqual([...varint(300n)], [0xac, 0x02]);
    assert.deepEqual([...varint(2n ** 35n)], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    assert.deepEqual([...varint(BigInt.asUintN(64, -1n))], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

describe('digitnet export, as a process', () => {
  const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  let tmp: string;
  let fixture: FixtureRun;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'digitnet-export-'));
    fixture = await trainFixtureRun(join(tmp, 'run'), { trainImages: 2000, epochs: 1 });
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));
  const cli = (args: string[]): { code: number; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, DIGITNET_QUIET: '1' } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  test('a trained run exported to model.onnx answers as the run does; --format tfjs writes a loadable folder', async () => {
    const r = cli(['export', 'run', '--format', 'onnx', '--out', 'out/model.onnx']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ONNX model written to out\/model\.onnx \([\d.]+ KiB, opset 13\)$/m);
    assert.match(r.stdout, /input 'input' float32 \[batch,28,28,1\], pixels \/ 255; outputs 'probabilities' and 'logits' \[batch,10\]/);
    const out = await runOnnx(readFileSync(join(tmp, 'out', 'model.onnx')), x);
    assertAgrees('cli export', out, fixture.model, x);
    const t = cli(['export', 'run', '--format', 'tfjs', '--out', 'tfjs-copy']);
    assert.equal(t.code, 0, t.stderr);
    const { loadModel } = await import('../src/engine/io/files.js');
    const copy = await loadModel(join(tmp, 'tfjs-copy'));
    assert.deepEqual(copy.predict(x).data, fixture.model.predict(x).data);
  });

  test('bad arguments are one-line errors', () => {
    const missing = cli(['export', 'nowhere', '--out', 'x.onnx']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'digitnet: nowhere: no such model or run folder');
    const folder = cli(['export', 'run', '--out', 'run']);
    assert.equal(folder.code, 1);
    assert.match(folder.stderr.trim(), /^digitnet: --out run: is a folder; give the path of the \.onnx file to write$/);
  });
});
