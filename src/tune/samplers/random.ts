// Random search: each active parameter drawn independently and uniformly (on a log scale for loguniform
// and log ints), parents before the parameters that depend on them.

import type { Random } from '../../engine/random.js';
import { isActive, type Param, type Params, type Space, type Value } from '../space.js';
import { registerSampler, trialRandom, type SampleContext, type Sampler } from './sampler.js';

/** One value of `p`, uniform over its range or choices. */
export function drawUniform(p: Param, rng: Random): Value {
  if (p.kind === 'choice') return p.choices[rng.int(p.choices.length)];
  if (p.log) {
    // Log ints widen the range by half a step each side, so that every integer gets its share.
    const half = p.kind === 'int' ? 0.5 : 0;
    const x = Math.exp(rng.uniform(Math.log(p.low - half), Math.log(p.high + half)));
    return p.kind === 'int' ? clamp(Math.round(x), p.low, p.high) : clamp(x, p.low, p.high);
  }
  if (p.step !== null) {
    const n = Math.round((p.high - p.low) / p.step);
    return tidy(p.low + rng.int(n + 1) * p.step, p);
  }
  return rng.uniform(p.low, p.high);
}

/** Every active parameter drawn with `draw`, in dependency order. */
export function drawAll(space: Space, draw: (p: Param, chosen: Params) => Value): Params {
  const chosen: Params = {};
  for (const p of space.params) if (isActive(p, chosen)) chosen[p.name] = draw(p, chosen);
  return chosen;
}

export function randomSample(ctx: SampleContext): Params {
  const rng = trialRandom(ctx.seed, ctx.number);
  return drawAll(ctx.space, (p) => drawUniform(p, rng));
}

/** A value on a stepped grid, rounded so that 0.1 + 2 * 0.1 prints as 0.3. */
export function tidy(x: number, p: { low: number; high: number; step: number | null; kind: string }): number {
  if (p.kind === 'int') return clamp(Math.round(x), p.low, p.high);
  if (p.step === null) return clamp(x, p.low, p.high);
  const k = Math.round((x - p.low) / p.step);
  return clamp(Number((p.low + k * p.step).toPrecision(12)), p.low, p.high);
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

class RandomSampler implements Sampler {
  readonly name = 'random';
  sample(ctx: SampleContext): Params {
    return randomSample(ctx);
  }
}

registerSampler({ name: 'random', description: 'each parameter uniform over its range, independently', create: () => new RandomSampler() });
