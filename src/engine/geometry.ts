// Convolution and pooling geometry, computed once here and shared by every backend and by the layers'
// output shapes. Padding follows TensorFlow's rules exactly ('same': out = ceil(in / stride), with the
// odd pixel of padding at the bottom/right), so that weights move between us and TensorFlow.js unchanged.

export type Padding = 'valid' | 'same';

/** Everything a kernel needs to run a 2-D window op over NHWC data. */
export interface WindowGeometry {
  n: number; // batch
  h: number; // input height
  w: number; // input width
  c: number; // input channels
  kh: number; // window height
  kw: number; // window width
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  oh: number; // output height
  ow: number; // output width
}

/** Convolution: a window geometry plus the number of output channels (filters). */
export interface ConvGeometry extends WindowGeometry {
  oc: number;
}

function outAndPad(size: number, k: number, stride: number, padding: Padding): [number, number] {
  if (padding === 'valid') return [Math.floor((size - k) / stride) + 1, 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return [out, Math.floor(total / 2)];
}

/** Window geometry for input (n,h,w,c); `op` names the caller in error messages. */
export function windowGeometry(
  op: string,
  [n, h, w, c]: readonly number[],
  [kh, kw]: readonly [number, number],
  [strideH, strideW]: readonly [number, number],
  padding: Padding,
): WindowGeometry {
  if (padding !== 'valid' && padding !== 'same') {
    throw new Error(`${op}: padding must be 'valid' or 'same', got ${JSON.stringify(padding)}`);
  }
  for (const [name, v] of [['kernel height', kh], ['kernel width', kw], ['stride height', strideH], ['stride width', strideW]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${v}`);
  }
  const [oh, padTop] = outAndPad(h, kh, strideH, padding);
  const [ow, padLeft] = outAndPad(w, kw, strideW, padding);
  if (oh < 1 || ow < 1) {
    throw new Error(
      `${op}: a ${kh}x${kw} window with '${padding}' padding does not fit an input of ${h}x${w}; use 'same' padding or a larger input`,
    );
  }
  return { n, h, w, c, kh, kw, strideH, strideW, padTop, padLeft, oh, ow };
}

export function convGeometry(
  op: string,
  inputShape: readonly number[],
  kernel: readonly [number, number],
  strides: readonly [number, number],
  padding: Padding,
  filters: number,
): ConvGeometry {
  return { ...windowGeometry(op, inputShape, kernel, strides, padding), oc: filters };
}

/** Same geometry for another batch size. */
export function withBatch<G extends WindowGeometry>(g: G, n: number): G {
  return g.n === n ? g : { ...g, n };
}
