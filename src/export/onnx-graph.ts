// An ONNX graph under construction: nodes in execution order, initializers (the weights), and unique tensor
// names. Converters add nodes through it and get back the name of each node's output. Browser-safe.

import type { AttributeValue, OnnxNode, OnnxTensor } from './onnx-proto.js';

/** A tensor of the ONNX graph as the converters see it: its name, and its rank with the batch axis (4 is NCHW). */
export interface Value {
  name: string;
  rank: number;
}

export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();

  /** `base`, or `base_1`, `base_2`... when taken. */
  unique(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Adds a float32 weight (copied) and returns its name. */
  weight(base: string, data: Float32Array, dims: number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims, data: data.slice() });
    return name;
  }

  /** Adds one node; returns its output's name. */
  node(opType: string, inputs: string[], base: string, attributes?: Record<string, AttributeValue>): string {
    const out = this.unique(base);
    // Node names live apart from tensor names: each node is named after its (unique) output.
    this.nodes.push({ opType, inputs, outputs: [out], name: out, ...(attributes ? { attributes } : {}) });
    return out;
  }

  /** The node that writes `name`, if any. */
  producer(name: string): OnnxNode | undefined {
    return this.nodes.find((n) => n.outputs.includes(name));
  }

  /** Renames a tensor everywhere it appears (to give the graph's output its public name). */
  rename(from: string, to: string): void {
    this.used.add(to);
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((i) => (i === from ? to : i));
      n.outputs = n.outputs.map((o) => (o === from ? to : o));
    }
  }
}

/** (kh, kw, c, oc) as TensorFlow stores a kernel → (oc, c, kh, kw) as ONNX's Conv reads it. */
export function kernelToOihw(k: Float32Array, [kh, kw, c, oc]: readonly number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < c; i++) {
        for (let o = 0; o < oc; o++) out[((o * c + i) * kh + y) * kw + x] = k[((y * kw + x) * c + i) * oc + o];
      }
    }
  }
  return out;
}
