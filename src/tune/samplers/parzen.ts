// A Parzen estimator as TPE builds it (Bergstra et al. 2011; the details follow Optuna's
// parzen_estimator.py): a mixture with one kernel per observed trial plus one prior kernel. A numeric
// parameter's kernel is a normal truncated to the range (on a log scale for log parameters, widened by
// half a step each side for stepped ones), centred on the observation, as wide as the larger gap to its
// neighbours (clipped between range/min(100, n+1) and the range: the "magic clip"); the prior kernel is
// centred on the range and as wide as it. A choice's kernel puts weight 1 on the observed choice plus
// prior_weight/(n+1) on every choice. Several parameters make a product kernel: with one parameter it is
// the independent TPE, with several the multivariate one.

import type { Random } from '../../engine/random.js';
import type { NumericParam, Param, Value } from '../space.js';
import { clamp, tidy } from './random.js';
import { logGaussMass, truncNormPpf } from './truncnorm.js';

export interface ParzenOptions {
  /** Weight of the prior kernel against 1 for an observation (Optuna: 1). */
  priorWeight: number;
  /** Observation weights by count (Optuna's default_weights: flat up to 25, older ones ramped down beyond). */
  weights: (n: number) => number[];
}

export const DEFAULT_PARZEN: ParzenOptions = { priorWeight: 1, weights: defaultWeights };

/** Optuna's default_weights: 1 for the 25 newest observations, a linear ramp from 1/n for the older ones. */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

type Dim =
  | { kind: 'categorical'; param: Param & { kind: 'choice' }; weights: number[][]; logWeights: number[][] }
  | {
    kind: 'numeric'; param: NumericParam; mus: number[]; sigmas: number[]; low: number; high: number;
    /** Per kernel: log σ and the log of its mass inside the range (the truncation's normalizer). */
    logSigmas: number[]; logZ: number[];
  };

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** A mixture of product kernels over `params`, built from observations (one row of values per trial, oldest first). */
export class ParzenEstimator {
  private readonly dims: Dim[];
  private readonly logW: number[];
  private readonly cumW: number[];

  constructor(readonly params: Param[], observations: Value[][], o: ParzenOptions = DEFAULT_PARZEN) {
    const n = observations.length;
    const w = n === 0 ? [1] : [...o.weights(n).slice(0, n), o.priorWeight];
    const total = w.reduce((s, x) => s + x, 0);
    this.logW = w.map((x) => Math.log(x / total));
    let acc = 0;
    this.cumW = w.map((x) => (acc += x / total));
    this.dims = params.map((p, d) => buildDim(p, observations.map((row) => row[d]), o.priorWeight));
  }

  /** `size` points drawn from the mixture, as parameter values. */
  sample(rng: Random, size: number): Value[][] {
    const out: Value[][] = [];
    for (let i = 0; i < size; i++) {
      const u = rng.next();
      let k = this.cumW.findIndex((c) => u < c);
      if (k < 0) k = this.cumW.length - 1;
      out.push(this.dims.map((d) => sampleDim(d, k, rng)));
    }
    return out;
  }

  /** The log density (log mass for stepped and choice parameters) of a point. */
  logPdf(point: Value[]): number {
    const terms = Float64Array.from(this.logW);
    this.dims.forEach((d, j) => addLogPdf(d, point[j], terms));
    let m = -Infinity;
    for (const t of terms) m = Math.max(m, t);
    if (m === -Infinity) return -Infinity;
    let sum = 0;
    for (const t of terms) sum += Math.exp(t - m);
    return m + Math.log(sum);
  }
}

function buildDim(p: Param, obs: Value[], priorWeight: number): Dim {
  if (p.kind === 'choice') {
    const n = p.choices.length;
    const kernels = obs.length + 1;
    const weights = obs.map((v) => {
      const row = new Array<number>(n).fill(priorWeight / kernels);
      row[p.choices.findIndex((c) => c === v)] += 1;
      return normalize(row);
    });
    weights.push(new Array<number>(n).fill(1 / n));
    return { kind: 'categorical', param: p, weights, logWeights: weights.map((r) => r.map(Math.log)) };
  }
  const [low, high] = internalRange(p);
  const xs = obs.map((v) => toInternal(p, v as number));
  const mus = [...xs, 0.5 * (low + high)];
  const sigmas = [...kernelWidths(xs, low, high), high - low];
  const logZ = mus.map((mu, k) => logGaussMass((low - mu) / sigmas[k], (high - mu) / sigmas[k]));
  return { kind: 'numeric', param: p, mus, sigmas, low, high, logSigmas: sigmas.map(Math.log), logZ };
}

/** Each kernel as wide as the larger gap to its sorted neighbours, the range's ends counted only inside. */
function kernelWidths(xs: number[], low: number, high: number): number[] {
  const n = xs.length;
  if (n === 0) return [];
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const sorted = [low, ...order.map((i) => xs[i]), high];
  const widths = new Array<number>(n);
  for (let j = 0; j < n; j++) widths[j] = Math.max(sorted[j + 1] - sorted[j], sorted[j + 2] - sorted[j + 1]);
  // consider_endpoints=False: the outermost kernels look only inward (with two or more observations).
  if (n >= 2) {
    widths[0] = sorted[2] - sorted[1];
    widths[n - 1] = sorted[n] - sorted[n - 1];
  }
  const maxSigma = high - low;
  const minSigma = (high - low) / Math.min(100, 1 + (n + 1));
  const out = new Array<number>(n);
  order.forEach((i, j) => (out[i] = clamp(widths[j], minSigma, maxSigma)));
  return out;
}

/** The range kernels live on: log-scaled for log parameters, widened by half a step for stepped ones. */
function internalRange(p: NumericParam): [number, number] {
  const half = p.step !== null ? p.step / 2 : 0;
  const lo = p.low - half;
  const hi = p.high + half;
  return p.log ? [Math.log(lo), Math.log(hi)] : [lo, hi];
}

function toInternal(p: NumericParam, v: number): number {
  return p.log ? Math.log(v) : v;
}

function sampleDim(d: Dim, k: number, rng: Random): Value {
  if (d.kind === 'categorical') {
    const row = d.weights[k];
    const u = rng.next();
    let acc = 0;
    for (let c = 0; c < row.length; c++) if (u < (acc += row[c])) return d.param.choices[c];
    return d.param.choices[row.length - 1];
  }
  const mu = d.mus[k];
  const sigma = d.sigmas[k];
  let u = rng.next();
  while (u === 0) u = rng.next();
  const x = mu + sigma * truncNormPpf(u, (d.low - mu) / sigma, (d.high - mu) / sigma);
  const v = d.param.log ? Math.exp(x) : x;
  return d.param.step !== null ? tidy(v, d.param) : clamp(v, d.param.low, d.param.high);
}

/** Adds each kernel's log density of `v` in dimension `d` to terms[k]. */
function addLogPdf(d: Dim, v: Value, terms: Float64Array): void {
  if (d.kind === 'categorical') {
    const c = d.param.choices.findIndex((x) => x === v);
    for (let k = 0; k < terms.length; k++) terms[k] += c < 0 ? -Infinity : d.logWeights[k][c];
    return;
  }
  const p = d.param;
  if (p.step === null) {
    // The truncated normal's log density (truncNormLogPdf), with the normalizers computed once.
    const x = toInternal(p, v as number);
    for (let k = 0; k < terms.length; k++) {
      const z = (x - d.mus[k]) / d.sigmas[k];
      terms[k] += x < d.low || x > d.high ? -Infinity : -0.5 * z * z - LOG_SQRT_2PI - d.logSigmas[k] - d.logZ[k];
    }
    return;
  }
  // A stepped value carries the mass of its cell [v − step/2, v + step/2] (on the log scale for log ints).
  const x = v as number;
  const [l, r] = p.log ? [Math.log(x - p.step / 2), Math.log(x + p.step / 2)] : [x - p.step / 2, x + p.step / 2];
  for (let k = 0; k < terms.length; k++) terms[k] += logGaussMass((l - d.mus[k]) / d.sigmas[k], (r - d.mus[k]) / d.sigmas[k]) - d.logZ[k];
}

function normalize(row: number[]): number[] {
  const s = row.reduce((a, b) => a + b, 0);
  return row.map((x) => x / s);
}
