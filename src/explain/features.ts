// What a model's convolutions compute: the feature maps of every Conv2D layer for one image (their outputs,
// after the layer's own activation), and the first convolution's filters. Browser-safe.

import type { Model } from '../engine/graph/model.js';
import type { Tensor } from '../engine/tensor.js';

export interface FeatureMaps {
  layer: string;
  height: number;
  width: number;
  channels: number;
  /** (height, width, channels), NHWC order. */
  data: Float32Array;
}

export interface Filters {
  layer: string;
  kernelHeight: number;
  kernelWidth: number;
  inChannels: number;
  count: number;
  /** One array per filter, (kernelHeight, kernelWidth, inChannels). */
  kernels: Float32Array[];
}

/** The output of every Conv2D layer on one image x (1, h, w, c), in the order the layers run. */
export function convActivations(model: Model, x: Tensor): FeatureMaps[] {
  if (x.shape[0] !== 1) throw new Error(`convActivations: takes one image [1,h,w,c], got a batch of ${x.shape[0]}`);
  const convs = model.layers.filter((l) => l.className === 'Conv2D');
  const out = model.activations(x, convs.map((l) => l.name));
  return convs.map((l) => {
    const [height, width, channels] = l.outputShape;
    return { layer: l.name, height, width, channels, data: out[l.name].data };
  });
}

/** The first Conv2D's kernels, one per filter; an error when the model has no convolution. */
export function firstLayerFilters(model: Model): Filters {
  const conv = model.layers.find((l) => l.className === 'Conv2D');
  if (!conv) throw new Error(`explain: model '${model.name}' has no Conv2D layer, so no filters to show`);
  const [kh, kw, c, oc] = conv.paramSpecs()[0].shape;
  const k = conv.weights[0];
  const kernels = Array.from({ length: oc }, (_, f) => {
    const one = new Float32Array(kh * kw * c);
    for (let i = 0; i < kh * kw * c; i++) one[i] = k[i * oc + f];
    return one;
  });
  return { layer: conv.name, kernelHeight: kh, kernelWidth: kw, inChannels: c, count: oc, kernels };
}
