// Image decoding off the event loop: a pool of worker threads (decode-worker.ts) with a bounded queue, for
// the model inputs of /api/predict and /api/explain and the numbers of /api/read (each worker reads with
// its own copy of the served model). A request waits in the queue while every worker is busy; when the
// queue is full it is refused at once with 503 and Retry-After, so a flood of uploads costs the server a
// bounded amount of memory and never delays the event loop (JSON clients and the page). A decode or read
// that runs past its deadline has its worker replaced.

import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ImageLimits } from '../data/images.js';
import type { DecodeReply, DecodeTask, DecodeWorkerData } from './decode-worker.js';
import type { ReadAnswer } from './read-answer.js';
import { HttpError } from './inputs.js';

export interface DecodePoolOptions {
  /** Worker threads (default: the cores less one, at least one: the event loop and inference keep a core). */
  workers?: number;
  /** Requests that may wait for a worker (default 64: at most 64 MB of bodies waiting); more get 503. */
  queue?: number;
  /** A decode that takes longer is stopped and answered 413 (default 5 s). */
  taskTimeoutMs?: number;
  /** Reading a whole number (a photo of up to 16 megapixels) may take longer (default 30 s). */
  readTimeoutMs?: number;
  /** The served model's files, which reading numbers needs (each worker builds its copy on its first read). */
  model?: DecodeWorkerData['model'];
  limits: ImageLimits;
  /** The served model's input shape and preprocessing (default MNIST's). */
  input?: DecodeTask['input'];
}

type Done = Extract<DecodeReply, { ok: true }>;

interface Job {
  task: DecodeTask;
  resolve: (r: Done) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  /** The worker has loaded its modules (it says so once); a task's deadline starts from then. */
  ready: boolean;
}

export function defaultDecodeWorkers(): number {
  return Math.max(1, cpus().length - 1);
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  readonly size: number;
  readonly queueLimit: number;
  readonly limits: ImageLimits;
  private readonly timeoutMs: number;
  private readonly readTimeoutMs: number;

  constructor(private readonly o: DecodePoolOptions) {
    this.size = o.workers ?? defaultDecodeWorkers();
    this.queueLimit = o.queue ?? 64;
    this.timeoutMs = o.taskTimeoutMs ?? 5000;
    this.readTimeoutMs = o.readTimeoutMs ?? 30_000;
    this.limits = o.limits;
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  /** Requests now waiting for a worker (not counting those being decoded). */
  get queued(): number {
    return this.waiting.length;
  }

  /** The model's input for an uploaded image (784 MNIST-form pixels for a digit model); rejects with an HttpError saying why not. */
  async decode(bytes: Uint8Array, contentType: string): Promise<Float32Array> {
    const r = await this.submit(bytes, contentType, false);
    return (r as Extract<Done, { pixels: Float32Array }>).pixels;
  }

  /** The whole number written in an uploaded image (POST /api/read); rejects with an HttpError saying why not. */
  async read(bytes: Uint8Array, contentType: string): Promise<ReadAnswer> {
    const r = await this.submit(bytes, contentType, true);
    return (r as Extract<Done, { read: ReadAnswer }>).read;
  }

  private submit(bytes: Uint8Array, contentType: string, read: boolean): Promise<Done> {
    if (this.closed) return Promise.reject(new HttpError(503, 'the server is shutting down', { 'retry-after': '5' }));
    const free = this.slots.find((s) => s.job === null);
    if (!free && this.waiting.length >= this.queueLimit) {
      return Promise.reject(new HttpError(503, `the server is busy decoding images (${this.size} at work, ${this.waiting.length} waiting); try again in a second`, { 'retry-after': '1' }));
    }
    // A copy of our own to transfer: the body may share its memory with other buffers.
    const copy = new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      const job = { task: { id: this.nextId++, bytes: copy, contentType, limits: this.o.limits, input: this.o.input, read }, resolve, reject };
      if (free) this.run(free, job);
      else this.waiting.push(job);
    });
  }

  private spawn(): Slot {
    const data: DecodeWorkerData = { model: this.o.model };
    const slot: Slot = { worker: new Worker(new URL('./decode-worker.js', import.meta.url), { workerData: data }), job: null, timer: null, ready: false };
    slot.worker.unref();
    slot.worker.on('message', (r: DecodeReply | { ready: true }) => {
      if (!('ready' in r)) return this.finish(slot, r);
      slot.ready = true;
      if (slot.job) this.startDeadline(slot);
    });
    slot.worker.on('error', (e) => this.replace(slot, new HttpError(500, `the image decoder failed: ${e.message}`)));
    return slot;
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    if (slot.ready) this.startDeadline(slot);
    slot.worker.postMessage(job.task, [job.task.bytes.buffer as ArrayBuffer]);
  }

  private startDeadline(slot: Slot): void {
    const read = slot.job?.task.read === true;
    const ms = read ? this.readTimeoutMs : this.timeoutMs;
    slot.timer = setTimeout(() => {
      this.replace(slot, new HttpError(413, `the image took more than ${ms / 1000} s to ${read ? 'read' : 'decode'}; send a smaller image`));
    }, ms);
  }

  private finish(slot: Slot, r: DecodeReply): void {
    const job = slot.job;
    if (!job || job.task.id !== r.id) return;
    this.release(slot);
    if (r.ok) job.resolve(r);
    else job.reject(new HttpError(r.status, r.message));
    this.next(slot);
  }

  /** Stops a worker that failed or ran too long, answers its job, and starts a fresh one in its place. */
  private replace(slot: Slot, error: Error): void {
    const job = slot.job;
    this.release(slot);
    void slot.worker.terminate();
    job?.reject(error);
    if (this.closed) return;
    const fresh = this.spawn();
    this.slots[this.slots.indexOf(slot)] = fresh;
    this.next(fresh);
  }

  private release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
  }

  private next(slot: Slot): void {
    const job = this.waiting.shift();
    if (job) this.run(slot, job);
  }

  /** Ends every worker; waiting and running requests are answered 503. */
  async close(): Promise<void> {
    this.closed = true;
    const gone = new HttpError(503, 'the server is shutting down', { 'retry-after': '5' });
    for (const job of this.waiting.splice(0)) job.reject(gone);
    await Promise.all(this.slots.map(async (s) => {
      const job = s.job;
      this.release(s);
      job?.reject(gone);
      await s.worker.terminate();
    }));
  }
}
