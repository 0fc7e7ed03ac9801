// A digitnet model as an ONNX file (opset 13, IR version 7), for onnxruntime and every other ONNX runtime.
//
// The graph's input is what digitnet's models take: float32 pixels scaled to 0..1, [batch, 28, 28, 1] (NHWC),
// with a symbolic batch dimension; one Transpose turns it into the NCHW layout ONNX's Conv and pooling
// operators expect, and every rank-4 tensor stays NCHW from there (`inputLayout: 'nchw'` declares the input
// NCHW instead and drops the Transpose). Outputs: `probabilities` [batch, classes] first, then `logits`, the
// class scores before the softmax.
//
// BatchNormalization is exported as ONNX's BatchNormalization (inference form, the moving statistics as
// initializers), not folded into the convolution before it: the file then mirrors the model layer for layer,
// its statistics stay readable, and it works wherever the layer sits (after a Dense, an Add, a Concatenate).
// Folding gains nothing at run time: runtimes fold Conv + BatchNormalization themselves when they load a model
// (onnxruntime's basic graph optimizations fold all 21 of ResNet-20's and VGG's four after convolutions).
//
// Browser-safe: the protobuf is written by a small encoder (protobuf.ts, onnx-proto.ts), no dependency.

import type { Model } from '../engine/graph/model.js';
import type { SymbolicTensor } from '../engine/graph/symbolic.js';
import { InputLayer } from '../engine/layers/input-layer.js';
import { fmtShape } from '../engine/tensor.js';
import { OnnxGraph, type Value } from './onnx-graph.js';
import { activation, converterFor } from './onnx-layers.js';
import { encodeModel, type OnnxModel } from './onnx-proto.js';

export const ONNX_OPSET = 13;
/** The IR version that goes with opset 13 (ONNX 1.8). */
export const ONNX_IR_VERSION = 7;
export const INPUT_NAME = 'input';
export const PROBABILITIES = 'probabilities';
export const LOGITS = 'logits';
const BATCH = 'batch';

export interface OnnxExportOptions {
  /** How the input is declared: 'nhwc' (default, digitnet's own [batch, h, w, c]) or 'nchw' ([batch, c, h, w]). */
  inputLayout?: 'nhwc' | 'nchw';
  /** Key/value pairs for the file's metadata_props. */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

/** The model as the bytes of a .onnx file. Throws a one-line error for a layer ONNX cannot express. */
export function exportOnnx(model: Model, o: OnnxExportOptions = {}): Uint8Array {
  return encodeModel(onnxModel(model, o));
}

/** The model as ONNX's message objects (before encoding). */
export function onnxModel(model: Model, o: OnnxExportOptions = {}): OnnxModel {
  const g = new OnnxGraph();
  // The public names are taken first, so that a layer named 'logits' cannot claim one.
  for (const name of [INPUT_NAME, PROBABILITIES, LOGITS]) g.unique(name);
  const layout = o.inputLayout ?? 'nhwc';
  const { declared, value } = inputOf(model, g, layout);
  const values = new Map<SymbolicTensor, Value>([[inputTensor(model), value]]);
  for (const layer of model.layers) {
    if (layer instanceof InputLayer) continue;
    const inputs = layer.output!.inputs.map((t) => values.get(t)!);
    values.set(layer.output!, converterFor(layer)(layer, inputs, g));
  }
  const classes = model.outputShape[0];
  const { probs, logits } = outputsOf(model, g, values.get(model.outputLayer.output!)!);
  g.rename(probs, PROBABILITIES);
  g.rename(logits, LOGITS);
  return {
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producerName: 'digitnet',
    producerVersion: o.producerVersion ?? '0.2.0',
    docString: `${model.name}: input '${INPUT_NAME}' float32 pixels 0..1 ${fmtShape(declared.map((d) => (typeof d === 'string' ? null : d)))} (${layout.toUpperCase()}); outputs '${PROBABILITIES}' and '${LOGITS}' [batch,${classes}]`,
    graph: {
      name: model.name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: INPUT_NAME, shape: declared }],
      outputs: [{ name: PROBABILITIES, shape: [BATCH, classes] }, { name: LOGITS, shape: [BATCH, classes] }],
    },
    metadata: { 'digitnet.input_layout': layout, 'digitnet.input_scale': '1/255', ...o.metadata },
  };
}

/** The model's input tensor (a Sequential model does not list its InputLayer). */
function inputTensor(model: Model): SymbolicTensor {
  const first = model.layers[0];
  return first instanceof InputLayer ? first.output! : first.output!.inputs[0];
}

/** The declared input and the value the layers read: NCHW for images (after a Transpose unless declared NCHW). */
function inputOf(model: Model, g: OnnxGraph, layout: 'nhwc' | 'nchw'): { declared: (number | string)[]; value: Value } {
  const s = model.inputShape;
  if (s.length === 1) return { declared: [BATCH, s[0]], value: { name: INPUT_NAME, rank: 2 } };
  if (s.length !== 3) throw new Error(`export: model '${model.name}' takes input ${fmtShape([null, ...s])}; ONNX export supports images [null,h,w,c] and feature vectors [null,n]`);
  const [h, w, c] = s;
  if (layout === 'nchw') return { declared: [BATCH, c, h, w], value: { name: INPUT_NAME, rank: 4 } };
  return { declared: [BATCH, h, w, c], value: { name: g.node('Transpose', [INPUT_NAME], 'input_nchw', { perm: [0, 3, 1, 2] }), rank: 4 } };
}

/**
 * The probabilities and logits: a model ending in softmax gives both (the logits are the softmax's input); a
 * model that outputs logits (trained with fromLogits) gets a Softmax appended. Anything else is refused.
 */
function outputsOf(model: Model, g: OnnxGraph, out: Value): { probs: string; logits: string } {
  if (out.rank !== 2) throw new Error(`export: model '${model.name}' outputs ${fmtShape([null, ...model.outputShape])}; ONNX export needs a classifier's [null,classes]`);
  const last = g.producer(out.name);
  if (!last) throw new Error(`export: model '${model.name}' computes nothing at inference (its output is its input)`);
  if (last.opType === 'Softmax') {
    const pre = last.inputs[0];
    return { probs: out.name, logits: g.producer(pre) ? pre : g.node('Identity', [pre], 'logits') };
  }
  const act = model.outputLayer.config().activation;
  if (act !== undefined && act !== 'linear') {
    throw new Error(`export: model '${model.name}' ends in '${String(act)}' (layer '${model.outputLayer.name}'); ONNX export needs a classifier that ends in softmax or in linear logits`);
  }
  const probs = activation(g, out, 'softmax', model.outputLayer.name);
  // Logits read by the Softmax stay a graph output of their own: an Identity gives them their public name.
  return { probs: probs.name, logits: g.node('Identity', [out.name], 'logits') };
}
