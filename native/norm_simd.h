// Batch-normalization bodies for one instruction set (no include guard: compiled once per set by norm.cc
// through simd_foreach.h). x is (rows, c) with channels along the row: each channel block of W is one
// vector, the last c mod W masked. Sums over rows go into float64 lanes, even rows and odd rows in two
// accumulators added at the end: the same order for every instruction set, since channels never mix.

/** Rows [r0, r1) of one channel block: Σ v(r) over the rows, v(r) a VD built from row r's pointer. */
template <class F>
inline VD sum_rows(long nr, F v) {
  VD s0 = VD::zero(), s1 = VD::zero();
  long r = 0;
  for (; r + 2 <= nr; r += 2) {
    s0 = s0 + v(r);
    s1 = s1 + v(r + 1);
  }
  if (r < nr) s0 = s0 + v(r);
  return s0 + s1;
}

/** One chunk of rows [r0, r1): per channel, the chunk's mean and Σ(x − that mean)², both float64. */
void bn_chunk_moments(const float* x, long c, long r0, long r1, double* mean, double* m2) {
  const long nr = r1 - r0;
  const VD count = VD::set1(static_cast<double>(nr));
  for (long j = 0; j < c; j += W) {
    const int n = static_cast<int>(std::min<long>(W, c - j));
    const float* p = x + r0 * c + j;
    const VD m = sum_rows(nr, [&](long r) { return VD::from(load_part(p + r * c, n)); }) / count;
    const VD q = sum_rows(nr, [&](long r) {
      const VD d = VD::from(load_part(p + r * c, n)) - m;
      return d * d;
    });
    store_part(m, mean + j, n);
    store_part(q, m2 + j, n);
  }
}

/** Rows [r0, r1): y = x·scale + shift per channel (one rounding). */
void bn_affine_rows(const float* x, const float* scale, const float* shift, float* y, long c, long r0, long r1) {
  for (long r = r0; r < r1; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    long j = 0;
    for (; j + W <= c; j += W) fma(VF::load(xr + j), VF::load(scale + j), VF::load(shift + j)).store(yr + j);
    if (j < c) {
      const int n = static_cast<int>(c - j);
      fma(VF::load_n(xr + j, n), VF::load_n(scale + j, n), VF::load_n(shift + j, n)).store_n(yr + j, n);
    }
  }
}

/** One chunk of rows [r0, r1): per channel, Σ dy and Σ dy·(x − mean), float64 (exact products). */
void bn_chunk_grad_sums(const float* x, const float* dy, const float* mean, long c, long r0, long r1, double* sdy, double* sdyxc) {
  const long nr = r1 - r0;
  for (long j = 0; j < c; j += W) {
    const int n = static_cast<int>(std::min<long>(W, c - j));
    const float* px = x + r0 * c + j;
    const float* pd = dy + r0 * c + j;
    const VD m = VD::from(load_part(mean + j, n));
    VD a0 = VD::zero(), a1 = VD::zero(), b0 = VD::zero(), b1 = VD::zero();
    long r = 0;
    for (; r + 2 <= nr; r += 2) {
      const VD d0 = VD::from(load_part(pd + r * c, n)), d1 = VD::from(load_part(pd + (r + 1) * c, n));
      a0 = a0 + d0;
      a1 = a1 + d1;
      b0 = fma(d0, VD::from(load_part(px + r * c, n)) - m, b0);
      b1 = fma(d1, VD::from(load_part(px + (r + 1) * c, n)) - m, b1);
    }
    if (r < nr) {
      const VD d0 = VD::from(load_part(pd + r * c, n));
      a0 = a0 + d0;
      b0 = fma(d0, VD::from(load_part(px + r * c, n)) - m, b0);
    }
    store_part(a0 + a1, sdy + j, n);
    store_part(b0 + b1, sdyxc + j, n);
  }
}

/**
 * Rows [r0, r1): dx = scale·(rows·dy − Σdy − (x − mean)·q) per channel, in float64 as the reference: dx is
 * small where its terms nearly cancel (few rows, dy nearly constant), and float32 would keep only their
 * rounding noise. neg_sdy = −Σdy, neg_q = −q. dx may be dy.
 */
void bn_dx_rows(const float* x, const float* dy, const float* mean, double rows, const double* neg_sdy, const double* neg_q,
                const double* scale, float* dx, long c, long r0, long r1) {
  const VD n_rows = VD::set1(rows);
  for (long r = r0; r < r1; r++) {
    const long o = r * c;
    for (long j = 0; j < c; j += W) {
      const int n = static_cast<int>(std::min<long>(W, c - j));
      const VD u = fma(VD::from(load_part(dy + o + j, n)), n_rows, load_part(neg_sdy + j, n));
      const VD xc = VD::from(load_part(x + o + j, n)) - VD::from(load_part(mean + j, n));
      store_part((fma(xc, load_part(neg_q + j, n), u) * load_part(scale + j, n)).to_float(), dx + o + j, n);
    }
  }
}

const NormKernels kNorm{bn_chunk_moments, bn_affine_rows, bn_chunk_grad_sums, bn_dx_rows};
