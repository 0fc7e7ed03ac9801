// Matrix multiply for WebAssembly SIMD: B is read in panels of 8 columns, packed (k rows of 8 floats, zero
// padded) or in place when its width is a multiple of 8, and a 4x8 micro-kernel keeps 8 v128 accumulators
// while it walks k, reading A through two byte strides so that one kernel serves A, Aᵀ and im2col blocks. With relaxed SIMD the multiply-add is
// fused (f32x4.relaxed_madd); without, it is a multiply then an add.

/** Bytes packB writes for a k × n operand. */
export function packedBytes(k: i32, n: i32): usize {
  return (<usize>((n + 7) >> 3)) * (<usize>k) * 32;
}

/** Packs B (k × n), element (p, j) at b + 4·(p·rs + j·cs), into 8-column panels at dst. */
export function packB(b: usize, rs: usize, cs: usize, k: i32, n: i32, dst: usize): void {
  let d = dst;
  for (let j0 = 0; j0 < n; j0 += 8) {
    const w = min<i32>(8, n - j0);
    if (cs == 1 && w == 8) {
      let s = b + (<usize>j0 << 2);
      for (let p = 0; p < k; p++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += rs << 2;
        d += 32;
      }
    } else {
      for (let p = 0; p < k; p++) {
        const s = b + ((<usize>p * rs + <usize>j0 * cs) << 2);
        for (let j = 0; j < 8; j++) store<f32>(d + (<usize>j << 2), j < w ? load<f32>(s + ((<usize>j * cs) << 2)) : 0);
        d += 32;
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** What the epilogue does to each 8-wide row of results before it stores them. */
export const ACCUMULATE = 1; // add to what C holds
export const RELU = 2; // max(v, 0) after the bias, as the reference's fused activation (NaN kept)

const tmp = memory.data(32, 16);

// @ts-ignore: decorator
@inline
function epilogue(c: usize, v0: v128, v1: v128, w: i32, flags: i32, bias: usize): void {
  if (flags & ACCUMULATE) {
    v0 = f32x4.add(v0, v128.load(c));
    v1 = f32x4.add(v1, v128.load(c, 16));
  }
  if (bias) {
    v0 = f32x4.add(v0, v128.load(bias));
    v1 = f32x4.add(v1, v128.load(bias, 16));
  }
  if (flags & RELU) {
    const z = f32x4.splat(0);
    v0 = v128.andnot(v0, f32x4.lt(v0, z));
    v1 = v128.andnot(v1, f32x4.lt(v1, z));
  }
  if (w == 8) {
    v128.store(c, v0);
    v128.store(c, v1, 16);
  } else {
    v128.store(tmp, v0);
    v128.store(tmp, v1, 16);
    for (let j = 0; j < w; j++) store<f32>(c + (<usize>j << 2), load<f32>(tmp + (<usize>j << 2)));
  }
}

/** Four rows of C, one panel: C[i..i+4, j0..j0+w) (+)= A[i..i+4, :]·panel; the panel's rows are bks bytes apart. */
function kernel4(a: usize, ars: usize, aks: usize, bp: usize, bks: usize, k: i32, c: usize, ldc: usize, w: i32, flags: i32, bias: usize): void {
  const a1 = a + ars, a2 = a1 + ars, a3 = a2 + ars;
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let off: usize = 0;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let av = v128.load32_splat(a + off);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(a1 + off);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(a2 + off);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(a3 + off);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    off += aks;
    bp += bks;
  }
  epilogue(c, c00, c01, w, flags, bias);
  epilogue(c + ldc, c10, c11, w, flags, bias);
  epilogue(c + 2 * ldc, c20, c21, w, flags, bias);
  epilogue(c + 3 * ldc, c30, c31, w, flags, bias);
}

/** One row of C, one panel. */
function kernel1(a: usize, aks: usize, bp: usize, bks: usize, k: i32, c: usize, w: i32, flags: i32, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = c0;
  let off: usize = 0;
  for (let p = 0; p < k; p++) {
    const av = v128.load32_splat(a + off);
    c0 = madd(av, v128.load(bp), c0);
    c1 = madd(av, v128.load(bp, 16), c1);
    off += aks;
    bp += bks;
  }
  epilogue(c, c0, c1, w, flags, bias);
}

/**
 * C (m × n) (+)= A (m × k) · B, B packed by packB. A's element (i, p) is at a + i·ars + p·aks (bytes);
 * C's row stride is ldc bytes; bias (n floats, readable 8 past the end) is added when not 0.
 */
export function gemm(a: usize, ars: usize, aks: usize, packed: usize, c: usize, ldc: usize, m: i32, n: i32, k: i32, flags: i32, bias: usize): void {
  panels(a, ars, aks, packed, (<usize>k) * 32, 32, c, ldc, m, n, k, flags, bias);
}

/** As gemm, with B (k × n, n a multiple of 8) read in place, its rows ldb bytes apart: no packing pass. */
export function gemmInPlace(a: usize, ars: usize, aks: usize, b: usize, ldb: usize, c: usize, ldc: usize, m: i32, n: i32, k: i32, flags: i32, bias: usize): void {
  panels(a, ars, aks, b, 32, ldb, c, ldc, m, n, k, flags, bias);
}

/** Every panel of 8 columns: panel j starts at b + j·panelBytes, its rows bks bytes apart. */
function panels(a: usize, ars: usize, aks: usize, b: usize, panelBytes: usize, bks: usize, c: usize, ldc: usize, m: i32, n: i32, k: i32, flags: i32, bias: usize): void {
  for (let j0 = 0; j0 < n; j0 += 8) {
    const w = min<i32>(8, n - j0);
    const bp = b + (<usize>(j0 >> 3)) * panelBytes;
    const bj = bias ? bias + (<usize>j0 << 2) : 0;
    const cj = c + (<usize>j0 << 2);
    let i = 0;
    for (; i + 4 <= m; i += 4) kernel4(a + <usize>i * ars, ars, aks, bp, bks, k, cj + <usize>i * ldc, ldc, w, flags, bj);
    for (; i < m; i++) kernel1(a + <usize>i * ars, aks, bp, bks, k, cj + <usize>i * ldc, w, flags, bj);
  }
}
