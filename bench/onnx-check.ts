// The ONNX export's second opinion: writes every zoo model, the every-layer graph and the MLP of the export
// tests as .onnx files with digitnet's own probabilities and logits on real MNIST test images, then runs
// scripts/onnx_check.py on them (ONNX's checker with full_check, and onnxruntime's CPU provider).
// Usage: node dist/bench/onnx-check.js [--python PYTHON] [--out DIR] [--images N]
// PYTHON is a Python with the onnx, onnxruntime and numpy wheels (default python3).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor } from '../src/data/tensors.js';
import { selectBackend } from '../src/engine/backends/select.js';
import type { Model } from '../src/engine/index.js';
import { exportOnnx } from '../src/export/onnx.js';
import { everyLayerGraph, mlp, zooForExport } from '../test/helpers/onnx-models.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

selectBackend();
const out = arg('out', mkdtempSync(join(tmpdir(), 'digitnet-onnx-')));
const images = Number(arg('images', '100'));
const python = arg('python', 'python3');
mkdirSync(out, { recursive: true });
const x = imagesTensor(loadMnist().test, images);

function write(name: string, m: Model, layout: 'nhwc' | 'nchw' = 'nhwc'): void {
  const input = m.inputShape.length === 1 ? x.reshape([images, 784]) : x;
  const probabilities = Array.from(m.predict(input).data);
  m.forward(input, false);
  const logits = Array.from(m.outputLayer.softmaxLogits()!.data);
  const inputShape = m.inputShape.length === 1 ? [images, 784] : layout === 'nchw' ? [images, 1, 28, 28] : [images, 28, 28, 1];
  writeFileSync(join(out, `${name}.onnx`), exportOnnx(m, { inputLayout: layout }));
  writeFileSync(join(out, `${name}.input.f32`), new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength));
  writeFileSync(join(out, `${name}.json`), JSON.stringify({ inputShape, probabilities, logits }));
}

for (const name of ['seed', 'lenet5', 'vgg', 'resnet20']) write(name, zooForExport(name));
write('every_layer', everyLayerGraph());
write('mlp', mlp());
write('lenet5_nchw', zooForExport('lenet5'), 'nchw');
console.log(`wrote 7 models and digitnet's outputs on ${images} MNIST test images to ${out}`);
const script = fileURLToPath(new URL('../../scripts/onnx_check.py', import.meta.url));
const r = spawnSync(python, [script, out], { stdio: 'inherit' });
process.exit(r.status ?? 1);
