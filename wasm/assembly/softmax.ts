// Row-wise softmax, its backward, and softmax cross-entropy from logits. Rows are short (the classes), so
// these run one value at a time in float64, exactly as the reference computes them.

/** Row-wise softmax of x (rows, cols) into y, the maximum subtracted. */
export function softmax(x: usize, y: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>cols) << 2), yr = y + ((<usize>r * <usize>cols) << 2);
    let mx: f64 = -Infinity;
    for (let j = 0; j < cols; j++) mx = Math.max(mx, <f64>load<f32>(xr + (<usize>j << 2)));
    let sum: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(<f64>load<f32>(xr + (<usize>j << 2)) - mx);
      store<f32>(yr + (<usize>j << 2), <f32>e);
      sum += e;
    }
    for (let j = 0; j < cols; j++) store<f32>(yr + (<usize>j << 2), <f32>(<f64>load<f32>(yr + (<usize>j << 2)) / sum));
  }
}

/** dx = y ⊙ (dy − Σ dy·y) per row. */
export function softmaxBackward(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * <usize>cols) << 2;
    let dot: f64 = 0;
    for (let j = 0; j < cols; j++) dot += <f64>load<f32>(dy + o + (<usize>j << 2)) * <f64>load<f32>(y + o + (<usize>j << 2));
    for (let j = 0; j < cols; j++) {
      const q = o + (<usize>j << 2);
      store<f32>(dx + q, <f32>(<f64>load<f32>(y + q) * (<f64>load<f32>(dy + q) - dot)));
    }
  }
}

/** Probabilities, dlogits = (probs − targets) / rows unless dlogits is 0, and the summed loss. */
export function softmaxCrossEntropy(logits: usize, targets: usize, probs: usize, dlogits: usize, rows: i32, cols: i32): f64 {
  let loss: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * <usize>cols) << 2;
    let mx: f64 = -Infinity;
    for (let j = 0; j < cols; j++) mx = Math.max(mx, <f64>load<f32>(logits + o + (<usize>j << 2)));
    let sum: f64 = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(<f64>load<f32>(logits + o + (<usize>j << 2)) - mx);
    const lse = mx + Math.log(sum);
    for (let j = 0; j < cols; j++) {
      const q = o + (<usize>j << 2);
      const logp = <f64>load<f32>(logits + q) - lse;
      store<f32>(probs + q, <f32>Math.exp(logp));
      const t = <f64>load<f32>(targets + q);
      if (t != 0) loss -= t * logp;
    }
    if (dlogits) {
      for (let j = 0; j < cols; j++) {
        const q = o + (<usize>j << 2);
        store<f32>(dlogits + q, <f32>((<f64>load<f32>(probs + q) - <f64>load<f32>(targets + q)) / <f64>rows));
      }
    }
  }
  return loss;
}
