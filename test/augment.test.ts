// Augmentation: the native kernel (native/augment.cc) against the TypeScript definition on real MNIST digits
// and awkward shapes (one image, odd sizes, non-square, every transform at full strength, elastic on and off);
// the definition against its own formula for a pure shift and the identity; the same seed gives the same
// images, synchronously or on a libuv thread; fit augments training batches only; `--augment` specs.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { augmentBatchReference, bilinear, drawTransform } from '../src/data/augment/reference.js';
import { AUGMENT_RANGES, DEFAULT_AUGMENT, formatAugment, NO_AUGMENT, parseAugment, type AugmentSpec } from '../src/data/augment/spec.js';
import { loadMnist } from '../src/data/mnist.js';
import { imagesTensor, oneHotTensor } from '../src/data/tensors.js';
import { adam, deriveSeed, layers, Random, referenceBackend, sequential, type BatchAugmenter } from '../src/engine/index.js';
import { loadNativeBinding } from '../src/engine/backends/native/index.js';
import { makeAugmenter } from '../src/train/augmenter.js';

const mnist = loadMnist();
const digits = imagesTensor(mnist.train, 64).data;
const native = loadNativeBinding();

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomImages(n: number, h: number, w: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n * h * w }, () => r.next());
}

const FULL: AugmentSpec = { rotate: 180, zoom: 0.5, shift: 14, shear: 45, elastic: 64, sigma: 1 };
const CASES: { name: string; n: number; h: number; w: number; spec: AugmentSpec; x: () => Float32Array }[] = [
  { name: 'MNIST 64x28x28, the default spec', n: 64, h: 28, w: 28, spec: DEFAULT_AUGMENT, x: () => digits },
  { name: 'MNIST 64x28x28, elastic α=34 σ=4 (Simard)', n: 64, h: 28, w: 28, spec: { ...DEFAULT_AUGMENT, elastic: 34, sigma: 4 }, x: () => digits },
  { name: 'one image 28x28, every strength at its maximum', n: 1, h: 28, w: 28, spec: FULL, x: () => digits.subarray(0, 784) },
  { name: '3 random images 17x23 (odd, not square), σ=10 wider than the image', n: 3, h: 17, w: 23, spec: { ...DEFAULT_AUGMENT, elastic: 8, sigma: 10 }, x: () => randomImages(3, 17, 23, 1) },
  { name: '9 random images 1x5 (one row)', n: 9, h: 1, w: 5, spec: { ...DEFAULT_AUGMENT, rotate: 30 }, x: () => randomImages(9, 1, 5, 2) },
];

describe('native augmentation against the TypeScript definition', { skip: 'error' in native && `native addon not available: ${native.error}` }, () => {
  const nb = 'binding' in native ? native.binding : null;
  for (const c of CASES) {
    test(`${c.name}: within 1e-4 of the definition, and the same images from the libuv thread`, async () => {
      const x = c.x();
      const ref = new Float32Array(x.length);
      const fast = new Float32Array(x.length);
      const async = new Float32Array(x.length);
      augmentBatchReference(x, ref, c.n, c.h, c.w, c.spec, 987654321);
      nb!.augmentBatch(x, fast, c.n, c.h, c.w, c.spec, 987654321);
      await nb!.augmentBatchAsync(x, async, c.n, c.h, c.w, c.spec, 987654321);
      // The reference computes in double, the kernel in float: sample positions differ by ~1e-6 px.
      assert.ok(maxDiff(ref, fast) < 1e-4, `max difference ${maxDiff(ref, fast)}`);
      assert.deepEqual(async, fast, 'the libuv-thread kernel gives the pool kernel bit for bit');
      assert.ok(maxDiff(ref, x) > 0.05, 'the images did change');
    });
  }

  test('bad arguments are TypeErrors and RangeErrors naming the argument, never a crash', () => {
    const x = new Float32Array(784);
    assert.throws(() => nb!.augmentBatch(x, new Float32Array(10), 1, 28, 28, DEFAULT_AUGMENT, 1), /augmentBatch: dst has 10 elements, needs at least 784/);
    assert.throws(() => nb!.augmentBatch(x, x, 1, 28, 28, { ...DEFAULT_AUGMENT, sigma: Number.NaN }, 1), /spec\.sigma must be in/);
    assert.throws(() => nb!.augmentBatch(x, x, 1.5, 28, 28, DEFAULT_AUGMENT, 1), /n must be a whole number/);
    assert.throws(() => nb!.augmentBatch(x, [] as unknown as Float32Array, 1, 28, 28, DEFAULT_AUGMENT, 1), /dst must be a Float32Array/);
  });
});

describe('the definition', () => {
  test('all strengths zero: every image comes back unchanged, bit for bit', () => {
    const out = new Float32Array(digits.length);
    augmentBatchReference(digits, out, 64, 28, 28, NO_AUGMENT, 5);
    assert.deepEqual(out, digits);
  });

  test("a pure shift moves the digit by the image's drawn (tx, ty), sampled bilinearly", () => {
    const spec = { ...NO_AUGMENT, shift: 3 };
    const out = new Float32Array(784 * 4);
    augmentBatchReference(digits, out, 4, 28, 28, spec, 77);
    for (let i = 0; i < 4; i++) {
      // The draws of image i, replayed: six uniforms, of which the 5th and 6th are the shift.
      const t = drawTransform(new Random(deriveSeed(77, i)), spec);
      assert.equal(t.a, 1);
      assert.equal(t.d, 1);
      const img = digits.subarray(i * 784, (i + 1) * 784);
      for (const [x, y] of [[14, 14], [10, 20], [3, 25], [27, 0]]) {
        const want = bilinear(img, 28, 28, x - t.tx, y - t.ty);
        // (x − c − tx) + c rounds like x − tx to within an ulp; the output is stored as float32.
        assert.ok(Math.abs(out[i * 784 + y * 28 + x] - want) < 1e-6, `image ${i} pixel (${x}, ${y}), shift (${t.tx.toFixed(3)}, ${t.ty.toFixed(3)}): ${out[i * 784 + y * 28 + x]} vs ${want}`);
      }
    }
  });

  test('bilinear: exact at pixel centres, the mean of four between them, zero outside', () => {
    const img = Float32Array.from([1, 2, 3, 4]);
    assert.equal(bilinear(img, 2, 2, 1, 0), 2);
    assert.equal(bilinear(img, 2, 2, 0.5, 0.5), 2.5);
    assert.equal(bilinear(img, 2, 2, -1, 0), 0);
    assert.equal(bilinear(img, 2, 2, 1.5, 1), 2, 'half-way to the zero outside');
  });

  test('the same seed gives the same images; another seed, or another image index, others', () => {
    const a = new Float32Array(784 * 2);
    const b = new Float32Array(784 * 2);
    const c = new Float32Array(784 * 2);
    const spec = { ...DEFAULT_AUGMENT, elastic: 20, sigma: 3 };
    augmentBatchReference(digits, a, 2, 28, 28, spec, 11);
    augmentBatchReference(digits, b, 2, 28, 28, spec, 11);
    augmentBatchReference(digits, c, 2, 28, 28, spec, 12);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // Image 1 draws differently from image 0: the same picture in both slots comes out differently.
    const twice = new Float32Array(784 * 2);
    twice.set(digits.subarray(0, 784), 0);
    twice.set(digits.subarray(0, 784), 784);
    augmentBatchReference(twice, a, 2, 28, 28, spec, 11);
    assert.ok(maxDiff(a.subarray(0, 784), a.subarray(784)) > 0.05);
  });
});

describe('fit with an augmenter', () => {
  test('every training batch goes through it (seeded by seed, epoch, batch), validation data never', async () => {
    const x = imagesTensor(mnist.train, 200);
    const y = oneHotTensor(mnist.train, 200);
    const calls: { n: number; seed: number; first: number }[] = [];
    const spy: BatchAugmenter = {
      apply(src, dst, n, seed) {
        calls.push({ n, seed, first: src[0] });
        dst.set(src.subarray(0, n * 784));
      },
    };
    const model = sequential([layers.flatten({ inputShape: [28, 28, 1] }), layers.dense({ units: 10, activation: 'softmax' })], { seed: 4 });
    model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', backend: referenceBackend() });
    await model.fit(x, y, { epochs: 2, batchSize: 64, validationSplit: 0.2, augment: spy });
    // 160 training images: batches of 64, 64, 32 in each of 2 epochs; the 40 validation images never.
    assert.deepEqual(calls.map((c) => c.n), [64, 64, 32, 64, 64, 32]);
    assert.deepEqual(calls.map((c) => c.seed), [0, 1, 2].flatMap((b) => [deriveSeed(4, 0, b, 3)]).concat([0, 1, 2].map((b) => deriveSeed(4, 1, b, 3))));
    assert.equal(new Set(calls.map((c) => c.seed)).size, 6);
  });

  test('training on augmented batches is reproducible, overlapped with the step or not', async () => {
    const x = imagesTensor(mnist.train, 256);
    const y = oneHotTensor(mnist.train, 256);
    const run = async (overlap: boolean): Promise<Float32Array> => {
      const model = sequential([layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [28, 28, 1], activation: 'relu' }), layers.flatten(), layers.dense({ units: 10, activation: 'softmax' })], { seed: 8 });
      model.compile({ optimizer: adam(), loss: 'categoricalCrossentropy' });
      await model.fit(x, y, { epochs: 2, batchSize: 64, augment: makeAugmenter(DEFAULT_AUGMENT, 28, 28), overlapAugment: overlap });
      return model.getWeights();
    };
    const a = await run(true);
    assert.deepEqual(await run(false), a);
  });
});

describe('--augment specs', () => {
  test("alone or 'default': the defaults; 'none': nothing; names over zero", () => {
    assert.deepEqual(parseAugment(''), DEFAULT_AUGMENT);
    assert.deepEqual(parseAugment('none'), NO_AUGMENT);
    assert.deepEqual(parseAugment('rotate=5,elastic=30,sigma=5'), { ...NO_AUGMENT, rotate: 5, elastic: 30, sigma: 5 });
    assert.equal(formatAugment(parseAugment('shift=2,rotate=5')), 'rotate=5,shift=2');
    assert.equal(formatAugment(NO_AUGMENT), 'none');
  });

  test('an unknown name, a strength out of range, or a malformed part is a one-line error naming it', () => {
    assert.throws(() => parseAugment('rotate=10,blur=2'), /^Error: --augment: unknown augmentation 'blur'; choose from rotate, zoom, shift, shear, elastic, sigma$/);
    assert.throws(() => parseAugment('rotate=200'), /--augment: rotate=200 is out of range \(0 to 180 degrees\)/);
    assert.throws(() => parseAugment('zoom=-0.1'), /--augment: zoom=-0.1 is out of range/);
    assert.throws(() => parseAugment('shift'), /--augment: 'shift' is not name=value/);
    assert.throws(() => parseAugment('shift=2,shift=3'), /'shift' is given twice/);
    assert.equal(Object.keys(AUGMENT_RANGES).length, 6);
  });
});
