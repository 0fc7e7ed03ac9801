// Fused kernels run as the two kernels they fuse: their definition, and what a backend without a fused
// version of its own (the reference, WebAssembly) runs.

import type { Backend } from '../backend.js';

/** conv2dBackwardFilterPooled as maxPool2dBackward into a buffer kept for the next call, then conv2dBackwardFilter. */
export function conv2dBackwardFilterPooledByParts(be: Pick<Backend, 'maxPool2dBackward' | 'conv2dBackwardFilter'>): Backend['conv2dBackwardFilterPooled'] {
  let dz = new Float32Array(0);
  return (x, dy, argmax, dw, db, g, pool) => {
    const size = g.n * g.oh * g.ow * g.oc;
    if (dz.length < size) dz = new Float32Array(size);
    be.maxPool2dBackward(dy, argmax, dz.subarray(0, size), pool);
    be.conv2dBackwardFilter(x, dz.subarray(0, size), dw, db, g);
  };
}

/** conv2dMaxPoolForward as conv2dForward into a buffer kept for the next call, then maxPool2dForward. */
export function conv2dMaxPoolByParts(be: Pick<Backend, 'conv2dForward' | 'maxPool2dForward'>): Backend['conv2dMaxPoolForward'] {
  let out = new Float32Array(0);
  return (x, w, b, y, argmax, g, pool, act) => {
    const size = g.n * g.oh * g.ow * g.oc;
    if (out.length < size) out = new Float32Array(size);
    be.conv2dForward(x, w, b, out.subarray(0, size), g, act);
    be.maxPool2dForward(out.subarray(0, size), y, argmax, pool);
  };
}
