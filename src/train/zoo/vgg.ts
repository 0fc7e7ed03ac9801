// A small VGG-style network: two blocks of two 3x3 convolutions (bias-free, BatchNormalization, ReLU), max
// pooling and dropout, then a BatchNormalized dense layer. The kind of plain conv stack that reaches 99.7%
// on MNIST with augmentation.

import { layers, sequential, type Layer, type Sequential } from '../../engine/index.js';
import type { ZooOptions } from './options.js';

function convBnRelu(filters: number, first?: [number, number, number]): Layer[] {
  return [
    layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, ...(first ? { inputShape: first } : {}) }),
    layers.batchNormalization(),
    layers.reLU(),
  ];
}

/** 2 × [Conv(f,3) BN ReLU, Conv(f,3) BN ReLU, MaxPool 2, Dropout 0.25] for f = 32, 64; Flatten, Dense 256 BN ReLU, Dropout 0.5, Dense 10. */
export function vgg(o: ZooOptions = {}): Sequential {
  const stack: Layer[] = [];
  for (const f of [32, 64]) {
    stack.push(...convBnRelu(f, stack.length === 0 ? o.inputShape ?? [28, 28, 1] : undefined), ...convBnRelu(f));
    stack.push(layers.maxPooling2d({ poolSize: 2 }), layers.dropout({ rate: 0.25 }));
  }
  stack.push(
    layers.flatten(),
    layers.dense({ units: 256, useBias: false }),
    layers.batchNormalization(),
    layers.reLU(),
    layers.dropout({ rate: 0.5 }),
    layers.dense({ units: o.classes ?? 10, activation: 'softmax' }),
  );
  return sequential(stack, { seed: o.seed, name: 'vgg' });
}
