// Batch-normalization bodies for one instruction set (no include guard: compiled once per set by norm.cc
// through simd_foreach.h). x is (rows, c), channels along the row, W channels to a vector (the last c mod W
// masked: Full is false there). The element-wise passes run row by row, or four rows at a time (sequential
// access; per-channel coefficients are L1 hits); the reductions run over a chunk small enough for L1 channel block by channel
// block, rows innermost, accumulators in registers. Sums over rows go into float64 lanes, even and odd rows
// in two accumulators added at the end: the same order for every instruction set, since channels never mix.

template <bool Full>
inline VF ld(const float* p, int n) {
  if constexpr (Full) return VF::load(p);
  else return VF::load_n(p, n);
}
template <bool Full>
inline void st(VF v, float* p, int n) {
  if constexpr (Full) v.store(p);
  else v.store_n(p, n);
}

/** f(full, j, n) for each channel block [j, j + n): n == W with full = std::true_type, else the masked tail. */
template <class F>
inline void for_blocks(long c, F&& f) {
  long j = 0;
  for (; j + W <= c; j += W) f(std::true_type{}, j, W);
  if (j < c) f(std::false_type{}, j, static_cast<int>(c - j));
}

/**
 * One chunk of rows [r0, r1): per channel, Σx and M2 = Σ(x − the chunk's mean)², float64, in one pass: about
 * the chunk's first row K, Σd and Σd² with d = x − K (exact in float64), then Σx = n·K + Σd and
 * M2 = Σd² − (Σd)²/n. No precision is lost to the shift: (K − mean)² ≤ M2, so (Σd)²/n ≤ n·M2 and the
 * subtraction cancels at most log2(n) bits of float64's 53.
 */
void bn_chunk_moments(const float* x, long c, long r0, long r1, double* sum, double* m2) {
  const long nr = r1 - r0;
  const VD count = VD::set1(static_cast<double>(nr));
  for_blocks(c, [&](auto full, long j, int n) {
    constexpr bool F = decltype(full)::value;
    const float* p = x + r0 * c + j;
    const VD k = VD::from(ld<F>(p, n));
    VD s0 = VD::zero(), s1 = VD::zero(), q0 = VD::zero(), q1 = VD::zero();
    long r = 0;
    for (; r + 2 <= nr; r += 2) {
      const VD d0 = VD::from(ld<F>(p + r * c, n)) - k, d1 = VD::from(ld<F>(p + (r + 1) * c, n)) - k;
      s0 = s0 + d0;
      s1 = s1 + d1;
      q0 = fma(d0, d0, q0);
      q1 = fma(d1, d1, q1);
    }
    if (r < nr) {
      const VD d0 = VD::from(ld<F>(p + r * c, n)) - k;
      s0 = s0 + d0;
      q0 = fma(d0, d0, q0);
    }
    const VD sd = s0 + s1;
    store_part(fma(k, count, sd), sum + j, n);
    store_part((q0 + q1) - sd * sd / count, m2 + j, n);
  });
}

/** The ReLU as the activation kernels apply it: v where v > 0, else +0 (NaN too). */
inline VF relu(VF v) { return select(v > VF::zero(), v, VF::zero()); }

/**
 * dy at one place of a block, as the backward sees it: where a fused ReLU followed the normalization (gate:
 * its scale, then its shift, as the forward computed them), 0 wherever the forward's x·scale + shift (the
 * same fma, so the same bits) was not above 0, as the ReLU's own backward would have made it.
 */
template <bool Gated, bool F>
inline VF gated_dy(const float* dy, const float* x, const float* gate, long c, long o, long j, int n) {
  const VF d = ld<F>(dy + o, n);
  if constexpr (!Gated) return d;
  else return select(fma(ld<F>(x + o, n), ld<F>(gate + j, n), ld<F>(gate + c + j, n)) > VF::zero(), d, VF::zero());
}

/** Rows [r0, r1): y = x·scale + shift per channel (one rounding), then the ReLU when relu; y may be x. Row by row: sequential access. */
template <bool Relu>
void affine_rows(const float* x, const float* scale, const float* shift, float* y, long c, long r0, long r1) {
  for (long r = r0; r < r1; r++)
    for_blocks(c, [&](auto full, long j, int n) {
      constexpr bool F = decltype(full)::value;
      const VF v = fma(ld<F>(x + r * c + j, n), ld<F>(scale + j, n), ld<F>(shift + j, n));
      st<F>(Relu ? relu(v) : v, y + r * c + j, n);
    });
}
void bn_affine_rows(const float* x, const float* scale, const float* shift, float* y, long c, long r0, long r1, bool relu) {
  relu ? affine_rows<true>(x, scale, shift, y, c, r0, r1) : affine_rows<false>(x, scale, shift, y, c, r0, r1);
}

/** Rows [r0, r1): out = dy gated by the fused ReLU (see gated_dy); out may be dy. */
void bn_gate_rows(const float* x, const float* dy, const float* gate, float* out, long c, long r0, long r1) {
  for (long r = r0; r < r1; r++)
    for_blocks(c, [&](auto full, long j, int n) {
      constexpr bool F = decltype(full)::value;
      st<F>(gated_dy<true, F>(dy, x, gate, c, r * c + j, j, n), out + r * c + j, n);
    });
}

/** One chunk of rows [r0, r1): per channel, Σdy and Σdy·(x − mean), float64 (exact products); dy gated when Gated. */
template <bool Gated>
void chunk_grad_sums(const float* x, const float* dy, const float* mean, const float* gate, long c, long r0, long r1, double* sdy, double* sdyxc) {
  const long nr = r1 - r0;
  for_blocks(c, [&](auto full, long j, int n) {
    constexpr bool F = decltype(full)::value;
    const float* px = x + r0 * c + j;
    const long o = r0 * c + j;
    const VD m = VD::from(ld<F>(mean + j, n));
    VD a0 = VD::zero(), a1 = VD::zero(), b0 = VD::zero(), b1 = VD::zero();
    long r = 0;
    for (; r + 2 <= nr; r += 2) {
      const VD d0 = VD::from(gated_dy<Gated, F>(dy, x, gate, c, o + r * c, j, n));
      const VD d1 = VD::from(gated_dy<Gated, F>(dy, x, gate, c, o + (r + 1) * c, j, n));
      a0 = a0 + d0;
      a1 = a1 + d1;
      b0 = fma(d0, VD::from(ld<F>(px + r * c, n)) - m, b0);
      b1 = fma(d1, VD::from(ld<F>(px + (r + 1) * c, n)) - m, b1);
    }
    if (r < nr) {
      const VD d0 = VD::from(gated_dy<Gated, F>(dy, x, gate, c, o + r * c, j, n));
      a0 = a0 + d0;
      b0 = fma(d0, VD::from(ld<F>(px + r * c, n)) - m, b0);
    }
    store_part(a0 + a1, sdy + j, n);
    store_part(b0 + b1, sdyxc + j, n);
  });
}
void bn_chunk_grad_sums(const float* x, const float* dy, const float* mean, const float* gate, long c, long r0, long r1, double* sdy, double* sdyxc) {
  gate ? chunk_grad_sums<true>(x, dy, mean, gate, c, r0, r1, sdy, sdyxc) : chunk_grad_sums<false>(x, dy, mean, gate, c, r0, r1, sdy, sdyxc);
}

/**
 * Rows [r0, r1): dx = scale·(rows·dy − Σdy − (x − mean)·q) per channel, in float64 as the reference: dx is
 * small where its terms nearly cancel (few rows, dy nearly constant), and float32 would keep only their
 * rounding noise. neg_sdy = −Σdy, neg_q = −q. dx may be dy. dy gated when Gated.
 */
template <bool Gated>
void dx_rows(const float* x, const float* dy, const float* mean, const float* gate, double rows, const double* neg_sdy, const double* neg_q,
             const double* scale, float* dx, long c, long r0, long r1) {
  const VD n_rows = VD::set1(rows);
  // Four rows per channel block: the float64 coefficients are loaded once per four rows, and access stays
  // within a few cache lines (channel blocks outermost over many rows was 7x slower at c = 64).
  constexpr long kGroup = 4;
  for (long g0 = r0; g0 < r1; g0 += kGroup) {
    const long g1 = std::min(r1, g0 + kGroup);
    for_blocks(c, [&](auto full, long j, int n) {
      constexpr bool F = decltype(full)::value;
      const VD s = load_part(neg_sdy + j, n), q = load_part(neg_q + j, n), k = load_part(scale + j, n);
      const VD m = VD::from(ld<F>(mean + j, n));
      for (long r = g0; r < g1; r++) {
        const long o = r * c + j;
        const VD u = fma(VD::from(gated_dy<Gated, F>(dy, x, gate, c, o, j, n)), n_rows, s);
        st<F>((fma(VD::from(ld<F>(x + o, n)) - m, q, u) * k).to_float(), dx + o, n);
      }
    });
  }
}
void bn_dx_rows(const float* x, const float* dy, const float* mean, const float* gate, double rows, const double* neg_sdy, const double* neg_q,
                const double* scale, float* dx, long c, long r0, long r1) {
  gate ? dx_rows<true>(x, dy, mean, gate, rows, neg_sdy, neg_q, scale, dx, c, r0, r1)
       : dx_rows<false>(x, dy, mean, gate, rows, neg_sdy, neg_q, scale, dx, c, r0, r1);
}

const NormKernels kNorm{bn_chunk_moments, bn_affine_rows, bn_gate_rows, bn_chunk_grad_sums, bn_dx_rows};
