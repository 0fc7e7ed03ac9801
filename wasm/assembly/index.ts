// digitnet's WebAssembly kernels (AssemblyScript, SIMD): every kernel of src/engine/backend.ts, on byte
// offsets into linear memory. src/engine/backends/wasm/ lays the arguments out and calls these.

export { heapBase } from './memory';
export { setGeometry } from './geometry';
export { matmulNN, matmulTN, matmulNT, denseForward, denseBackward } from './dense';
export { conv2dForward, conv2dBackwardInput, conv2dBackwardFilter } from './conv';
export { maxPool2dForward, maxPool2dBackward, avgPool2dForward, avgPool2dBackward, globalAvgPoolForward, globalAvgPoolBackward } from './pool';
export { reluForward, reluBackward, binary, axpy, copyColumns, activationForward, activationBackward } from './elementwise';
export { batchNormStats, batchNormForward, batchNormBackward } from './norm';
export { softmax, softmaxBackward, softmaxCrossEntropy } from './softmax';
export { adamStep, sgdStep, rmspropStep } from './optim';
