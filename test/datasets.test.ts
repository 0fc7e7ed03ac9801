// Data beyond the embedded MNIST: Fashion-MNIST from Debian's package (installed by `npm test`'s pretest
// step, so never skipped), image folders with one sub-folder per class (PNG and JPEG of mixed sizes, gray and
// colour, read at 28x28x1 through MNIST's preprocessing and at other shapes through a plain resize), CSV
// data with more than ten classes and a class-names file, sets made into another input shape, and the
// one-line refusals of folders with one class or none, empty classes and images that do not decode.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { conformSet } from '../src/data/conform.js';
import { csvLines } from '../src/data/csv.js';
import { DEBIAN_FASHION_DIR, FASHION_CLASSES, fashionMnistDir } from '../src/data/fashion-mnist.js';
import { readImageFolder } from '../src/data/image-folder.js';
import { encodeGrayPng, encodeRgbPng, readImageFile } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { prepareImage, resizeImage } from '../src/data/model-input.js';
import { cap, loadData, loadTestData } from '../src/data/sources.js';
import { digitnet, fails } from './helpers/cli.js';
import { encodeGrayJpeg, scanOf } from './helpers/server-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'digitnet-datasets-'));
const mnist = loadMnist();
after(() => rmSync(dir, { recursive: true, force: true }));

/** The MNIST training digits of class `d`, the first `n`. */
function digitsOf(d: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; out.length < n; i++) if (mnist.train.labels[i] === d) out.push(mnist.train.images.subarray(i * 784, (i + 1) * 784));
  return out;
}

/** An image file of a digit in one of four forms: a 28x28 gray PNG, a scan as JPEG, an RGB PNG, a gray+alpha-free RGBA PNG. */
function writeDigit(path: string, digit: Uint8Array, form: number): string {
  if (form === 0) writeFileSync(`${path}.png`, encodeGrayPng(digit, 28, 28));
  if (form === 1) writeFileSync(`${path}.jpg`, encodeGrayJpeg(scanOf(digit, { width: 120, height: 90, scale: 2.5, x: 30, y: 10 })));
  if (form === 2) {
    const s = scanOf(digit, { width: 64, height: 100, scale: 2, x: 4, y: 20 });
    const rgb = new Uint8Array(s.width * s.height * 3);
    for (let i = 0; i < s.data.length; i++) rgb.set([s.data[i], Math.max(0, s.data[i] - 30), s.data[i]], i * 3);
    writeFileSync(`${path}.png`, encodeRgbPng(rgb, s.width, s.height));
  }
  if (form === 3) writeFileSync(`${path}.jpeg`, encodeGrayJpeg(scanOf(digit, { width: 300, height: 300, scale: 8, x: 40, y: 30, paper: 250 }), 95));
  return path;
}

/** A class folder tree: classes named, each with `n` digits of the given MNIST class in the four forms in turn. */
function imageFolder(name: string, classes: Record<string, number>, n: number): string {
  const root = join(dir, name);
  for (const [cls, d] of Object.entries(classes)) {
    mkdirSync(join(root, cls), { recursive: true });
    digitsOf(d, n).forEach((digit, i) => writeDigit(join(root, cls, `img-${i}`), digit, i % 4));
  }
  return root;
}

test('--data fashion-mnist reads the IDX files of Debian\'s dataset-fashion-mnist, with its ten class names', async () => {
  assert.equal(fashionMnistDir({}), DEBIAN_FASHION_DIR);
  const d = await loadData('fashion-mnist');
  assert.deepEqual([d.train.count, d.test.count, d.train.height, d.train.width], [60000, 10000, 28, 28]);
  assert.deepEqual(d.classNames, FASHION_CLASSES);
  assert.equal(d.classNames[9], 'Ankle boot');
  const perClass = new Array(10).fill(0);
  for (const l of d.train.labels) perClass[l]++;
  assert.deepEqual(perClass, new Array(10).fill(6000), 'Fashion-MNIST has 6,000 training images of each class');
  // Its mean pixel is 0.286 of white (the dataset's published statistic); MNIST's is 0.131.
  const mean = (s: Uint8Array): number => s.reduce((a, b) => a + b, 0) / s.length / 255;
  assert.ok(Math.abs(mean(d.train.images) - 0.286) < 0.002, `mean ${mean(d.train.images)}`);
  assert.ok(Math.abs(mean(mnist.train.images) - 0.131) < 0.002);
  const small = await loadData('fashion-mnist', { limit: 100, testLimit: 30 });
  assert.deepEqual([small.train.count, small.test.count], [100, 30]);
  assert.match(small.trainSource, /Fashion-MNIST training set/);
});

test('without Fashion-MNIST the error gives the one command that installs it, in one line', () => {
  assert.throws(() => fashionMnistDir({ DIGITNET_FASHION_MNIST: join(dir, 'nowhere') }), /install it with `sudo apt-get install dataset-fashion-mnist`$/);
  const r = digitnet(dir, ['train', '--data', 'fashion-mnist', '--out', 'f'], { env: { DIGITNET_FASHION_MNIST: join(dir, 'nowhere') } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^digitnet: --data fashion-mnist: DIGITNET_FASHION_MNIST=\S+ holds no Fashion-MNIST files .*`sudo apt-get install dataset-fashion-mnist`\n$/);
});

test('an image folder of mixed sizes and formats: sorted class names, per-class counts, every image as preprocessing makes it', async () => {
  const root = imageFolder('mixed', { seven: 7, three: 3, one: 1 }, 8);
  const d = await loadData(root, { seed: 3, testSplit: 0.25 });
  assert.deepEqual(d.classNames, ['one', 'seven', 'three']);
  assert.equal(d.train.count + d.test.count, 24);
  assert.equal(d.test.count, 6);
  assert.ok(d.heldOut && d.heldOut.rows === 6, 'the test set is held out and recorded');
  assert.match(d.testSource, /6 images held out from mixed \(25%, stratified, seed 3\)/);
  for (let c = 0; c < 3; c++) assert.equal(Array.from(d.test.labels).filter((l) => l === c).length, 2, `stratified: class ${c}`);
  assert.match(d.notes.join('\n'), /3 classes \(one 8, seven 8, three 8\)/);
  // Each image is exactly what the one preprocessing makes of its file (MNIST's at 28x28x1).
  const all = readImageFolder(root, { height: 28, width: 28, channels: 1 });
  assert.deepEqual(all.counts, [8, 8, 8]);
  assert.deepEqual(Array.from(all.labels.subarray(0, 6)), [0, 1, 2, 0, 1, 2], 'classes interleaved, so a limit keeps every class');
  const first = prepareImage(readImageFile(join(root, 'seven', 'img-1.jpg')), { height: 28, width: 28, channels: 1, preprocess: 'mnist' }).pixels;
  const stored = all.images.subarray(4 * 784, 5 * 784); // the second image of class 1 ('seven'), a JPEG scan
  assert.deepEqual(Array.from(stored), Array.from(first, (v) => Math.round(v * 255)));
  // MNIST's preprocessing finds the digit in the scan: it looks like the MNIST digit it was made from.
  const source = digitsOf(7, 2)[1];
  let agree = 0;
  for (let i = 0; i < 784; i++) agree += (stored[i] > 127) === (source[i] > 127) ? 1 : 0;
  assert.ok(agree > 700, `the scan preprocessed back to the digit: ${agree} of 784 pixels agree`);
  // At 16x16x3 every image is resized whole, in colour.
  const rgb = readImageFolder(root, { height: 16, width: 16, channels: 3 });
  assert.equal(rgb.images.length, 24 * 16 * 16 * 3);
  const want = resizeImage(readImageFile(join(root, 'one', 'img-2.png')), 16, 16, 3);
  assert.deepEqual(Array.from(rgb.images.subarray(6 * 768, 7 * 768)), Array.from(want, (v) => Math.round(v * 255)));
  assert.notEqual(rgb.images[6 * 768 + 1], rgb.images[6 * 768], 'the RGB file keeps its colour');
});

test('an image folder with train/ and test/ gives both sets; the test folder\'s classes map by name', async () => {
  const root = join(dir, 'split');
  imageFolder('split/train', { a: 4, b: 5 }, 6);
  imageFolder('split/test', { b: 5 }, 3);
  const d = await loadData(root);
  assert.deepEqual([d.train.count, d.test.count, d.heldOut], [12, 3, null]);
  assert.deepEqual(Array.from(d.test.labels), [1, 1, 1], "the test folder's only class is 'b', label 1");
  const t = await loadTestData(root, undefined, undefined, { shape: [28, 28, 1], classNames: ['a', 'b'] });
  assert.equal(t.test.count, 3);
});

test('a folder with one class or none, an empty class and an image that will not decode are one-line errors naming them', async () => {
  const one = imageFolder('one-class', { only: 2 }, 3);
  await assert.rejects(loadData(one), /one-class: holds one class folder \('only'\); an image folder needs one sub-folder per class, at least two/);
  const flat = join(dir, 'flat');
  mkdirSync(flat);
  writeDigit(join(flat, 'x'), digitsOf(2, 1)[0], 0);
  await assert.rejects(loadData(flat), /flat: holds 1 image but no class folders/);
  const emptyClass = imageFolder('empty-class', { a: 1, b: 2 }, 2);
  mkdirSync(join(emptyClass, 'c'));
  writeFileSync(join(emptyClass, 'c', 'notes.txt'), 'no images here');
  await assert.rejects(loadData(emptyClass), (e: Error) => {
    assert.match(e.message, /empty-class\/c: the class folder 'c' holds no images \(\.png, \.jpg or \.jpeg\); every class needs at least one$/);
    return true;
  });
  const broken = imageFolder('broken', { a: 1, b: 2 }, 2);
  writeFileSync(join(broken, 'b', 'torn.png'), Buffer.concat([encodeGrayPng(digitsOf(2, 1)[0], 28, 28).subarray(0, 40), Buffer.alloc(30)]));
  writeFileSync(join(broken, 'a', 'text.jpg'), 'this is not a JPEG');
  for (const [args, message] of [
    [['--data', one], /holds one class folder \('only'\)/],
    [['--data', flat], /holds 1 image but no class folders/],
    [['--data', emptyClass], /the class folder 'c' holds no images/],
    [['--data', broken], /broken\/a\/text\.jpg: .*(not a PNG or JPEG|JPEG)/],
  ] as [string[], RegExp][]) fails(dir, ['train', ...args, '--epochs', '1', '--out', `o-${args[1].length}`], message);
  writeFileSync(join(broken, 'a', 'text.jpg'), encodeGrayJpeg(scanOf(digitsOf(4, 1)[0], { width: 40, height: 40, scale: 1, x: 6, y: 6 })));
  fails(dir, ['train', '--data', broken, '--epochs', '1', '--out', 'o-torn'], /broken\/b\/torn\.png: /);
});

test('CSV data with twelve classes takes its names from classes.txt; a names file that does not cover the labels is refused', async () => {
  const csv = join(dir, 'twelve');
  mkdirSync(csv);
  const rows = cap(mnist.train, 240);
  const labels = Uint8Array.from(rows.labels, (l, i) => (i % 12 < 10 ? l : 10 + (i % 2)));
  writeFileSync(join(csv, 'train.csv'), [...csvLines({ ...rows, labels }, 'kaggle')].join(''));
  const plain = await loadData(join(csv, 'train.csv'), { seed: 1 });
  assert.deepEqual(plain.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'], 'named by index up to the largest label');
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven'];
  writeFileSync(join(csv, 'classes.txt'), `${names.join('\n')}\n`);
  const named = await loadData(join(csv, 'train.csv'), { seed: 1 });
  assert.deepEqual(named.classNames, names);
  assert.equal(Math.max(...named.train.labels, ...named.test.labels), 11);
  writeFileSync(join(csv, 'short.txt'), 'zero\none\n');
  await assert.rejects(loadData(join(csv, 'train.csv'), { classNames: join(csv, 'short.txt') }), /short\.txt: names 2 classes \(labels 0\.\.1\), but the data has label 11$/);
  writeFileSync(join(csv, 'twice.txt'), 'a\nb\na\n');
  await assert.rejects(loadData(join(csv, 'train.csv'), { classNames: join(csv, 'twice.txt') }), /twice\.txt:3: 'a' names label 0 already \(line 1\)$/);
  await assert.rejects(loadData('fashion-mnist', { classNames: join(csv, 'classes.txt') }), /--class-names .*: fashion-mnist names its own classes/);
});

test('a set is made into another input shape: MNIST at 32x32x3 is each digit resized, gray in all three channels', () => {
  const set = cap(mnist.test, 5);
  const big = conformSet(set, [32, 32, 3]);
  assert.deepEqual([big.height, big.width, big.channels, big.images.length], [32, 32, 3, 5 * 32 * 32 * 3]);
  for (let i = 0; i < 32 * 32; i++) assert.ok(big.images[i * 3] === big.images[i * 3 + 1] && big.images[i * 3] === big.images[i * 3 + 2]);
  const want = resizeImage({ data: set.images.subarray(784, 1568), width: 28, height: 28, channels: 1 }, 32, 32, 3);
  assert.deepEqual(Array.from(big.images.subarray(3072, 6144)), Array.from(want, (v) => Math.round(v * 255)));
  assert.equal(conformSet(set, [28, 28, 1]), set, 'a set already in the shape is returned as it is');
  const r = digitnet(dir, ['train', '--image-size', '4', '--out', 'tiny']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--image-size/);
});
