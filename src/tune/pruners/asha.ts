// Asynchronous successive halving (ASHA; Li et al. 2018), as Optuna's SuccessiveHalvingPruner with its
// defaults: rungs at epochs 1, η, η², ... (η = 4, the reduction factor); a trial reaching a rung goes on
// only if its value there is in the top 1/η of every trial's value at that rung so far (while fewer than
// η trials have reached the rung, it must be the best of them).

import { others, registerPruner, type PruneContext, type Pruner } from './pruner.js';

export interface AshaOptions {
  /** Epochs in the first rung (Optuna's min_resource, which its 'auto' makes 1 for fewer than 200 steps). */
  minEpochs: number;
  reductionFactor: number;
}

export class AshaPruner implements Pruner {
  readonly name = 'asha';
  constructor(private readonly o: AshaOptions = { minEpochs: 1, reductionFactor: 4 }) {}

  /** The epoch at which each rung is judged: minEpochs · η^rung. */
  rungEpoch(rung: number): number {
    return this.o.minEpochs * this.o.reductionFactor ** rung;
  }

  shouldPrune(ctx: PruneContext): boolean {
    const step = ctx.trial.intermediate.length;
    let rung = 0;
    while (this.rungEpoch(rung) < step) rung++;
    if (this.rungEpoch(rung) !== step) return false;
    const value = ctx.trial.intermediate[step - 1];
    if (Number.isNaN(value)) return true;
    // Every trial that reached this rung, whatever became of it afterwards, with its value there.
    const competing = others(ctx).filter((t) => t.intermediate.length >= step).map((t) => t.intermediate[step - 1]).filter((v) => !Number.isNaN(v));
    competing.push(value);
    competing.sort((a, b) => a - b);
    const keep = Math.max(1, Math.floor(competing.length / this.o.reductionFactor));
    return ctx.direction === 'maximize' ? value < competing[competing.length - keep] : value > competing[keep - 1];
  }
}

registerPruner({ name: 'asha', description: 'asynchronous successive halving: keep the top 1/4 at epochs 1, 4, 16...', create: () => new AshaPruner() });
