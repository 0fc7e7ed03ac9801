// Search spaces: what parses, what each bad space says (one line naming the file and the parameter),
// conditional parameters, and which training options a space may set.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSpaceFields, trainOptionsFor } from '../src/tune/fields.js';
import { activeParams, checkParams, parseSpace, spaceKey, type Space } from '../src/tune/space.js';

const SRC = 'space.json';

function fails(json: unknown, message: RegExp): void {
  assert.throws(() => parseSpace(json, SRC), (e: Error) => {
    assert.match(e.message, message);
    assert.ok(e.message.startsWith(`${SRC}:`), `names the file: ${e.message}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('parses the four kinds, with ints stepped by 1 and loguniform on a log scale', () => {
  const s = parseSpace({ lr: { loguniform: [1e-4, 1e-2] }, batchSize: { choice: [32, 64, 128] }, epochs: { int: [1, 4] }, lrDecay: { uniform: [0.5, 1], step: 0.1 } }, SRC);
  const by = Object.fromEntries(s.params.map((p) => [p.name, p]));
  assert.deepEqual(by.lr, { name: 'lr', kind: 'loguniform', low: 1e-4, high: 1e-2, step: null, log: true, points: null });
  assert.deepEqual(by.batchSize, { name: 'batchSize', kind: 'choice', choices: [32, 64, 128] });
  assert.deepEqual(by.epochs, { name: 'epochs', kind: 'int', low: 1, high: 4, step: 1, log: false, points: null });
  assert.equal((by.lrDecay as { step: number }).step, 0.1);
});

test('bad spaces: each a one-line error naming the file and the parameter', () => {
  fails({ lr: { logunifrom: [1e-4, 1e-2] } }, /parameter 'lr': unknown parameter kind or key 'logunifrom' \(kinds: choice, int, uniform, loguniform/);
  fails({ lr: { uniform: [0.1, 0.1] } }, /parameter 'lr': empty range: uniform \[0.1, 0.1\] needs low < high/);
  fails({ lr: { uniform: [1, 0] } }, /empty range/);
  fails({ epochs: { int: [5, 2] } }, /parameter 'epochs': empty range: int \[5, 2\]/);
  fails({ batchSize: { choice: [] } }, /parameter 'batchSize': empty range: choice has no values/);
  fails({ lr: { loguniform: [0, 0.1] } }, /parameter 'lr': loguniform needs positive bounds, got \[0, 0.1\]/);
  fails({ lr: { loguniform: [-1, 0.1] } }, /loguniform needs positive bounds/);
  fails({ n: { int: [0, 8], log: true } }, /int with log needs positive bounds/);
  fails({ lr: { uniform: [0, 1], choice: [1] } }, /exactly one kind .* got uniform and choice|exactly one kind .* got choice and uniform/);
  fails({ lr: { uniform: [0, 'x'] } }, /uniform takes \[low, high\] as two finite numbers/);
  fails({ n: { int: [1.5, 3] } }, /int takes whole-number bounds/);
  fails({ x: { uniform: [0, 1], step: 0.3 } }, /not a whole number of steps of 0.3/);
  fails({ a: { choice: [1, 1] } }, /the choice 1 is listed twice/);
  fails({}, /has no parameters/);
  fails([1], /a search space is a JSON object/);
  fails({ f: { int: [1, 4], when: { arch: 'vgg' } } }, /parameter 'f': when.arch: no parameter 'arch' in the space/);
  fails({ a: { choice: ['x', 'y'] }, f: { int: [1, 4], when: { a: 'z' } } }, /when.a: "z" is not a value 'a' can take/);
  fails({ a: { uniform: [0, 1] }, f: { int: [1, 4], when: { a: 0.5 } } }, /a condition needs a choice or int parent, 'a' is uniform/);
  fails({ a: { choice: [1, 2], when: { b: 1 } }, b: { choice: [1, 2], when: { a: 1 } } }, /conditions form a cycle/);
});

test('conditional parameters: parents come first, and a child is active only where its condition holds', () => {
  const s = parseSpace({ lrDecay: { uniform: [0.5, 1], when: { epochs: [2, 3] } }, epochs: { choice: [1, 2, 3] } }, SRC);
  assert.deepEqual(s.params.map((p) => p.name), ['epochs', 'lrDecay'], 'the parent moved before its child');
  assert.deepEqual(activeParams(s, { epochs: 1 }).map((p) => p.name), ['epochs']);
  assert.deepEqual(activeParams(s, { epochs: 2, lrDecay: 0.7 }).map((p) => p.name), ['epochs', 'lrDecay']);
  checkParams(s, { epochs: 1 });
  checkParams(s, { epochs: 3, lrDecay: 0.9 });
  assert.throws(() => checkParams(s, { epochs: 1, lrDecay: 0.9 }), /'lrDecay' is set although its condition does not hold/);
  assert.throws(() => checkParams(s, { epochs: 2 }), /'lrDecay' is active but has no value/);
  assert.throws(() => checkParams(s, { epochs: 2, lrDecay: 1.5 }), /outside its range/);
});

test('the same space written in another order is the same study space; another range is not', () => {
  const a = parseSpace({ lr: { loguniform: [1e-4, 1e-2] }, batchSize: { choice: [32, 64] } });
  const b = parseSpace({ batchSize: { choice: [32, 64] }, lr: { loguniform: [1e-4, 1e-2] } });
  const c = parseSpace({ batchSize: { choice: [32, 64] }, lr: { loguniform: [1e-4, 1e-1] } });
  assert.equal(spaceKey(a), spaceKey(b));
  assert.notEqual(spaceKey(a), spaceKey(c));
});

test('a space may set only training options, with values they accept', () => {
  const check = (json: unknown): void => checkSpaceFields(parseSpace(json, SRC) as Space, SRC);
  check({ lr: { loguniform: [1e-4, 1e-2] }, batchSize: { choice: [32, 64] }, epochs: { int: [1, 3] }, lrDecay: { uniform: [0.5, 1] } });
  check({ learningRate: { loguniform: [1e-4, 1e-2] }, 'batch-size': { int: [16, 128] } });
  assert.throws(() => check({ momentum: { uniform: [0, 1] } }), /space.json: parameter 'momentum' is not a training option digitnet tune can set \(it can set: learningRate\/lr, batchSize\/batch-size, epochs, lrDecay\/lr-decay, arch, augment, schedule, optimizer, validationSplit\/validation-split\)/);
  assert.throws(() => check({ batchSize: { uniform: [16, 128] } }), /batchSize takes whole numbers; use int or choice, not uniform/);
  assert.throws(() => check({ batchSize: { choice: [0, 32] } }), /batchSize takes a whole number of at least 1, and batchSize: choice \[0,32\] allows 0/);
  assert.throws(() => check({ lrDecay: { uniform: [0.5, 1.5] } }), /lrDecay takes a number above 0 and at most 1/);
  assert.throws(() => check({ lr: { loguniform: [1e-4, 1e-2] }, learningRate: { choice: [0.1] } }), /sets learningRate, as 'lr' already does/);
  // The architecture, augmentation and schedule, as their own flags' parsers accept them; a schedule's
  // parameters only for the architecture that uses them.
  check({ arch: { choice: ['seed', 'vgg'] }, augment: { choice: ['none', 'default', 'rotate=15,elastic=34'] }, schedule: { choice: ['cosine', 'onecycle'], when: { arch: 'vgg' } } });
  assert.throws(() => check({ arch: { choice: ['seed', 'alexnet'] } }), /arch takes a zoo architecture \(seed, lenet5, vgg, resnet20\), and arch: choice \["seed","alexnet"\] allows "alexnet"/);
  assert.throws(() => check({ augment: { choice: ['none', 'rotate=banana'] } }), /augment takes an augmentation as --augment writes it .* allows "rotate=banana"/);
  assert.throws(() => check({ schedule: { choice: ['cosine', 'sawtooth'] } }), /schedule takes a learning-rate schedule .* allows "sawtooth"/);
  check({ optimizer: { choice: ['adam', 'sgd,momentum=0.9,weight_decay=5e-4', 'adamw'] } });
  assert.throws(() => check({ optimizer: { choice: ['adam', 'adagrad'] } }), /optimizer takes an optimizer as --optimizer writes it .* allows "adagrad"/);
});

test("a trial's parameters go on top of the study's training options", () => {
  const base = { data: 'mnist', epochs: 3, batchSize: 64, learningRate: 1e-3, limit: 2000 };
  assert.deepEqual(trainOptionsFor({ lr: 0.005, batchSize: 128 }, base), { data: 'mnist', epochs: 3, batchSize: 128, learningRate: 0.005, limit: 2000 });
  assert.deepEqual(trainOptionsFor({ 'lr-decay': 0.8, epochs: 2 }, base), { ...base, lrDecay: 0.8, epochs: 2 });
});
