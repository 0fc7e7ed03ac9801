// The TensorFlow.js Layers model format, in memory: model.json's object and the weights' bytes.
// What we write loads with tf.loadLayersModel; what TensorFlow.js (or Keras's converter) writes for the
// layers we have loads here. The weights are checked against the layers' needs (names, shapes, byte count)
// before the model's buffers are allocated. Browser-safe; reading and writing directories lives in files.ts.

import type { Model } from '../graph/model.js';
import { fmtShape, sizeOf } from '../tensor.js';
import { checkManifest as checkManifestLimits } from './budget.js';
import { modelFromTopology, topologyOf } from './topology.js';

export const GENERATED_BY = 'digitnet 0.2.0';
export const WEIGHTS_FILE = 'weights.bin';

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

export interface ModelJson {
  modelTopology: Record<string, unknown>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

/** model.json's object and the weights (little-endian float32, in the manifest's order). */
export function modelToArtifacts(model: Model, metadata?: Record<string, unknown>): { modelJson: ModelJson; weightData: ArrayBuffer } {
  const modelJson: ModelJson = {
    modelTopology: topologyOf(model),
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: model.weightSpecs.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
    ...(metadata ? { userDefinedMetadata: metadata } : {}),
  };
  // Typed arrays are little-endian on every platform we run on.
  return { modelJson, weightData: model.exportWeights().buffer as ArrayBuffer };
}

/** Builds a model from model.json's object and the concatenated weight bytes of its manifest. */
export function modelFromArtifacts(json: unknown, weightData: ArrayBuffer, source = 'model.json'): Model {
  const mj = checkModelJson(json, source);
  checkManifestLimits(mj, source);
  const topology = (mj.modelTopology.model_config ?? mj.modelTopology) as Record<string, unknown>;
  const entries = mj.weightsManifest.flatMap((g) => (Array.isArray(g?.weights) ? g.weights : []));
  checkEntries(entries, source);
  const model = modelFromTopology(topology, source, entries);
  checkBytes(entries, weightData, source);
  model.importWeights(readWeights(model, entries, weightData, source));
  return model;
}

function checkModelJson(json: unknown, source: string): ModelJson {
  const mj = json as ModelJson;
  if (!mj || typeof mj !== 'object' || typeof mj.modelTopology !== 'object' || mj.modelTopology === null) {
    throw new Error(`${source}: not a TensorFlow.js Layers model.json (no modelTopology)`);
  }
  if (mj.format !== undefined && mj.format !== 'layers-model') {
    throw new Error(`${source}: format '${mj.format}' is not a Layers model (graph models from the converter are not supported)`);
  }
  if (!Array.isArray(mj.weightsManifest)) throw new Error(`${source}: no weightsManifest`);
  return mj;
}

/** The manifest's entries: float32 only, sane shapes. */
function checkEntries(entries: WeightEntry[], source: string): void {
  for (const e of entries) {
    if (!e || typeof e.name !== 'string' || !Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${source}: malformed weight entry ${JSON.stringify(e).slice(0, 120)}`);
    }
    if (e.dtype !== 'float32' || e.quantization) {
      throw new Error(`${source}: weight '${e.name}' is ${e.quantization ? 'quantized' : e.dtype}; only unquantized float32 weights are supported`);
    }
  }
}

/** The weight files hold as many bytes as the manifest declares. */
function checkBytes(entries: WeightEntry[], weightData: ArrayBuffer, source: string): void {
  const bytes = entries.reduce((s, e) => s + sizeOf(e.shape) * 4, 0);
  if (weightData.byteLength !== bytes) {
    throw new Error(`${source}: the weight files hold ${weightData.byteLength} bytes, the manifest needs ${bytes}`);
  }
}

/**
 * The weights in the model's save order. Matched by name when every manifest name is one of the model's
 * (TensorFlow.js and digitnet files; a ':0' suffix is ignored), else by position; shapes must agree.
 */
function readWeights(model: Model, entries: WeightEntry[], weightData: ArrayBuffer, source: string): Float32Array {
  const specs = model.weightSpecs;
  if (entries.length !== specs.length) {
    throw new Error(`${source}: the manifest lists ${entries.length} weights, the model's layers need ${specs.length} (${specs.map((s) => s.name).join(', ')})`);
  }
  const all = new Float32Array(weightData.slice(0));
  for (let i = 0; i < all.length; i++) {
    if (!Number.isFinite(all[i])) throw new Error(`${source}: weight value ${i} is ${all[i]}; the weights file is corrupt`);
  }
  const clean = (n: string): string => n.replace(/:0$/, '');
  const byName = new Map<string, { e: WeightEntry; data: Float32Array }>();
  let o = 0;
  for (const e of entries) {
    const size = sizeOf(e.shape);
    byName.set(clean(e.name), { e, data: all.subarray(o, o + size) });
    o += size;
  }
  const named = specs.every((s) => byName.has(s.name));
  const ordered = [...byName.values()];
  const out = new Float32Array(all.length);
  let w = 0;
  specs.forEach((s, i) => {
    const { e, data } = named ? byName.get(s.name)! : ordered[i];
    if (e.shape.length !== s.shape.length || e.shape.some((d, j) => d !== s.shape[j])) {
      throw new Error(`${source}: weight '${e.name}' has shape ${fmtShape(e.shape)}, but '${s.name}' needs ${fmtShape(s.shape)}`);
    }
    out.set(data, w);
    w += data.length;
  });
  return out;
}
