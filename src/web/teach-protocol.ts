// The messages between the page's teach mode and its Web Worker (teach-worker.ts). Types only.

import type { ModelJson } from '../engine/io/artifacts.js';

/** One sample the user wrote: what the page shows in its card and what fine-tuning learns from. */
export interface Sample {
  /** The 28x28 image the model sees (0..1, white ink on black). */
  pixels: Float32Array;
  label: number;
  /** What the page's model read when the sample was added. */
  reading: number | null;
}

/** Samples as the model sees them: n 28x28 images (0..1, white ink on black) and their labels. */
export interface SampleSet {
  pixels: Float32Array;
  labels: number[];
}

export interface TeachRequest {
  modelJson: ModelJson;
  weightData: ArrayBuffer;
  train: SampleSet;
  /** Held out from fine-tuning: measured before and after. */
  test: SampleSet;
  seconds: number;
  trainLast: number;
}

export type TeachReply =
  | { type: 'progress'; epoch: number; loss: number }
  | { type: 'error'; message: string }
  | {
      type: 'done'; modelJson: ModelJson; weightData: ArrayBuffer;
      /** Held-out samples read right by the original model, and by the fine-tuned one. */
      before: number; after: number;
      epochs: number; seconds: number; trained: string[]; trainedParams: number;
      /** The worker's backend, in words; and whether it ran without a DOM (in a worker). */
      backend: string; inWorker: boolean;
    };
