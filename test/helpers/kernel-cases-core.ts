// A representative set of the kernels other than the graph models' (convolutions at awkward and seed-CNN
// shapes, the three matmuls, dense, max pooling with ties, ReLU, softmax cross-entropy, Adam and SGD), for
// the WebAssembly backend's check against the reference backend in Chromium. Browser-safe.

import { convGeometry, windowGeometry } from '../../src/engine/geometry.js';
import { copy, graphKernelCases, POOLS, rand, shape, type KernelCase } from './kernel-cases.js';

/** A representative set of the other kernels, compared with the reference backend only. */
export function coreKernelCases(): KernelCase[] {
  const out: KernelCase[] = [];
  const convs = [
    { x: [2, 7, 7, 3], k: [3, 3], oc: 5, s: [2, 2], pad: 'same' },
    { x: [3, 13, 13, 32], k: [3, 3], oc: 64, s: [1, 1], pad: 'valid' },
    { x: [2, 9, 10, 3], k: [5, 5], oc: 129, s: [2, 2], pad: 'same' },
    { x: [2, 6, 5, 7], k: [1, 1], oc: 13, s: [1, 1], pad: 'valid' },
    { x: [4, 28, 28, 1], k: [3, 3], oc: 32, s: [1, 1], pad: 'valid' },
  ] as const;
  for (const c of convs) {
    const g = convGeometry('test', c.x, c.k, c.s, c.pad, c.oc);
    const x = rand(c.x.reduce((a: number, b: number) => a * b, 1), c.oc), w = rand(c.k[0] * c.k[1] * c.x[3] * c.oc, c.oc + 1), bias = rand(c.oc, c.oc + 2);
    const dy = rand(g.n * g.oh * g.ow * c.oc, c.oc + 3);
    out.push({
      name: `conv2d forward (relu, linear), backward input and filter x=${shape(c.x)} k=${shape(c.k)} oc=${c.oc} s=${shape(c.s)} ${c.pad}`, group: 'core', tol: 1e-4,
      run(be) {
        const y = new Float32Array(dy.length), yl = new Float32Array(dy.length), dx = new Float32Array(x.length), dw = new Float32Array(w.length), db = new Float32Array(c.oc);
        be.conv2dForward(x, w, bias, y, g, 'relu');
        be.conv2dForward(x, w, bias, yl, g, 'linear');
        be.conv2dBackwardInput(dy, w, dx, g);
        be.conv2dBackwardFilter(x, dy, dw, db, g);
        return { y, yLinear: yl, dx, dw, db };
      },
    });
  }
  for (const [m, n, k] of [[7, 129, 13], [129, 7, 300], [128, 10, 128], [13, 33, 0]] as const) {
    const a = rand(m * k, m + k), b = rand(k * n, n + k);
    out.push({
      name: `matmul m=${m} n=${n} k=${k}: plain, transA, transB`, group: 'core', tol: 1e-4,
      run(be) {
        const yNN = new Float32Array(m * n).fill(NaN), yTN = new Float32Array(m * n).fill(NaN), yNT = new Float32Array(m * n).fill(NaN);
        be.matmul(a, b, yNN, m, n, k, false, false);
        be.matmul(a, b, yTN, m, n, k, true, false); // a read as (k, m), b as (k, n)
        be.matmul(a, b, yNT, m, n, k, false, true); // b read as (n, k)
        return { yNN, yTN, yNT };
      },
    });
  }
  for (const [n, inSize, outSize] of [[1, 1600, 128], [65, 13, 129]] as const) {
    const x = rand(n * inSize, inSize), w = rand(inSize * outSize, outSize, -0.1, 0.1), b = rand(outSize, 3), dy = rand(n * outSize, 4);
    out.push({
      name: `dense forward and backward x=[${n},${inSize}] w=[${inSize},${outSize}]`, group: 'core', tol: 1e-4,
      run(be) {
        const y = new Float32Array(n * outSize), dx = new Float32Array(n * inSize), dw = new Float32Array(w.length), db = new Float32Array(outSize);
        be.denseForward(x, w, b, y, n, inSize, outSize, 'relu');
        be.denseBackward(x, w, dy, dx, dw, db, n, inSize, outSize);
        return { y, dx, dw, db };
      },
    });
  }
  for (const p of POOLS) {
    const g = windowGeometry('test', p.x, p.k, p.s, p.pad);
    const x = rand(p.x.reduce((a, b) => a * b, 1), 17);
    for (let i = 0; i < x.length; i += 11) x[i] = 0.5; // ties: the first maximum wins
    const dy = rand(g.n * g.oh * g.ow * g.c, 18);
    out.push({
      name: `maxPool2d forward and backward x=${shape(p.x)} k=${shape(p.k)} s=${shape(p.s)} ${p.pad}`, group: 'core', tol: 0,
      run(be) {
        const y = new Float32Array(dy.length), am = new Int32Array(dy.length), dx = new Float32Array(x.length);
        be.maxPool2dForward(x, y, am, g);
        be.maxPool2dBackward(dy, am, dx, g);
        return { y, argmax: am, dx };
      },
    });
  }
  const size = 1003, a = rand(size, 21), b = rand(size, 22);
  out.push({
    name: `relu forward/backward, mul size=${size}`, group: 'core', tol: 0,
    run(be) {
      const y = new Float32Array(size), dx = new Float32Array(size), m = new Float32Array(size);
      be.reluForward(a, y);
      be.reluBackward(y, b, dx);
      be.mul(a, b, m);
      return { y, dx, m };
    },
  });
  const logits = rand(130, 23, -5, 5), targets = new Float32Array(130);
  for (let r = 0; r < 13; r++) targets[r * 10 + (r % 10)] = 1;
  out.push({
    name: 'softmax and softmaxCrossEntropy rows=13 cols=10', group: 'core', tol: 1e-5,
    run(be) {
      const y = new Float32Array(130), probs = new Float32Array(130), d = new Float32Array(130);
      be.softmax(logits, y, 13, 10);
      const loss = be.softmaxCrossEntropy(logits, targets, probs, d, 13, 10);
      return { y, probs, dlogits: d, loss };
    },
  });
  out.push({
    name: `adamStep and sgdStep (Nesterov) size=${size}`, group: 'core', tol: 1e-5,
    run(be) {
      const p = copy(a), m = new Float32Array(size), v = new Float32Array(size), q = copy(a), vel = copy(b);
      for (const step of [1, 2]) be.adamStep(p, b, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step, weightDecay: 0 });
      be.sgdStep(q, b, vel, { lr: 0.01, momentum: 0.9, nesterov: true });
      return { adam: p, sgd: q, velocity: vel };
    },
  });
  return out;
}

/** Every case: the graph kernels' and the representative core set. */
export function allKernelCases(): KernelCase[] {
  return [...graphKernelCases(), ...coreKernelCases()];
}
