// The foreign-digit test set: MNIST test digits re-rendered in other styles through the user-image
// preprocessing. Each style is what it says (thicker strokes hold more ink, thinner less; a slant moves the
// top of a digit sideways), every image is in MNIST's form, the set is the same on every build, and
// `evaluate --data foreign` reads it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foreignDigits, FOREIGN_STYLES, renderForeign } from '../src/data/foreign.js';
import { loadMnist } from '../src/data/mnist.js';
import { centreOfMass } from '../src/data/preprocess.js';
import { loadTestData } from '../src/data/sources.js';
import { Random } from '../src/engine/random.js';

const mnist = loadMnist();
const digit = (i: number): Uint8Array => mnist.test.images.subarray(i * 784, (i + 1) * 784);
const ink = (img: Uint8Array): number => img.reduce((s, v) => s + v, 0);
const style = (name: string): (typeof FOREIGN_STYLES)[number] => FOREIGN_STYLES.find((s) => s.name === name)!;

test('20 digits in 7 styles: labels repeated per style, MNIST form (centred by mass), the same set twice', () => {
  const a = foreignDigits(mnist.test, { count: 20 });
  assert.equal(a.count, 140);
  assert.deepEqual(a.styles.slice(0, 21).at(-1), 'thick');
  for (let s = 0; s < FOREIGN_STYLES.length; s++) assert.deepEqual([...a.labels.subarray(s * 20, (s + 1) * 20)], [...mnist.test.labels.subarray(0, 20)]);
  for (let i = 0; i < a.count; i += 13) {
    const c = centreOfMass(a.images.subarray(i * 784, (i + 1) * 784))!;
    assert.ok(Math.abs(c.x - 14) < 1.5 && Math.abs(c.y - 14) < 1.5, `image ${i} centred at (${c.x}, ${c.y})`);
  }
  assert.deepEqual(foreignDigits(mnist.test, { count: 20 }).images, a.images);
});

test('thick strokes carry more ink than plain ones, thin ones less; a right slant moves the top of a 1 to the right', () => {
  for (let i = 0; i < 10; i++) {
    const [plain, thick, thin] = ['plain', 'thick', 'thin'].map((n) => ink(renderForeign(digit(i), style(n), new Random(1))));
    assert.ok(thick > plain * 1.15 && thin < plain * 0.9, `digit ${i}: ink plain ${plain}, thick ${thick}, thin ${thin}`);
  }
  const one = mnist.test.labels.indexOf(1);
  const topX = (img: Uint8Array): number => centreOfMass(Uint8Array.from({ length: 784 }, (_, k) => (k < 8 * 28 ? img[k] : 0)))!.x;
  const right = topX(renderForeign(digit(one), style('slant-right'), new Random(1)));
  const left = topX(renderForeign(digit(one), style('slant-left'), new Random(1)));
  assert.ok(right > left + 3, `top of the 1 at x=${right} (right slant) and ${left} (left slant)`);
});

test("--data foreign is a test set of its own, named as such", async () => {
  const { test: set, source } = await loadTestData('foreign', 70);
  assert.equal(set.count, 70);
  assert.match(source, /^foreign digits: MNIST test digits re-rendered plain, thick, thin, slant-right, slant-left, thick-slant, thin-slant/);
});
