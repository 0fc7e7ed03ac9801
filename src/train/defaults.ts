// The training defaults, in one place: the seed CNN with these settings reaches at least 99.0% test
// accuracy on MNIST (measured 99.08% with seed 42 and 99.21% with seed 1; with a constant learning rate it
// stayed near 98.8%). The CLI, `npm start` and the web server's first run all read them from here.

export const DEFAULTS = {
  /** Full passes over the training data. */
  epochs: 8,
  batchSize: 64,
  /** Adam's learning rate. */
  learningRate: 1e-3,
  /** The learning-rate policy (train/schedule-spec.ts): ×0.7 after each epoch, to settle into a minimum. */
  schedule: 'exponential,rate=0.7',
  /** Augmentation of the training batches (data/augment/spec.ts): none by default. */
  augment: 'none',
  /** Fraction of the training data held out for validation (stratified by label). */
  validationSplit: 0.1,
  /** Seeds weight initialization, the validation split and the shuffles: a run is reproducible. */
  seed: 42,
  /** Where runs go: `runs/<date-time>/`. */
  runsDir: 'runs',
  /** How many test images the report's sample and misclassified grids show. */
  sampleImages: 40,
  misclassifiedImages: 40,
} as const;

export const CLASSES = 10;
