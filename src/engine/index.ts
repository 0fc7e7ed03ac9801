// The engine's public surface, browser-safe (no Node APIs): tensors, layers, graph models, losses,
// optimizers, the backend interface and the reference backend.

import './backends/reference/index.js';

export { Tensor, sizeOf, fmtShape } from './tensor.js';
export { Random, deriveSeed } from './random.js';
export { getBackend, setBackend, type Backend, type Activation, type FusedActivation } from './backend.js';
export { referenceBackend } from './backends/reference/index.js';
export * as layers from './layers/index.js';
export { Layer } from './layers/layer.js';
export { input } from './layers/input-layer.js';
export { l2, type Regularizer } from './layers/config.js';
export { SymbolicTensor } from './graph/symbolic.js';
export { Model, model, type CompileOptions, type ModelOptions, type SummaryRow, type WeightSpec } from './graph/model.js';
export { Sequential, sequential } from './graph/sequential.js';
export type { BatchAugmenter, Callback, FitOptions, History, Logs, ResumePoint } from './fit.js';
export { earlyStopping, reduceLROnPlateau, type CallbackState, type EarlyStoppingOptions, type ReduceLrOptions, type StatefulCallback } from './callbacks.js';
export {
  cosineDecay, exponentialDecay, oneCycle, piecewiseConstantDecay, scheduleFromConfig,
  type CosineDecayOptions, type ExponentialDecayOptions, type OneCycleOptions, type PiecewiseConstantOptions,
} from './schedules.js';
export {
  Adam, AdamW, Optimizer, RMSprop, SGD, adam, adamw, rmsprop, sgd,
  type LearningRateSchedule, type OptimizerName, type OptimizerOptions,
} from './optimizers/index.js';
export { CrossEntropy, categoricalCrossentropy, sparseCategoricalCrossentropy, type LossName, type LossOptions } from './losses.js';
export { convGeometry, windowGeometry, type ConvGeometry, type WindowGeometry } from './geometry.js';
export { modelFromArtifacts, modelToArtifacts, type ModelJson } from './io/artifacts.js';
