// Grow-only scratch buffers, so that kernels allocate once and reuse memory from batch to batch.

export class Scratch {
  private readonly buffers = new Map<string, Float32Array>();

  /** A buffer of at least `size` floats under `key`; its contents are unspecified. */
  get(key: string, size: number): Float32Array {
    let buf = this.buffers.get(key);
    if (!buf || buf.length < size) {
      buf = new Float32Array(size);
      this.buffers.set(key, buf);
    }
    return buf.subarray(0, size);
  }
}
