// Grid search: every combination of the parameters' grid values, each exactly once, conditional
// parameters only where their condition holds. Choices and int ranges give all their values; a continuum
// gives `points` values (5 unless the space says), evenly spaced (log-spaced for loguniform). The order is
// shuffled by the study's seed, so that a budget smaller than the grid still spreads over it.

import { DEFAULT_GRID_POINTS, isActive, type Param, type Params, type Space, type Value } from '../space.js';
import type { Trial } from '../trial.js';
import { tidy } from './random.js';
import { registerSampler, trialRandom, type SampleContext, type Sampler } from './sampler.js';

/** The most points a grid may have: beyond this, random or TPE search is the tool. */
export const MAX_GRID_POINTS = 100_000;

/** The values grid search takes for one parameter. */
export function gridValues(p: Param): Value[] {
  if (p.kind === 'choice') return p.choices;
  const stepped = p.step !== null && !p.log;
  if (p.points === null && stepped) {
    const n = Math.round((p.high - p.low) / p.step!);
    return Array.from({ length: n + 1 }, (_, k) => tidy(p.low + k * p.step!, p));
  }
  const n = p.points ?? DEFAULT_GRID_POINTS;
  const [a, b] = p.log ? [Math.log(p.low), Math.log(p.high)] : [p.low, p.high];
  const xs = Array.from({ length: n }, (_, k) => {
    const t = a + ((b - a) * k) / (n - 1);
    // 12 significant digits: the grid of loguniform [1e-4, 1e-2] is 0.0001, 0.001, 0.01, not 0.00010000000000000009.
    return tidy(Number((p.log ? Math.exp(t) : t).toPrecision(12)), p);
  });
  return [...new Set(xs)];
}

/** Every assignment of the grid, in enumeration order (the first parameter varies slowest). */
export function enumerateGrid(space: Space): Params[] {
  const out: Params[] = [];
  const walk = (i: number, chosen: Params): void => {
    if (out.length > MAX_GRID_POINTS) throw new Error(`the grid has more than ${MAX_GRID_POINTS.toLocaleString('en-US')} points; use --sampler random or tpe, or fewer values`);
    if (i === space.params.length) return void out.push({ ...chosen });
    const p = space.params[i];
    if (!isActive(p, chosen)) return walk(i + 1, chosen);
    for (const v of gridValues(p)) {
      chosen[p.name] = v;
      walk(i + 1, chosen);
    }
    delete chosen[p.name];
  };
  walk(0, {});
  return out;
}

/** A canonical string for an assignment (keys sorted), to recognise a grid point already taken. */
export function paramsKey(params: Params): string {
  return JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]]));
}

class GridSampler implements Sampler {
  readonly name = 'grid';
  private cache: { space: Space; seed: number; order: Params[] } | null = null;

  sample(ctx: SampleContext): Params | null {
    const taken = new Set(ctx.trials.filter(holdsPoint).map((t) => paramsKey(t.params)));
    return this.order(ctx.space, ctx.seed).find((p) => !taken.has(paramsKey(p))) ?? null;
  }

  /** The grid in the study's shuffled order (computed once per space and seed). */
  private order(space: Space, seed: number): Params[] {
    if (this.cache?.space !== space || this.cache.seed !== seed) {
      const points = enumerateGrid(space);
      const rng = trialRandom(seed, -1);
      for (let i = points.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [points[i], points[j]] = [points[j], points[i]];
      }
      this.cache = { space, seed, order: points };
    }
    return this.cache.order;
  }
}

/** A point is taken while a trial runs it, waits to run it, or has finished it (a failed one is free again). */
function holdsPoint(t: Trial): boolean {
  return t.state !== 'failed';
}

registerSampler({ name: 'grid', description: 'every combination of the grid values once, in a seeded order', create: () => new GridSampler() });
