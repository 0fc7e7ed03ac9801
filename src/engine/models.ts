// Ready-made architectures. `seedCnn()` is the classic Keras MNIST CNN: 225,034 parameters.

import { conv2d, dense, flatten, maxPooling2d } from './layers/index.js';
import { sequential, type Sequential } from './model.js';

export interface SeedCnnOptions {
  seed?: number;
  inputShape?: [number, number, number];
  classes?: number;
}

/** Conv2D(32,3x3,ReLU) → MaxPool 2 → Conv2D(64,3x3,ReLU) → MaxPool 2 → Flatten → Dense(128,ReLU) → Dense(10,softmax). */
export function seedCnn(o: SeedCnnOptions = {}): Sequential {
  return sequential(
    [
      conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: o.inputShape ?? [28, 28, 1] }),
      maxPooling2d({ poolSize: 2 }),
      conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      maxPooling2d({ poolSize: 2 }),
      flatten(),
      dense({ units: 128, activation: 'relu' }),
      dense({ units: o.classes ?? 10, activation: 'softmax' }),
    ],
    { seed: o.seed, name: 'seed_cnn' },
  );
}
