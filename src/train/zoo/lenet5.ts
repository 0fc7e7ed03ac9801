// LeNet-5 (LeCun et al. 1998) as Keras builds it on 28x28: tanh convolutions and average pooling;
// 61,706 parameters.

import { layers, sequential, type Sequential } from '../../engine/index.js';
import type { ZooOptions } from './options.js';

/** Conv(6,5,same,tanh) → AvgPool 2 → Conv(16,5,tanh) → AvgPool 2 → Flatten → Dense 120 tanh → Dense 84 tanh → Dense 10 softmax. */
export function lenet5(o: ZooOptions = {}): Sequential {
  return sequential(
    [
      layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'tanh', inputShape: o.inputShape ?? [28, 28, 1] }),
      layers.averagePooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 16, kernelSize: 5, activation: 'tanh' }),
      layers.averagePooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 120, activation: 'tanh' }),
      layers.dense({ units: 84, activation: 'tanh' }),
      layers.dense({ units: o.classes ?? 10, activation: 'softmax' }),
    ],
    { seed: o.seed, name: 'lenet5' },
  );
}
