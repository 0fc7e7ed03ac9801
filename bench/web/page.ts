// The browser side of bench/browser.ts, bundled by it for Chromium: trains the seed CNN for a few batches
// of real MNIST on one backend and reports images/s; times the convolution kernels at the seed CNN's
// shapes; and replays one recorded training step's kernel calls on the WebAssembly backend with the
// arrays copied in and out per call, then with the arrays resident in its memory (the memory design).

import { adam, referenceBackend, seedCnn, Tensor, type Backend } from '../../src/engine/index.js';
import { instantiateWasmBackend, wasmVariant, WASM_FILES, type WasmBackend, type WasmVariant } from '../../src/engine/backends/wasm/index.js';
import { convGeometry } from '../../src/engine/geometry.js';
import { profiled } from '../profiled.js';

export type BackendChoice = 'reference' | WasmVariant;

async function backendFor(choice: BackendChoice): Promise<Backend> {
  if (choice === 'reference') return referenceBackend();
  const bytes = await (await fetch(WASM_FILES[choice])).arrayBuffer();
  return instantiateWasmBackend(bytes, choice);
}

let data: { x: Float32Array; y: Float32Array; count: number } | null = null;

/** data.bin: count (uint32), then count·784 pixels (float32, 0..1), then count·10 one-hot labels. */
async function mnist(): Promise<NonNullable<typeof data>> {
  if (data) return data;
  const buf = await (await fetch('data.bin')).arrayBuffer();
  const count = new Uint32Array(buf, 0, 1)[0];
  data = { count, x: new Float32Array(buf, 4, count * 784), y: new Float32Array(buf, 4 + count * 784 * 4, count * 10) };
  return data;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export interface TrainResult {
  backend: string;
  imagesPerSec: number;
  runs: number[];
  /** With profile: ms per training step spent in each kernel (the timing wrapper costs a little). */
  profile?: Record<string, number>;
}

/** Trains the seed CNN: `warm` batches, then `runs` timed runs of `batches` batches; the median run's images/s. */
async function train(choice: BackendChoice, batchSize: number, batches: number, runs: number, profile = false, warm = 2): Promise<TrainResult> {
  const d = await mnist();
  const backend = await backendFor(choice);
  const prof: Record<string, number> = {};
  const model = seedCnn({ seed: 1 });
  model.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'], backend: profile ? profiled(backend, prof) : backend });
  const nb = Math.floor(d.count / batchSize);
  let k = 0;
  const step = () => {
    const j = k++ % nb;
    const x = new Tensor(d.x.subarray(j * batchSize * 784, (j + 1) * batchSize * 784), [batchSize, 28, 28, 1]);
    const y = new Tensor(d.y.subarray(j * batchSize * 10, (j + 1) * batchSize * 10), [batchSize, 10]);
    model.trainStep(x, y);
  };
  for (let i = 0; i < warm; i++) step();
  for (const key of Object.keys(prof)) delete prof[key];
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < batches; i++) step();
    rates.push((batches * batchSize) / ((performance.now() - t) / 1000));
  }
  const result: TrainResult = { backend: backend.name, imagesPerSec: median(rates), runs: rates };
  if (profile) {
    const sorted = Object.entries(prof).sort((a, b) => b[1] - a[1]);
    result.profile = Object.fromEntries(sorted.map(([k, v]) => [k, Math.round((v / (runs * batches)) * 100) / 100]));
  }
  return result;
}

/** GFLOP/s of conv2dForward, conv2dBackwardInput and conv2dBackwardFilter at the seed CNN's two convolutions. */
async function kernels(choice: BackendChoice, batchSize: number, reps: number): Promise<Record<string, number>> {
  const be = await backendFor(choice);
  const out: Record<string, number> = {};
  for (const [shape, oc] of [[[batchSize, 28, 28, 1], 32], [[batchSize, 13, 13, 32], 64]] as const) {
    const g = convGeometry('bench', shape, [3, 3], [1, 1], 'valid', oc);
    const x = new Float32Array(shape.reduce((a, b) => a * b)).map((_, i) => Math.sin(i));
    const w = new Float32Array(9 * g.c * oc).map((_, i) => Math.cos(i) * 0.1), b = new Float32Array(oc);
    const y = new Float32Array(g.n * g.oh * g.ow * oc), dx = new Float32Array(x.length), dw = new Float32Array(w.length), db = new Float32Array(oc);
    const flop = 2 * g.n * g.oh * g.ow * oc * 9 * g.c;
    const time = (f: () => void) => {
      f();
      const ts: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        f();
        ts.push(performance.now() - t);
      }
      return Math.round(flop / median(ts) / 1e4) / 100;
    };
    const label = `conv ${g.h}x${g.w}x${g.c}→${oc}`;
    out[`${label} forward`] = time(() => be.conv2dForward(x, w, b, y, g, 'relu'));
    out[`${label} backward input`] = time(() => be.conv2dBackwardInput(y, w, dx, g));
    out[`${label} backward filter`] = time(() => be.conv2dBackwardFilter(x, y, dw, db, g));
  }
  return out;
}

interface Call {
  kernel: keyof Backend;
  args: unknown[];
}

/** One training step's kernel calls, with every array argument replaced by its index in `arrays`. */
async function recordStep(batchSize: number): Promise<{ calls: Call[]; arrays: (Float32Array | Int32Array)[] }> {
  const d = await mnist();
  const ref = referenceBackend();
  const arrays: (Float32Array | Int32Array)[] = [];
  const index = new Map<unknown, number>();
  const calls: Call[] = [];
  let recording = false;
  const recorder = new Proxy(ref, {
    get(target, key) {
      const f = target[key as keyof Backend];
      if (typeof f !== 'function') return f;
      return (...args: unknown[]) => {
        if (recording) {
          calls.push({
            kernel: key as keyof Backend,
            args: args.map((a) => {
              if (!(a instanceof Float32Array || a instanceof Int32Array)) return a;
              if (!index.has(a)) {
                index.set(a, arrays.length);
                arrays.push(a.slice());
              }
              return { array: index.get(a) };
            }),
          });
        }
        return (f as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const model = seedCnn({ seed: 1 });
  model.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy', backend: recorder });
  const x = new Tensor(d.x.subarray(0, batchSize * 784), [batchSize, 28, 28, 1]);
  const y = new Tensor(d.y.subarray(0, batchSize * 10), [batchSize, 10]);
  model.trainStep(x, y);
  recording = true;
  model.trainStep(x, y);
  return { calls, arrays };
}

function replay(be: Backend, calls: Call[], arrays: (Float32Array | Int32Array)[]): void {
  for (const c of calls) {
    const args = c.args.map((a) => (a && typeof a === 'object' && 'array' in a ? arrays[(a as { array: number }).array] : a));
    (be[c.kernel] as (...a: unknown[]) => unknown)(...args);
  }
}

/** ms per training step's kernels on the WebAssembly backend: arrays copied per call vs resident in its memory. */
async function memoryDesign(choice: WasmVariant, batchSize: number, reps: number): Promise<Record<string, number>> {
  const { calls, arrays } = await recordStep(batchSize);
  const bytes = await (await fetch(WASM_FILES[choice])).arrayBuffer();
  const copying = (await instantiateWasmBackend(bytes, choice)) as WasmBackend;
  const resident = (await instantiateWasmBackend(bytes, choice)) as WasmBackend;
  // Resident arrays: allocated in the module's memory once, after growing it past what any call needs
  // (growing would detach them).
  const total = arrays.reduce((s, a) => s + a.byteLength + 128, 0);
  resident.arena.reserve(total + copying.arena.bytes + (64 << 20));
  const inMemory = arrays.map((a) => {
    const r = resident.arena.allocate(a.length);
    if (a instanceof Int32Array) {
      const i = new Int32Array(r.buffer, r.byteOffset, a.length);
      i.set(a);
      return i;
    }
    r.set(a);
    return r;
  });
  const time = (be: Backend, arr: (Float32Array | Int32Array)[]) => {
    replay(be, calls, arr);
    const ts: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      replay(be, calls, arr);
      ts.push(performance.now() - t);
    }
    return Math.round(median(ts) * 100) / 100;
  };
  const copyMs = time(copying, arrays.map((a) => a.slice()));
  const residentMs = time(resident, inMemory);
  const copied = calls.reduce((s, c) => s + c.args.filter((a) => a && typeof a === 'object').length, 0);
  return { kernelCalls: calls.length, arrayArguments: copied, bytesOfArrays: total, copyMs, residentMs };
}

Object.assign(globalThis, { digitnetBench: { train, kernels, memoryDesign, wasmVariant } });
