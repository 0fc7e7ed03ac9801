// Predictions off the event loop, batched: one worker thread (inference-worker.ts) holds the model, and the
// requests that arrive while it is busy, or within `windowMs` of the first one when it is idle, go to it
// together as one batch (up to `maxBatch`). Under load the worker runs batches of many images, which cost
// little more than one; a lone request waits at most `windowMs`. Pending requests are bounded: past
// `maxPending` they get 503 with Retry-After.

import { Worker } from 'node:worker_threads';
import type { BatchReply, BatchTask, InferenceStart } from './inference-worker.js';
import { HttpError } from './inputs.js';

export interface InferenceOptions {
  /** The most images in one batch (default 64). */
  maxBatch?: number;
  /** How long an idle worker waits for more requests before running a batch, in ms (default 1). */
  windowMs?: number;
  /** Requests that may wait for the worker (default 1024); more get 503. */
  maxPending?: number;
}

interface Pending {
  pixels: Float32Array;
  resolve: (probs: Float32Array) => void;
  reject: (e: Error) => void;
}


function spawn(start: InferenceStart): Worker {
  // The worker gets its own copy of the weights (workerData is cloned), so the caller's stay usable.
  const worker = new Worker(new URL('./inference-worker.js', import.meta.url), { workerData: start });
  worker.unref();
  return worker;
}

export class BatchingInference {
  private pending: Pending[] = [];
  private inFlight: Pending[] | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;
  /** Batch sizes run so far (for the load test's report and the tests). */
  readonly batchSizes: number[] = [];
  private readonly maxBatch: number;
  private readonly windowMs: number;
  private readonly maxPending: number;
  /** Input values per image and classes per answer (784 and 10 for a digit model). */
  private readonly pixels: number;
  private readonly classes: number;

  private constructor(private worker: Worker, private readonly start: InferenceStart, readonly backend: string, o: InferenceOptions, size: { pixels: number; classes: number }) {
    this.pixels = size.pixels;
    this.classes = size.classes;
    this.maxBatch = o.maxBatch ?? 64;
    this.windowMs = o.windowMs ?? 1;
    this.maxPending = o.maxPending ?? 1024;
    this.listen(worker);
  }

  /** Starts the worker with the model's files and waits until it has built the model. */
  static start(modelJson: unknown, weights: ArrayBuffer, o: InferenceOptions = {}, size = { pixels: 784, classes: 10 }): Promise<BatchingInference> {
    const start: InferenceStart = { modelJson, weights };
    const worker = spawn(start);
    return new Promise((resolve, reject) => {
      worker.once('message', (m: { ready?: boolean; backend?: string }) => resolve(new BatchingInference(worker, start, m.backend ?? 'unknown', o, size)));
      worker.once('error', reject);
    });
  }

  private listen(worker: Worker): void {
    worker.on('message', (r: BatchReply | { ready: true }) => {
      if (!('ready' in r)) this.done(r);
    });
    worker.on('error', (e) => {
      // A worker that died answers its batch with 500 and is replaced; requests after it are served again.
      this.fail(new HttpError(500, `the inference worker failed: ${e.message}`));
      if (this.closed) return;
      this.worker = spawn(this.start);
      this.listen(this.worker);
    });
  }

  /** The class probabilities for one image (784 values 0..1 for a digit model). */
  predict(pixels: Float32Array): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new HttpError(503, 'the server is shutting down', { 'retry-after': '5' }));
    if (this.pending.length >= this.maxPending) {
      return Promise.reject(new HttpError(503, `the server is busy (${this.pending.length} predictions waiting); try again in a second`, { 'retry-after': '1' }));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ pixels, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight) return; // the batch being run sends the next one when it returns
    if (this.pending.length >= this.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight || this.pending.length === 0 || this.closed) return;
    const batch = this.pending.splice(0, this.maxBatch);
    const x = new Float32Array(batch.length * this.pixels);
    batch.forEach((p, i) => x.set(p.pixels, i * this.pixels));
    this.inFlight = batch;
    this.batchSizes.push(batch.length);
    if (this.batchSizes.length > 10_000) this.batchSizes.splice(0, 5_000);
    this.worker.postMessage({ id: this.nextId++, n: batch.length, x } satisfies BatchTask, [x.buffer as ArrayBuffer]);
  }

  private done(r: BatchReply): void {
    const batch = this.inFlight;
    this.inFlight = null;
    if (batch) {
      if ('error' in r) batch.forEach((p) => p.reject(new HttpError(500, `prediction failed: ${r.error}`)));
      else batch.forEach((p, i) => p.resolve(r.probs.slice(i * this.classes, (i + 1) * this.classes)));
    }
    // What arrived meanwhile goes now: a busy worker batches without waiting for the window.
    if (this.pending.length) this.flush();
  }

  private fail(e: Error): void {
    const all = [...(this.inFlight ?? []), ...this.pending.splice(0)];
    this.inFlight = null;
    for (const p of all) p.reject(e);
  }

  /** Ends the worker; whatever is pending is answered 503. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.fail(new HttpError(503, 'the server is shutting down', { 'retry-after': '5' }));
    await this.worker.terminate();
  }
}
