// What each benchmark worker reports: one row per backend (ours or a peer), or an error row.

export type BackendKind = 'native' | 'reference' | 'wasm' | 'tfjs' | 'pytorch' | 'keras';

export interface Row {
  backend: BackendKind;
  arch: string;
  /** Library and configuration, e.g. 'native (avx512, 2 threads)' or 'pytorch 2.13.0+cpu (venv)'. */
  name: string;
  threads: number;
  trainImagesPerSec: number;
  /** Training FLOPs per second (counted from the kernels' shapes), when known. */
  trainGflops: number | null;
  inferBatch1Ms: number;
  inferImagesPerSec: number;
  peakRssMB: number;
  /** Per-kernel milliseconds per training step (--profile), largest first. */
  profile?: Record<string, number>;
  /** Per convolution kernel and shape ('conv2dForward 28x28x16->16 3x3/1'), milliseconds per step, largest first. */
  convProfile?: Record<string, number>;
  note?: string;
}

export interface ErrorRow {
  backend: BackendKind | 'gemm';
  arch: string;
  error: string;
}

export type AnyRow = Row | ErrorRow;

export const isError = (r: AnyRow): r is ErrorRow => 'error' in r;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function round(x: number, d = 1): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
