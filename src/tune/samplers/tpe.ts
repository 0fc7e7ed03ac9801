// The Tree-structured Parzen Estimator (Bergstra et al. 2011), as Optuna's TPESampler does it: after
// 10 random start-up trials, the finished trials are split into the best γ(n) = min(⌈n/10⌉, 25) ("good")
// and the rest ("bad"); a Parzen estimator l(x) is fitted to the good and g(x) to the bad; 24 candidates
// are drawn from l and the one with the largest l(x)/g(x) is taken. Pruned trials rank after complete
// ones, deeper first; trials still running count as bad (Optuna's "constant liar"), so that parallel
// workers spread out instead of all proposing the same point.
//
// Independent (the default, as the original paper): each parameter has its own pair of estimators, built
// from the trials where it was active, parameters sampled parents first, so a conditional parameter only
// learns from trials where its condition held. Multivariate (`tpe-mv`, Optuna 5's default for one
// objective): the unconditional parameters share product kernels and are drawn jointly; conditional ones
// stay independent.

import type { Random } from '../../engine/random.js';
import { isActive, type Param, type Params, type Space, type Value } from '../space.js';
import { better, type Direction, type Trial } from '../trial.js';
import { DEFAULT_PARZEN, ParzenEstimator } from './parzen.js';
import { drawUniform } from './random.js';
import { registerSampler, trialRandom, type SampleContext, type Sampler } from './sampler.js';

export interface TpeOptions {
  /** Random trials before the estimators take over (Optuna: 10). */
  startupTrials: number;
  /** Candidates drawn from l(x) per proposal (Optuna: 24). */
  candidates: number;
  /** How many finished trials count as good, out of n (Optuna: min(⌈0.1 n⌉, 25)). */
  gamma: (n: number) => number;
  multivariate: boolean;
}

export const DEFAULT_TPE: TpeOptions = { startupTrials: 10, candidates: 24, gamma: (n) => Math.min(Math.ceil(0.1 * n), 25), multivariate: false };

export class TpeSampler implements Sampler {
  readonly name: string;
  constructor(private readonly o: TpeOptions = DEFAULT_TPE) {
    this.name = o.multivariate ? 'tpe-mv' : 'tpe';
  }

  sample(ctx: SampleContext): Params {
    const rng = trialRandom(ctx.seed, ctx.number);
    const finished = ctx.trials.filter((t) => t.state === 'complete' || t.state === 'pruned');
    const chosen: Params = {};
    if (finished.length < this.o.startupTrials) {
      for (const p of ctx.space.params) if (isActive(p, chosen)) chosen[p.name] = drawUniform(p, rng);
      return chosen;
    }
    const { good, bad } = splitTrials(ctx.trials, this.o.gamma(finished.length), ctx.direction);
    const joint = this.o.multivariate ? ctx.space.params.filter((p) => !p.when) : [];
    if (joint.length > 0) Object.assign(chosen, this.propose(joint, good, bad, rng));
    for (const p of ctx.space.params) {
      if (p.name in chosen || !isActive(p, chosen)) continue;
      chosen[p.name] = this.propose([p], good, bad, rng)[p.name];
    }
    return chosen;
  }

  /** Values for `params` maximizing l(x)/g(x) among candidates drawn from l. */
  private propose(params: Param[], good: Trial[], bad: Trial[], rng: Random): Params {
    const l = new ParzenEstimator(params, observations(params, good), DEFAULT_PARZEN);
    const g = new ParzenEstimator(params, observations(params, bad), DEFAULT_PARZEN);
    let best: Value[] | null = null;
    let bestScore = -Infinity;
    for (const x of l.sample(rng, this.o.candidates)) {
      const score = l.logPdf(x) - g.logPdf(x);
      if (best === null || score > bestScore) [best, bestScore] = [x, score];
    }
    return Object.fromEntries(params.map((p, i) => [p.name, best![i]]));
  }
}

/** The values of `params` in the trials that had all of them, oldest trial first. */
function observations(params: Param[], trials: Trial[]): Value[][] {
  return trials.filter((t) => params.every((p) => p.name in t.params)).map((t) => params.map((p) => t.params[p.name]));
}

/**
 * The best `nGood` finished trials, and the rest with the running ones. Complete trials rank by value;
 * pruned ones after them, by how far they got, then by their last value. Both lists by trial number.
 */
export function splitTrials(trials: Trial[], nGood: number, direction: Direction): { good: Trial[]; bad: Trial[] } {
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null && !Number.isNaN(t.value));
  const failedValue = trials.filter((t) => t.state === 'complete' && (t.value === null || Number.isNaN(t.value)));
  const pruned = trials.filter((t) => t.state === 'pruned');
  const running = trials.filter((t) => t.state === 'running');
  complete.sort((a, b) => (better(a.value!, b.value!, direction) ? -1 : better(b.value!, a.value!, direction) ? 1 : a.number - b.number));
  pruned.sort((a, b) => prunedRank(a, b, direction));
  const ranked = [...complete, ...pruned, ...failedValue];
  const byNumber = (a: Trial, b: Trial): number => a.number - b.number;
  return { good: ranked.slice(0, nGood).sort(byNumber), bad: [...ranked.slice(nGood), ...running].sort(byNumber) };
}

function prunedRank(a: Trial, b: Trial, direction: Direction): number {
  const la = a.intermediate.length;
  const lb = b.intermediate.length;
  if (la !== lb) return lb - la;
  const va = la ? a.intermediate[la - 1] : NaN;
  const vb = lb ? b.intermediate[lb - 1] : NaN;
  if (Number.isNaN(va) !== Number.isNaN(vb)) return Number.isNaN(va) ? 1 : -1;
  if (!Number.isNaN(va) && va !== vb) return better(va, vb, direction) ? -1 : 1;
  return a.number - b.number;
}

registerSampler({ name: 'tpe', description: 'Tree-structured Parzen Estimator, one estimator per parameter (10 random start-up trials)', create: () => new TpeSampler(DEFAULT_TPE) });
registerSampler({ name: 'tpe-mv', description: 'multivariate TPE: the unconditional parameters modelled jointly', create: () => new TpeSampler({ ...DEFAULT_TPE, multivariate: true }) });
