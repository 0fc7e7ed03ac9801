// ResNet-20 (He et al. 2016, the CIFAR variant) on 28x28x1: a 3x3 stem, three stages of three basic blocks
// with 16/32/64 filters, stride 2 and a 1x1 projection shortcut where a stage starts, global average pooling.
// A graph model: each block adds its shortcut to its residual branch.

import { input, layers, model, type Model, type SymbolicTensor } from '../../engine/index.js';
import type { ZooOptions } from './options.js';

/** Conv (bias-free, TensorFlow's same padding) followed by BatchNormalization. */
function convBn(x: SymbolicTensor, filters: number, kernelSize: number, strides: number): SymbolicTensor {
  const c = layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x);
  return layers.batchNormalization().apply(c);
}

function block(x: SymbolicTensor, filters: number, strides: number): SymbolicTensor {
  const y = convBn(layers.reLU().apply(convBn(x, filters, 3, strides)), filters, 3, 1);
  const shortcut = strides !== 1 || x.shape[2] !== filters ? convBn(x, filters, 1, strides) : x;
  return layers.reLU().apply(layers.add().apply([y, shortcut]));
}

export function resnet20(o: ZooOptions = {}): Model {
  const inp = input({ shape: o.inputShape ?? [28, 28, 1] });
  let x = layers.reLU().apply(convBn(inp, 16, 3, 1));
  [16, 32, 64].forEach((f, stage) => {
    for (let j = 0; j < 3; j++) x = block(x, f, stage > 0 && j === 0 ? 2 : 1);
  });
  const out = layers.dense({ units: o.classes ?? 10, activation: 'softmax' }).apply(layers.globalAveragePooling2d().apply(x));
  return model({ inputs: inp, outputs: out, name: 'resnet20', seed: o.seed });
}
