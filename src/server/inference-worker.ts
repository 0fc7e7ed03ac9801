// The server's one inference worker (inference.ts): it builds the served model from its files on the fastest
// backend that loads here, then answers batches: n images of the model's input shape in, n rows of class
// probabilities out.

import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../engine/backends/select.js';
import { modelFromArtifacts } from '../engine/io/artifacts.js';
import { Tensor } from '../engine/tensor.js';

export interface InferenceStart {
  modelJson: unknown;
  weights: ArrayBuffer;
}

export interface BatchTask {
  id: number;
  n: number;
  x: Float32Array;
}

export type BatchReply = { id: number; probs: Float32Array; backend: string } | { id: number; error: string };

const start = workerData as InferenceStart;
const backend = selectBackend().backend; // the same choice as the main thread: native when the addon loads
const model = modelFromArtifacts(start.modelJson, start.weights, 'served model');
model.backend = backend;

parentPort!.on('message', (t: BatchTask) => {
  try {
    const probs = model.predict(new Tensor(t.x, [t.n, ...model.inputShape]), { batchSize: t.n }).data;
    const reply: BatchReply = { id: t.id, probs, backend: backend.name };
    parentPort!.postMessage(reply, [probs.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: t.id, error: (e as Error).message } satisfies BatchReply);
  }
});
parentPort!.postMessage({ ready: true, backend: backend.name });
