// Tensor: a shape and a Float32Array, row-major, images in NHWC order (the layout TensorFlow.js uses).
// It is deliberately not an autograd node: layers own their backward passes.

/** A dense float32 array with a shape. `data.length` always equals the product of `shape`. */
export class Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;

  constructor(data: Float32Array | ArrayLike<number>, shape: readonly number[]) {
    const size = sizeOf(shape);
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    if (arr.length !== size) {
      throw new Error(`Tensor: ${arr.length} values do not fill shape ${fmtShape(shape)} (${size} values)`);
    }
    this.shape = Object.freeze([...shape]);
    this.data = arr;
  }

  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(new Float32Array(sizeOf(shape)), shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** Same values, another shape of the same size; shares the buffer. */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** Rows [start, end) along the first axis; shares the buffer. */
  slice0(start: number, end: number): Tensor {
    const row = this.data.length / this.shape[0];
    return new Tensor(this.data.subarray(start * row, end * row), [end - start, ...this.shape.slice(1)]);
  }

  /** Index of the largest value of each row along the last axis. */
  argMax(): Int32Array {
    const cols = this.shape[this.shape.length - 1];
    const rows = this.data.length / cols;
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < cols; c++) if (this.data[r * cols + c] > this.data[r * cols + best]) best = c;
      out[r] = best;
    }
    return out;
  }

  /** Nested arrays, for printing and tests. */
  toArray(): unknown {
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[null,28,28,1]` style, as Keras prints shapes. */
export function fmtShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(',')}]`;
}
