// Element-wise kernels: ReLU, the activations and their derivatives (from the output y alone), products,
// sums, axpy and column copies. ReLU and the arithmetic run four lanes at a time; the transcendental
// activations (tanh, sigmoid, elu, selu) run in float64 one value at a time, as the reference computes them.

const ZERO = f32x4.splat(0);

/** y = max(x, 0) as the reference writes it: x > 0 ? x : 0 (NaN and −0 give 0). */
export function reluForward(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    v128.store(y + (<usize>i << 2), v128.and(v, f32x4.gt(v, ZERO)));
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(y + (<usize>i << 2), v > 0 ? v : 0);
  }
}

/** dx = y > 0 ? dy : 0. */
export function reluBackward(y: usize, dy: usize, dx: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const m = f32x4.gt(v128.load(y + (<usize>i << 2)), ZERO);
    v128.store(dx + (<usize>i << 2), v128.and(v128.load(dy + (<usize>i << 2)), m));
  }
  for (; i < n; i++) store<f32>(dx + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) > 0 ? load<f32>(dy + (<usize>i << 2)) : 0);
}

/** y = a·b (mul: 0), a + b (add: 1), or max(a + b, 0) (add with a ReLU: 2; NaN and −0 give +0, as relu). */
export function binary(a: usize, b: usize, y: usize, n: i32, op: i32): void {
  let i = 0;
  if (op == 0) {
    for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), f32x4.mul(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
    for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2)));
  } else if (op == 2) {
    for (; i + 4 <= n; i += 4) {
      const s = f32x4.add(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2)));
      v128.store(y + (<usize>i << 2), v128.and(s, f32x4.gt(s, ZERO)));
    }
    for (; i < n; i++) {
      const s = load<f32>(a + (<usize>i << 2)) + load<f32>(b + (<usize>i << 2));
      store<f32>(y + (<usize>i << 2), s > 0 ? s : 0);
    }
  } else {
    for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), f32x4.add(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
    for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(a + (<usize>i << 2)) + load<f32>(b + (<usize>i << 2)));
  }
}

/** y += alpha·x. */
export function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = y + (<usize>i << 2);
    v128.store(p, f32x4.add(v128.load(p), f32x4.mul(av, v128.load(x + (<usize>i << 2)))));
  }
  for (; i < n; i++) {
    const p = y + (<usize>i << 2);
    store<f32>(p, load<f32>(p) + alpha * load<f32>(x + (<usize>i << 2)));
  }
}

/** dst[r·dstCols + dstOffset + j] = src[r·srcCols + srcOffset + j] for r < rows, j < cols. */
export function copyColumns(src: usize, srcCols: i32, srcOffset: i32, dst: usize, dstCols: i32, dstOffset: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const s = src + ((<usize>r * <usize>srcCols + <usize>srcOffset) << 2);
    const d = dst + ((<usize>r * <usize>dstCols + <usize>dstOffset) << 2);
    memory.copy(d, s, (<usize>cols) << 2);
  }
}

// Activation codes, in the order of src/engine/backends/wasm/kernels.ts's ACTIVATIONS.
const LINEAR = 0, RELU = 1, TANH = 2, SIGMOID = 3, ELU = 4, SELU = 5, LEAKY_RELU = 6;
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** y = f(x) for the activation `act`; alpha: leakyRelu's slope, elu's alpha. */
export function activationForward(act: i32, x: usize, y: usize, n: i32, alpha: f64): void {
  if (act == RELU) {
    reluForward(x, y, n);
    return;
  }
  if (act == LINEAR) {
    if (x != y) memory.copy(y, x, (<usize>n) << 2);
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    let r: f64;
    if (act == LEAKY_RELU) r = v < 0 ? alpha * v : v;
    else if (act == TANH) r = Math.tanh(v);
    else if (act == SIGMOID) r = 1 / (1 + Math.exp(-v));
    else if (act == ELU) r = v > 0 ? v : alpha * Math.expm1(v);
    else r = v > 0 ? SELU_SCALE * v : SELU_SCALE * SELU_ALPHA * Math.expm1(v);
    store<f32>(y + (<usize>i << 2), <f32>r);
  }
}

/** dx = dy·f'(x), f' taken from the output y. */
export function activationBackward(act: i32, y: usize, dy: usize, dx: usize, n: i32, alpha: f64): void {
  if (act == RELU) {
    reluBackward(y, dy, dx, n);
    return;
  }
  if (act == LINEAR) {
    if (dx != dy) memory.copy(dx, dy, (<usize>n) << 2);
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(y + (<usize>i << 2));
    const d = <f64>load<f32>(dy + (<usize>i << 2));
    let r: f64;
    if (act == LEAKY_RELU) r = v < 0 ? alpha * d : d;
    else if (act == TANH) r = d * (1 - v * v);
    else if (act == SIGMOID) r = d * v * (1 - v);
    else if (act == ELU) r = v > 0 ? d : d * (v + alpha);
    else r = v > 0 ? d * SELU_SCALE : d * (v + SELU_SCALE * SELU_ALPHA);
    store<f32>(dx + (<usize>i << 2), <f32>r);
  }
}
