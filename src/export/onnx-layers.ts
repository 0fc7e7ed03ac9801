// One ONNX converter per engine layer class, found by the layer's Keras class name (a layer class added
// elsewhere registers its own with registerOnnxConverter). Tensors of rank 4 are kept
// in NCHW order (the exporter transposes the input once), so a converter maps NHWC's channel axis to axis 1,
// transposes convolution kernels, and writes TensorFlow's 'same' padding as explicit, possibly asymmetric,
// pads. Flatten transposes back to NHWC first, so the features reach the next Dense in Keras's order.
// BatchNormalization is exported as ONNX's BatchNormalization, not folded (see onnx.ts). Browser-safe.

import { SELU_ALPHA, SELU_SCALE } from '../engine/backend.js';
import { windowGeometry, type Padding } from '../engine/geometry.js';
import type { Layer } from '../engine/layers/layer.js';
import { kernelToOihw, type OnnxGraph, type Value } from './onnx-graph.js';

export type Converter = (layer: Layer, inputs: Value[], g: OnnxGraph) => Value;

/** The layer's weights by Keras name ('kernel', 'bias', 'gamma', ...). */
function weightsOf(layer: Layer): Record<string, Float32Array> {
  return Object.fromEntries(layer.paramSpecs().map((s, i) => [s.name, layer.weights[i]]));
}

/** The ONNX axis of NHWC's last (channel) axis: 1 for NCHW tensors and for (N, features). */
function channelAxis(v: Value): number {
  return v.rank === 4 ? 1 : v.rank - 1;
}

/** An element-wise activation (or softmax over the channel axis) on v; linear adds nothing. */
export function activation(g: OnnxGraph, v: Value, act: string, base: string, alpha = 1): Value {
  const op = (type: string, attributes?: Parameters<OnnxGraph['node']>[3]): Value => ({ name: g.node(type, [v.name], `${base}/${act}`, attributes), rank: v.rank });
  switch (act) {
    case 'linear':
      return v;
    case 'relu':
      return op('Relu');
    case 'tanh':
      return op('Tanh');
    case 'sigmoid':
      return op('Sigmoid');
    case 'elu':
      return op('Elu', { alpha: { float: alpha } });
    case 'selu':
      return op('Selu', { alpha: { float: SELU_ALPHA }, gamma: { float: SELU_SCALE } });
    case 'leakyRelu':
      return op('LeakyRelu', { alpha: { float: alpha } });
    case 'softmax':
      return op('Softmax', { axis: channelAxis(v) });
    default:
      throw new Error(`export: activation '${act}' of ${base} has no ONNX equivalent here`);
  }
}

/** ONNX's pads [top, left, bottom, right] and output size for a TensorFlow-padded window over (h, w). */
function windowAttrs(inputShape: readonly number[], kernel: [number, number], strides: [number, number], padding: Padding, what: string): Record<string, number[]> {
  const [h, w] = inputShape;
  const geo = windowGeometry(what, [1, h, w, 1], kernel, strides, padding);
  // TensorFlow puts the odd pixel of 'same' padding at the bottom/right; ONNX takes each side explicitly.
  const bottom = Math.max(0, (geo.oh - 1) * strides[0] + kernel[0] - h - geo.padTop);
  const right = Math.max(0, (geo.ow - 1) * strides[1] + kernel[1] - w - geo.padLeft);
  return { kernel_shape: [...kernel], strides: [...strides], pads: [geo.padTop, geo.padLeft, bottom, right] };
}

interface ConvLike extends Layer {
  filters: number; kernelSize: [number, number]; strides: [number, number]; padding: Padding; useBias: boolean; activation: string;
}
interface DenseLike extends Layer {
  units: number; useBias: boolean; activation: string;
}
interface PoolLike extends Layer {
  poolSize: [number, number]; strides: [number, number]; padding: Padding;
}
interface BatchNormLike extends Layer {
  epsilon: number;
}

const conv2d: Converter = (layer, [x], g) => {
  const l = layer as ConvLike;
  const w = weightsOf(l);
  const shape = l.paramSpecs()[0].shape;
  const inputs = [x.name, g.weight(`${l.name}/kernel`, kernelToOihw(w.kernel, shape), [shape[3], shape[2], shape[0], shape[1]])];
  if (l.useBias) inputs.push(g.weight(`${l.name}/bias`, w.bias, [l.filters]));
  const { kernel_shape, strides, pads } = windowAttrs(l.inputShape!, l.kernelSize, l.strides, l.padding, l.describe());
  const y = { name: g.node('Conv', inputs, l.name, { kernel_shape, strides, pads, dilations: [1, 1], group: 1 }), rank: 4 };
  return activation(g, y, l.activation, l.name);
};

const dense: Converter = (layer, [x], g) => {
  const l = layer as DenseLike;
  const w = weightsOf(l);
  const inputs = [x.name, g.weight(`${l.name}/kernel`, w.kernel, [l.inputShape![0], l.units])];
  if (l.useBias) inputs.push(g.weight(`${l.name}/bias`, w.bias, [l.units]));
  return activation(g, { name: g.node('Gemm', inputs, l.name), rank: 2 }, l.activation, l.name);
};

const batchNorm: Converter = (layer, [x], g) => {
  const l = layer as BatchNormLike;
  const w = weightsOf(l);
  const c = w.moving_mean.length;
  const p = (name: string, data: Float32Array | undefined, fill: number): string => g.weight(`${l.name}/${name}`, data ?? new Float32Array(c).fill(fill), [c]);
  const inputs = [x.name, p('gamma', w.gamma, 1), p('beta', w.beta, 0), p('moving_mean', w.moving_mean, 0), p('moving_variance', w.moving_variance, 1)];
  return { name: g.node('BatchNormalization', inputs, l.name, { epsilon: { float: l.epsilon } }), rank: x.rank };
};

function pool(op: 'MaxPool' | 'AveragePool'): Converter {
  return (layer, [x], g) => {
    const l = layer as PoolLike;
    const attrs: Record<string, number[] | number> = windowAttrs(l.inputShape!, l.poolSize, l.strides, l.padding, l.describe());
    // TensorFlow's average pooling divides by the cells inside the image only.
    if (op === 'AveragePool') attrs.count_include_pad = 0;
    return { name: g.node(op, [x.name], l.name, attrs), rank: 4 };
  };
}

const globalAvgPool: Converter = (layer, [x], g) => {
  const pooled = g.node('GlobalAveragePool', [x.name], layer.name);
  return { name: g.node('Flatten', [pooled], layer.name, { axis: 1 }), rank: 2 };
};

const flatten: Converter = (layer, [x], g) => {
  if (x.rank === 2) return x;
  // Keras flattens NHWC (channels fastest); the tensor here is NCHW, so it goes back to NHWC first.
  const nhwc = g.node('Transpose', [x.name], layer.name, { perm: [0, 2, 3, 1] });
  return { name: g.node('Flatten', [nhwc], layer.name, { axis: 1 }), rank: 2 };
};

const elementwise = (layer: Layer, x: Value, g: OnnxGraph): Value => {
  const l = layer as Layer & { activation?: string; alpha?: number };
  if (l.className === 'ReLU') return activation(g, x, 'relu', l.name);
  if (l.className === 'LeakyReLU') return activation(g, x, 'leakyRelu', l.name, l.alpha);
  return activation(g, x, l.activation!, l.name);
};

const merge = (op: 'Sum' | 'Mean'): Converter => (layer, xs, g) => {
  const type = op === 'Sum' && xs.length === 2 ? 'Add' : op;
  return { name: g.node(type, xs.map((x) => x.name), layer.name), rank: xs[0].rank };
};

const concat: Converter = (layer, xs, g) => ({ name: g.node('Concat', xs.map((x) => x.name), layer.name, { axis: channelAxis(xs[0]) }), rank: xs[0].rank });

const CONVERTERS = new Map<string, Converter>([
  ['Conv2D', conv2d],
  ['Dense', dense],
  ['BatchNormalization', batchNorm],
  ['MaxPooling2D', pool('MaxPool')],
  ['AveragePooling2D', pool('AveragePool')],
  ['GlobalAveragePooling2D', globalAvgPool],
  ['Flatten', flatten],
  ['Dropout', (_l, [x]) => x], // the identity at inference
  ['Activation', (l, [x], g) => elementwise(l, x, g)],
  ['ReLU', (l, [x], g) => elementwise(l, x, g)],
  ['LeakyReLU', (l, [x], g) => elementwise(l, x, g)],
  ['Add', merge('Sum')],
  ['Average', merge('Mean')],
  ['Concatenate', concat],
]);

/** Registers how layers of a class (its Keras class name) become ONNX nodes, for a layer this file does not know. */
export function registerOnnxConverter(className: string, converter: Converter): void {
  CONVERTERS.set(className, converter);
}

/** The converter for a layer, or a one-line error naming it and listing the classes that export. */
export function converterFor(layer: Layer): Converter {
  const c = CONVERTERS.get(layer.className);
  if (!c) {
    throw new Error(`export: layer '${layer.name}' (${layer.className}) cannot be expressed in ONNX by digitnet's exporter; layers that export: ${[...CONVERTERS.keys()].sort().join(', ')}`);
  }
  return c;
}
