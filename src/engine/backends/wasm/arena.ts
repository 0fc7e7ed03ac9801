// The argument region in the module's linear memory: for each call, the wrapper copies the input arrays
// in, reserves the outputs, calls the kernel, and copies the outputs back. The region is grow-only and
// reused by every call, so training allocates nothing per batch once it has seen its largest call.
// An array that already lives in this memory (made by allocate) is passed as it is, without a copy.

const ALIGN = 64;
/** Room after each array: the GEMM's epilogue may read (never write) up to 8 floats past a row. */
const PAD = 32;

type Floats = Float32Array | Int32Array;

export class Arena {
  private f32!: Float32Array;
  private i32!: Int32Array;
  private buffer: ArrayBuffer | null = null;
  /** First byte of the argument region; everything below is static data and resident arrays. */
  private base: number;
  private top = 0;
  private kernel = '';
  private readonly placed: Floats[] = [];
  private readonly ptrs: number[] = [];
  /** Values to copy back after the call (0: an input only, or an array resident in this memory). */
  private readonly outLengths: number[] = [];
  private readonly resident: boolean[] = [];

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number) {
    this.base = align(heapBase);
    this.refresh();
  }

  /** Starts laying out the arguments of `kernel` (named in errors). */
  begin(kernel: string): this {
    this.kernel = kernel;
    this.top = this.base;
    this.placed.length = 0;
    this.ptrs.length = 0;
    this.outLengths.length = 0;
    this.resident.length = 0;
    return this;
  }

  /** An input: its first n values are copied in (n defaults to its length). Returns its byte offset. */
  in(a: Floats, n: number, name: string): number {
    return this.place(a, n, name, true, 0);
  }

  /** An output: room for n values, copied back into a after the call. */
  out(a: Floats, n: number, name: string): number {
    return this.place(a, n, name, false, n);
  }

  /** Both: copied in, and back after the call. */
  inout(a: Floats, n: number, name: string): number {
    return this.place(a, n, name, true, n);
  }

  /** The first free byte past the arguments, where the kernel may put its own work. */
  scratch(): number {
    return this.top;
  }

  /** Copies the outputs back into their arrays; call once after the kernel. */
  end(): void {
    this.refresh();
    for (let i = 0; i < this.placed.length; i++) {
      const n = this.outLengths[i];
      const a = this.placed[i];
      if (n <= 0) continue;
      const view = a instanceof Int32Array ? this.i32 : this.f32;
      const at = this.ptrs[i] >> 2;
      a.set(view.subarray(at, at + n));
    }
  }

  /**
   * A Float32Array that lives in the module's memory, so that kernels use it without copying. It becomes
   * unusable (detached) when the memory grows: reserve the room the calls need first (reserve).
   */
  allocate(n: number): Float32Array {
    const at = this.base;
    this.base = align(at + n * 4 + PAD);
    this.grow(this.base);
    return new Float32Array(this.memory.buffer, at, n);
  }

  /** Grows the memory now to at least `bytes`, so that later calls do not (see allocate). */
  reserve(bytes: number): void {
    this.grow(bytes);
  }

  /** Bytes of linear memory (arguments, scratch and resident arrays together). */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  private place(a: Floats, n: number, name: string, copyIn: boolean, outLength: number): number {
    if (a.length < n) throw new RangeError(`wasm backend: ${this.kernel}: ${name} has ${a.length} elements, needs ${n}`);
    const seen = this.placed.indexOf(a);
    if (seen >= 0) {
      if (!this.resident[seen] && outLength > this.outLengths[seen]) this.outLengths[seen] = outLength;
      return this.ptrs[seen];
    }
    const resident = a.buffer === this.memory.buffer;
    let ptr: number;
    if (resident) {
      ptr = a.byteOffset; // the kernel reads and writes it where it is
      outLength = 0;
    } else {
      ptr = this.top;
      this.top = align(ptr + n * 4 + PAD);
      this.grow(this.top);
      if (copyIn && n > 0) (a instanceof Int32Array ? this.i32 : this.f32).set(n === a.length ? a : a.subarray(0, n), ptr >> 2);
    }
    this.placed.push(a);
    this.ptrs.push(ptr);
    this.outLengths.push(outLength);
    this.resident.push(resident);
    return ptr;
  }

  private grow(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      try {
        this.memory.grow(Math.ceil((bytes - have) / 65536));
      } catch (e) {
        throw new RangeError(`wasm backend: ${this.kernel}: cannot grow the memory to ${bytes} bytes: ${(e as Error).message}`);
      }
    }
    this.refresh();
  }

  private refresh(): void {
    if (this.buffer === this.memory.buffer) return;
    this.buffer = this.memory.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }
}

function align(p: number): number {
  return Math.ceil(p / ALIGN) * ALIGN;
}
