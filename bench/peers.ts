// Python peers for the bench: PyTorch and Keras/TensorFlow running the same architectures
// (bench/peers/torch_zoo.py, keras_zoo.py), and OpenBLAS through numpy for the GEMM comparison
// (bench/peers/blas_gemm.py). Each runs in a virtual environment made once, offline, from the wheels found
// on the machine, and cached under node_modules/.cache/digitnet-peers; when none can be made, a system
// Python that already imports the library is used (Debian's python3-torch, python3-numpy). The label says
// which. A peer that cannot run becomes an error row, never a crash.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedMnistDir } from '../src/data/mnist.js';
import { round, type AnyRow, type BackendKind } from './result.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root (dist/bench/.. /..), where bench/peers/*.py and node_modules live. */
export const root = resolve(here, existsSync(join(here, 'peers', 'torch_zoo.py')) ? '..' : '../..');
/** A peer script's path: bench/peers/NAME in the package. */
export const benchScript = (name: string) => join(root, 'bench', 'peers', name);

export interface PyEnv {
  python: string;
  /** How it was found, e.g. 'venv from torch-2.13.0+cpu wheel' or 'system python3'. */
  label: string;
}

interface PeerSpec {
  /** Module the environment must import. */
  module: string;
  /** Wheel file-name globs (find -name), the first is the main package; the newest version wins. */
  wheel: string;
  /** Further requirements pip resolves from the same wheel folders. */
  extra: string[];
  /** Wheels that provide the dependencies (their folders become --find-links). */
  deps: string[];
}

const SPECS: Record<'torch' | 'keras' | 'blas', PeerSpec> = {
  torch: { module: 'torch', wheel: 'torch-2*+cpu*.whl', extra: ['numpy'], deps: ['filelock-*.whl', 'numpy-*.whl'] },
  keras: { module: 'tensorflow, keras', wheel: 'tensorflow_cpu-2*.whl', extra: ['keras'], deps: ['keras-3*.whl', 'absl_py-*.whl'] },
  blas: { module: 'numpy', wheel: 'numpy-*.whl', extra: [], deps: [] },
};

const cacheRoot = () => process.env.DIGITNET_PEERS_CACHE ?? join(root, 'node_modules', '.cache', 'digitnet-peers');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 });
}

let found: Map<string, string[]> | null = null;

/** Wheel files on this machine matching any of `globs` (DIGITNET_WHEELS folders first, then one `find /`). */
function findWheels(globs: string[]): Map<string, string[]> {
  if (found) return found;
  const all = [...new Set(Object.values(SPECS).flatMap((s) => [s.wheel, ...s.deps]).concat(globs))];
  const names = all.flatMap((g, i) => (i ? ['-o', '-name', g] : ['-name', g]));
  const dirs = [...(process.env.DIGITNET_WHEELS ?? '').split(':').filter(Boolean), '/'];
  const prune = ['(', '-path', '/proc', '-o', '-path', '/sys', '-o', '-path', '/dev', '-o', '-name', 'node_modules', '-o', '-name', '.git', '-o', '-name', 'site-packages', ')', '-prune', '-o'];
  const out = run('find', [...dirs, '-xdev', ...prune, '(', ...names, ')', '-print']).stdout ?? '';
  found = new Map();
  for (const path of out.split('\n').filter(Boolean)) {
    for (const g of all) {
      const re = new RegExp(`^${g.replace(/[.+]/g, '\\$&').replace(/\*/g, '.*')}$`);
      if (re.test(basename(path))) found.set(g, [...(found.get(g) ?? []), path]);
    }
  }
  return found;
}

/** Compares wheel versions numerically (torch-2.13.0 > torch-2.9.1). */
function newest(paths: string[]): string {
  const v = (p: string) => (basename(p).split('-')[1] ?? '').split(/[.+]/).map((x) => (/^\d+$/.test(x) ? Number(x) : 0));
  return [...paths].sort((a, b) => {
    const x = v(a), y = v(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
    return 0;
  })[0];
}

const imports = (python: string, module: string) => run(python, ['-c', `import ${module}`]).status === 0;

/** Makes (once) the virtual environment of `kind` from the machine's wheels; null when it cannot. */
function venv(kind: keyof typeof SPECS, log: (s: string) => void): PyEnv | null {
  const spec = SPECS[kind];
  const dir = join(cacheRoot(), kind);
  const python = join(dir, 'bin', 'python');
  const marker = join(dir, 'digitnet-peer.json');
  if (existsSync(marker) && existsSync(python)) return JSON.parse(readFileSync(marker, 'utf8')) as PyEnv;
  const wheels = findWheels([]);
  const main = wheels.get(spec.wheel);
  if (!main?.length) return null;
  const wheel = newest(main);
  const links = [...new Set([wheel, ...spec.deps.flatMap((d) => wheels.get(d) ?? [])].map((p) => dirname(p)))];
  for (const base of [process.env.DIGITNET_PYTHON, 'python3', 'python3.11', '/usr/bin/python3'].filter(Boolean) as string[]) {
    log(`bench: making the ${kind} environment from ${basename(wheel)} with ${base} (once, a minute or two)…`);
    mkdirSync(cacheRoot(), { recursive: true });
    if (run(base, ['-m', 'venv', '--clear', dir]).status !== 0) continue;
    const pip = run(python, ['-m', 'pip', 'install', '-q', '--no-index', ...links.flatMap((l) => ['--find-links', l]), wheel, ...spec.extra]);
    if (pip.status === 0 && imports(python, spec.module)) {
      const env: PyEnv = { python, label: `venv from the ${basename(wheel).split('-').slice(0, 2).join('-')} wheel` };
      writeFileSync(marker, JSON.stringify(env));
      return env;
    }
    log(`bench: ${base}: ${(pip.stderr ?? '').trim().split('\n').pop()}`);
  }
  return null;
}

/** The Python that runs peer `kind`: the cached venv, else a system Python that imports it. */
export function pythonFor(kind: keyof typeof SPECS, log: (s: string) => void): PyEnv | { error: string } {
  const v = venv(kind, log);
  if (v) return v;
  for (const python of [process.env.DIGITNET_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[]) {
    if (imports(python, SPECS[kind].module)) return { python, label: `system ${python}` };
  }
  const pkg = { torch: 'python3-torch', keras: 'tensorflow and keras', blas: 'python3-numpy' }[kind];
  return { error: `no ${SPECS[kind].wheel} wheel found to make a virtual environment, and no python imports ${SPECS[kind].module} (install ${pkg})` };
}

/** The environment of a peer process: OpenBLAS left to pick the machine's own kernels, and sized threads. */
export function peerEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), TF_CPP_MIN_LOG_LEVEL: '2' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

export interface PeerOptions {
  arch: string;
  threads: number;
  batches: number;
  runs: number;
}

/** Runs the PyTorch or Keras peer with the bench protocol; a row, or an error row saying why not. */
export function benchPeer(kind: 'torch' | 'keras', o: PeerOptions, log: (s: string) => void): AnyRow {
  const backend: BackendKind = kind === 'torch' ? 'pytorch' : 'keras';
  const py = pythonFor(kind, log);
  if ('error' in py) return { backend, arch: o.arch, error: py.error };
  const file = benchScript(kind === 'torch' ? 'torch_zoo.py' : 'keras_zoo.py');
  const limit = String(Math.max(1000, o.batches * 128));
  const args = [file, embeddedMnistDir(), '--arch', o.arch, '--threads', String(o.threads), '--batch', '128', '--limit', limit, '--bench', String(o.batches), '--runs', String(o.runs)];
  const r = run(py.python, args, peerEnv(o.threads));
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    const why = (r.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status}`;
    return { backend, arch: o.arch, error: `${basename(file)} failed: ${why}` };
  }
  const j = JSON.parse(line) as Record<string, number | string>;
  return {
    backend,
    arch: o.arch,
    name: `${j.peer} (${py.label})`,
    threads: Number(j.threads),
    trainImagesPerSec: Number(j.train_samples_per_s),
    trainGflops: null,
    inferBatch1Ms: Number(j.infer_batch1_ms),
    inferImagesPerSec: Number(j.infer_samples_per_s),
    peakRssMB: round(Number(j.peak_rss_mb)),
    note: `${j.params} parameters; median of ${o.runs} runs of ${o.batches} steps of 128`,
  };
}
