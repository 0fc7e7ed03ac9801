// Any digitnet model as a TensorFlow.js model, through the file format itself: our model.json and weights
// loaded by tf.loadLayersModel. So each parity test also checks that TensorFlow.js reads what we write,
// graph models included, with the same weights.

import type * as TF from '@tensorflow/tfjs';
import { modelToArtifacts, type Model } from '../../src/engine/index.js';

export async function viaArtifacts(tf: typeof TF, model: Model): Promise<TF.LayersModel> {
  const { modelJson, weightData } = modelToArtifacts(model);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest[0].weights as TF.io.WeightsManifestEntry[],
    weightData,
  }));
}

/** TensorFlow.js's variable for each of our weight specs, matched by name. */
export function tfVariablesByName(tfm: TF.LayersModel, model: Model): Map<string, TF.LayerVariable> {
  const byName = new Map(tfm.weights.map((w) => [w.originalName, w]));
  const out = new Map<string, TF.LayerVariable>();
  for (const s of model.weightSpecs) {
    const w = byName.get(s.name);
    if (!w) throw new Error(`TensorFlow.js has no weight '${s.name}' (it has ${[...byName.keys()].join(', ')})`);
    out.set(s.name, w);
  }
  return out;
}

/** TensorFlow.js's current weights laid out as our flat parameter buffer. */
export function tfParamsAsOurs(tfm: TF.LayersModel, model: Model): Float32Array {
  const vars = tfVariablesByName(tfm, model);
  const out = new Float32Array(model.params.length);
  for (const s of model.weightSpecs) out.set(vars.get(s.name)!.read().dataSync() as Float32Array, s.offset);
  return out;
}

/** A view of our flat buffer (params or grads) for one weight spec. */
export function slice(buf: Float32Array, s: Model['weightSpecs'][number]): Float32Array {
  return buf.subarray(s.offset, s.offset + s.shape.reduce((a, b) => a * b, 1));
}
