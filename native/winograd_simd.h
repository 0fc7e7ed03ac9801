// Winograd F(2x2, 3x3) and F(4x4, 3x3) transforms for one instruction set (no include guard: compiled once
// per set by winograd.cc through simd_foreach.h). A tile's A x A input pixels (A = M + 2), its A² products
// and its M x M outputs are each c (or oc) contiguous floats: the transforms run along the channels, W at a
// time, the last c mod W masked; each 2-D transform is its 1-D transform down the columns, then along the rows.
// Also the GEMMs between the transforms for layers with few channels (wino_products, wino_filter_products).

/** The 1-D transforms of F(M, 3) on A = M + 2 points (Lavin & Gray 2016), each value a vector of channels. */
template <int M>
struct Wino;

template <>
struct Wino<2> {
  static constexpr int A = 4;
  /** u = Bᵀ d, Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]. */
  static void input(const VF* d, int ds, VF* u, int us) {
    u[0] = d[0] - d[2 * ds], u[us] = d[ds] + d[2 * ds], u[2 * us] = d[2 * ds] - d[ds], u[3 * us] = d[ds] - d[3 * ds];
  }
  /** y = Aᵀ m, Aᵀ = [[1,1,1,0],[0,1,-1,-1]]. */
  static void output(const VF* m, int ms, VF* y, int ys) {
    y[0] = m[0] + m[ms] + m[2 * ms], y[ys] = m[ms] - m[2 * ms] - m[3 * ms];
  }
  /** m = A y (the adjoint of output). */
  static void grad(const VF* y, int ys, VF* m, int ms) {
    m[0] = y[0], m[ms] = y[0] + y[ys], m[2 * ms] = y[0] - y[ys], m[3 * ms] = VF::zero() - y[ys];
  }
  /** v = G g, G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]]. */
  static void filter(const VF* g, int gs, VF* v, int vs) {
    const VF h = VF::set1(0.5f);
    v[0] = g[0], v[vs] = h * (g[0] + g[gs] + g[2 * gs]), v[2 * vs] = h * (g[0] - g[gs] + g[2 * gs]), v[3 * vs] = g[2 * gs];
  }
  /** g = Gᵀ u (the adjoint of filter). */
  static void filter_grad(const VF* u, int us, VF* g, int gs) {
    const VF h = VF::set1(0.5f);
    g[0] = u[0] + h * (u[us] + u[2 * us]), g[gs] = h * (u[us] - u[2 * us]), g[2 * gs] = h * (u[us] + u[2 * us]) + u[3 * us];
  }
};

template <>
struct Wino<4> {
  static constexpr int A = 6;
  /** u = Bᵀ d, points 0, ±1, ±2 and ∞: Bᵀ rows [4,0,-5,0,1,0] [0,-4,-4,1,1,0] [0,4,-4,-1,1,0] [0,-2,-1,2,1,0] [0,2,-1,-2,1,0] [0,4,0,-5,0,1]. */
  static void input(const VF* d, int ds, VF* u, int us) {
    // Multiply-adds where they fold a constant in: 13 operations a point instead of 19.
    const VF four = VF::set1(4.f), m4 = VF::set1(-4.f), m5 = VF::set1(-5.f), two = VF::set1(2.f), m2 = VF::set1(-2.f);
    const VF d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    const VF a = fma(m4, d2, d4), c = d4 - d2, e = d3 - d1;
    u[0] = fma(four, d0, fma(m5, d2, d4));
    u[us] = fma(m4, d1, a + d3), u[2 * us] = fma(four, d1, a - d3);
    u[3 * us] = fma(two, e, c), u[4 * us] = fma(m2, e, c);
    u[5 * us] = fma(four, d1, fma(m5, d3, d5));
  }
  /** y = Aᵀ m: rows [1,1,1,1,1,0] [0,1,-1,2,-2,0] [0,1,1,4,4,0] [0,1,-1,8,-8,1]. */
  static void output(const VF* m, int ms, VF* y, int ys) {
    const VF two = VF::set1(2.f), four = VF::set1(4.f), eight = VF::set1(8.f);
    const VF p = m[ms] + m[2 * ms], q = m[ms] - m[2 * ms], r = m[3 * ms] + m[4 * ms], s = m[3 * ms] - m[4 * ms];
    y[0] = m[0] + p + r, y[ys] = fma(two, s, q), y[2 * ys] = fma(four, r, p), y[3 * ys] = fma(eight, s, q) + m[5 * ms];
  }
  /** m = A y (the adjoint of output). */
  static void grad(const VF* y, int ys, VF* m, int ms) {
    const VF two = VF::set1(2.f), four = VF::set1(4.f), eight = VF::set1(8.f);
    const VF y0 = y[0], y1 = y[ys], y2 = y[2 * ys], y3 = y[3 * ys];
    const VF e = y0 + y2, o = y1 + y3, e4 = fma(four, y2, y0), o8 = fma(two, y1, eight * y3);
    m[0] = y0, m[ms] = e + o, m[2 * ms] = e - o, m[3 * ms] = e4 + o8, m[4 * ms] = e4 - o8, m[5 * ms] = y3;
  }
  /** v = G g: G rows [¼,0,0] [-⅙,-⅙,-⅙] [-⅙,⅙,-⅙] [1/24,1/12,⅙] [1/24,-1/12,⅙] [0,0,1]. */
  static void filter(const VF* g, int gs, VF* v, int vs) {
    const VF g0 = g[0], g1 = g[gs], g2 = g[2 * gs];
    const VF s = VF::set1(-1.f / 6) * (g0 + g2), t = VF::set1(1.f / 24) * g0 + VF::set1(1.f / 6) * g2, k = VF::set1(1.f / 12) * g1;
    v[0] = VF::set1(0.25f) * g0;
    v[vs] = s - VF::set1(1.f / 6) * g1, v[2 * vs] = s + VF::set1(1.f / 6) * g1;
    v[3 * vs] = t + k, v[4 * vs] = t - k;
    v[5 * vs] = g2;
  }
  /** g = Gᵀ u (the adjoint of filter). */
  static void filter_grad(const VF* u, int us, VF* g, int gs) {
    const VF p = u[us] + u[2 * us], q = u[2 * us] - u[us], r = u[3 * us] + u[4 * us], s = u[3 * us] - u[4 * us];
    const VF sixth = VF::set1(1.f / 6);
    g[0] = VF::set1(0.25f) * u[0] - sixth * p + VF::set1(1.f / 24) * r;
    g[gs] = sixth * q + VF::set1(1.f / 12) * s;
    g[2 * gs] = sixth * (r - p) + u[5 * us];
  }
};

/** A 2-D transform, separable: the 1-D transform f down each of the C columns of an R x C block (R -> RR
 * points), then along each of the RR rows (C -> CC points); in and out row-major. */
template <int R, int C, int RR, int CC>
inline void separable(const VF* in, VF* out, void (*f)(const VF*, int, VF*, int)) {
  VF t[RR * C];
  DN_UNROLL
  for (int j = 0; j < C; j++) f(in + j, C, t + j, C);
  DN_UNROLL
  for (int i = 0; i < RR; i++) f(t + i * C, 1, out + i * CC, 1);
}

/** Bᵀ d B: in[i·A + j] is patch pixel (i, j) (c floats), u[ξ·xs + ch] the result, ξ = i·A + j. */
template <int M>
void wino_input_tile(const float* const* in, float* u, long c, long xs) {
  constexpr int A = Wino<M>::A;
  for (long k = 0; k < c; k += W) {
    const int n = static_cast<int>(std::min<long>(W, c - k));
    VF d[A * A], r[A * A];
    DN_UNROLL
    for (int i = 0; i < A * A; i++) d[i] = load_part(in[i] + k, n);
    separable<A, A, A, A>(d, r, Wino<M>::input);
    DN_UNROLL
    for (int i = 0; i < A * A; i++) store_part(r[i], u + i * xs + k, n);
  }
}

/** Aᵀ m A + bias, then ReLU if asked: m[ξ·oc + ch] are the products, out[i·M + j] receives output (i, j). */
template <int M>
void wino_output_tile(const float* m, long oc, const float* bias, bool relu, float* const* out) {
  constexpr int A = Wino<M>::A;
  const VF zero = VF::zero();
  for (long k = 0; k < oc; k += W) {
    const int n = static_cast<int>(std::min<long>(W, oc - k));
    VF q[A * A], y[M * M];
    DN_UNROLL
    for (int i = 0; i < A * A; i++) q[i] = load_part(m + i * oc + k, n);
    separable<A, A, M, M>(q, y, Wino<M>::output);
    const VF b = load_part(bias + k, n);
    DN_UNROLL
    for (int i = 0; i < M * M; i++) {
      const VF v = y[i] + b;
      store_part(relu ? select(v > zero, v, zero) : v, out[i] + k, n);
    }
  }
}

/** The filter gradient's transform of a tile's output gradient, A dy Aᵀ: dy[i·M + j] is output (i, j), m[ξ·xs + ch] the result. */
template <int M>
void wino_grad_tile(const float* const* dy, float* m, long oc, long xs) {
  constexpr int A = Wino<M>::A;
  for (long k = 0; k < oc; k += W) {
    const int n = static_cast<int>(std::min<long>(W, oc - k));
    VF y[M * M], r[A * A];
    DN_UNROLL
    for (int i = 0; i < M * M; i++) y[i] = load_part(dy[i] + k, n);
    separable<M, M, A, A>(y, r, Wino<M>::grad);
    DN_UNROLL
    for (int i = 0; i < A * A; i++) store_part(r[i], m + i * xs + k, n);
  }
}

/**
 * T tiles' products over all c input channels for P neighbouring W-wide panels of V (columns j.., the last
 * n_last wide): T·P sums in registers, each row of a panel (an L1 hit: a panel is c·W floats) loaded once
 * for the T tiles. Each product sums its channels one fma after another in order, as the GEMM micro-kernel
 * does: the same bits.
 */
template <int T, int P>
inline void products_tiles(const float* u, long us, const float* panel, long c, float* m, long ms, int n_last) {
  VF acc[T][P];
  DN_UNROLL
  for (int i = 0; i < T; i++) {
    DN_UNROLL
    for (int p = 0; p < P; p++) acc[i][p] = VF::zero();
  }
  for (long k = 0; k < c; k++) {
    VF b[P];
    DN_UNROLL
    for (int p = 0; p < P; p++) b[p] = VF::load(panel + (p * c + k) * W);
    DN_UNROLL
    for (int i = 0; i < T; i++) {
      const VF a = VF::set1(u[i * us + k]);
      DN_UNROLL
      for (int p = 0; p < P; p++) acc[i][p] = fma(a, b[p], acc[i][p]);
    }
  }
  DN_UNROLL
  for (int i = 0; i < T; i++) {
    DN_UNROLL
    for (int p = 0; p < P; p++) store_part(acc[i][p], m + i * ms + p * W, p == P - 1 ? n_last : W);
  }
}

/** products_tiles over tiles [0, nt): T at a time, then one by one. */
template <int T, int P>
inline void products_panels(const float* u, long us, const float* panel, long c, long nt, float* m, long ms, int n_last) {
  long t = 0;
  for (; t + T <= nt; t += T) {
    // The next T tiles' rows of u lie one tile (X·c floats) apart in L2: fetched while these are multiplied.
    DN_UNROLL
    for (int i = 0; i < T; i++) __builtin_prefetch(u + (t + T + i) * us, 0, 3);
    products_tiles<T, P>(u + t * us, us, panel, c, m + t * ms, ms, n_last);
  }
  for (; t < nt; t++) products_tiles<1, P>(u + t * us, us, panel, c, m + t * ms, ms, n_last);
}

/**
 * m[t] = u[t] · V for tiles t in [0, nt) and one transformed value ξ: u[t] (c floats) at u + t·us, m[t] (oc
 * floats) at m + t·ms. V is packed in W-wide column panels, panel j holding rows 0..c−1 of columns
 * [jW, jW + W) (zero padded). The Winograd GEMMs are skinny (c and oc 16 to 64, hundreds of tiles): a
 * register block of tiles x columns sized for this instruction set, each product a chain of broadcast fmas,
 * instead of a micro-kernel call per 12 tiles that is mostly prologue and epilogue at such depths (and half
 * idle where oc is 16 of its 32 columns).
 */
void wino_products(const float* u, long us, const float* v, long c, long oc, long nt, float* m, long ms) {
  // Sums enough to cover the fma latency on two pipes; AVX2's 16 registers hold 6 x 2 of them with two rows
  // of V and the broadcast (one panel of 8 tiles there measured 7-10% slower on 32 channels).
  constexpr int T = W >= 16 ? 8 : W >= 8 ? 6 : 4, P = W == 8 ? 2 : 1;
  long j = 0;
  for (; j + P * W <= oc; j += P * W) products_panels<T, P>(u, us, v + j * c, c, nt, m + j, ms, W);
  for (; j < oc; j += W) products_panels<T, 1>(u, us, v + j * c, c, nt, m + j, ms, static_cast<int>(std::min<long>(W, oc - j)));
}

/**
 * One register block of wino_filter_products: rows [0, rows) of du (c x oc) by P neighbouring W-wide column
 * panels (the last n_last wide), summed over the nt tiles in order (R·P sums in registers; per tile P rows
 * of m loaded and `rows` values of u broadcast), then stored, or added to what du holds (the GEMM
 * micro-kernel's order: the same bits).
 */
template <int R, int P, bool FullRows>
inline void filter_block(const float* u, long us, const float* m, long ms, long nt, int rows, int n_last, float* du, long oc,
                         bool accumulate) {
  VF acc[R][P];
  DN_UNROLL
  for (int r = 0; r < R; r++) {
    DN_UNROLL
    for (int p = 0; p < P; p++) acc[r][p] = VF::zero();
  }
  for (long t = 0; t < nt; t++) {
    VF b[P];
    DN_UNROLL
    for (int p = 0; p < P; p++) b[p] = load_part(m + t * ms + p * W, p == P - 1 ? n_last : W);
    DN_UNROLL
    for (int r = 0; r < R; r++) {
      if (!FullRows && r >= rows) break;
      const VF a = VF::set1(u[t * us + r]);
      DN_UNROLL
      for (int p = 0; p < P; p++) acc[r][p] = fma(a, b[p], acc[r][p]);
    }
  }
  DN_UNROLL
  for (int r = 0; r < R; r++) {
    if (!FullRows && r >= rows) break;
    DN_UNROLL
    for (int p = 0; p < P; p++) {
      const int n = p == P - 1 ? n_last : W;
      float* d = du + r * oc + p * W;
      store_part(accumulate ? load_part(d, n) + acc[r][p] : acc[r][p], d, n);
    }
  }
}

/** filter_block over rows [0, c) of du: R at a time, the last block short. */
template <int R, int P>
inline void filter_rows(const float* u, long us, const float* m, long ms, long nt, long c, int n_last, float* du, long oc, bool accumulate) {
  long r = 0;
  for (; r + R <= c; r += R) filter_block<R, P, true>(u + r, us, m, ms, nt, R, n_last, du + r * oc, oc, accumulate);
  if (r < c) filter_block<R, P, false>(u + r, us, m, ms, nt, static_cast<int>(c - r), n_last, du + r * oc, oc, accumulate);
}

/**
 * du (c x oc) = Σ_t u[t]ᵀ · m[t] over tiles t in [0, nt) for one transformed value ξ (or du += that sum):
 * u[t] (c floats) at u + t·us, m[t] (oc floats) at m + t·ms, du row-major. The filter gradient's skinny
 * GEMMs (c and oc 16 to 64, summed over hundreds of tiles) on register blocks of du's rows x columns, with
 * u and m read in the tile-major layout the transforms write (as in the forward).
 */
void wino_filter_products(const float* u, long us, const float* m, long ms, long nt, long c, long oc, float* du, bool accumulate) {
  // AVX-512: 16 rows x 16 columns (16 sums, one row of m a tile); AVX2: 6 x 16 (12 sums in its 16 registers).
  constexpr int R = W >= 16 ? 16 : W >= 8 ? 6 : 4, P = W == 8 ? 2 : 1;
  long j = 0;
  for (; j + P * W <= oc; j += P * W) filter_rows<R, P>(u, us, m + j, ms, nt, c, W, du + j, oc, accumulate);
  for (; j < oc; j += W)
    filter_rows<R, 1>(u, us, m + j, ms, nt, c, static_cast<int>(std::min<long>(W, oc - j)), du + j, oc, accumulate);
}

/** out[ξ·plane + p] = the separable transform f of the R x R block in[i·plane + p], for pairs p in [p0, p1). */
template <int R, int RR>
inline void plane_transform(const float* in, long plane, long p0, long p1, float* out, void (*f)(const VF*, int, VF*, int)) {
  for (long p = p0; p < p1; p += W) {
    const int n = static_cast<int>(std::min<long>(W, p1 - p));
    VF a[R * R], b[RR * RR];
    DN_UNROLL
    for (int i = 0; i < R * R; i++) a[i] = load_part(in + i * plane + p, n);
    separable<R, R, RR, RR>(a, b, f);
    DN_UNROLL
    for (int i = 0; i < RR * RR; i++) store_part(b[i], out + i * plane + p, n);
  }
}

/** G g Gᵀ of pairs [p0, p1): g from w (3, 3, plane), v[ξ·plane + p]. */
template <int M>
void wino_filter(const float* w, long plane, long p0, long p1, float* v) {
  plane_transform<3, Wino<M>::A>(w, plane, p0, p1, v, Wino<M>::filter);
}

/** dw (3, 3, plane) = Gᵀ du G of pairs [p0, p1), du[ξ·plane + p] (the adjoint of wino_filter). */
template <int M>
void wino_filter_grad(const float* du, long plane, long p0, long p1, float* dw) {
  plane_transform<Wino<M>::A, 3>(du, plane, p0, p1, dw, Wino<M>::filter_grad);
}

const WinogradKernels kWinograd2{2, W, wino_input_tile<2>, wino_output_tile<2>, wino_grad_tile<2>, wino_filter<2>, wino_filter_grad<2>, wino_products, wino_filter_products};
const WinogradKernels kWinograd4{4, W, wino_input_tile<4>, wino_output_tile<4>, wino_grad_tile<4>, wino_filter<4>, wino_filter_grad<4>, wino_products, wino_filter_products};
