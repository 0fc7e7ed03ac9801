// TensorFlow.js for the parity tests: loaded once, on its pure-JavaScript `cpu` backend (the reference we
// compare against), with its console notices silenced so that test output stays readable.

import type * as TF from '@tensorflow/tfjs';
import { layers as ours, type Sequential } from '../../src/engine/index.js';

let loaded: Promise<typeof TF> | null = null;

export function loadTf(): Promise<typeof TF> {
  loaded ??= (async () => {
    const warn = console.warn;
    const log = console.log;
    // TensorFlow.js suggests installing tfjs-node when it first runs under Node; that advice is not for us:
    // we compare against its cpu backend on purpose.
    console.warn = () => {};
    console.log = () => {};
    try {
      const tf = await import('@tensorflow/tfjs');
      await tf.setBackend('cpu');
      await tf.ready();
      // The notice is printed on the backend's first write: make that write now, while muted.
      tf.scalar(0).dispose();
      return tf;
    } finally {
      console.warn = warn;
      console.log = log;
    }
  })();
  return loaded;
}

type Tf = typeof TF;

/** The TensorFlow.js layer equivalent to one of ours, from its public options. */
function tfLayer(tf: Tf, l: Sequential['layers'][number], inputShape?: number[]): TF.layers.Layer {
  const first = inputShape ? { inputShape } : {};
  if (l instanceof ours.Conv2D) {
    return tf.layers.conv2d({ ...first, filters: l.filters, kernelSize: l.kernelSize, strides: l.strides, padding: l.padding, activation: l.activation as 'relu', useBias: l.useBias });
  }
  if (l instanceof ours.MaxPooling2D) return tf.layers.maxPooling2d({ ...first, poolSize: l.poolSize, strides: l.strides, padding: l.padding });
  if (l instanceof ours.Flatten) return tf.layers.flatten(first);
  if (l instanceof ours.Dense) return tf.layers.dense({ ...first, units: l.units, activation: l.activation as 'relu', useBias: l.useBias });
  if (l instanceof ours.Dropout) return tf.layers.dropout({ ...first, rate: l.rate });
  throw new Error(`no TensorFlow.js equivalent for layer ${l.className}`);
}

/** A TensorFlow.js model with the same layers as `model` and a copy of its weights (weightSpecs order). */
export function toTfjs(tf: Tf, model: Sequential): TF.Sequential {
  const m = tf.sequential({ layers: model.layers.map((l, i) => tfLayer(tf, l, i === 0 ? model.inputShape : undefined)) });
  m.setWeights(model.weightSpecs.map((s) => tf.tensor(model.params.slice(s.offset, s.offset + s.shape.reduce((a, b) => a * b, 1)), s.shape)));
  return m;
}

/** TensorFlow.js's weights, flattened in the same order as our params. */
export function tfjsParams(m: TF.LayersModel): Float32Array {
  const parts = m.getWeights().map((w) => w.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The tf.Variables behind a model's trainable weights, in weight order. */
export function tfjsVariables(m: TF.LayersModel): TF.Variable[] {
  return m.trainableWeights.map((w) => w.read() as TF.Variable);
}
