// Model directories on disk (Node): model.json + weights.bin, the layout TensorFlow.js writes.
// Saving is atomic (atomic-dir.ts): the files go to a dot-prefixed sibling folder that is renamed into
// place, so a model directory is never seen half-written. Loading reads only inside the model's folder and
// within the size limits of budget.ts.

import { existsSync, realpathSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Model } from '../graph/model.js';
import { modelFromArtifacts, modelToArtifacts, WEIGHTS_FILE, type ModelJson } from './artifacts.js';
import { abandonPartial, beginPartial, commitPartial } from './atomic-dir.js';
import { MODEL_LIMITS } from './budget.js';
import { resolveInside } from './paths.js';
import { formatBytes, readRegularFile } from './read-file.js';

/** Writes `model` to `dir` (created, or replaced whole). `metadata` lands in model.json's userDefinedMetadata. */
export async function saveModel(model: Model, dir: string, metadata?: Record<string, unknown>): Promise<string> {
  const target = resolve(dir);
  const { modelJson, weightData } = modelToArtifacts(model, metadata);
  try {
    const { dir: tmp } = await beginPartial(target);
    await writeFile(join(tmp, WEIGHTS_FILE), new Uint8Array(weightData), { flush: true });
    await writeFile(join(tmp, 'model.json'), JSON.stringify(modelJson), { flush: true });
    return await commitPartial(target);
  } catch (e) {
    await abandonPartial(target);
    throw new Error(`saveModel: could not write ${target}: ${(e as Error).message}`);
  }
}

/** Loads a model directory (or the path of its model.json) written by digitnet, TensorFlow.js or Keras's converter. */
export async function loadModel(path: string): Promise<Model> {
  const { modelJson, weightData, source } = await readModelFiles(path);
  return modelFromArtifacts(modelJson, weightData, source);
}

/** model.json's object and its weight files concatenated in manifest order. */
export async function readModelFiles(path: string): Promise<{ modelJson: ModelJson; weightData: ArrayBuffer; source: string }> {
  const p = resolve(path);
  if (!existsSync(p)) throw new Error(`loadModel: ${p} does not exist`);
  const jsonPath = statSync(p).isDirectory() ? join(p, 'model.json') : p;
  if (!existsSync(jsonPath)) throw new Error(`loadModel: ${dirname(jsonPath)} holds no model.json`);
  const text = readRegularFile(jsonPath, MODEL_LIMITS.maxJsonBytes, 'model.json').toString('utf8');
  let modelJson: ModelJson;
  try {
    modelJson = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new Error(`loadModel: ${jsonPath} is not valid JSON (${(e as Error).message})`);
  }
  const parts = readWeightFiles(jsonPath, modelJson);
  const total = parts.reduce((s, b) => s + b.length, 0);
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const b of parts) {
    bytes.set(b, o);
    o += b.length;
  }
  return { modelJson, weightData: bytes.buffer, source: jsonPath };
}

/**
 * The manifest's weight files, each held inside model.json's folder (the one path rule, and the real path
 * too, so a link cannot lead out), listed once, and no more bytes in all than the largest model allowed.
 */
function readWeightFiles(jsonPath: string, modelJson: ModelJson): Buffer[] {
  const folder = dirname(jsonPath);
  const groups = Array.isArray(modelJson?.weightsManifest) ? modelJson.weightsManifest : [];
  const paths = groups.flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []));
  const maxBytes = MODEL_LIMITS.maxParams * 4;
  const seen = new Set<string>();
  const files = paths.map((rel) => {
    const wp = resolveInside(folder, String(rel));
    if (wp === null) throw new Error(`loadModel: ${jsonPath} names a weights file outside its folder: ${rel}`);
    if (seen.has(wp)) throw new Error(`loadModel: ${jsonPath} lists the weights file ${rel} more than once`);
    seen.add(wp);
    if (!existsSync(wp)) throw new Error(`loadModel: weights file ${rel}, listed in ${jsonPath}, is missing`);
    if (resolveInside(realpathSync(folder), realpathSync(wp)) === null) {
      throw new Error(`loadModel: weights file ${rel}, listed in ${jsonPath}, is a link to a file outside its folder`);
    }
    return { wp, size: statSync(wp).size };
  });
  const total = files.reduce((s, f) => s + f.size, 0);
  if (total > maxBytes) {
    throw new Error(`loadModel: the weight files listed in ${jsonPath} hold ${formatBytes(total)}, more than the ${formatBytes(maxBytes)} of the largest model allowed (${MODEL_LIMITS.maxParams.toLocaleString('en-US')} parameters)`);
  }
  return files.map((f) => readRegularFile(f.wp, maxBytes, 'weights file'));
}
