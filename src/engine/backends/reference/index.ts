// The reference backend: every kernel in plain TypeScript. It defines what each kernel computes, runs in
// browsers and in Node, and is the oracle that the native backend is tested against.

import { setDefaultBackend, type Backend, type FusedActivation } from '../../backend.js';
import { conv2dBackwardFilterPooledByParts, conv2dMaxPoolByParts } from '../by-parts.js';
import { activationBackward, activationForward } from './activations.js';
import { biasActivation, columnSums, conv2dBackwardFilter, conv2dBackwardInput, conv2dForward } from './conv.js';
import {
  adamStep, add, axpy, copyColumns, dropoutMask, mul, reluBackward, reluForward, rmspropStep, sgdStep, softmax, softmaxBackward, softmaxCrossEntropy,
} from './elementwise.js';
import { matmul, matmulNN } from './matmul.js';
import { batchNormBackward, batchNormForward, batchNormStats } from './norm.js';
import {
  avgPool2dBackward, avgPool2dForward, globalAvgPoolBackward, globalAvgPoolForward, maxPool2dBackward, maxPool2dForward,
} from './pool.js';

function denseForward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, n: number, inSize: number, outSize: number, act: FusedActivation): void {
  matmulNN(x, w, y, n, outSize, inSize);
  biasActivation(y, b, n, outSize, act);
}

function denseBackward(
  x: Float32Array, w: Float32Array, dy: Float32Array, dx: Float32Array | null, dw: Float32Array, db: Float32Array | null,
  n: number, inSize: number, outSize: number,
): void {
  matmul(x, dy, dw, inSize, outSize, n, true, false);
  if (db) columnSums(dy, db, n, outSize);
  if (dx) matmul(dy, w, dx, n, inSize, outSize, false, true);
}

export function referenceBackend(): Backend {
  return {
    name: 'reference',
    conv2dMaxPoolForward: conv2dMaxPoolByParts({ conv2dForward, maxPool2dForward }),
    conv2dBackwardFilterPooled: conv2dBackwardFilterPooledByParts({ maxPool2dBackward, conv2dBackwardFilter }),
    matmul,
    denseForward,
    denseBackward,
    conv2dForward,
    conv2dBackwardInput,
    conv2dBackwardFilter,
    maxPool2dForward,
    maxPool2dBackward,
    avgPool2dForward,
    avgPool2dBackward,
    globalAvgPoolForward,
    globalAvgPoolBackward,
    reluForward,
    reluBackward,
    activationForward,
    activationBackward,
    mul,
    dropoutMask,
    add,
    axpy,
    copyColumns,
    batchNormStats,
    batchNormForward,
    batchNormBackward,
    softmax,
    softmaxBackward,
    softmaxCrossEntropy,
    adamStep,
    sgdStep,
    rmspropStep,
  };
}

setDefaultBackend(referenceBackend);
