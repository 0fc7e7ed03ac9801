// `digitnet explain` run as a user runs it: a real process on PNG and JPEG files made from MNIST test digits,
// with the shared trained fixture. Checks the files it writes and their sizes, that its labels are
// `digitnet predict`'s, and the one-line errors for a bad image (named with its path), a blank one, a missing
// file and a Grad-CAM layer without feature maps.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeImage, encodeGrayPng } from '../src/data/images.js';
import { loadMnist } from '../src/data/mnist.js';
import { encodeGrayJpeg, scanOf } from './helpers/server-fixture.js';
import { sharedFixtureRun } from './helpers/trained-fixture.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
let cwd: string;
const mnist = loadMnist();
const digit = (i: number): Uint8Array => mnist.test.images.subarray(i * 784, (i + 1) * 784);

function digitnet(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, DIGITNET_QUIET: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function size(path: string): [number, number] {
  const img = decodeImage(readFileSync(join(cwd, path)), path);
  return [img.width, img.height];
}

/** Exit code 1 and exactly one line, `digitnet: <message>`. */
function fails(args: string[], message: RegExp): void {
  const r = digitnet(args);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr.trimEnd(), message);
}

before(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'digitnet-cli-explain-'));
  await sharedFixtureRun(join(cwd, 'run'));
  writeFileSync(join(cwd, 'seven.png'), encodeGrayPng(digit(0), 28, 28));
  writeFileSync(join(cwd, 'two.png'), encodeGrayPng(digit(1), 28, 28));
  writeFileSync(join(cwd, 'scan.jpg'), encodeGrayJpeg(scanOf(digit(2), { width: 200, height: 160, scale: 4, x: 40, y: 20 })));
  writeFileSync(join(cwd, 'notes.png'), 'these are not pixels\n');
  mkdirSync(join(cwd, 'digits'));
  for (const i of [3, 4]) writeFileSync(join(cwd, 'digits', `test-${i}.png`), encodeGrayPng(digit(i), 28, 28));
  writeFileSync(join(cwd, 'blank.png'), encodeGrayPng(new Uint8Array(32 * 32).fill(200), 32, 32));
});
after(() => cwd && rmSync(cwd, { recursive: true, force: true }));

test('writes the image, saliency, Grad-CAM and feature maps of each image, the filters and a figure; labels as predict gives them', () => {
  const r = digitnet(['explain', '--model', 'run', 'seven.png', 'two.png', 'scan.jpg', '--out', 'why']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^seven\.png\s+7\s+\(\d+\.\d%\)\s+why\/seven\/$/m);
  assert.match(r.stdout, /^Filters: why\/filters\.png; figure: why\/explanations\.png$/m);
  for (const name of ['seven', 'two', 'scan']) {
    assert.deepEqual(size(`why/${name}/input.png`), [224, 224]);
    assert.deepEqual(size(`why/${name}/saliency.png`), [224, 224]);
    assert.deepEqual(size(`why/${name}/gradcam.png`), [224, 224]);
    // 8 maps of 26x26 shown 4 times larger in one row of 8; 16 maps of 11x11 in two rows; 2-pixel gaps.
    assert.deepEqual(size(`why/${name}/activations-conv2d.png`), [8 * 104 + 18, 104 + 4]);
    assert.deepEqual(size(`why/${name}/activations-conv2d_1.png`), [8 * 44 + 18, 2 * 44 + 6]);
  }
  assert.deepEqual(size('why/filters.png'), [8 * 24 + 18, 24 + 4]);
  assert.ok(size('why/explanations.png')[1] > 3 * 112, 'the figure has a row per image');
  const json = JSON.parse(readFileSync(join(cwd, 'why', 'explanations.json'), 'utf8')) as {
    model: string; images: { input: string; label: number; top: { index: number; p: number }[]; gradCamLayer: string; files: Record<string, unknown> }[];
  };
  assert.equal(json.model, 'fixture_cnn');
  const predicted = digitnet(['predict', '--model', 'run', '--json', 'seven.png', 'two.png', 'scan.jpg']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { label: number; probabilities: number[] });
  json.images.forEach((e, i) => {
    assert.equal(e.label, predicted[i].label, e.input);
    assert.equal(e.top.length, 3);
    assert.equal(e.top[0].index, e.label);
    assert.ok(Math.abs(e.top[0].p - predicted[i].probabilities[e.label]) < 1e-5);
    assert.ok(e.top[0].p >= e.top[1].p && e.top[1].p >= e.top[2].p);
    assert.equal(e.gradCamLayer, 'conv2d_1');
  });
  assert.equal(json.images[0].label, 7);
});

test('--scale sets the size of the images; a folder explains every image in it', () => {
  const ok = digitnet(['explain', '--model', 'run', 'seven.png', 'digits', '--out', 'small', '--scale', '4', '--layer', 'conv2d']);
  assert.equal(ok.code, 0, ok.stderr);
  for (const name of ['seven', 'test-3', 'test-4']) assert.ok(existsSync(join(cwd, 'small', name, 'gradcam.png')), name);
  assert.deepEqual(size('small/seven/input.png'), [112, 112]);
  assert.equal((JSON.parse(readFileSync(join(cwd, 'small', 'explanations.json'), 'utf8')) as { images: { gradCamLayer: string }[] }).images[0].gradCamLayer, 'conv2d');
});

test('one-line errors: an image that will not decode (named with its path), a blank one, a missing file, a layer without feature maps', () => {
  fails(['explain', '--model', 'run', 'seven.png', 'notes.png', '--out', 'bad'], /^digitnet: notes\.png: not a PNG or JPEG image \(it starts with text: "these are not pixels\\n"\)$/);
  assert.ok(!existsSync(join(cwd, 'bad')), 'nothing is written when an input is bad');
  fails(['explain', '--model', 'run', 'blank.png', '--out', 'bad'], /^digitnet: blank\.png: no digit found/);
  fails(['explain', '--model', 'run', 'missing.png', '--out', 'bad'], /^digitnet: missing\.png: no such file or folder$/);
  fails(['explain', '--model', 'run', 'seven.png', '--out', 'bad', '--layer', 'dense'], /^digitnet: explain: Grad-CAM needs feature maps \[null,h,w,channels\], but layer 'dense' outputs \[null,10\]$/);
});
