// Optimizer steps over a slice of the flat parameter buffer, four parameters at a time in float32.
// The hyperparameters arrive as float64 and are rounded once, here.

/** Adam (AdamW when weightDecay > 0): p −= lr·m̂/(sqrt(v̂) + epsilon), m̂ = m/c1, v̂ = v/c2. */
export function adamStep(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64, beta2: f64, epsilon: f64, c1: f64, c2: f64, weightDecay: f64): void {
  const lrV = f32x4.splat(<f32>lr), b1 = f32x4.splat(<f32>beta1), b2 = f32x4.splat(<f32>beta2);
  const ob1 = f32x4.splat(<f32>(1 - beta1)), ob2 = f32x4.splat(<f32>(1 - beta2));
  const c1V = f32x4.splat(<f32>c1), c2V = f32x4.splat(<f32>c2), eps = f32x4.splat(<f32>epsilon);
  const decay = f32x4.splat(<f32>(lr * weightDecay));
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let pv = v128.load(p + o);
    if (weightDecay > 0) pv = f32x4.sub(pv, f32x4.mul(decay, pv));
    const gv = v128.load(g + o);
    const mv = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(ob1, gv));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(ob2, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const step = f32x4.div(f32x4.mul(lrV, f32x4.div(mv, c1V)), f32x4.add(f32x4.sqrt(f32x4.div(vv, c2V)), eps));
    v128.store(p + o, f32x4.sub(pv, step));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let pv = <f64>load<f32>(p + o);
    if (weightDecay > 0) pv = <f64>(<f32>(pv - lr * weightDecay * pv));
    const gv = <f64>load<f32>(g + o);
    const mv = beta1 * <f64>load<f32>(m + o) + (1 - beta1) * gv;
    const vv = beta2 * <f64>load<f32>(v + o) + (1 - beta2) * gv * gv;
    store<f32>(m + o, <f32>mv);
    store<f32>(v + o, <f32>vv);
    store<f32>(p + o, <f32>(pv - (lr * (mv / c1)) / (Math.sqrt(vv / c2) + epsilon)));
  }
}

/** SGD, Keras's form: v = momentum·v − lr·g; p += v (or momentum·v − lr·g with Nesterov); plain p −= lr·g without momentum. */
export function sgdStep(p: usize, g: usize, vel: usize, n: i32, lr: f64, momentum: f64, nesterov: i32): void {
  const lrV = f32x4.splat(<f32>lr), mo = f32x4.splat(<f32>momentum);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const lg = f32x4.mul(lrV, v128.load(g + o));
    if (momentum == 0) {
      v128.store(p + o, f32x4.sub(v128.load(p + o), lg));
      continue;
    }
    const vv = f32x4.sub(f32x4.mul(mo, v128.load(vel + o)), lg);
    v128.store(vel + o, vv);
    v128.store(p + o, f32x4.add(v128.load(p + o), nesterov ? f32x4.sub(f32x4.mul(mo, vv), lg) : vv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const lg = lr * <f64>load<f32>(g + o);
    if (momentum == 0) {
      store<f32>(p + o, <f32>(<f64>load<f32>(p + o) - lg));
      continue;
    }
    const vv = momentum * <f64>load<f32>(vel + o) - lg;
    store<f32>(vel + o, <f32>vv);
    store<f32>(p + o, <f32>(<f64>load<f32>(p + o) + (nesterov ? momentum * vv - lg : vv)));
  }
}

/** RMSprop: ms = rho·ms + (1−rho)·g²; step = lr·g/sqrt(ms + epsilon); with momentum mom = momentum·mom + step, p −= mom; else p −= step. */
export function rmspropStep(p: usize, g: usize, ms: usize, mom: usize, n: i32, lr: f64, rho: f64, momentum: f64, epsilon: f64): void {
  const lrV = f32x4.splat(<f32>lr), rhoV = f32x4.splat(<f32>rho), orho = f32x4.splat(<f32>(1 - rho));
  const mo = f32x4.splat(<f32>momentum), eps = f32x4.splat(<f32>epsilon);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const msv = f32x4.add(f32x4.mul(rhoV, v128.load(ms + o)), f32x4.mul(orho, f32x4.mul(gv, gv)));
    v128.store(ms + o, msv);
    let step = f32x4.div(f32x4.mul(lrV, gv), f32x4.sqrt(f32x4.add(msv, eps)));
    if (momentum > 0) {
      step = f32x4.add(f32x4.mul(mo, v128.load(mom + o)), step);
      v128.store(mom + o, step);
    }
    v128.store(p + o, f32x4.sub(v128.load(p + o), step));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = <f64>load<f32>(g + o);
    const msv = rho * <f64>load<f32>(ms + o) + (1 - rho) * gv * gv;
    store<f32>(ms + o, <f32>msv);
    let step = (lr * gv) / Math.sqrt(msv + epsilon);
    if (momentum > 0) {
      step = momentum * <f64>load<f32>(mom + o) + step;
      store<f32>(mom + o, <f32>step);
    }
    store<f32>(p + o, <f32>(<f64>load<f32>(p + o) - step));
  }
}
