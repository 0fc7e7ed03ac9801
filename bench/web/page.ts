// The browser side of bench/browser.ts, bundled by it for Chromium: trains the seed CNN for a few batches
// of real MNIST on one backend and reports images/s; times the convolution kernels at the seed CNN's
// shapes; and replays one recorded training step's kernel calls on the WebAssembly backend with the
// arrays copied in and out per call, then with the arrays resident in its memory (the memory design).

import { adam, referenceBackend, Tensor, type Backend } from '../../src/engine/index.js';
import { seedCnn } from '../../src/train/zoo/index.js';
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

/** The seed CNN compiled on one backend, stepping through the MNIST batches. */
async function trainer(choice: BackendChoice, batchSize: number, prof: Record<string, number> | null) {
  const d = await mnist();
  const backend = await backendFor(choice);
  const model = seedCnn({ seed: 1 });
  model.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'], backend: prof ? profiled(backend, prof) : backend });
  const nb = Math.floor(d.count / batchSize);
  let k = 0;
  const step = () => {
    const j = k++ % nb;
    const x = new Tensor(d.x.subarray(j * batchSize * 784, (j + 1) * batchSize * 784), [batchSize, 28, 28, 1]);
    const y = new Tensor(d.y.subarray(j * batchSize * 10, (j + 1) * batchSize * 10), [batchSize, 10]);
    model.trainStep(x, y);
  };
  return { name: backend.name, step };
}

/**
 * Trains the seed CNN on each backend: 2 warm-up batches each, then `runs` rounds in which every backend
 * in turn trains `batches[i]` batches, so that all of them meet the same changes of load on a shared machine.
 * Each backend's images/s is the median of its rounds.
 */
async function train(choices: BackendChoice[], batchSize: number, batches: number[], runs: number, profile = false): Promise<TrainResult[]> {
  const profs = choices.map(() => (profile ? ({} as Record<string, number>) : null));
  const trainers = await Promise.all(choices.map((c, i) => trainer(c, batchSize, profs[i])));
  for (const t of trainers) for (let i = 0; i < 2; i++) t.step();
  for (const p of profs) if (p) for (const key of Object.keys(p)) delete p[key];
  const rates: number[][] = choices.map(() => []);
  for (let r = 0; r < runs; r++) {
    trainers.forEach((t, i) => {
      const t0 = performance.now();
      for (let b = 0; b < batches[i]; b++) t.step();
      rates[i].push((batches[i] * batchSize) / ((performance.now() - t0) / 1000));
    });
  }
  return trainers.map((t, i) => {
    const result: TrainResult = { backend: t.name, imagesPerSec: median(rates[i]), runs: rates[i] };
    const p = profs[i];
    if (p) result.profile = Object.fromEntries(Object.entries(p).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / (runs * batches[i])) * 100) / 100]));
    return result;
  });
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
  // Both ways in turn, rep after rep, so that both meet the same load.
  const copies = arrays.map((a) => a.slice());
  replay(copying, calls, copies);
  replay(resident, calls, inMemory);
  const copyTimes: number[] = [], residentTimes: number[] = [];
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    replay(copying, calls, copies);
    copyTimes.push(performance.now() - t);
    t = performance.now();
    replay(resident, calls, inMemory);
    residentTimes.push(performance.now() - t);
  }
  const copyMs = Math.round(median(copyTimes) * 100) / 100;
  const residentMs = Math.round(median(residentTimes) * 100) / 100;
  const copied = calls.reduce((s, c) => s + c.args.filter((a) => a && typeof a === 'object').length, 0);
  return { kernelCalls: calls.length, arrayArguments: copied, bytesOfArrays: total, copyMs, residentMs };
}

Object.assign(globalThis, { digitnetBench: { train, kernels, memoryDesign, wasmVariant } });
