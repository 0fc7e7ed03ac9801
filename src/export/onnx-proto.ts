// The subset of onnx.proto (ONNX 1.x, IR version 7 and later) that an exported model needs, as plain objects
// and their encoders: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto (float32 and int64, raw
// little-endian data), ValueInfoProto with a tensor type whose dimensions are numbers or symbolic names.
// Field numbers are onnx.proto's. Browser-safe.

import { ProtoWriter } from './protobuf.js';

/** TensorProto.DataType */
export const FLOAT = 1;
export const INT64 = 7;

export type AttributeValue = number | number[] | string | { ints: number[] } | { float: number } | { floats: number[] };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, AttributeValue>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** FLOAT (Float32Array) or INT64 (BigInt64Array). */
  data: Float32Array | BigInt64Array;
}

export interface OnnxValueInfo {
  name: string;
  /** A number, or a string for a symbolic dimension (the batch). */
  shape: (number | string)[];
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: {
    name: string;
    nodes: OnnxNode[];
    initializers: OnnxTensor[];
    inputs: OnnxValueInfo[];
    outputs: OnnxValueInfo[];
  };
  metadata?: Record<string, string>;
}

/** AttributeProto.AttributeType */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

function attribute(name: string, v: AttributeValue): Uint8Array {
  const w = new ProtoWriter().string(1, name);
  if (typeof v === 'string') return w.int(20, ATTR.STRING).string(4, v).finish();
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`ONNX attribute '${name}': ${v} is not an integer; pass { float: ${v} } for a float`);
    return w.int(20, ATTR.INT).int(3, v).finish();
  }
  if (Array.isArray(v)) return w.int(20, ATTR.INTS).packedInts(8, v).finish();
  if ('ints' in v) return w.int(20, ATTR.INTS).packedInts(8, v.ints).finish();
  if ('floats' in v) return w.int(20, ATTR.FLOATS).packedFloats(7, v.floats).finish();
  return w.int(20, ATTR.FLOAT).float(2, v.float).finish();
}

function node(n: OnnxNode): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, attribute(k, v));
  return w.finish();
}

function tensor(t: OnnxTensor): Uint8Array {
  const w = new ProtoWriter().packedInts(1, t.dims).int(2, t.data instanceof Float32Array ? FLOAT : INT64).string(8, t.name);
  // raw_data is little-endian; typed arrays are little-endian on every platform this runs on.
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).finish();
}

function valueInfo(v: OnnxValueInfo): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d);
    shape.message(1, dim.finish());
  }
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape.finish()).finish();
  const type = new ProtoWriter().message(1, tensorType).finish();
  return new ProtoWriter().string(1, v.name).message(2, type).finish();
}

function graph(g: OnnxModel['graph']): Uint8Array {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, node(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensor(t));
  for (const i of g.inputs) w.message(11, valueInfo(i));
  for (const o of g.outputs) w.message(12, valueInfo(o));
  return w.finish();
}

/** The bytes of a .onnx file. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter().int(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, graph(m.graph));
  w.message(8, new ProtoWriter().string(1, '').int(2, m.opset).finish());
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.message(14, new ProtoWriter().string(1, k).string(2, v).finish());
  return w.finish();
}
