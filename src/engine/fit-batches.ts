// The batches fit trains on: gathered from the shuffled indices into reused buffers and, when an augmenter
// is given, transformed on their way. With an augmenter that can work off the main thread, the next batch is
// prepared while the current one trains (two buffer slots, used in turn). Nothing is allocated per batch.

import { deriveSeed } from './random.js';

/** Transforms each training batch before its step (augmentation). Validation data never goes through it. */
export interface BatchAugmenter {
  /** Writes the transformed images of src (n images) into dst; `seed` alone decides the random draws. */
  apply(src: Float32Array, dst: Float32Array, n: number, seed: number): void;
  /** The same work off the main thread, if the augmenter can: fit then prepares a batch while the previous one trains. */
  start?(src: Float32Array, dst: Float32Array, n: number, seed: number): Promise<void>;
}

/** Streams of random state derived from (seed, epoch, batch): one per use, so that none shifts another. */
export const STREAM = { shuffle: 1, dropout: 2, augment: 3 } as const;

interface Slot {
  raw: Float32Array;
  out: Float32Array;
  pending: Promise<void> | null;
}

export class BatchFeeder {
  private readonly slots: Slot[];
  private idx: Int32Array = new Int32Array(0);
  private epoch = 0;
  private readonly overlap: boolean;

  constructor(
    private readonly x: Float32Array,
    private readonly per: number,
    private readonly batchSize: number,
    private readonly n: number,
    private readonly seed: number,
    private readonly augment: BatchAugmenter | null,
    overlap: boolean,
  ) {
    this.overlap = overlap && augment?.start !== undefined;
    const size = Math.min(batchSize, n) * per;
    const count = this.overlap ? 2 : 1;
    this.slots = Array.from({ length: count }, () => ({ raw: new Float32Array(size), out: augment ? new Float32Array(size) : new Float32Array(0), pending: null }));
  }

  /** Starts an epoch over `idx` (the shuffled training indices); with overlap, batch 0 is started now. */
  begin(epoch: number, idx: Int32Array): void {
    this.epoch = epoch;
    this.idx = idx;
    if (this.overlap) this.prepare(0);
  }

  /** Batch b's images (a view valid until take(b + slots)); with overlap, batch b + 1 is started before it returns. */
  async take(b: number): Promise<Float32Array> {
    const slot = this.slots[b % this.slots.length];
    if (!this.overlap) this.prepare(b);
    if (slot.pending) {
      await slot.pending;
      slot.pending = null;
    }
    if (this.overlap && (b + 1) * this.batchSize < this.n) this.prepare(b + 1);
    const rows = Math.min(this.n, (b + 1) * this.batchSize) - b * this.batchSize;
    return (this.augment ? slot.out : slot.raw).subarray(0, rows * this.per);
  }

  private prepare(b: number): void {
    const slot = this.slots[b % this.slots.length];
    const s = b * this.batchSize;
    const e = Math.min(this.n, s + this.batchSize);
    const raw = gather(slot.raw.subarray(0, (e - s) * this.per), this.x, this.idx, s, e, this.per);
    if (!this.augment) return;
    const out = slot.out.subarray(0, raw.length);
    const seed = deriveSeed(this.seed, this.epoch, b, STREAM.augment);
    if (this.overlap) slot.pending = this.augment.start!(raw, out, e - s, seed);
    else this.augment.apply(raw, out, e - s, seed);
  }
}

function gather(out: Float32Array, src: Float32Array, idx: Int32Array, s: number, e: number, per: number): Float32Array {
  for (let r = s; r < e; r++) out.set(src.subarray(idx[r] * per, (idx[r] + 1) * per), (r - s) * per);
  return out;
}
