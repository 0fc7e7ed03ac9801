// Reading whole numbers (src/read): the ink is found whichever way it goes and whatever the lighting; the
// segmentation finds the known boxes of composed numbers, puts broken digits back together and cuts
// touching ones apart; readNumber reads composed numbers and photos of paper end to end with a real
// trained model (the shared read fixture); and bad input (no digits, blank, huge, tiny, malformed) gives
// an answer or a message, never a crash.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { decodeImage, encodeJpeg } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { grayscale, type RawImage } from '../src/data/preprocess.js';
import { Random } from '../src/engine/index.js';
import { squareExtremum, squareExtremumNaive } from '../src/read/morphology.js';
import { composedSet, composeNumber, connectedComponents, findInk, photograph, photoSet, readNumber, scoreReadings, segment, type ComposedNumber, type DigitImage } from '../src/read/index.js';
import { readFixture, type ReadFixture } from './helpers/read-fixture.js';
import { drawStrokes, inverted, iou, recognizedDigits } from './helpers/numbers.js';

const { test: mnistTest } = loadMnist();
let fx: ReadFixture;
let sure: DigitImage[];

before(async () => {
  fx = await readFixture();
  sure = recognizedDigits(fx.model, mnistTest, 400);
});

const inkOf = (img: RawImage) => findInk(grayscale(img), img.width, img.height);
const piecesOf = (img: RawImage) => segment(inkOf(img)).pieces;

/** A number of the given surely-read digits, composed with the options given. */
function numberOf(digits: DigitImage[], seed: number, o: Parameters<typeof composeNumber>[2] = {}): ComposedNumber {
  return composeNumber(digits, new Random(seed), o);
}

describe('ink', () => {
  test('polarity is detected both ways: MNIST-style light ink, dark ink on paper, photos, and a photo of a board', () => {
    const numbers = composedSet(mnistTest, { count: 12, seed: 5 });
    const photos = photoSet(mnistTest, { count: 6, seed: 6 });
    for (const n of numbers) {
      assert.equal(inkOf(n.image).polarity, 'light', `composed ${n.text}`);
      assert.equal(inkOf(inverted(n.image)).polarity, 'dark', `composed ${n.text}, inverted`);
    }
    for (const p of photos) {
      assert.equal(inkOf(p.image).polarity, 'dark', `photo of ${p.text}`);
      assert.equal(inkOf(inverted(p.image)).polarity, 'light', `photo of ${p.text}, inverted (chalk on a board)`);
    }
  });

  test('blank and featureless images hold no ink: white, black, grey, a lighting gradient, paper texture', () => {
    const w = 120;
    const h = 80;
    const plain = (v: (x: number, y: number) => number): RawImage => ({ data: Uint8Array.from({ length: w * h }, (_, i) => v(i % w, Math.floor(i / w))), width: w, height: h, channels: 1 });
    for (const [name, img] of [['white', plain(() => 255)], ['black', plain(() => 0)], ['grey', plain(() => 128)], ['gradient', plain((x, y) => 90 + x + y / 2)]] as const) {
      const map = inkOf(img);
      assert.equal(map.empty, true, name);
      assert.equal(map.mask.reduce((a, b) => a + b, 0), 0, `${name}: no ink pixels`);
    }
    const paper = photograph({ image: plain(() => 0), text: '', labels: [], boxes: [], touching: 0 }, new Random(3));
    assert.deepEqual(readNumber(paper.image, fx.model).digits, [], 'textured, unevenly lit paper with nothing written on it');
  });

  test('the running extremum (van Herk / Gil-Werman) equals its naive twin on awkward shapes and radii', () => {
    const rng = new Random(9);
    for (const [w, h, r] of [[1, 1, 1], [1, 7, 2], [7, 1, 3], [5, 3, 1], [13, 11, 4], [9, 6, 12], [31, 17, 5]]) {
      const src = Float32Array.from({ length: w * h }, () => Math.round(rng.uniform(0, 255)));
      for (const max of [true, false]) assert.deepEqual(squareExtremum(src, w, h, r, max), squareExtremumNaive(src, w, h, r, max), `${w}x${h} r=${r} ${max ? 'max' : 'min'}`);
    }
  });
});

describe('segmentation', () => {
  test('composed numbers with gaps: one candidate per digit, at its known box, in order', () => {
    // Digits whose ink is one piece when drawn alone, as light ink and as dark ink at 48 pixels: a few of
    // MNIST's are broken into pieces side by side (a 2 whose tail stands apart), which no segmentation by
    // ink can join without reading them; which of them the model reads surely moves with its training.
    const alone = (d: DigitImage) => [numberOf([d], 1, { sizeJitter: 0 }).image, inverted(numberOf([d], 1, { sizeJitter: 0, digitHeight: 48 }).image)];
    const whole = sure.filter((d) => alone(d).every((img) => piecesOf(img).length === 1));
    assert.ok(whole.length >= 0.95 * sure.length, `${whole.length} of ${sure.length} surely-read digits are one piece alone`);
    let checked = 0;
    for (let k = 0; k < 20; k++) {
      const digits = whole.slice(k * 6, k * 6 + 2 + (k % 5));
      for (const [name, n] of [['light', numberOf(digits, k, { gap: [0.1, 0.5] })], ['dark', numberOf(digits, k + 100, { gap: [0.1, 0.5], digitHeight: 48 })]] as const) {
        const img = name === 'dark' ? inverted(n.image) : n.image;
        const pieces = piecesOf(img);
        assert.equal(pieces.length, n.labels.length, `${n.text} (${name}): ${pieces.length} candidates`);
        pieces.forEach((p, i) => assert.ok(iou(p.box, n.boxes[i]) >= 0.75, `${n.text} (${name}) digit ${i}: found ${JSON.stringify(p.box)}, known ${JSON.stringify(n.boxes[i])}`));
        checked++;
      }
    }
    assert.equal(checked, 40);
  });

  test('a 5 written in two strokes, and an 8 drawn as two loops that do not meet, are one digit each', () => {
    const five = drawStrokes(60, 70, [[[44, 10], [18, 10]], [[18, 19], [16, 33], [34, 31], [44, 42], [42, 55], [28, 61], [14, 56]]], 5);
    const loop = (cx: number, cy: number, rx: number, ry: number): [number, number][] =>
      Array.from({ length: 41 }, (_, i) => [cx + rx * Math.sin((i / 40) * 2 * Math.PI), cy - ry * Math.cos((i / 40) * 2 * Math.PI)]);
    const eight = drawStrokes(60, 80, [loop(30, 22, 11, 12), loop(30, 55, 14, 15)], 5);
    for (const [name, img] of [['5', five], ['8', eight]] as const) {
      const pieces = segment(inkOf(inverted(img))).pieces;
      assert.equal(pieces.length, 1, `${name}: ${pieces.length} candidates`);
      assert.ok(pieces[0].parts.length >= 2, `${name}: its strokes are separate pieces of ink, joined`);
      assert.ok(pieces[0].box.height >= 50, `${name}: the box spans both strokes (${JSON.stringify(pieces[0].box)})`);
      assert.equal(readNumber(inverted(img), fx.model).digits.length, 1);
    }
  });

  test('a digit broken across faint ink stays whole, specks around it are ignored', () => {
    const n = numberOf(sure.slice(0, 3), 4, { gap: [0.3, 0.5] });
    const img = { ...n.image, data: Uint8Array.from(n.image.data) };
    const b = n.boxes[1];
    const mid = b.y + Math.round(b.height / 2);
    for (let x = b.x; x < b.x + b.width; x++) img.data[mid * img.width + x] = Math.min(img.data[mid * img.width + x], 40);
    for (const [x, y] of [[3, 3], [img.width - 5, 4], [6, img.height - 5]]) img.data[y * img.width + x] = 255;
    const pieces = piecesOf(img);
    assert.equal(pieces.length, 3, `${n.text}: ${pieces.length} candidates`);
    pieces.forEach((p, i) => assert.ok(iou(p.box, n.boxes[i]) >= 0.75, `digit ${i}: ${JSON.stringify(p.box)} vs ${JSON.stringify(n.boxes[i])}`));
  });

  test('touching digits are cut apart and read, two by two', () => {
    const pairs: ComposedNumber[] = [];
    for (let k = 0; pairs.length < 30 && k < 400; k++) {
      const n = numberOf([sure[(2 * k) % sure.length], sure[(2 * k + 1) % sure.length]], 1000 + k, { gap: [-0.08, -0.02], baseline: 0.05 });
      const map = inkOf(n.image);
      if (n.touching === 1 && connectedComponents(map.mask, map.width, map.height).list.filter((c) => c.area > 20).length === 1) pairs.push(n);
    }
    assert.equal(pairs.length, 30, 'thirty pairs whose ink is one connected blob');
    const read = pairs.map((n) => readNumber(n.image, fx.model));
    const two = read.filter((r) => r.digits.length === 2).length;
    const right = read.filter((r, i) => r.number === pairs[i].text).length;
    // Measured 20 and 17 of 30 with the fixture model; without cutting it would be none. Touching digits
    // are the reader's weak point (the README gives the figures on a crowded set).
    assert.ok(two >= 17, `${two} of 30 touching pairs read as two digits`);
    assert.ok(right >= 14, `${right} of 30 touching pairs read exactly`);
  });
});

describe('readNumber', () => {
  test('composed numbers end to end: the right digit count in at least 90%, digits at least 95% right', () => {
    const items = composedSet(mnistTest, { count: 80, seed: 11 });
    const read = items.map((it) => readNumber(it.image, fx.model));
    const s = scoreReadings(items.map((it) => it.text), read.map((r) => r.number));
    assert.ok(s.countRight >= 0.9, `right count in ${(s.countRight * 100).toFixed(1)}%`);
    assert.ok(s.digitAccuracy >= 0.95, `digit accuracy ${(s.digitAccuracy * 100).toFixed(1)}%`);
    for (const r of read) {
      assert.equal(r.number, r.digits.map((d) => d.label).join(''));
      assert.ok(r.digits.every((d, i) => d.confidence > 0 && d.confidence <= 1 && (i === 0 || d.box.x + d.box.width / 2 >= r.digits[i - 1].box.x + r.digits[i - 1].box.width / 2)), 'left to right, with confidences');
    }
  });

  test('photos of paper end to end (shadows, blur, noise, JPEG): right count in at least 90%', () => {
    const items = photoSet(mnistTest, { count: 24, seed: 12 }).map((p) => ({ ...p, image: decodeImage(encodeJpeg(p.image, p.jpegQuality)) }));
    const read = items.map((it) => readNumber(it.image, fx.model));
    const s = scoreReadings(items.map((it) => it.text), read.map((r) => r.number));
    assert.ok(s.countRight >= 0.9, `right count in ${(s.countRight * 100).toFixed(1)}%`);
    assert.ok(s.digitAccuracy >= 0.9, `digit accuracy ${(s.digitAccuracy * 100).toFixed(1)}%`);
    const boxes = items.flatMap((it, k) => (read[k].digits.length === it.boxes.length ? read[k].digits.map((d, i) => iou(d.box, it.boxes[i])) : []));
    assert.ok(boxes.filter((v) => v >= 0.6).length >= 0.9 * boxes.length, 'boxes where the ink is');
    assert.ok(read.every((r) => r.polarity === 'dark'));
  });

  test('a huge image is shrunk to a working size and read; tiny and malformed images get an answer or a message', () => {
    const n = numberOf(sure.slice(40, 44), 7, { gap: [0.2, 0.5], digitHeight: 1200, margin: 0.3 });
    const big = inverted(n.image);
    assert.ok(big.width * big.height > 10e6, `${big.width}x${big.height}`);
    const t0 = performance.now();
    const r = readNumber(big, fx.model);
    assert.equal(r.number, n.text, `${big.width}x${big.height} read as ${r.number}`);
    assert.ok(performance.now() - t0 < 20000, 'in seconds, not minutes');
    r.digits.forEach((d, i) => assert.ok(iou(d.box, n.boxes[i]) >= 0.7, 'boxes in the full image\'s pixels'));
    for (const [w, h] of [[1, 1], [2, 9], [5, 5]]) assert.equal(readNumber({ data: new Uint8Array(w * h).fill(200), width: w, height: h, channels: 1 }, fx.model).number, '');
    assert.throws(() => readNumber({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 }, fx.model), /^Error: readNumber: a 4x4 image with 1 channels needs 16 values, got 10$/);
    assert.throws(() => readNumber(n.image, fx.model, { maxSide: 10 }), /readNumber: maxSide must be at least 28/);
  });
});
