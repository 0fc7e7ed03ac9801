// Model directories on disk (Node): model.json + weights.bin, the layout TensorFlow.js writes.
// Saving is atomic: the files go to a temporary sibling directory that is renamed into place, so a
// model directory is never seen half-written.

import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Model } from '../graph/model.js';
import { modelFromArtifacts, modelToArtifacts, WEIGHTS_FILE, type ModelJson } from './artifacts.js';

/** Writes `model` to `dir` (created, or replaced whole). `metadata` lands in model.json's userDefinedMetadata. */
export async function saveModel(model: Model, dir: string, metadata?: Record<string, unknown>): Promise<string> {
  const target = resolve(dir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = join(parent, `.${basename(target)}.tmp-${tag}`);
  const { modelJson, weightData } = modelToArtifacts(model, metadata);
  try {
    await mkdir(tmp);
    await writeFile(join(tmp, WEIGHTS_FILE), new Uint8Array(weightData), { flush: true });
    await writeFile(join(tmp, 'model.json'), JSON.stringify(modelJson), { flush: true });
    if (existsSync(target)) {
      const old = join(parent, `.${basename(target)}.old-${tag}`);
      await rename(target, old);
      await rename(tmp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`saveModel: could not write ${target}: ${(e as Error).message}`);
  }
  return target;
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
  let modelJson: ModelJson;
  try {
    modelJson = JSON.parse(await readFile(jsonPath, 'utf8')) as ModelJson;
  } catch (e) {
    throw new Error(`loadModel: ${jsonPath} is not valid JSON (${(e as Error).message})`);
  }
  const paths = Array.isArray(modelJson?.weightsManifest) ? modelJson.weightsManifest.flatMap((g) => g.paths ?? []) : [];
  const parts: Uint8Array[] = [];
  for (const rel of paths) {
    const wp = resolve(dirname(jsonPath), rel);
    if (dirname(wp) !== dirname(jsonPath) && !wp.startsWith(dirname(jsonPath))) throw new Error(`loadModel: ${jsonPath} names a weights file outside its folder: ${rel}`);
    if (!existsSync(wp)) throw new Error(`loadModel: weights file ${rel}, listed in ${jsonPath}, is missing`);
    parts.push(await readFile(wp));
  }
  const total = parts.reduce((s, b) => s + b.length, 0);
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const b of parts) {
    bytes.set(b, o);
    o += b.length;
  }
  return { modelJson, weightData: bytes.buffer, source: jsonPath };
}
