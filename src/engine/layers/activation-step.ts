// The activation a layer applies after its linear part, forward and backward, shared by Conv2D, Dense and the
// Activation layer. relu and linear can be fused into the conv/dense kernels; the rest run as element-wise
// kernels. Softmax keeps its logits so that a cross-entropy loss can be taken from them (stable).

import type { Activation } from '../backend.js';
import type { Tensor } from '../tensor.js';
import type { LayerActivation } from './config.js';
import { BatchBuffer, type RunContext } from './layer.js';

export class ActivationStep {
  private readonly probs = new BatchBuffer();
  private readonly dz = new BatchBuffer();
  private y: Tensor | null = null;
  private z: Tensor | null = null;

  /** alpha: elu's alpha, leakyRelu's negative slope. */
  constructor(readonly kind: LayerActivation | 'leakyRelu', readonly alpha = 1) {}

  /** Whether a conv/dense kernel can apply this activation in its own loop. */
  get fusable(): boolean {
    return this.kind === 'relu' || this.kind === 'linear';
  }

  /**
   * y = f(z). `out` is where y goes: z itself (in place, for a layer's own pre-activation buffer), or a buffer of
   * the caller's. `fused`: the kernel has already applied it to z.
   */
  forward(ctx: RunContext, z: Tensor, out: Tensor, fused = false): Tensor {
    if (this.kind === 'softmax') {
      const cols = z.shape[z.rank - 1];
      const y = this.probs.view(z.shape[0], z.shape.slice(1));
      ctx.backend.softmax(z.data, y.data, z.size / cols, cols);
      this.z = z;
      this.y = y;
      return y;
    }
    if (!fused) ctx.backend.activationForward(this.kind as Activation, z.data, out.data, this.alpha);
    else if (out !== z) out.data.set(z.data);
    this.y = out;
    return out;
  }

  /** dz from dy; written into dy itself (the caller owns dy) except for softmax, which needs its own buffer. */
  backward(ctx: RunContext, dy: Tensor): Tensor {
    const y = this.y!;
    if (this.kind === 'linear') return dy;
    if (this.kind === 'softmax') {
      const cols = y.shape[y.rank - 1];
      const dz = this.dz.view(dy.shape[0], dy.shape.slice(1));
      ctx.backend.softmaxBackward(y.data, dy.data, dz.data, y.size / cols, cols);
      return dz;
    }
    ctx.backend.activationBackward(this.kind as Activation, y.data, dy.data, dy.data, this.alpha);
    return dy;
  }

  /** The pre-softmax values of the last forward (softmax only). */
  logits(): Tensor | null {
    return this.kind === 'softmax' ? this.z : null;
  }
}
