// Hyperparameter search: search spaces, samplers (grid, random, TPE), pruners (median, ASHA), the study
// database (SQLite, PostgreSQL), the tuner with its worker processes, and in-memory optimization of a
// plain function. Loading this module registers every sampler, pruner and storage. Node-only.

export * from './samplers/index.js';
export * from './pruners/index.js';
export * from './storage/index.js';
export { parseSpace, spaceJson, spaceKey, describeParam, checkParams, activeParams, type Space, type Param, type Params, type Value } from './space.js';
export { optimize, type OptimizeOptions, type OptimizeResult, type Report } from './optimize.js';
export { paramImportances, type Importance } from './importance.js';
export { runTuner, trialDir, OWNER, type TunerOptions, type TunerEvent, type TunerResult } from './tuner.js';
export { FIELDS, checkSpaceFields, fieldNamed, trainOptionsFor } from './fields.js';
export { bestTrial, better, OBJECTIVES, type Direction, type Objective, type Study, type StudySettings, type Trial, type TrialState } from './trial.js';
