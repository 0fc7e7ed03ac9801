// GEMM alone, ours against OpenBLAS (through numpy) on the shapes convolutions make, plus 4096³ as the
// machine's practical peak, side by side in one run: rounds alternate our worker and the BLAS script, and
// each figure is the median over rounds of medians over calls. Prints `MxNxK OURS BLAS` per shape (GFLOP/s;
// a trailing T: A stored transposed), one block per instruction set this CPU runs. OpenBLAS picks the
// machine's own kernels for the best instruction set; for a lesser one (AVX2 on an AVX-512 machine) it is
// held to that set's kernels too (OPENBLAS_CORETYPE=Haswell), so that each block compares like with like and
// its peak is what code of that instruction set reaches here, as on a machine without the wider one.

import { spawnSync } from 'node:child_process';
import { loadNativeBackend } from '../src/engine/backends/native/index.js';
import { benchScript, peerEnv, pythonFor } from './peers.js';
import { median, round } from './result.js';

/** Shape, and what makes it (seed CNN at batch 128; zoo convolutions at batch 128). */
export const GEMM_SHAPES: [string, string][] = [
  ['15488x64x288', 'seed conv2 forward: im2col (pixels x 3x3x32) times kernel'],
  ['288x64x15488T', 'seed conv2 filter gradient as a plain GEMM: im2col-transposed times dy (conv2d reads its input in place instead; a dense weight gradient has this form)'],
  ['15488x288x64', 'seed conv2 input gradient: dy times kernel-transposed'],
  ['86528x32x9', 'seed conv1 forward (one input channel)'],
  ['128x128x1600', 'seed dense 1600->128 forward'],
  ['25088x64x576', 'vgg block-2 convolution (14x14, 64->64)'],
  ['6272x64x576', 'resnet20 stage-3 convolution (7x7, 64->64)'],
  ['4096x4096x4096', "the machine's practical peak"],
];

function parse(spec: string): { m: number; n: number; k: number; ta: boolean } {
  const [m, n, k] = spec.replace(/T$/, '').split('x').map(Number);
  return { m, n, k, ta: spec.endsWith('T') };
}

/** Worker side: our GFLOP/s per shape for one instruction set (median of calls over ~`seconds`). */
export function ourGemm(isa: string, threads: number | undefined, seconds: number): Record<string, number> {
  const r = loadNativeBackend({ threads, isa: isa as 'auto' });
  if ('error' in r) throw new Error(r.error);
  const out: Record<string, number> = {};
  let seed = 1;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296) as number;
  for (const [spec] of GEMM_SHAPES) {
    const { m, n, k, ta } = parse(spec);
    const a = new Float32Array(m * k).map(rnd), b = new Float32Array(k * n).map(rnd), y = new Float32Array(m * n);
    r.binding.matmul(a, b, y, m, n, k, ta, false);
    const rates: number[] = [];
    const start = performance.now();
    while (rates.length < 3 || (performance.now() - start < seconds * 1000 && rates.length < 200)) {
      const t = performance.now();
      r.binding.matmul(a, b, y, m, n, k, ta, false);
      rates.push((2 * m * n * k) / ((performance.now() - t) / 1000) / 1e9);
    }
    out[spec] = round(median(rates), 1);
  }
  return out;
}

type BlasResult = { library: string; gflops: Record<string, number> } | { error: string };

export interface GemmReport {
  threads: number;
  /** OpenBLAS per instruction set of ours: its own kernels for the best, that set's kernels for a lesser one. */
  blas: Record<string, BlasResult>;
  ours: Record<string, Record<string, number>>;
}

/** OpenBLAS's core for our instruction set: none (its own choice) for the machine's best, else that set's. */
const BLAS_CORE: Record<string, string> = { avx2: 'Haswell' };

/** One run of the BLAS script on every shape, with OpenBLAS held to `core` when given. */
function blasRound(python: string, threads: number, core: string | undefined): BlasResult {
  const env = peerEnv(threads);
  if (core) env.OPENBLAS_CORETYPE = core;
  const b = spawnSync(python, [benchScript('blas_gemm.py'), ...GEMM_SHAPES.map(([s]) => s)], { env, encoding: 'utf8' });
  const line = b.stdout.trim().split('\n').pop() ?? '';
  if (b.status !== 0 || !line.startsWith('{')) return { error: `blas_gemm.py failed: ${b.stderr.trim().split('\n').pop()}` };
  return JSON.parse(line) as { library: string; gflops: Record<string, number> };
}

/** Runs `rounds` rounds of (our worker per ISA, then BLAS), in this order, and takes medians. */
export function gemmComparison(self: string, threads: number, rounds: number, log: (s: string) => void): GemmReport {
  const probe = loadNativeBackend({ threads });
  if ('error' in probe) throw new Error(`native backend not available: ${probe.error}`);
  // The SIMD micro-kernels; the portable one is a fallback for other CPUs, not a contender here.
  const isas = probe.binding.info().supportedIsas.filter((i) => i !== 'generic');
  const best = probe.binding.info().isa;
  const py = pythonFor('blas', log);
  const ours: Record<string, Record<string, number[]>> = {};
  const blas: Record<string, Record<string, number[]>> = {};
  const library: Record<string, string> = {};
  const blasError: Record<string, string> = {};
  const env = { ...process.env, DIGITNET_QUIET: '1', DIGITNET_THREADS: String(threads) };
  for (let r = 0; r < rounds; r++) {
    for (const isa of isas) {
      log(`bench: gemm round ${r + 1}/${rounds}, native ${isa}…`);
      const w = spawnSync(process.execPath, [self, '--worker', 'gemm', '--isa', isa, '--threads', String(threads)], { env, encoding: 'utf8' });
      const line = w.stdout.trim().split('\n').pop() ?? '';
      if (w.status !== 0 || !line.startsWith('{')) throw new Error(`gemm worker (${isa}) failed: ${w.stderr.trim().split('\n').pop()}`);
      for (const [s, v] of Object.entries(JSON.parse(line) as Record<string, number>)) ((ours[isa] ??= {})[s] ??= []).push(v);
    }
    if ('error' in py) continue;
    for (const isa of isas) {
      const core = isa === best ? undefined : BLAS_CORE[isa];
      if (isa !== best && !core) continue;
      log(`bench: gemm round ${r + 1}/${rounds}, OpenBLAS${core ? ` (${core} kernels, for ${isa})` : ''}…`);
      const j = blasRound(py.python, threads, core);
      if ('error' in j) blasError[isa] = j.error;
      else {
        library[isa] = `${j.library} (${py.label})`;
        for (const [s, v] of Object.entries(j.gflops)) ((blas[isa] ??= {})[s] ??= []).push(v);
      }
    }
  }
  const med = (o: Record<string, number[]>) => Object.fromEntries(Object.entries(o).map(([s, v]) => [s, round(median(v), 1)]));
  const why = 'error' in py ? py.error : 'not measured';
  return {
    threads,
    blas: Object.fromEntries(isas.map((isa) => [isa, library[isa] ? { library: library[isa], gflops: med(blas[isa]) } : { error: blasError[isa] ?? why }])),
    ours: Object.fromEntries(Object.entries(ours).map(([isa, o]) => [isa, med(o)])),
  };
}

/** `MxNxK OURS BLAS` lines per ISA, then the ratios the targets are stated in. */
export function printGemm(g: GemmReport, print: (s: string) => void): void {
  print(`# GEMM GFLOP/s, ${g.threads} threads: MxNxK OURS BLAS`);
  for (const [spec, what] of GEMM_SHAPES) print(`#   ${spec}: ${what}`);
  for (const [isa, ours] of Object.entries(g.ours)) {
    const b = g.blas[isa] ?? { error: 'not measured' };
    const blas = 'gflops' in b ? b.gflops : {};
    const peak = blas['4096x4096x4096'];
    print(`# native ${isa} against ${'library' in b ? b.library : `no BLAS: ${b.error}`}`);
    for (const [spec] of GEMM_SHAPES) print(`${spec} ${ours[spec] ?? '-'} ${blas[spec] ?? '-'}`);
    if (peak) {
      const conv = GEMM_SHAPES.filter(([s]) => s !== '4096x4096x4096' && s !== '86528x32x9' && s !== '128x128x1600').map(([s]) => s);
      const ratios = conv.map((s) => `${s} ${Math.round((100 * ours[s]) / peak)}%`);
      print(`# native ${isa} at convolution shapes, share of the OpenBLAS 4096³ peak (${peak}): ${ratios.join(', ')}`);
    }
  }
}
