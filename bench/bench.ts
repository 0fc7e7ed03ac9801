// Training and inference speed on real MNIST, per backend, each in its own child process (so that peak RSS
// is per backend): digitnet native and reference, TensorFlow.js's `cpu` backend, and the PyTorch and
// Keras/TensorFlow peers on the same architecture, threads and batch. Usage:
//   npm run bench -- [--arch seed] [--backends native,reference,wasm,tfjs] [--peer torch,keras] [--threads T]
//                    [--isa avx512,avx2,generic] [--batches N] [--runs R] [--rounds N] [--profile] [--json]
//   npm run bench -- --gemm [--threads T] [--gemm-rounds N]    (GEMM alone: `MxNxK OURS BLAS` per shape)
//   npm run bench -- --kernels [--threads T] [--reps R] [--json]   (each backend's kernels, bench/kernels.ts)
// Timings are medians of R timed runs of N steps of 128 after warm-up. The machine may be shared: compare
// rows of one run, and give --rounds to alternate the backends and keep medians.

import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import { knownArch, PEER_ARCHS } from './archs.js';
import { benchEngine, type EngineKind } from './engine-bench.js';
import { gemmComparison, ourGemm, printGemm } from './gemm.js';
import { benchPeer } from './peers.js';
import { isError, median, round, type AnyRow, type BackendKind, type Row } from './result.js';
import { kernelBench, printKernelBench } from './kernels.js';
import { benchTfjs } from './tfjs-bench.js';

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.lastIndexOf(`--${name}`);
  if (i < 0) return def;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? 'true' : v;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const list = (name: string) =>
  process.argv.flatMap((a, i) => (a === `--${name}` && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1].split(',') : []));

function positiveInt(name: string, def: number): number {
  const v = arg(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

async function worker(which: string): Promise<void> {
  const arch = arg('arch', 'seed')!;
  const threads = arg('threads') ? positiveInt('threads', 1) : undefined;
  const isa = arg('isa') as 'auto' | undefined;
  let res: unknown;
  if (which === 'gemm') res = ourGemm(isa ?? 'auto', threads, 0.5);
  else if (which === 'tfjs') res = await benchTfjs(arch, positiveInt('batches', 6));
  else {
    const native = which === 'native';
    res = benchEngine(which as EngineKind, {
      arch,
      batches: positiveInt('batches', native ? 40 : which === 'wasm' ? 12 : 4),
      runs: positiveInt('runs', native ? 5 : 3),
      threads,
      isa,
      profile: flag('profile'),
    });
  }
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

/** Runs one backend's worker in its own process (native: with micro-kernel `isa`); an error row when it fails. */
function spawnWorker(self: string, b: string, arch: string, env: NodeJS.ProcessEnv, isa?: string): AnyRow {
  const pass = ['batches', 'runs', 'threads', 'arch'].flatMap((k) => (arg(k) === undefined ? [] : [`--${k}`, arg(k)!]));
  if (isa) pass.push('--isa', isa);
  if (flag('profile')) pass.push('--profile');
  const r = spawnSync(process.execPath, [self, '--worker', b, ...pass], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status === 0 && line.startsWith('{')) return JSON.parse(line) as AnyRow;
  const why = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status}`;
  return { backend: b as BackendKind, arch, error: why.replace(/^bench: /, '').replace(/^.*?Error: /, '').trim() };
}

/** One row from several rounds of the same backend: the median of each figure (the first error if none ran). */
function medianRow(rs: AnyRow[]): AnyRow {
  const ok = rs.filter((r): r is Row => !isError(r));
  if (!ok.length) return rs[0];
  const m = (f: (r: Row) => number) => median(ok.map(f));
  const mid = [...ok].sort((a, b) => a.trainImagesPerSec - b.trainImagesPerSec)[ok.length >> 1];
  const gf = ok.every((r) => r.trainGflops !== null) ? round(m((r) => r.trainGflops!), 1) : null;
  return {
    ...mid,
    trainImagesPerSec: round(m((r) => r.trainImagesPerSec)),
    trainGflops: gf,
    inferBatch1Ms: round(m((r) => r.inferBatch1Ms), 4),
    inferImagesPerSec: round(m((r) => r.inferImagesPerSec)),
    peakRssMB: round(m((r) => r.peakRssMB)),
    note: ok.length > 1 ? `${mid.note ?? ''}; medians of ${ok.length} rounds` : mid.note,
  };
}

function machine(threads: number): string {
  const r = loadNativeBackend();
  const isas = 'binding' in r ? r.binding.info().supportedIsas.join('/') : 'no native backend';
  return `${cpus()[0]?.model.trim() ?? 'unknown CPU'} (${isas}), ${threads} threads, node ${process.version}`;
}

function printTable(rows: AnyRow[], arch: string, threads: number): void {
  const ok = rows.filter((r): r is Row => !isError(r));
  const peer = (k: BackendKind) => ok.find((r) => r.backend === k);
  const torch = peer('pytorch'), keras = peer('keras');
  const pad = (s: string, n: number) => s.padStart(n);
  console.log(`arch ${arch}, batch 128, on ${machine(threads)}`);
  console.log(
    `${'backend'.padEnd(60)}${pad('train img/s', 12)}${pad('GFLOP/s', 9)}${pad('infer b1 ms', 12)}${pad('infer img/s', 12)}` +
      `${pad('peak RSS MB', 12)}${pad('× torch', 9)}${pad('× keras', 9)}`,
  );
  for (const r of ok) {
    const x = (b?: Row) => (b ? (r.trainImagesPerSec / b.trainImagesPerSec).toFixed(2) : '-');
    console.log(
      `${r.name.slice(0, 59).padEnd(60)}${pad(String(r.trainImagesPerSec), 12)}${pad(r.trainGflops === null ? '-' : String(r.trainGflops), 9)}` +
        `${pad(String(r.inferBatch1Ms), 12)}${pad(String(r.inferImagesPerSec), 12)}${pad(String(r.peakRssMB), 12)}${pad(x(torch), 9)}${pad(x(keras), 9)}`,
    );
    if (r.profile) {
      const step = Object.values(r.profile).reduce((a, b) => a + b, 0);
      const shares = (ms: Record<string, number>) => Object.entries(ms).map(([k, v]) => `${k} ${v} ms (${Math.round((100 * v) / step)}%)`).join(', ');
      console.log(`  one training step, ${step.toFixed(2)} ms: ${shares(r.profile)}`);
      if (r.convProfile && Object.keys(r.convProfile).length) console.log(`  its convolutions by shape (input -> filters, window/stride): ${shares(r.convProfile)}`);
    }
  }
  for (const r of rows) if (isError(r)) console.log(`${r.backend}: not measured: ${r.error}`);
  if (ok.some((r) => r.trainGflops !== null)) {
    console.log('GFLOP/s: the multiply-adds of direct convolutions and GEMMs per second (Winograd layers do fewer, so this can pass the sgemm peak)');
  }
}

async function main(): Promise<void> {
  const w = arg('worker');
  if (w) return worker(w);
  const json = flag('json');
  if (flag('kernels')) {
    const k = kernelBench(arg('threads') ? positiveInt('threads', 1) : undefined, positiveInt('reps', 20));
    return json ? void process.stdout.write(`${JSON.stringify(k)}\n`) : printKernelBench(k);
  }
  const arch = arg('arch', 'seed')!;
  if (!knownArch(arch)) throw new Error(`--arch must be one of ${PEER_ARCHS.join(', ')}, got '${arch}'`);
  const threads = positiveInt('threads', Math.min(2, Math.max(1, cpus().length)));
  const self = fileURLToPath(import.meta.url);
  const log = (s: string) => {
    if (!json) process.stderr.write(`${s}\n`);
  };
  const env: NodeJS.ProcessEnv = { ...process.env, DIGITNET_QUIET: '1', DIGITNET_THREADS: String(threads) };
  const gemmOnly = flag('gemm') && arg('backends') === undefined && list('peer').length === 0;
  const backends = gemmOnly ? [] : (arg('backends', 'native,reference,tfjs') ?? '').split(',').filter(Boolean);
  const jobs: { label: string; run: () => AnyRow }[] = [];
  for (const b of backends) {
    if (!['native', 'reference', 'wasm', 'tfjs'].includes(b)) throw new Error(`--backends takes native, reference, wasm and tfjs, got '${b}'`);
    // --isa a,b gives one native row per micro-kernel, side by side in the same run.
    for (const isa of b === 'native' && list('isa').length ? list('isa') : [undefined]) {
      jobs.push({ label: `${b}${isa ? ` (${isa})` : ''}`, run: () => spawnWorker(self, b, arch, env, isa) });
    }
  }
  const batches = positiveInt('batches', 40), runs = positiveInt('runs', 5);
  for (const p of list('peer')) {
    if (p !== 'torch' && p !== 'keras') throw new Error(`--peer takes torch and keras, got '${p}'`);
    jobs.push({ label: `${p} peer`, run: () => benchPeer(p, { arch, threads, batches: Math.min(batches, 40), runs }, log) });
  }
  // --rounds N runs every backend N times, round after round, and keeps each one's medians: on a shared
  // machine, a busy spell then slows every backend alike instead of whichever ran during it.
  const rounds = positiveInt('rounds', 1);
  const runsOf: AnyRow[][] = jobs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    jobs.forEach((j, i) => {
      log(`bench: ${j.label}${rounds > 1 ? `, round ${r + 1}/${rounds}` : ''}…`);
      runsOf[i].push(j.run());
    });
  }
  const rows = runsOf.map(medianRow);
  if (json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
  else if (rows.length) printTable(rows, arch, threads);
  if (flag('gemm')) {
    const g = gemmComparison(self, threads, positiveInt('gemm-rounds', 3), log);
    if (json) process.stdout.write(`${JSON.stringify({ backend: 'gemm', ...g })}\n`);
    else printGemm(g, (s) => console.log(s));
  }
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(1);
}
