// The TensorFlow.js Layers model format, in memory: model.json's object and the weights' bytes.
// What we write loads with tf.loadLayersModel; what TensorFlow.js (or Keras's converter) writes for the
// layers we have loads here. Browser-safe; reading and writing directories lives in files.ts.

import { Dense } from '../layers/dense.js';
import type { Layer } from '../layers/layer.js';
import { Sequential } from '../model.js';
import { fmtShape, sizeOf } from '../tensor.js';
import { checkLayerParams, checkManifest } from './budget.js';
import { located } from './located.js';
import { layerFromConfig } from './layer-configs.js';

export const GENERATED_BY = 'digitnet 0.1.0';
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

/** model.json's object and the weights (little-endian float32, in weightSpecs order). */
export function modelToArtifacts(model: Sequential, metadata?: Record<string, unknown>): { modelJson: ModelJson; weightData: ArrayBuffer } {
  const layers = model.layers.map((l, i) => ({ class_name: l.className, config: layerConfig(l, i === 0 ? model.inputShape : null) }));
  const modelJson: ModelJson = {
    modelTopology: {
      class_name: 'Sequential',
      config: { name: model.name, layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: model.weightSpecs.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
    ...(metadata ? { userDefinedMetadata: metadata } : {}),
  };
  const weightData = model.params.slice().buffer; // typed arrays are little-endian on every platform we run on
  return { modelJson, weightData };
}

function layerConfig(l: Layer, inputShape: number[] | null): Record<string, unknown> {
  return {
    ...l.config(),
    name: l.name,
    trainable: true,
    ...(inputShape ? { batch_input_shape: [null, ...inputShape] } : {}),
    dtype: 'float32',
  };
}

/** Builds a model from model.json's object and the concatenated weight bytes of its manifest. */
export function modelFromArtifacts(json: unknown, weightData: ArrayBuffer, source = 'model.json'): Sequential {
  const mj = checkModelJson(json, source);
  const manifestParams = checkManifest(mj, source);
  const topology = (mj.modelTopology.model_config ?? mj.modelTopology) as Record<string, unknown>;
  const className = topology.class_name;
  if (className !== 'Sequential') {
    throw new Error(`${source}: only Sequential models are supported, this one is '${String(className)}'`);
  }
  const cfg = topology.config as Record<string, unknown> | unknown[];
  const layerEntries = (Array.isArray(cfg) ? cfg : (cfg as Record<string, unknown> | null)?.layers) as unknown[];
  if (!Array.isArray(layerEntries) || layerEntries.length === 0) throw new Error(`${source}: modelTopology holds no layers`);
  const name = Array.isArray(cfg) ? 'sequential' : String((cfg as Record<string, unknown> | null)?.name ?? 'sequential');
  const layers: Layer[] = [];
  let inputShape: number[] | undefined;
  for (const [i, entry] of layerEntries.entries()) {
    const built = located(`${source}: layer ${i}`, () => layerFromConfig(entry, `${source}: layer ${i}`));
    if ('inputShape' in built) inputShape = built.inputShape;
    else layers.push(built.layer);
  }
  if (inputShape && !layers[0].inputShape) layers[0].inputShape = inputShape;
  checkLayerParams(layers, mj, manifestParams, source);
  const model = located(source, () => new Sequential(layers, { name, seed: 0 }));
  model.setWeights(readWeights(model, mj, weightData, source));
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

/** Matches the manifest's weights to the model's, in order, by shape; returns the flat buffer. */
function readWeights(model: Sequential, mj: ModelJson, weightData: ArrayBuffer, source: string): Float32Array {
  const entries = mj.weightsManifest.flatMap((g) => g.weights);
  const specs = model.weightSpecs;
  if (entries.length !== specs.length) {
    throw new Error(`${source}: the manifest lists ${entries.length} weights, the model's layers need ${specs.length} (${specs.map((s) => s.name).join(', ')})`);
  }
  let bytes = 0;
  entries.forEach((e, i) => {
    const want = specs[i];
    if (e.dtype !== 'float32' || e.quantization) {
      throw new Error(`${source}: weight '${e.name}' is ${e.quantization ? 'quantized' : e.dtype}; only unquantized float32 weights are supported`);
    }
    if (e.shape.length !== want.shape.length || e.shape.some((d, j) => d !== want.shape[j])) {
      throw new Error(`${source}: weight '${e.name}' has shape ${fmtShape(e.shape)}, but '${want.name}' needs ${fmtShape(want.shape)}`);
    }
    bytes += sizeOf(e.shape) * 4;
  });
  if (weightData.byteLength !== bytes) {
    throw new Error(`${source}: the weight files hold ${weightData.byteLength} bytes, the manifest needs ${bytes}`);
  }
  const w = new Float32Array(weightData.slice(0));
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw new Error(`${source}: weight value ${i} is ${w[i]}; the weights file is corrupt`);
  }
  return w;
}

/** True when the model ends in a softmax (what `compile` expects for cross-entropy). */
export function endsInSoftmax(model: Sequential): boolean {
  const last = model.layers[model.layers.length - 1];
  return last instanceof Dense && last.activation === 'softmax';
}
