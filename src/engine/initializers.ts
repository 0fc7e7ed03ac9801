// Weight initializers with Keras's definitions (fan-in/fan-out of conv kernels include the window size).

import type { Initializer } from './layers/layer.js';
import type { Random } from './random.js';

/** Fills `w` for a parameter of the given fans. Normal variants are truncated at 2σ, as Keras's. */
export function initialize(w: Float32Array, init: Initializer, fanIn: number, fanOut: number, rng: Random): void {
  switch (init) {
    case 'zeros':
      w.fill(0);
      return;
    case 'ones':
      w.fill(1);
      return;
    case 'glorotUniform':
      return uniform(w, Math.sqrt(6 / (fanIn + fanOut)), rng);
    case 'heUniform':
      return uniform(w, Math.sqrt(6 / fanIn), rng);
    case 'glorotNormal':
      return truncatedNormal(w, Math.sqrt(2 / (fanIn + fanOut)), rng);
    case 'heNormal':
      return truncatedNormal(w, Math.sqrt(2 / fanIn), rng);
    default:
      throw new Error(`unknown initializer '${String(init)}'; use glorotUniform, glorotNormal, heNormal, heUniform, zeros or ones`);
  }
}

function uniform(w: Float32Array, limit: number, rng: Random): void {
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-limit, limit);
}

// 0.87962566103423978 is the std of a unit normal truncated to [-2, 2]; Keras divides by it.
function truncatedNormal(w: Float32Array, std: number, rng: Random): void {
  const s = std / 0.8796256610342398;
  for (let i = 0; i < w.length; i++) {
    let v: number;
    do v = rng.normal();
    while (Math.abs(v) > 2);
    w[i] = v * s;
  }
}
