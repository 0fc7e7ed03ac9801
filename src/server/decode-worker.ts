// A decoding worker of the server's pool (decode-pool.ts): PNG or JPEG bytes in, the model's input out (784
// MNIST-form pixels for a digit model), through the same decoding and preprocessing as `digitnet predict`
// (model-input.ts: the one the served model's model.json records). One image at a time; the size
// limits come with each task, so a decompression bomb is refused from its header here, off the event loop.

import { parentPort } from 'node:worker_threads';
import { decodeImage, ImageTooLargeError, type ImageLimits } from '../data/images.js';
import { prepareImage, type InputSpec } from '../data/model-input.js';

export interface DecodeTask {
  id: number;
  bytes: Uint8Array;
  contentType: string;
  limits: ImageLimits;
  /** The model's input: its shape and preprocessing (default MNIST's 28x28x1). */
  input?: Pick<InputSpec, 'height' | 'width' | 'channels' | 'preprocess'>;
}

export type DecodeReply = { id: number; ok: true; pixels: Float32Array } | { id: number; ok: false; status: number; message: string };

function decode(t: DecodeTask): DecodeReply {
  let img: ReturnType<typeof decodeImage>;
  try {
    img = decodeImage(t.bytes, 'the body', t.limits);
  } catch (e) {
    const status = e instanceof ImageTooLargeError ? 413 : 400;
    return { id: t.id, ok: false, status, message: `the body could not be decoded as an image (${t.contentType}): ${(e as Error).message.replace(/^the body: /, '')}` };
  }
  const { pixels, empty } = prepareImage(img, t.input ?? { height: 28, width: 28, channels: 1, preprocess: 'mnist' });
  if (empty) return { id: t.id, ok: false, status: 400, message: `the ${img.width}x${img.height} image is blank: no ink stands out from its background` };
  return { id: t.id, ok: true, pixels };
}

parentPort!.on('message', (t: DecodeTask) => {
  const reply = decode(t);
  parentPort!.postMessage(reply, reply.ok ? [reply.pixels.buffer as ArrayBuffer] : []);
});
// The pool starts a task's deadline only once the worker has loaded: start-up is not decoding time.
parentPort!.postMessage({ ready: true });
