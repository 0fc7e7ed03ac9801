// The command line run as a user runs it: a real `node dist/src/cli/main.js` process in a temporary folder,
// on real MNIST images. One short training run (2,000 images, one epoch) is evaluated, predicted on PNG
// and JPEG files written from MNIST test images, and its report rebuilt; the CSV route is run from an
// export; and errors come back as `digitnet: message` with exit code 1.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { encodeGrayPng } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import type { MetricsJson } from '../src/train/run-files.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/digitnet.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'digitnet-cli-'));
const RUN = join(cwd, 'run');
const mnist = loadMnist();

function digitnet(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  // The engine names its backend on stderr once; what follows is the command's own output.
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.replace(/^digitnet: backend .*\n/m, '') };
}

function ok(args: string[]): string {
  const r = digitnet(args);
  assert.equal(r.code, 0, `digitnet ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Fails with exactly `digitnet: <message>` on stderr, exit code 1, no stack trace. */
function fails(args: string[], message: RegExp): void {
  const r = digitnet(args);
  assert.equal(r.code, 1, `expected exit code 1, got ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /^digitnet: /);
  assert.match(r.stderr.split('\n')[0].slice('digitnet: '.length), message);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;
let trainOut = '';

before(() => {
  trainOut = ok(['train', '--limit', '2000', '--test-limit', '500', '--epochs', '1', '--batch-size', '32', '--out', 'run']);
});

test('train prints an epoch line and writes the model, history, metrics, figures and report', () => {
  assert.match(trainOut, /^Data: 1,800 training, 200 validation, 500 test images/m);
  assert.match(trainOut, /^Epoch 1\/1 - [\d.]+ s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - lr: \d\.\d\de[-+]\d$/m);
  assert.match(trainOut, /^Test accuracy: \d+\.\d\d%, test loss: \d\.\d{4}$/m);
  assert.match(trainOut, /^Run written to run\/$/m);
  for (const f of ['model/model.json', 'model/weights.bin', 'history.json', 'history.csv', 'metrics.json', 'run.json', 'report.html']) {
    assert.ok(existsSync(join(RUN, f)), `${f} is missing`);
  }
  for (const name of ['loss', 'accuracy', 'learning-rate', 'confusion', 'per-class', 'samples', 'misclassified']) {
    assert.match(readFileSync(join(RUN, 'figures', `${name}.svg`), 'utf8'), /<svg/);
    const png = PNG.sync.read(readFileSync(join(RUN, 'figures', `${name}.png`)));
    assert.ok(png.width > 300 && png.height > 200, `${name}.png is ${png.width}x${png.height}`);
  }
  const h = readJson<{ epoch: number[]; loss: number[]; val_accuracy: number[] }>(join(RUN, 'history.json'));
  assert.deepEqual(h.epoch, [0]);
  assert.equal(h.val_accuracy.length, 1);
  const csv = readFileSync(join(RUN, 'history.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate');
  // The default schedule is a cosine from 2e-3 to 0: the rate at the epoch's last step is near 0.
  const lr = Number(csv[1].split(',')[6]);
  assert.ok(lr > 0 && lr < 1e-4, `learning rate ${lr}`);
  assert.equal(Number(csv[1].split(',')[1]), h.loss[0]);
  const model = readJson<{ format: string; weightsManifest: unknown[] }>(join(RUN, 'model', 'model.json'));
  assert.equal(model.format, 'layers-model');
});

test('metrics.json holds the test metrics, consistent with each other', () => {
  const { test: t } = readJson<MetricsJson>(join(RUN, 'metrics.json'));
  assert.equal(t.confusionMatrix.length, 10);
  assert.ok(t.confusionMatrix.every((row) => row.length === 10));
  const total = t.confusionMatrix.flat().reduce((a, b) => a + b, 0);
  assert.equal(total, 500);
  const diagonal = t.confusionMatrix.reduce((s, row, i) => s + row[i], 0);
  assert.equal(t.accuracy, diagonal / 500);
  assert.ok(t.accuracy > 0.75, `a 2,000-image epoch should pass 75%, got ${t.accuracy}`);
  assert.ok(t.loss > 0 && t.loss < 1.5);
  assert.equal(t.perClass.length, 10);
  t.perClass.forEach((c, i) => {
    assert.deepEqual(Object.keys(c).sort(), ['f1', 'label', 'precision', 'recall', 'support']);
    assert.equal(c.label, i);
    assert.equal(c.support, t.confusionMatrix[i].reduce((a, b) => a + b, 0));
    assert.equal(c.support, mnist.test.labels.subarray(0, 500).filter((l) => l === i).length);
  });
  for (const avg of [t.macroAvg, t.weightedAvg]) assert.deepEqual(Object.keys(avg).sort(), ['f1', 'precision', 'recall', 'support']);
});

test('evaluate prints accuracy, loss, the confusion matrix and a scikit-learn style report matching metrics.json', () => {
  const out = ok(['evaluate', '--model', 'run', '--limit', '500']);
  const { test: t } = readJson<MetricsJson>(join(RUN, 'metrics.json'));
  assert.match(out, new RegExp(`^Test accuracy: ${(t.accuracy * 100).toFixed(2)}%`, 'm'));
  assert.match(out, new RegExp(`^Test loss: ${t.loss.toFixed(4)}$`, 'm'));
  assert.match(out, /^actual \\ predicted\s+0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9$/m);
  const zeroRow = out.split('\n').find((l) => /^\s+0\s+\d/.test(l))!;
  assert.deepEqual(zeroRow.trim().split(/\s+/).slice(1).map(Number), t.confusionMatrix[0]);
  assert.match(out, /^ {14}precision {4}recall {2}f1-score {3}support$/m);
  assert.match(out, new RegExp(`^ {11}7 {7}${t.perClass[7].precision.toFixed(2)} {6}${t.perClass[7].recall.toFixed(2)}`, 'm'));
  assert.match(out, new RegExp(`^ {4}accuracy {27}${t.accuracy.toFixed(2)} {7}500$`, 'm'));
  assert.match(out, /^ {3}macro avg {7}\d\.\d\d {6}\d\.\d\d {6}\d\.\d\d {7}500$/m);
  assert.match(out, /^weighted avg {7}\d\.\d\d {6}\d\.\d\d {6}\d\.\d\d {7}500$/m);
  const json = JSON.parse(ok(['evaluate', '--model', join(RUN, 'model'), '--limit', '500', '--json'])) as MetricsJson;
  assert.deepEqual(json.test.confusionMatrix, t.confusionMatrix);
  assert.deepEqual(json.test.perClass, t.perClass);
  assert.equal(json.test.accuracy, t.accuracy);
});

test('predict on PNG and JPEG files made from MNIST test images agrees with the CSV rows and the labels', () => {
  const n = 24;
  const imgDir = join(cwd, 'digits');
  mkdirSync(imgDir, { recursive: true });
  const labels = Array.from(mnist.test.labels.subarray(0, n));
  for (let k = 0; k < n; k++) {
    const src = mnist.test.images.subarray(k * 784, (k + 1) * 784);
    if (k % 3 === 0) writeFileSync(join(imgDir, `${k}.png`), encodeGrayPng(src, 28, 28)); // MNIST form as is
    else if (k % 3 === 1) writeFileSync(join(imgDir, `${k}.png`), encodeGrayPng(onPaper(src, 2, 90, 70), 90, 70)); // dark on white, 2x
    else writeFileSync(join(imgDir, `${k}.jpg`), toJpeg(onPaper(src, 3, 100, 100), 100, 100)); // a JPEG photo of it
  }
  const csv = join(cwd, 'rows.csv');
  const header = Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',');
  writeFileSync(csv, [header, ...labels.map((_, k) => Array.from(mnist.test.images.subarray(k * 784, (k + 1) * 784)).join(','))].join('\n') + '\n');
  const lines = ok(['predict', '--model', 'run', '--json', '--submission', 'submission.csv', 'digits', 'rows.csv']).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2 * n);
  for (const l of lines) {
    assert.equal(l.probabilities.length, 10);
    assert.ok(Math.abs(l.probabilities.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-4);
    assert.equal(l.label, l.probabilities.indexOf(Math.max(...l.probabilities)));
  }
  const files = lines.slice(0, n);
  const rows = lines.slice(n);
  assert.deepEqual(files.map((l) => l.input), labels.map((_, k) => join('digits', `${k}.${k % 3 === 2 ? 'jpg' : 'png'}`)));
  assert.deepEqual(rows.map((l) => l.input), labels.map((_, k) => `rows.csv:${k + 2}`));
  const agree = files.filter((l, k) => l.label === rows[k].label).length;
  assert.ok(agree >= n - 2, `images and CSV rows agree on only ${agree} of ${n}`);
  const right = (ls: { label: number }[]): number => ls.filter((l, k) => l.label === labels[k]).length;
  assert.ok(right(files) >= right(rows) - 2, `images: ${right(files)} right, rows: ${right(rows)}`);
  // MNIST-form images pass through unchanged: same prediction as their CSV row.
  for (let k = 0; k < n; k += 3) assert.equal(files[k].label, rows[k].label, `image ${k}`);
  const sub = readFileSync(join(cwd, 'submission.csv'), 'utf8').trim().split('\n');
  assert.equal(sub[0], 'ImageId,Label');
  assert.deepEqual(sub.slice(1), lines.map((l, i) => `${i + 1},${l.label}`));
  const plain = ok(['predict', '--model', 'run', join('digits', '0.png')]);
  assert.match(plain, new RegExp(`^digits/0\\.png  ${files[0].label}  \\(\\d+\\.\\d%\\)$`, 'm'));
});

/** The digit enlarged `zoom` times as dark ink on white paper of w x h, off-centre. */
function onPaper(src: Uint8Array, zoom: number, w: number, h: number): Uint8Array {
  const page = new Uint8Array(w * h).fill(255);
  for (let y = 0; y < 28 * zoom; y++) {
    for (let x = 0; x < 28 * zoom; x++) page[(y + 3) * w + x + (w - 28 * zoom - 4)] = 255 - src[Math.floor(y / zoom) * 28 + Math.floor(x / zoom)];
  }
  return page;
}

function toJpeg(gray: Uint8Array, w: number, h: number): Buffer {
  const rgba = new Uint8Array(w * h * 4);
  gray.forEach((v, i) => rgba.set([v, v, v, 255], i * 4));
  return jpeg.encode({ data: rgba, width: w, height: h }, 90).data;
}

test('predict refuses blank images, non-images and missing inputs', () => {
  writeFileSync(join(cwd, 'blank.png'), encodeGrayPng(new Uint8Array(40 * 40).fill(255), 40, 40));
  fails(['predict', '--model', 'run', 'blank.png'], /^blank\.png: no digit found \(the image is blank/);
  writeFileSync(join(cwd, 'notes.txt'), 'hello');
  fails(['predict', '--model', 'run', 'notes.txt'], /^notes\.txt: not a PNG or JPEG image \(it starts with text: "hello"\)$/);
  fails(['predict', '--model', 'run', 'nothing.png'], /^nothing\.png: no such file or folder$/);
  fails(['predict', '--model', 'nomodel', 'blank.png'], /^nomodel: no such model or run folder$/);
});

test('data export-csv writes both sets, and training from that CSV works', () => {
  const out = ok(['data', 'export-csv', '--out', 'csv', '--limit', '600']);
  assert.match(out, /csv\/mnist_train\.csv: 600 rows/);
  const train = readFileSync(join(cwd, 'csv', 'mnist_train.csv'), 'utf8').trim().split('\n');
  assert.equal(train.length, 600);
  assert.equal(train[0], [mnist.train.labels[0], ...mnist.train.images.subarray(0, 784)].join(','));
  assert.equal(readFileSync(join(cwd, 'csv', 'mnist_test.csv'), 'utf8').trim().split('\n').length, 600);
  const trained = ok(['train', '--data', 'csv/mnist_train.csv', '--epochs', '1', '--batch-size', '32', '--test-limit', '200', '--out', 'csvrun']);
  assert.match(trained, /^Data: 540 training, 60 validation, 200 test images \(.*mnist_train\.csv; test: .*mnist_test\.csv\)$/m);
  const run = readJson<{ data: { trainSource: string; testImages: number } }>(join(cwd, 'csvrun', 'run.json'));
  assert.match(run.data.trainSource, /mnist_train\.csv$/);
  assert.equal(run.data.testImages, 200);
  assert.ok(existsSync(join(cwd, 'csvrun', 'report.html')));
});

test('a malformed training CSV stops training with file, line and reason', () => {
  const rows = [Array(785).fill(0).join(','), Array(785).fill(0).join(','), Array(700).fill(0).join(',')];
  writeFileSync(join(cwd, 'bad_train.csv'), rows.join('\n') + '\n');
  writeFileSync(join(cwd, 'bad_test.csv'), rows[0] + '\n');
  fails(['train', '--data', 'bad_train.csv', '--epochs', '1'], /bad_train\.csv:3: 700 columns, expected 785 \(label \+ 784 pixels\)$/);
  const debug = digitnet(['train', '--data', 'bad_train.csv'], { DIGITNET_DEBUG: '1' });
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /^\s+at /m, 'DIGITNET_DEBUG=1 shows the stack');
});

test('bad options are refused before anything runs', () => {
  fails(['train', '--epochs', '0'], /^option '--epochs <n>' argument '0' is invalid\. 0 is below the minimum of 1\.$/);
  fails(['train', '--validation-split', '1.5'], /argument '1\.5' is invalid\. 1\.5 is out of range \(0 <= f < 1\)\.$/);
  fails(['evaluate'], /required option '--model <dir>' not specified/);
  fails(['frobnicate'], /unknown command 'frobnicate'/);
});

test('report rebuilds the figures and report.html from the run directory', () => {
  rmSync(join(RUN, 'figures'), { recursive: true });
  rmSync(join(RUN, 'report.html'));
  const out = ok(['report', 'run']);
  assert.match(out, /^Report: run\/report\.html$/m);
  assert.ok(existsSync(join(RUN, 'figures', 'confusion.png')));
  assert.match(readFileSync(join(RUN, 'report.html'), 'utf8'), /Confusion matrix/);
  mkdirSync(join(cwd, 'not-a-run'), { recursive: true });
  fails(['report', 'not-a-run'], /^not-a-run: not a complete run folder \(no history\.json\)/);
});

test('summary prints the layer table of the seed CNN and of a saved model', () => {
  for (const out of [ok(['summary']), ok(['summary', '--model', 'run'])]) {
    assert.match(out, /^conv2d \(Conv2D\)\s+\[null,26,26,32\]\s+320$/m);
    assert.match(out, /^dense_1 \(Dense\)\s+\[null,10\]\s+1,290$/m);
    assert.match(out, /^Total params: 225,034$/m);
  }
});

test('the package bin runs the same program', () => {
  const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
});
