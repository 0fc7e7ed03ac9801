// The seed CNN, the classic Keras MNIST example: 225,034 parameters.

import { layers, sequential, type Sequential } from '../../engine/index.js';
import type { ZooOptions } from './options.js';

/** Conv2D(32,3x3,ReLU) → MaxPool 2 → Conv2D(64,3x3,ReLU) → MaxPool 2 → Flatten → Dense(128,ReLU) → Dense(10,softmax). */
export function seedCnn(o: ZooOptions = {}): Sequential {
  return sequential(
    [
      layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: o.inputShape ?? [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 128, activation: 'relu' }),
      layers.dense({ units: o.classes ?? 10, activation: 'softmax' }),
    ],
    { seed: o.seed, name: 'seed_cnn' },
  );
}
