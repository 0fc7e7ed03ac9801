// Model files from an untrusted source: weights paths held inside the model's folder by whole path segments
// (the one path rule, also checked on its own against Node's path.resolve), links out refused, a manifest
// listing a file many times refused before reading, and parameter counts checked against the limit and the
// manifest before the model allocates (a 3 KB model.json asking for 10^10 parameters costs nothing).

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { seedCnn } from '../src/train/zoo/index.js';
import { modelFromArtifacts } from '../src/engine/io/artifacts.js';
import { MODEL_LIMITS } from '../src/engine/io/budget.js';
import { loadModel, saveModel } from '../src/engine/io/files.js';
import { joinInside, resolveInside } from '../src/engine/io/paths.js';
import { callInChild } from './helpers/child.js';

const root = mkdtempSync(join(tmpdir(), 'digitnet-model-files-'));
const model = seedCnn({ seed: 1 });
const modelDir = join(root, 'x', 'model');
await saveModel(model, modelDir);
const json = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));

/** A copy of the saved model with model.json changed by `edit`, in `<root>/<name>/model`. */
function variant(name: string, edit: (j: typeof json) => void): string {
  const dir = join(root, name, 'model');
  mkdirSync(dir, { recursive: true });
  cpSync(join(modelDir, 'weights.bin'), join(dir, 'weights.bin'));
  const j = structuredClone(json);
  edit(j);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
  return dir;
}

test('the path rule compares whole segments: model2 and model-secrets are outside model', () => {
  assert.equal(resolveInside('/x/model', 'weights.bin'), '/x/model/weights.bin');
  assert.equal(resolveInside('/x/model', './shards/../weights.bin'), '/x/model/weights.bin');
  for (const rel of ['../model2/weights.bin', '../model-secrets/id_rsa', '..', '/etc/passwd', '../../x/model/../model2/w', 'a/../../model2/w', 'C:\\evil', 'file:///etc/passwd', 'w\0.bin']) {
    assert.equal(resolveInside('/x/model', rel), null, rel);
  }
  assert.equal(resolveInside('/x/model', '/x/model/w.bin'), '/x/model/w.bin', 'an absolute path inside is inside');
  assert.equal(resolveInside('/x/model', '../model'), '/x/model', 'the folder itself');
  assert.throws(() => joinInside('/x/model', '../model2/w', 'model.json'), /^Error: model\.json: '\.\.\/model2\/w' leads outside \/x\/model; only paths inside that folder are allowed$/);
});

test('the path rule agrees with path.resolve on every relative path of plain segments', () => {
  const segment = fc.constantFrom('..', '.', 'model', 'model2', 'model-secrets', 'w.bin', 'x', '');
  fc.assert(fc.property(fc.array(segment, { maxLength: 6 }), (parts) => {
    const rel = parts.join('/');
    const want = posix.resolve('/x/model', rel);
    const inside = want === '/x/model' || want.startsWith('/x/model/');
    assert.equal(resolveInside('/x/model', rel), inside ? want : null, rel);
  }), { numRuns: 2000 });
});

test('weights paths that leave the model folder are refused, whatever the folder next door is called', async () => {
  for (const sibling of ['model2', 'model-secrets']) {
    mkdirSync(join(root, 'x', sibling), { recursive: true });
    cpSync(join(modelDir, 'weights.bin'), join(root, 'x', sibling, 'weights.bin'));
    const out = variant(`escape-${sibling}`, (j) => (j.weightsManifest[0].paths = [`../${sibling}/weights.bin`]));
    // The variant lives in <root>/escape-*/model; point it at its own sibling folder too.
    mkdirSync(join(out, '..', sibling), { recursive: true });
    cpSync(join(modelDir, 'weights.bin'), join(out, '..', sibling, 'weights.bin'));
    await assert.rejects(loadModel(out), new RegExp(`names a weights file outside its folder: \\.\\./${sibling}/weights\\.bin$`));
  }
});

test('a weights file that is a link to a file outside the folder is refused', async () => {
  const dir = variant('link', () => undefined);
  writeFileSync(join(root, 'secret.bin'), readFileSync(join(modelDir, 'weights.bin')));
  const { rmSync } = await import('node:fs');
  rmSync(join(dir, 'weights.bin'));
  symlinkSync(join(root, 'secret.bin'), join(dir, 'weights.bin'));
  await assert.rejects(loadModel(dir), /weights file weights\.bin, listed in .*model\.json, is a link to a file outside its folder/);
});

test('a manifest that lists one weights file 2,000 times is refused before any of it is read', async () => {
  const dir = variant('repeated', (j) => (j.weightsManifest[0].paths = Array(2000).fill('weights.bin')));
  await assert.rejects(loadModel(dir), /lists the weights file weights\.bin more than once/);
});

test('an extra Dense layer of 10^8 units in a 3 KB model.json is refused from its shapes, before the model allocates', () => {
  const dir = variant('dense-1e8', (j) => {
    const layers = j.modelTopology.config.layers;
    layers.splice(layers.length - 1, 0, { class_name: 'Dense', config: { name: 'huge', units: 1e8, activation: 'relu', use_bias: true } });
  });
  assert.ok(readFileSync(join(dir, 'model.json')).length < 4000);
  const child = callInChild('src/engine/io/files.js', 'loadModel', [dir]);
  assert.match(child.error ?? '', /model\.json: the layers need [\d,]+ parameters \(layer 'huge' \(Dense\) alone needs 12,900,000,000\); a model may hold at most 100,000,000$/);
  assert.ok(child.peakMb < 200, `peak ${child.peakMb.toFixed(0)} MB`);
});

test('layers that need more parameters than the manifest lists are refused before allocating, even under the limit', () => {
  const dir = variant('dense-7e5', (j) => {
    const layers = j.modelTopology.config.layers;
    layers.splice(layers.length - 1, 0, { class_name: 'Dense', config: { name: 'wide', units: 700_000, activation: 'relu' } });
  });
  const child = callInChild('src/engine/io/files.js', 'loadModel', [dir]);
  assert.match(child.error ?? '', /weight 'dense_1\/kernel' has shape \[128,10\], but 'wide\/kernel' needs \[128,700000\]/);
  assert.ok(child.peakMb < 200, `peak ${child.peakMb.toFixed(0)} MB (the layers alone would take 700 MB)`);
});

test('Dense(10^9) and manifests over the limit get a one-line error, not "Invalid typed array length"', () => {
  const j = structuredClone(json);
  j.modelTopology.config.layers.at(-1).config.units = 1e9;
  assert.throws(() => modelFromArtifacts(j, new ArrayBuffer(0), 'm.json'), /^Error: m\.json: the layers need [\d,]+ parameters \(layer 'dense_1' \(Dense\) alone needs 129,000,000,000\); a model may hold at most 100,000,000$/);
  const big = structuredClone(json);
  big.weightsManifest[0].weights[0].shape = [100000, 100000];
  assert.throws(() => modelFromArtifacts(big, new ArrayBuffer(0), 'm.json'), /m\.json: the manifest lists more than 100,000,000 parameters \(weight 'conv2d\/kernel' \[100000,100000\] holds 10,000,000,000\)/);
  const negative = structuredClone(json);
  negative.weightsManifest[0].weights[0].shape = [3, -3];
  assert.throws(() => modelFromArtifacts(negative, new ArrayBuffer(0), 'm.json'), /weight 'conv2d\/kernel' has shape \[3,-3\]; expected a list of whole numbers/);
  assert.equal(MODEL_LIMITS.maxParams, 100_000_000);
});

test('model.json must be a regular file; a device in its place is refused', async () => {
  const dir = join(root, 'device');
  mkdirSync(dir);
  symlinkSync('/dev/zero', join(dir, 'model.json'));
  await assert.rejects(loadModel(dir), /model\.json: is a character device, not a regular file; give a model\.json/);
});
