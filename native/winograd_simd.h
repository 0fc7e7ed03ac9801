// Winograd F(2x2, 3x3) transforms for one instruction set (no include guard: compiled once per set by
// winograd.cc through simd_foreach.h). A tile's 16 input pixels and its 16 products are each c (or oc)
// contiguous floats: the transforms run along the channels, W at a time, the last c mod W masked.

/** Bᵀ d B: in[i·4 + j] is patch pixel (i, j) (c floats), u[ξ·xs + ch] the result. Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]. */
void wino_input_tile(const float* const* in, float* u, long c, long xs) {
  for (long k = 0; k < c; k += W) {
    const int n = static_cast<int>(std::min<long>(W, c - k));
    VF d[16];
    for (int i = 0; i < 16; i++) d[i] = load_part(in[i] + k, n);
    VF t[16];
    for (int j = 0; j < 4; j++) {
      t[0 + j] = d[0 + j] - d[8 + j];
      t[4 + j] = d[4 + j] + d[8 + j];
      t[8 + j] = d[8 + j] - d[4 + j];
      t[12 + j] = d[4 + j] - d[12 + j];
    }
    for (int i = 0; i < 16; i += 4) {
      store_part(t[i + 0] - t[i + 2], u + (i + 0) * xs + k, n);
      store_part(t[i + 1] + t[i + 2], u + (i + 1) * xs + k, n);
      store_part(t[i + 2] - t[i + 1], u + (i + 2) * xs + k, n);
      store_part(t[i + 1] - t[i + 3], u + (i + 3) * xs + k, n);
    }
  }
}

/** Aᵀ m A + bias, then ReLU if asked: m[ξ·oc + ch] are the products, out[i·2 + j] receives output (i, j). Aᵀ = [[1,1,1,0],[0,1,-1,-1]]. */
void wino_output_tile(const float* m, long oc, const float* bias, bool relu, float* const* out) {
  const VF zero = VF::zero();
  for (long k = 0; k < oc; k += W) {
    const int n = static_cast<int>(std::min<long>(W, oc - k));
    VF q[16];
    for (int i = 0; i < 16; i++) q[i] = load_part(m + i * oc + k, n);
    VF s[8];
    for (int j = 0; j < 4; j++) {
      s[j] = q[j] + q[4 + j] + q[8 + j];
      s[4 + j] = q[4 + j] - q[8 + j] - q[12 + j];
    }
    const VF b = load_part(bias + k, n);
    VF v[4] = {s[0] + s[1] + s[2] + b, s[1] - s[2] - s[3] + b, s[4] + s[5] + s[6] + b, s[5] - s[6] - s[7] + b};
    for (int i = 0; i < 4; i++) store_part(relu ? select(v[i] > zero, v[i], zero) : v[i], out[i] + k, n);
  }
}

/**
 * The filter gradient's transform of a tile's output gradient, A dy Aᵀ (the adjoint of Aᵀ m A): dy[i·2 + j]
 * is output (i, j) (oc floats), m[ξ·xs + ch] the result. Row i of A dy is (p, q); it becomes (p, p+q, p−q, −q).
 */
void wino_grad_tile(const float* const* dy, float* m, long oc, long xs) {
  for (long k = 0; k < oc; k += W) {
    const int n = static_cast<int>(std::min<long>(W, oc - k));
    const VF a = load_part(dy[0] + k, n), b = load_part(dy[1] + k, n), c = load_part(dy[2] + k, n), d = load_part(dy[3] + k, n);
    const VF zero = VF::zero();
    const VF p[4] = {a, a + c, a - c, zero - c}, q[4] = {b, b + d, b - d, zero - d};
    for (int i = 0; i < 4; i++) {
      store_part(p[i], m + (i * 4 + 0) * xs + k, n);
      store_part(p[i] + q[i], m + (i * 4 + 1) * xs + k, n);
      store_part(p[i] - q[i], m + (i * 4 + 2) * xs + k, n);
      store_part(zero - q[i], m + (i * 4 + 3) * xs + k, n);
    }
  }
}

/** G g Gᵀ of pairs [p0, p1): g from w (3, 3, plane), v[ξ·plane + p]. G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]]. */
void wino_filter(const float* w, long plane, long p0, long p1, float* v) {
  const VF half = VF::set1(0.5f);
  for (long p = p0; p < p1; p += W) {
    const int n = static_cast<int>(std::min<long>(W, p1 - p));
    VF g[9], t[12];
    for (int i = 0; i < 9; i++) g[i] = load_part(w + i * plane + p, n);
    for (int j = 0; j < 3; j++) {
      t[0 + j] = g[j];
      t[3 + j] = half * (g[j] + g[3 + j] + g[6 + j]);
      t[6 + j] = half * (g[j] - g[3 + j] + g[6 + j]);
      t[9 + j] = g[6 + j];
    }
    for (int i = 0; i < 4; i++) {
      const VF a = t[i * 3], b = t[i * 3 + 1], c = t[i * 3 + 2];
      store_part(a, v + (i * 4 + 0) * plane + p, n);
      store_part(half * (a + b + c), v + (i * 4 + 1) * plane + p, n);
      store_part(half * (a - b + c), v + (i * 4 + 2) * plane + p, n);
      store_part(c, v + (i * 4 + 3) * plane + p, n);
    }
  }
}

/** dw (3, 3, plane) = Gᵀ du G of pairs [p0, p1), du[ξ·plane + p] (the adjoint of wino_filter). */
void wino_filter_grad(const float* du, long plane, long p0, long p1, float* dw) {
  const VF half = VF::set1(0.5f);
  for (long p = p0; p < p1; p += W) {
    const int n = static_cast<int>(std::min<long>(W, p1 - p));
    VF r[12];
    for (int j = 0; j < 4; j++) {
      const VF u0 = load_part(du + j * plane + p, n), u1 = load_part(du + (4 + j) * plane + p, n);
      const VF u2 = load_part(du + (8 + j) * plane + p, n), u3 = load_part(du + (12 + j) * plane + p, n);
      r[0 + j] = u0 + half * (u1 + u2);
      r[4 + j] = half * (u1 - u2);
      r[8 + j] = half * (u1 + u2) + u3;
    }
    for (int a = 0; a < 3; a++) {
      const VF* q = r + a * 4;
      store_part(q[0] + half * (q[1] + q[2]), dw + (a * 3 + 0) * plane + p, n);
      store_part(half * (q[1] - q[2]), dw + (a * 3 + 1) * plane + p, n);
      store_part(half * (q[1] + q[2]) + q[3], dw + (a * 3 + 2) * plane + p, n);
    }
  }
}

const WinogradKernels kWinograd{wino_input_tile, wino_output_tile, wino_grad_tile, wino_filter, wino_filter_grad};
