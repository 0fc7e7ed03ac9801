// `digitnet read` run as a user runs it, a real process on real files: PNG numbers composed from MNIST
// test digits and JPEG photos of them on paper, read with the shared trained fixture; the text and --json
// layouts; a blank page is "" and not an error; a file that is not an image, a missing one and a corrupt
// JPEG each get their error in their line while the batch goes on, and the command then exits with 1.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { encodeGrayPng, encodeJpeg } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { Random } from '../src/engine/index.js';
import { composeNumber, photograph, type Photo } from '../src/read/index.js';
import { readFixture, type ReadFixture } from './helpers/read-fixture.js';
import { recognizedDigits } from './helpers/numbers.js';
import { tempDir } from './helpers/temp.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cwd = tempDir('digitnet-read-');
let fx: ReadFixture;
const written: { file: string; text: string }[] = [];

function digitnet(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, DIGITNET_QUIET: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  fx = await readFixture();
  const sure = recognizedDigits(fx.model, loadMnist().test, 40, { sure: 0.99 });
  // Digits the model reads surely alone, well apart: any mistake here is the reader's, not the classifier's.
  for (let k = 0; k < 3; k++) {
    const n = composeNumber(sure.slice(k * 5, k * 5 + 3 + k), new Random(k), { gap: [0.25, 0.5] });
    writeFileSync(join(cwd, `number-${k}.png`), encodeGrayPng(n.image.data as Uint8Array, n.image.width, n.image.height));
    written.push({ file: `number-${k}.png`, text: n.text });
    const photo: Photo = photograph(composeNumber(sure.slice(20 + k * 4, 24 + k * 4), new Random(10 + k), { gap: [0.25, 0.5], digitHeight: 56 }), new Random(20 + k));
    writeFileSync(join(cwd, `photo-${k}.jpg`), encodeJpeg(photo.image, 80));
    written.push({ file: `photo-${k}.jpg`, text: photo.text });
  }
  const blank = photograph({ image: { data: new Uint8Array(200 * 60), width: 200, height: 60, channels: 1 }, text: '', labels: [], boxes: [], touching: 0 }, new Random(5));
  writeFileSync(join(cwd, 'blank.jpg'), encodeJpeg(blank.image, 80));
  writeFileSync(join(cwd, 'notes.txt'), 'a shopping list, not an image\n');
  writeFileSync(join(cwd, 'cut.jpg'), encodeJpeg(blank.image, 80).subarray(0, 300));
});

test('--json: one compact JSON line per image with input, number and each digit\'s label, confidence and box', () => {
  const r = digitnet(['read', '--model', fx.runDir, '--json', ...written.map((w) => w.file), 'blank.jpg']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, written.length + 1);
  lines.forEach((line, i) => {
    assert.ok(!line.includes('\n') && !line.includes('  '), 'compact');
    const o = JSON.parse(line) as { input: string; number: string; digits: { label: number; confidence: number; box: { x: number; y: number; width: number; height: number } }[] };
    assert.deepEqual(Object.keys(o), ['input', 'number', 'digits']);
    if (i === written.length) {
      assert.deepEqual(o, { input: 'blank.jpg', number: '', digits: [] }, 'a blank page reads as "", not an error');
      return;
    }
    assert.equal(o.input, written[i].file, 'input as given');
    assert.equal(o.number, written[i].text, `${o.input}`);
    assert.equal(o.digits.map((d) => d.label).join(''), o.number);
    for (const d of o.digits) {
      assert.ok(d.confidence > 0.5 && d.confidence <= 1);
      assert.deepEqual(Object.keys(d.box), ['x', 'y', 'width', 'height']);
    }
    assert.ok(o.digits.every((d, k) => k === 0 || d.box.x > o.digits[k - 1].box.x), 'left to right');
  });
});

test('text: the number and each digit\'s confidence, one line per image', () => {
  const r = digitnet(['read', '--model', fx.runDir, written[0].file, 'blank.jpg']);
  assert.equal(r.code, 0, r.stderr);
  const [first, second] = r.stdout.trim().split('\n');
  assert.match(first, new RegExp(`^number-0\\.png\\s+${written[0].text}  \\((\\d \\d+\\.\\d%(, )?){${written[0].text.length}}\\)$`));
  assert.match(second, /^blank\.jpg\s+\(no digits found\)$/);
});

test('unreadable inputs get their error in their line, the batch goes on, and the exit code is 1', () => {
  const args = ['read', '--model', fx.runDir, '--json', 'notes.txt', written[1].file, 'missing.png', 'cut.jpg', written[2].file];
  const r = digitnet(args);
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { input: string; error?: string; number?: string });
  assert.deepEqual(lines.map((l) => l.input), ['notes.txt', written[1].file, 'missing.png', 'cut.jpg', written[2].file]);
  assert.match(lines[0].error!, /^notes\.txt: not a PNG or JPEG image \(it starts with text: "a shopping list, not an "\)$/);
  assert.equal(lines[1].number, written[1].text);
  assert.match(lines[2].error!, /^missing\.png: no such file$/);
  assert.match(lines[3].error!, /^cut\.jpg: the JPEG data is corrupt or unsupported/);
  assert.equal(lines[4].number, written[2].text);
  assert.equal(r.stderr, 'digitnet: 3 of 5 images could not be read\n');
  const text = digitnet(['read', '--model', fx.runDir, 'notes.txt', written[0].file]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, new RegExp(`^number-0\\.png\\s+${written[0].text} `));
  assert.equal(text.stderr, 'digitnet: notes.txt: not a PNG or JPEG image (it starts with text: "a shopping list, not an ")\ndigitnet: 1 of 2 images could not be read\n');
});

test('a bad --model is one line on stderr, before any image is read', () => {
  const r = digitnet(['read', '--model', 'no-such-run', written[0].file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^digitnet: no-such-run/);
  assert.equal(r.stdout, '');
});
