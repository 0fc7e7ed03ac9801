// The engine's public surface, browser-safe (no Node APIs): tensors, layers, models, losses, optimizers,
// the backend interface and the reference backend.

import './backends/reference/index.js';

export { Tensor, sizeOf, fmtShape } from './tensor.js';
export { Random } from './random.js';
export { getBackend, setBackend, type Backend, type Activation } from './backend.js';
export { referenceBackend } from './backends/reference/index.js';
export * as layers from './layers/index.js';
export { Layer } from './layers/layer.js';
export { Sequential, sequential, type CompileOptions, type SummaryRow, type WeightSpec } from './model.js';
export { seedCnn } from './models.js';
export type { Callback, FitOptions, History, Logs } from './fit.js';
export { earlyStopping } from './callbacks.js';
export { Adam, SGD, Optimizer, adam, sgd } from './optimizers.js';
export type { LossName } from './losses.js';
export { convGeometry, windowGeometry, type ConvGeometry, type WindowGeometry } from './geometry.js';
