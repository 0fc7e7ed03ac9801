// Models for the ONNX export checks (the test and the Python second opinion in bench/onnx-check.ts): the zoo,
// a graph that uses every layer the exporter converts (Concatenate on images and on vectors, 'same' average
// and max pooling with TensorFlow's asymmetric padding, strided 'same' convolutions, LeakyReLU, Average, a
// three-way Add, each activation, BatchNormalization after a convolution and after a Dense, Dropout, global
// pooling, a softmax as its own layer), and a plain MLP on 784 features. Their BatchNormalization statistics
// are re-estimated on real MNIST images and their gammas, betas and biases moved off their initial values, so
// that no layer is an identity the export could get wrong unnoticed. Not a test file itself.

import { loadMnist } from '../../src/data/mnist.js';
import { imagesTensor } from '../../src/data/tensors.js';
import { input, layers, model, Random, sequential, type Model } from '../../src/engine/index.js';
import { recalibrateBatchNorm } from '../../src/train/precise-bn.js';
import { ZOO } from '../../src/train/zoo/index.js';

/** Weights a trained model would have in kind: real BatchNormalization statistics, no zero bias, no unit gamma. */
export function settle(m: Model, seed = 11): Model {
  const train = loadMnist().train;
  const x = imagesTensor(train, 256, 1000);
  const images = m.inputShape.length === 1 ? x.reshape([256, 784]) : x;
  recalibrateBatchNorm(m, images, { batchSize: 64 });
  const rng = new Random(seed);
  for (const s of m.weightSpecs) {
    const leaf = s.name.split('/').pop();
    if (leaf !== 'bias' && leaf !== 'gamma' && leaf !== 'beta') continue;
    const w = m.params.subarray(s.offset, s.offset + s.shape[0]);
    for (let i = 0; i < w.length; i++) w[i] += (leaf === 'gamma' ? 0.3 : 0.1) * (rng.next() * 2 - 1);
  }
  return m;
}

export function zooForExport(name: string): Model {
  return settle(ZOO[name]({ seed: 5 }));
}

/** Every converter in one graph (see the header). */
export function everyLayerGraph(): Model {
  const inp = input({ shape: [28, 28, 1] });
  const a = layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'elu' }).apply(inp);
  const b0 = layers.conv2d({ filters: 8, kernelSize: 4, strides: 2, padding: 'same', useBias: false }).apply(inp);
  const b = layers.leakyReLU({ alpha: 0.2 }).apply(layers.batchNormalization().apply(b0));
  const avg = layers.average().apply([a, b]);
  const cat = layers.concatenate().apply([avg, a]);
  const pooled = layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(cat);
  const e = layers.conv2d({ filters: 12, kernelSize: 3, activation: 'selu' }).apply(pooled);
  const f = layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(e);
  const t = layers.activation({ activation: 'tanh' }).apply(f);
  const s = layers.activation({ activation: 'sigmoid' }).apply(f);
  const sum = layers.reLU().apply(layers.add().apply([t, s, f]));
  const flat = layers.dropout({ rate: 0.3 }).apply(layers.flatten().apply(sum));
  const both = layers.concatenate().apply([flat, layers.globalAveragePooling2d().apply(sum)]);
  const h = layers.batchNormalization().apply(layers.dense({ units: 24, activation: 'relu' }).apply(both));
  const logits = layers.dense({ units: 10 }).apply(h);
  const out = layers.activation({ activation: 'softmax' }).apply(logits);
  return settle(model({ inputs: inp, outputs: out, name: 'every_layer', seed: 3 }));
}

/** A two-layer perceptron on flat 784-pixel vectors: no image axes at all. */
export function mlp(): Model {
  return settle(sequential([
    layers.dense({ units: 32, inputShape: [784] }),
    layers.batchNormalization(),
    layers.activation({ activation: 'tanh' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ], { seed: 4, name: 'mlp' }));
}
