// Turning images into MNIST's form: property tests over generated pen strokes (centre of mass at 14,14;
// values in 0..1; the digit fills a 20x20 box; translation, inversion, transparency and paper colour do
// not change the result), and MNIST's own test digits passing through nearly unchanged.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadMnist } from '../src/data/mnist.js';
import { centreOfMass, toMnist, type RawImage } from '../src/data/preprocess.js';

interface Stroke { x0: number; y0: number; x1: number; y1: number; width: number }

/** White-on-black strokes, anti-aliased, on a w x h canvas at offset (ox, oy). */
function draw(w: number, h: number, strokes: Stroke[], ox = 0, oy = 0): Uint8Array {
  const img = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (const s of strokes) {
        const d = segmentDistance(x - ox, y - oy, s);
        v = Math.max(v, Math.min(1, Math.max(0, s.width + 0.5 - d)));
      }
      img[y * w + x] = Math.round(v * 255);
    }
  }
  return img;
}

function segmentDistance(px: number, py: number, s: Stroke): number {
  const dx = s.x1 - s.x0;
  const dy = s.y1 - s.y0;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - s.x0) * dx + (py - s.y0) * dy) / len2));
  return Math.hypot(px - (s.x0 + t * dx), py - (s.y0 + t * dy));
}

const gray = (data: Uint8Array, width: number, height: number): RawImage => ({ data, width, height, channels: 1 });

/** 1 to 3 strokes inside a 40x40 area, at least 4 px long. */
const strokes = fc.array(
  fc.record({
    x0: fc.integer({ min: 4, max: 36 }), y0: fc.integer({ min: 4, max: 36 }),
    x1: fc.integer({ min: 4, max: 36 }), y1: fc.integer({ min: 4, max: 36 }),
    width: fc.integer({ min: 1, max: 3 }),
  }).filter((s) => Math.hypot(s.x1 - s.x0, s.y1 - s.y0) >= 4),
  { minLength: 1, maxLength: 3 },
);

/** Whether any ink lies on the 28x28 frame's edge (then centring was limited to keep the digit whole). */
function touchesEdge(p: Float32Array): boolean {
  for (let i = 0; i < 28; i++) if (p[i] > 0 || p[27 * 28 + i] > 0 || p[i * 28] > 0 || p[i * 28 + 27] > 0) return true;
  return false;
}

function inkExtent(p: Float32Array): { w: number; h: number } {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  for (let i = 0; i < 784; i++) {
    if (p[i] === 0) continue;
    const x = i % 28, y = Math.floor(i / 28);
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

test('any image gives 784 values within 0..1; a blank one is marked empty and all zero', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, 2, 3, 4), fc.integer(),
    (w, h, channels, seed) => {
      const data = new Uint8Array(w * h * channels);
      let s = seed >>> 0;
      for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
      const r = toMnist({ data, width: w, height: h, channels: channels as 1 | 2 | 3 | 4 });
      assert.equal(r.pixels.length, 784);
      assert.ok(r.pixels.every((v) => v >= 0 && v <= 1));
      if (r.empty) assert.ok(r.pixels.every((v) => v === 0));
    },
  ));
  const blank = toMnist(gray(new Uint8Array(50 * 30).fill(255), 50, 30));
  assert.equal(blank.empty, true);
  assert.ok(blank.pixels.every((v) => v === 0));
  assert.equal(toMnist(gray(new Uint8Array(64).fill(90), 8, 8)).empty, true);
});

test('the centre of mass ends at (14, 14) and the digit fits a 20x20 box', () => {
  fc.assert(fc.property(strokes, (ss) => {
    const r = toMnist(gray(draw(40, 40, ss), 40, 40));
    assert.equal(r.empty, false);
    const { w, h } = inkExtent(r.pixels);
    assert.ok(Math.max(w, h) <= 20, `extent ${w}x${h}`);
    assert.ok(Math.max(w, h) >= 19, `extent ${w}x${h}`);
    if (touchesEdge(r.pixels)) return; // centring stopped at the frame so no ink was cut off
    const c = centreOfMass(r.pixels)!;
    // Shifts are whole pixels, so a centre of mass at k + 0.5 ends exactly half a pixel off (plus rounding).
    assert.ok(Math.abs(c.x - 14) <= 0.5 + 1e-6 && Math.abs(c.y - 14) <= 0.5 + 1e-6, `centre of mass (${c.x}, ${c.y})`);
  }));
});

test('a translated digit gives the same output, and its box is found where it was drawn', () => {
  fc.assert(fc.property(strokes, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }), (ss, dx, dy) => {
    const a = toMnist(gray(draw(40, 40, ss), 40, 40));
    const b = toMnist(gray(draw(80, 70, ss, dx, dy), 80, 70));
    assert.deepEqual(b.pixels, a.pixels);
    assert.deepEqual(b.box, { ...a.box, x: a.box.x + dx, y: a.box.y + dy });
  }));
});

test("an inverted image (dark ink on light paper) gives the same output with invert 'auto'", () => {
  fc.assert(fc.property(strokes, (ss) => {
    const img = draw(40, 40, ss);
    const a = toMnist(gray(img, 40, 40));
    const b = toMnist(gray(img.map((v) => 255 - v), 40, 40), { invert: 'auto' });
    for (let i = 0; i < 784; i++) assert.ok(Math.abs(a.pixels[i] - b.pixels[i]) < 1e-5);
    const forced = toMnist(gray(img.map((v) => 255 - v), 40, 40), { invert: false });
    assert.equal(forced.empty, true); // read as white ink on black, the light paper leaves nothing to stand out
  }));
});

test('a canvas drawing (dark strokes on transparent pixels) reads as the same digit', () => {
  fc.assert(fc.property(strokes, (ss) => {
    const ink = draw(40, 40, ss);
    const rgba = new Uint8ClampedArray(40 * 40 * 4);
    for (let i = 0; i < ink.length; i++) rgba[i * 4 + 3] = ink[i]; // black paint, alpha = coverage
    const a = toMnist(gray(ink, 40, 40));
    const b = toMnist({ data: rgba, width: 40, height: 40, channels: 4 });
    for (let i = 0; i < 784; i++) assert.ok(Math.abs(a.pixels[i] - b.pixels[i]) < 1e-5);
  }));
});

test('a photo-like image (grey ink on off-white paper, in colour) is stretched to full ink on black', () => {
  fc.assert(fc.property(strokes, (ss) => {
    // Hard-edged strokes, so that no pixel sits at the noise level where the two could crop differently.
    const ink = draw(40, 40, ss).map((v) => (v >= 128 ? 255 : 0));
    const rgb = new Uint8Array(40 * 40 * 3);
    // Paper at 210, ink at 50: 160 levels of contrast instead of 255.
    for (let i = 0; i < ink.length; i++) rgb.fill(Math.round(210 - (ink[i] / 255) * 160), i * 3, i * 3 + 3);
    const a = toMnist(gray(ink, 40, 40));
    const b = toMnist({ data: rgb, width: 40, height: 40, channels: 3 });
    let diff = 0;
    for (let i = 0; i < 784; i++) diff = Math.max(diff, Math.abs(a.pixels[i] - b.pixels[i]));
    assert.ok(diff < 0.02, `largest difference ${diff}`);
  }));
});

test('a small digit is scaled up so its longer side is 20 pixels, keeping its aspect ratio', () => {
  const ss: Stroke[] = [{ x0: 5, y0: 2, x1: 5, y1: 11, width: 1 }]; // a 3x12 vertical bar
  const r = toMnist(gray(draw(12, 14, ss), 12, 14));
  const { w, h } = inkExtent(r.pixels);
  assert.equal(h, 20);
  assert.ok(w >= 4 && w <= 6, `width ${w}`);
});

test('MNIST test digits, already in MNIST form, pass through nearly unchanged', () => {
  const t = loadMnist().test;
  const n = 500;
  let exact = 0;
  let total = 0;
  for (let k = 0; k < n; k++) {
    const src = t.images.subarray(k * 784, (k + 1) * 784);
    const r = toMnist(gray(src, 28, 28));
    let d = 0;
    for (let i = 0; i < 784; i++) d += Math.abs(r.pixels[i] - src[i] / 255);
    total += d / 784;
    if (d < 1e-4) exact++; // float32 rounding aside
    const c = centreOfMass(r.pixels)!;
    assert.ok(Math.abs(c.x - 14) <= 0.5 + 1e-9 && Math.abs(c.y - 14) <= 0.5 + 1e-9, `digit ${k}: centre (${c.x}, ${c.y})`);
  }
  assert.ok(total / n < 0.002, `mean absolute difference ${total / n}`);
  assert.ok(exact / n > 0.65, `only ${exact} of ${n} identical`);
});

test('malformed image descriptions are refused', () => {
  assert.throws(() => toMnist({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 }), /needs 16 values, got 10/);
  assert.throws(() => toMnist({ data: new Uint8Array(0), width: 0, height: 4, channels: 1 }), /not a positive whole size/);
});
