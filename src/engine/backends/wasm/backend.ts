// The Backend over the WebAssembly kernels: each method lays its arguments out in the module's memory
// (Arena), calls the kernel, and copies the outputs back. Sizes come from the dimensions, exactly the
// ranges the reference kernel reads and writes, so longer arrays are left untouched past them.

import type { Activation, AdamParams, Backend, FusedActivation, RmspropParams, SgdParams } from '../../backend.js';
import type { ConvGeometry, WindowGeometry } from '../../geometry.js';
import { conv2dBackwardFilterPooledByParts, conv2dMaxPoolByParts } from '../by-parts.js';
import { dropoutMask } from '../reference/elementwise.js';
import { Arena } from './arena.js';
import { ACTIVATION_CODES, type WasmKernels } from './kernels.js';

/** A Backend, plus the memory it runs in (for benchmarks and tests). */
export interface WasmBackend extends Backend {
  readonly arena: Arena;
  readonly kernels: WasmKernels;
}

const relu = (act: FusedActivation): number => {
  if (act !== 'relu' && act !== 'linear') throw new Error(`wasm backend: unknown fused activation '${String(act)}'`);
  return act === 'relu' ? 1 : 0;
};

function activationCode(act: Activation, kernel: string): number {
  const code = ACTIVATION_CODES[act];
  if (code === undefined) throw new Error(`${kernel}: unknown activation '${String(act)}'`);
  return code;
}

export function makeWasmBackend(k: WasmKernels, name: string): WasmBackend {
  const A = new Arena(k.memory, k.heapBase());
  const geometry = (g: WindowGeometry, oc = 0) => k.setGeometry(g.n, g.h, g.w, g.c, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.oh, g.ow, oc);
  const inSize = (g: WindowGeometry) => g.n * g.h * g.w * g.c;
  const outSize = (g: WindowGeometry, c = g.c) => g.n * g.oh * g.ow * c;

  // The fused convolution and pooling as the two kernels each way (the conv's output or its gradient copied
  // out and back in, as when the layers run them).
  let convPool: Backend['conv2dMaxPoolForward'] | null = null;
  let convPoolFilter: Backend['conv2dBackwardFilterPooled'] | null = null;
  const be: WasmBackend = {
    name,
    arena: A,
    kernels: k,

    matmul(a, b, y, m, n, kk, transA, transB) {
      if (transA && transB) throw new Error('matmul: transA and transB together are not supported');
      A.begin('matmul');
      const pa = A.in(a, m * kk, 'a'), pb = A.in(b, kk * n, 'b'), py = A.out(y, m * n, 'y');
      (transA ? k.matmulTN : transB ? k.matmulNT : k.matmulNN)(pa, pb, py, m, n, kk, A.scratch());
      A.end();
    },

    denseForward(x, w, b, y, n, i, o, act) {
      A.begin('denseForward');
      const px = A.in(x, n * i, 'x'), pw = A.in(w, i * o, 'w'), pb = b ? A.in(b, o, 'b') : 0, py = A.out(y, n * o, 'y');
      k.denseForward(px, pw, pb, py, n, i, o, relu(act), A.scratch());
      A.end();
    },

    denseBackward(x, w, dy, dx, dw, db, n, i, o) {
      A.begin('denseBackward');
      const px = A.in(x, n * i, 'x'), pw = A.in(w, i * o, 'w'), pdy = A.in(dy, n * o, 'dy');
      const pdx = dx ? A.out(dx, n * i, 'dx') : 0, pdw = A.out(dw, i * o, 'dw'), pdb = db ? A.out(db, o, 'db') : 0;
      k.denseBackward(px, pw, pdy, pdx, pdw, pdb, n, i, o, A.scratch());
      A.end();
    },

    conv2dForward(x, w, b, y, g: ConvGeometry, act) {
      A.begin('conv2dForward');
      const px = A.in(x, inSize(g), 'x'), pw = A.in(w, g.kh * g.kw * g.c * g.oc, 'w'), pb = b ? A.in(b, g.oc, 'b') : 0;
      const py = A.out(y, outSize(g, g.oc), 'y');
      geometry(g, g.oc);
      k.conv2dForward(px, pw, pb, py, relu(act), A.scratch());
      A.end();
    },

    conv2dMaxPoolForward(x, w, b, y, argmax, g, pool, act) {
      (convPool ??= conv2dMaxPoolByParts(be))(x, w, b, y, argmax, g, pool, act);
    },

    conv2dBackwardFilterPooled(x, dy, argmax, dw, db, g, pool) {
      (convPoolFilter ??= conv2dBackwardFilterPooledByParts(be))(x, dy, argmax, dw, db, g, pool);
    },

    conv2dBackwardInput(dy, w, dx, g: ConvGeometry) {
      A.begin('conv2dBackwardInput');
      const pdy = A.in(dy, outSize(g, g.oc), 'dy'), pw = A.in(w, g.kh * g.kw * g.c * g.oc, 'w'), pdx = A.out(dx, inSize(g), 'dx');
      geometry(g, g.oc);
      k.conv2dBackwardInput(pdy, pw, pdx, A.scratch());
      A.end();
    },

    conv2dBackwardFilter(x, dy, dw, db, g: ConvGeometry) {
      A.begin('conv2dBackwardFilter');
      const px = A.in(x, inSize(g), 'x'), pdy = A.in(dy, outSize(g, g.oc), 'dy');
      const pdw = A.out(dw, g.kh * g.kw * g.c * g.oc, 'dw'), pdb = db ? A.out(db, g.oc, 'db') : 0;
      geometry(g, g.oc);
      k.conv2dBackwardFilter(px, pdy, pdw, pdb, A.scratch());
      A.end();
    },

    maxPool2dForward(x, y, argmax, g) {
      A.begin('maxPool2dForward');
      const px = A.in(x, inSize(g), 'x'), py = A.out(y, outSize(g), 'y'), pa = A.out(argmax, outSize(g), 'argmax');
      geometry(g);
      k.maxPool2dForward(px, py, pa);
      A.end();
    },

    maxPool2dBackward(dy, argmax, dx, g) {
      A.begin('maxPool2dBackward');
      const n = inSize(g);
      const pdy = A.in(dy, outSize(g), 'dy'), pa = A.in(argmax, outSize(g), 'argmax'), pdx = A.out(dx, n, 'dx');
      // The kernel scatters through argmax: an index outside dx would write outside it.
      for (let i = 0, m = outSize(g); i < m; i++) {
        if (!(argmax[i] >= 0 && argmax[i] < n)) throw new RangeError(`wasm backend: maxPool2dBackward: argmax[${i}] = ${argmax[i]} is outside dx (${n} elements)`);
      }
      geometry(g);
      k.maxPool2dBackward(pdy, pa, pdx);
      A.end();
    },

    avgPool2dForward(x, y, g) {
      A.begin('avgPool2dForward');
      const px = A.in(x, inSize(g), 'x'), py = A.out(y, outSize(g), 'y');
      geometry(g);
      k.avgPool2dForward(px, py);
      A.end();
    },

    avgPool2dBackward(dy, dx, g) {
      A.begin('avgPool2dBackward');
      const pdy = A.in(dy, outSize(g), 'dy'), pdx = A.out(dx, inSize(g), 'dx');
      geometry(g);
      k.avgPool2dBackward(pdy, pdx);
      A.end();
    },

    globalAvgPoolForward(x, y, n, hw, c) {
      A.begin('globalAvgPoolForward');
      const px = A.in(x, n * hw * c, 'x'), py = A.out(y, n * c, 'y');
      k.globalAvgPoolForward(px, py, n, hw, c);
      A.end();
    },

    globalAvgPoolBackward(dy, dx, n, hw, c) {
      A.begin('globalAvgPoolBackward');
      const pdy = A.in(dy, n * c, 'dy'), pdx = A.out(dx, n * hw * c, 'dx');
      k.globalAvgPoolBackward(pdy, pdx, n, hw, c);
      A.end();
    },

    reluForward(x, y) {
      A.begin('reluForward');
      const n = x.length;
      const px = A.in(x, n, 'x'), py = A.out(y, n, 'y');
      k.reluForward(px, py, n);
      A.end();
    },

    reluBackward(y, dy, dx) {
      A.begin('reluBackward');
      const n = y.length;
      const py = A.in(y, n, 'y'), pdy = A.in(dy, n, 'dy'), pdx = A.out(dx, n, 'dx');
      k.reluBackward(py, pdy, pdx, n);
      A.end();
    },

    activationForward(act, x, y, alpha) {
      const code = activationCode(act, 'activationForward');
      A.begin('activationForward');
      const n = x.length;
      const px = A.in(x, n, 'x'), py = A.out(y, n, 'y');
      k.activationForward(code, px, py, n, alpha);
      A.end();
    },

    activationBackward(act, y, dy, dx, alpha) {
      const code = activationCode(act, 'activationBackward');
      A.begin('activationBackward');
      const n = y.length;
      const py = A.in(y, n, 'y'), pdy = A.in(dy, n, 'dy'), pdx = A.out(dx, n, 'dx');
      k.activationBackward(code, py, pdy, pdx, n, alpha);
      A.end();
    },

    mul(a, b, y) {
      A.begin('mul');
      const n = a.length;
      const pa = A.in(a, n, 'a'), pb = A.in(b, n, 'b'), py = A.out(y, n, 'y');
      k.binary(pa, pb, py, n, 0);
      A.end();
    },

    // A sequential generator has nothing for SIMD to do: the definition runs as it is.
    dropoutMask,

    add(a, b, y, relu) {
      A.begin('add');
      const n = a.length;
      const pa = A.in(a, n, 'a'), pb = A.in(b, n, 'b'), py = A.out(y, n, 'y');
      k.binary(pa, pb, py, n, relu ? 2 : 1);
      A.end();
    },

    axpy(alpha, x, y) {
      A.begin('axpy');
      const n = x.length;
      const px = A.in(x, n, 'x'), py = A.inout(y, n, 'y');
      k.axpy(alpha, px, py, n);
      A.end();
    },

    copyColumns(src, srcCols, srcOffset, dst, dstCols, dstOffset, rows, cols) {
      if (rows <= 0 || cols <= 0) return;
      A.begin('copyColumns');
      // Only the rows' span is laid out; the columns of dst outside the block travel unchanged.
      const ps = A.in(src, (rows - 1) * srcCols + srcOffset + cols, 'src');
      const pd = A.inout(dst, (rows - 1) * dstCols + dstOffset + cols, 'dst');
      k.copyColumns(ps, srcCols, srcOffset, pd, dstCols, dstOffset, rows, cols);
      A.end();
    },

    batchNormStats(x, mean, variance, rows, c) {
      A.begin('batchNormStats');
      const px = A.in(x, rows * c, 'x'), pm = A.out(mean, c, 'mean'), pv = A.out(variance, c, 'variance');
      k.batchNormStats(px, pm, pv, rows, c, A.scratch());
      A.end();
    },

    batchNormForward(x, mean, variance, gamma, beta, epsilon, y, rows, c, relu) {
      A.begin('batchNormForward');
      const px = A.in(x, rows * c, 'x'), pm = A.in(mean, c, 'mean'), pv = A.in(variance, c, 'variance');
      const pg = A.in(gamma, c, 'gamma'), pb = A.in(beta, c, 'beta'), py = A.out(y, rows * c, 'y');
      k.batchNormForward(px, pm, pv, pg, pb, epsilon, py, rows, c, relu ? 1 : 0, A.scratch());
      A.end();
    },

    batchNormBackward(x, mean, variance, gamma, epsilon, dy, dx, dgamma, dbeta, rows, c, batchStats, reluBeta) {
      A.begin('batchNormBackward');
      const px = A.in(x, rows * c, 'x'), pm = A.in(mean, c, 'mean'), pv = A.in(variance, c, 'variance');
      const pg = A.in(gamma, c, 'gamma'), pdy = A.in(dy, rows * c, 'dy');
      const pr = reluBeta ? A.in(reluBeta, c, 'reluBeta') : 0;
      const pdx = dx ? A.out(dx, rows * c, 'dx') : 0;
      const pdg = dgamma ? A.out(dgamma, c, 'dgamma') : 0, pdb = dbeta ? A.out(dbeta, c, 'dbeta') : 0;
      k.batchNormBackward(px, pm, pv, pg, epsilon, pdy, pdx, pdg, pdb, rows, c, batchStats ? 1 : 0, pr, A.scratch());
      A.end();
    },

    softmax(x, y, rows, cols) {
      A.begin('softmax');
      const px = A.in(x, rows * cols, 'x'), py = A.out(y, rows * cols, 'y');
      k.softmax(px, py, rows, cols);
      A.end();
    },

    softmaxBackward(y, dy, dx, rows, cols) {
      A.begin('softmaxBackward');
      const py = A.in(y, rows * cols, 'y'), pdy = A.in(dy, rows * cols, 'dy'), pdx = A.out(dx, rows * cols, 'dx');
      k.softmaxBackward(py, pdy, pdx, rows, cols);
      A.end();
    },

    softmaxCrossEntropy(logits, targets, probs, dlogits, rows, cols) {
      A.begin('softmaxCrossEntropy');
      const n = rows * cols;
      const pl = A.in(logits, n, 'logits'), pt = A.in(targets, n, 'targets'), pp = A.out(probs, n, 'probs');
      const pd = dlogits ? A.out(dlogits, n, 'dlogits') : 0;
      const loss = k.softmaxCrossEntropy(pl, pt, pp, pd, rows, cols);
      A.end();
      return loss;
    },

    adamStep(params, grads, m, v, p: AdamParams) {
      A.begin('adamStep');
      const n = params.length;
      const pp = A.inout(params, n, 'params'), pg = A.in(grads, n, 'grads'), pm = A.inout(m, n, 'm'), pv = A.inout(v, n, 'v');
      const c1 = 1 - Math.pow(p.beta1, p.step), c2 = 1 - Math.pow(p.beta2, p.step);
      k.adamStep(pp, pg, pm, pv, n, p.lr, p.beta1, p.beta2, p.epsilon, c1, c2, p.weightDecay);
      A.end();
    },

    sgdStep(params, grads, velocity, p: SgdParams) {
      A.begin('sgdStep');
      const n = params.length;
      const pp = A.inout(params, n, 'params'), pg = A.in(grads, n, 'grads');
      // Without momentum the velocity is neither read nor written (and may be empty).
      const pv = p.momentum === 0 ? 0 : A.inout(velocity, n, 'velocity');
      k.sgdStep(pp, pg, pv, n, p.lr, p.momentum, p.nesterov ? 1 : 0);
      A.end();
    },

    rmspropStep(params, grads, ms, mom, p: RmspropParams) {
      A.begin('rmspropStep');
      const n = params.length;
      const pp = A.inout(params, n, 'params'), pg = A.in(grads, n, 'grads'), pms = A.inout(ms, n, 'ms');
      const pmom = p.momentum > 0 ? A.inout(mom, n, 'mom') : 0;
      k.rmspropStep(pp, pg, pms, pmom, n, p.lr, p.rho, p.momentum, p.epsilon);
      A.end();
    },
  };
  return be;
}
