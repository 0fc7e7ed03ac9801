// A decoding worker of the server's pool (decode-pool.ts): PNG or JPEG bytes in, and out either the model's
// input (784 MNIST-form pixels for a digit model), through the same decoding and preprocessing as `digitnet
// predict` (model-input.ts: the one the served model's model.json records), or, for POST /api/read, the
// whole number read from the image (read-answer.ts), with the worker's own copy of the served model, built
// on the first such task. One image at a time; the size limits come with each task, so a decompression bomb
// is refused from its header here, off the event loop.

import { parentPort, workerData } from 'node:worker_threads';
import { decodeImage, ImageTooLargeError, type ImageLimits } from '../data/images.js';
import { prepareImage, type InputSpec } from '../data/model-input.js';
import type { Model } from '../engine/graph/model.js';
import { selectBackend } from '../engine/backends/select.js';
import { modelFromArtifacts } from '../engine/io/artifacts.js';
import { readAnswer, type ReadAnswer } from './read-answer.js';

export interface DecodeTask {
  id: number;
  bytes: Uint8Array;
  contentType: string;
  limits: ImageLimits;
  /** The model's input: its shape and preprocessing (default MNIST's 28x28x1). */
  input?: Pick<InputSpec, 'height' | 'width' | 'channels' | 'preprocess'>;
  /** Read the whole number in the image (POST /api/read) instead of preparing one model input. */
  read?: boolean;
}

/** What the pool gives each worker: the served model's files, for reading numbers. */
export interface DecodeWorkerData {
  model?: { modelJson: unknown; weights: ArrayBuffer };
}

export type DecodeReply =
  | { id: number; ok: true; pixels: Float32Array }
  | { id: number; ok: true; read: ReadAnswer }
  | { id: number; ok: false; status: number; message: string };

let model: Model | null = null;

/** The served model, built on the first reading task on the fastest backend that loads here. */
function servedModel(): Model {
  if (model) return model;
  const files = (workerData as DecodeWorkerData | undefined)?.model;
  if (!files) throw new Error('this server was started without a model for reading numbers');
  const backend = selectBackend().backend;
  model = modelFromArtifacts(files.modelJson, files.weights, 'served model');
  model.backend = backend;
  return model;
}

function decode(t: DecodeTask): DecodeReply {
  let img: ReturnType<typeof decodeImage>;
  try {
    img = decodeImage(t.bytes, 'the body', t.limits);
  } catch (e) {
    const status = e instanceof ImageTooLargeError ? 413 : 400;
    return { id: t.id, ok: false, status, message: `the body could not be decoded as an image (${t.contentType}): ${(e as Error).message.replace(/^the body: /, '')}` };
  }
  if (t.read) return { id: t.id, ok: true, read: readAnswer(img, servedModel()) };
  const { pixels, empty } = prepareImage(img, t.input ?? { height: 28, width: 28, channels: 1, preprocess: 'mnist' });
  if (empty) return { id: t.id, ok: false, status: 400, message: `the ${img.width}x${img.height} image is blank: no ink stands out from its background` };
  return { id: t.id, ok: true, pixels };
}

parentPort!.on('message', (t: DecodeTask) => {
  let reply: DecodeReply;
  try {
    reply = decode(t);
  } catch (e) {
    reply = { id: t.id, ok: false, status: 500, message: `reading the image failed: ${(e as Error).message}` };
  }
  parentPort!.postMessage(reply, reply.ok && 'pixels' in reply ? [reply.pixels.buffer as ArrayBuffer] : []);
});
// The pool starts a task's deadline only once the worker has loaded: start-up is not decoding time.
parentPort!.postMessage({ ready: true });
