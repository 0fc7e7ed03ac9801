// Single-channel convolution bodies for one instruction set (no include guard: compiled once per set by
// conv_single.cc through simd_foreach.h). The vector runs along the output pixels: a strip is up to W
// consecutive pixels of one output row, and each kernel tap is one (masked) load of W input pixels that
// every filter multiplies by its weight. The filters are template parameters, so a strip's OC sums (or a
// tap group's TG x OC ones) stay in registers.

/**
 * Fills up to S strips from the walk's position (row r, column ox): their windows' top-left input pixel,
 * first output pixel and length. Returns how many; slots past that get length 0 (they load zeros).
 */
template <int S>
inline int next_strips(const SingleRows& s, long& r, long& ox, const float** in, long* px, int* n) {
  int k = 0;
  for (; k < S && r < s.r1; k++) {
    const long b = r / s.oh, oy = r % s.oh;
    in[k] = s.src + (b - s.b0) * s.img + oy * s.rowstride + ox;
    px[k] = r * s.ow + ox;
    n[k] = static_cast<int>(std::min<long>(W, s.ow - ox));
    if ((ox += W) >= s.ow) ox = 0, r++;
  }
  for (int i = k; i < S; i++) in[i] = in[0], px[i] = px[0], n[i] = 0;
  return k;
}

/** Output rows [s.r0, s.r1) of y = act(conv + bias) (y holds rows from s.r0 on): S strips at a time, OC sums each. */
template <int OC, int S>
void single_forward_t(const SingleRows& s, const float* w, const float* bias, bool relu, float* y) {
  long r = s.r0, ox = 0;
  const float* in[S];
  long px[S];
  int n[S];
  float tmp[OC * W];
  for (int cnt; (cnt = next_strips<S>(s, r, ox, in, px, n)) > 0;) {
    VF acc[S][OC];
    DN_UNROLL
    for (int i = 0; i < S; i++)
      DN_UNROLL
      for (int o = 0; o < OC; o++) acc[i][o] = VF::zero();
    for (int t = 0; t < s.ntaps; t++) {
      const long off = s.tap[t];
      VF v[S];
      DN_UNROLL
      for (int i = 0; i < S; i++) v[i] = VF::load_n(in[i] + off, n[i]);
      DN_UNROLL
      for (int o = 0; o < OC; o++) {
        const VF wv = VF::set1(w[t * OC + o]);
        DN_UNROLL
        for (int i = 0; i < S; i++) acc[i][o] = fma(v[i], wv, acc[i][o]);
      }
    }
    // Bias and ReLU after the whole sum (as the GEMM's epilogue), then pixel-major into y (NHWC). Indices
    // known at compile time everywhere, so that the sums stay registers (a runtime one spills them all).
    DN_UNROLL
    for (int i = 0; i < S; i++) {
      if (i >= cnt) continue;
      DN_UNROLL
      for (int o = 0; o < OC; o++) {
        VF a = bias ? acc[i][o] + VF::set1(bias[o]) : acc[i][o];
        if (relu) a = vmax(a, VF::zero());
        a.store(tmp + o * W);
      }
      float* out = y + (px[i] - s.r0 * s.ow) * OC;
      for (int p = 0; p < n[i]; p++)
        DN_UNROLL
        for (int o = 0; o < OC; o++) out[p * OC + o] = tmp[o * W + p];
    }
  }
}

/** The lanes of v added in lane order (a fixed order, so the result does not depend on anything else). */
inline float lane_sum(VF v) {
  float t[W];
  v.store(t);
  float sum = t[0];
  for (int i = 1; i < W; i++) sum += t[i];
  return sum;
}

/**
 * dw (ntaps x OC) and db (OC) of output rows [s.r0, s.r1), written: dy transposed once into per-strip
 * filter-major vectors (lanes past a strip's end zero), then per group of TG taps, TG x OC vector sums over
 * every strip in order, each reduced across its lanes in lane order at the end.
 */
template <int OC, int TG>
void single_filter_t(const SingleRows& s, const float* dy, float* dw, float* db) {
  const long per_row = ceil_div(s.ow, W), strips = (s.r1 - s.r0) * per_row;
  const int groups = static_cast<int>(ceil_div(s.ntaps, TG));
  // Thread-local buffers, reached once here: in a shared library each thread_local access is a call.
  thread_local std::vector<float> dyt_buf;
  thread_local std::vector<const float*> in_buf;
  thread_local std::vector<int> n_buf;
  thread_local std::vector<long> tap_buf;
  dyt_buf.resize(static_cast<size_t>(strips * OC * W));
  in_buf.resize(static_cast<size_t>(strips));
  n_buf.resize(static_cast<size_t>(strips));
  // Whole groups of TG taps (the last one padded with tap 0, its sums dropped): a short last group would
  // need runtime indices, which spill every sum.
  tap_buf.assign(static_cast<size_t>(groups * TG), s.tap[0]);
  std::copy(s.tap, s.tap + s.ntaps, tap_buf.begin());
  float* const dyt = dyt_buf.data();
  const float** const ins = in_buf.data();
  int* const ns = n_buf.data();
  const long* const taps = tap_buf.data();
  VF bsum[OC];
  DN_UNROLL
  for (int o = 0; o < OC; o++) bsum[o] = VF::zero();
  long r = s.r0, ox = 0;
  for (long j = 0; j < strips; j++) {
    long px;
    next_strips<1>(s, r, ox, &ins[j], &px, &ns[j]);
    float* d = dyt + j * OC * W;
    const float* src = dy + px * OC;
    if (ns[j] == W) {
      for (int p = 0; p < W; p++)
        DN_UNROLL
        for (int o = 0; o < OC; o++) d[o * W + p] = src[p * OC + o];
    } else {
      for (int p = 0; p < W; p++)
        DN_UNROLL
        for (int o = 0; o < OC; o++) d[o * W + p] = p < ns[j] ? src[p * OC + o] : 0.f;
    }
    DN_UNROLL
    for (int o = 0; o < OC; o++) bsum[o] = bsum[o] + VF::load(d + o * W);
  }
  DN_UNROLL
  for (int o = 0; o < OC; o++) db[o] = lane_sum(bsum[o]);
  for (int g = 0; g < groups; g++) {
    const long* tap = taps + g * TG;
    VF acc[TG][OC];
    DN_UNROLL
    for (int t = 0; t < TG; t++)
      DN_UNROLL
      for (int o = 0; o < OC; o++) acc[t][o] = VF::zero();
    for (long j = 0; j < strips; j++) {
      const float* in = ins[j];
      const float* d = dyt + j * OC * W;
      const int n = ns[j];
      DN_UNROLL
      for (int t = 0; t < TG; t++) {
        const VF v = VF::load_n(in + tap[t], n);
        DN_UNROLL
        for (int o = 0; o < OC; o++) acc[t][o] = fma(v, VF::load(d + o * W), acc[t][o]);
      }
    }
    DN_UNROLL
    for (int t = 0; t < TG; t++) {
      if (g * TG + t >= s.ntaps) continue;
      DN_UNROLL
      for (int o = 0; o < OC; o++) dw[(g * TG + t) * OC + o] = lane_sum(acc[t][o]);
    }
  }
}

/** Sums kept in registers: about 24 of AVX-512's 32, 8 of AVX2's 16 (the loads and weights need the rest). */
constexpr int kSums = W == 16 ? 24 : W == 8 ? 8 : 1;
template <int OC>
constexpr int strips_per_pass() { return std::max(1, std::min(4, kSums / OC)); }
template <int OC>
constexpr int taps_per_group() { return std::max(1, kSums / OC); }

template <int OC>
void single_forward_oc(const SingleRows& s, const float* w, const float* bias, bool relu, float* y) {
  single_forward_t<OC, strips_per_pass<OC>()>(s, w, bias, relu, y);
}
template <int OC>
void single_filter_oc(const SingleRows& s, const float* dy, float* dw, float* db) {
  single_filter_t<OC, taps_per_group<OC>()>(s, dy, dw, db);
}

// ---- more than 8 filters: the filters along the vectors -------------------------------------------------

/** Sums a block may keep in registers, beside its weight vectors and one broadcast input. */
constexpr int kWideSums = W == 16 ? 24 : W == 8 ? 12 : 4;

/** Vector v of a group of NV filter columns at p: the last one `last` lanes (masked), the others whole. */
template <int NV>
inline VF load_cols(const float* p, int v, int last) {
  return v == NV - 1 && last < W ? VF::load_n(p + v * W, last) : VF::load(p + v * W);
}
template <int NV>
inline void store_cols(VF a, float* p, int v, int last) {
  if (v == NV - 1 && last < W) a.store_n(p + v * W, last);
  else a.store(p + v * W);
}

/**
 * f(integral_constant<NV>, j, last) for each group of filter columns [j, j + NV·W), up to 4 vectors a group
 * (the last vector `last` lanes), so that each group's sums stay in registers.
 */
template <class F>
inline void column_groups(long oc, F f) {
  for (long j = 0; j < oc; j += 4 * W) {
    const long vecs = std::min<long>(4, ceil_div(oc - j, W));
    const int last = static_cast<int>(oc - j - (vecs - 1) * W);
    switch (vecs) {
      case 1: f(std::integral_constant<int, 1>{}, j, last); break;
      case 2: f(std::integral_constant<int, 2>{}, j, last); break;
      case 3: f(std::integral_constant<int, 3>{}, j, last); break;
      default: f(std::integral_constant<int, 4>{}, j, last); break;
    }
  }
}

/**
 * P consecutive output pixels (the top-left input pixel of the first one's window at `in`) times filter columns
 * [j, j + NV·W), the last vector `last` lanes: each tap one broadcast of each pixel's input times NV weight
 * vectors. The sums run over the taps in order from zero, then the bias and ReLU, as the GEMM's epilogue
 * (the same bits as the GEMM path this replaces), into y (oc floats a pixel).
 */
template <int NV, int P>
inline void wide_block(const float* in, const long* tap, int ntaps, const float* w, long oc, long j, int last, const float* bias, bool relu,
                       float* y) {
  VF acc[P][NV];
  DN_UNROLL
  for (int p = 0; p < P; p++)
    DN_UNROLL
    for (int v = 0; v < NV; v++) acc[p][v] = VF::zero();
  for (int t = 0; t < ntaps; t++) {
    const float* wt = w + t * oc + j;
    VF wv[NV];
    DN_UNROLL
    for (int v = 0; v < NV; v++) wv[v] = load_cols<NV>(wt, v, last);
    const float* xt = in + tap[t];
    DN_UNROLL
    for (int p = 0; p < P; p++) {
      const VF xv = VF::set1(xt[p]);
      DN_UNROLL
      for (int v = 0; v < NV; v++) acc[p][v] = fma(xv, wv[v], acc[p][v]);
    }
  }
  DN_UNROLL
  for (int v = 0; v < NV; v++) {
    const VF bv = bias ? load_cols<NV>(bias + j, v, last) : VF::zero();
    DN_UNROLL
    for (int p = 0; p < P; p++) {
      VF a = bias ? acc[p][v] + bv : acc[p][v];
      if (relu) a = vmax(a, VF::zero());
      store_cols<NV>(a, y + p * oc + j, v, last);
    }
  }
}

/** Output rows [s.r0, s.r1) for filter columns [j, j + NV·W): P pixels of a row at a time, then one by one. */
template <int NV>
void wide_columns(const SingleRows& s, const float* w, long oc, long j, int last, const float* bias, bool relu, float* y) {
  constexpr int P = std::max(1, kWideSums / NV);
  for (long r = s.r0; r < s.r1; r++) {
    const long b = r / s.oh, oy = r % s.oh;
    const float* in = s.src + (b - s.b0) * s.img + oy * s.rowstride;
    float* out = y + (r - s.r0) * s.ow * oc;
    long ox = 0;
    for (; ox + P <= s.ow; ox += P) wide_block<NV, P>(in + ox, s.tap, s.ntaps, w, oc, j, last, bias, relu, out + ox * oc);
    for (; ox < s.ow; ox++) wide_block<NV, 1>(in + ox, s.tap, s.ntaps, w, oc, j, last, bias, relu, out + ox * oc);
  }
}

/** single_forward_t for any filter count: groups of up to 4 vectors of filters, each over every output pixel. */
void single_wide_forward(const SingleRows& s, const float* w, long oc, const float* bias, bool relu, float* y) {
  column_groups(oc, [&](auto nv, long j, int last) { wide_columns<decltype(nv)::value>(s, w, oc, j, last, bias, relu, y); });
}

/**
 * dw (ntaps x oc) for taps [t0, t0 + ng) and filter columns [j, j + NV·W), the last vector `last` lanes, plus
 * the products of output rows [s.r0, s.r1): each sum starts from dw's value and adds every pixel's in raster
 * order, one lane per filter (dz holds those rows, oc floats a pixel).
 */
template <int NV, int TG>
void wide_filter_group(const SingleRows& s, const float* dz, long oc, long j, int last, int t0, int ng, float* dw) {
  VF acc[TG][NV];
  DN_UNROLL
  for (int i = 0; i < TG; i++)
    DN_UNROLL
    for (int v = 0; v < NV; v++) acc[i][v] = i >= ng ? VF::zero() : load_cols<NV>(dw + (t0 + i) * oc + j, v, last);
  for (long r = s.r0; r < s.r1; r++) {
    const long b = r / s.oh, oy = r % s.oh;
    const float* in = s.src + (b - s.b0) * s.img + oy * s.rowstride;
    const float* d = dz + (r - s.r0) * s.ow * oc + j;
    for (long ox = 0; ox < s.ow; ox++, d += oc) {
      VF dv[NV];
      DN_UNROLL
      for (int v = 0; v < NV; v++) dv[v] = load_cols<NV>(d, v, last);
      DN_UNROLL
      for (int i = 0; i < TG; i++) {
        if (i >= ng) continue;
        const VF xv = VF::set1(in[ox + s.tap[t0 + i]]);
        DN_UNROLL
        for (int v = 0; v < NV; v++) acc[i][v] = fma(xv, dv[v], acc[i][v]);
      }
    }
  }
  DN_UNROLL
  for (int i = 0; i < TG; i++) {
    if (i >= ng) continue;
    DN_UNROLL
    for (int v = 0; v < NV; v++) store_cols<NV>(acc[i][v], dw + (t0 + i) * oc + j, v, last);
  }
}

/** db (oc) += Σ dz over output rows [s.r0, s.r1), in raster order. */
inline void wide_bias_rows(const SingleRows& s, const float* dz, long oc, float* db) {
  const long pixels = (s.r1 - s.r0) * s.ow;
  for (long j = 0; j < oc; j += W) {
    const int n = static_cast<int>(std::min<long>(W, oc - j));
    VF a = VF::load_n(db + j, n);
    for (long p = 0; p < pixels; p++) a = a + VF::load_n(dz + p * oc + j, n);
    a.store_n(db + j, n);
  }
}

/** For columns [j, j + NV·W): every group of taps. */
template <int NV>
void wide_filter_columns(const SingleRows& s, const float* dz, long oc, long j, int last, float* dw) {
  // Sums in registers beside NV gradient vectors and one broadcast input (AVX2, 4 vectors: 2 taps a group).
  constexpr int TG = std::max(1, (W == 16 ? 24 : W == 8 ? 10 : 4) / NV);
  for (int t0 = 0; t0 < s.ntaps; t0 += TG) wide_filter_group<NV, TG>(s, dz, oc, j, last, t0, std::min(TG, s.ntaps - t0), dw);
}

/**
 * The filter gradient with more than 8 filters, vectorized along them: dw (ntaps x oc) and db (oc) += the sums
 * over output rows [s.r0, s.r1) of dz (those rows). Each sum adds the pixels in raster order, so the result
 * depends only on the order of the rows, not on how they are split between calls (the pooled gradient
 * feeds two rows at a time what the plain one feeds at once).
 */
void single_wide_filter(const SingleRows& s, const float* dz, long oc, float* dw, float* db) {
  column_groups(oc, [&](auto nv, long j, int last) { wide_filter_columns<decltype(nv)::value>(s, dz, oc, j, last, dw); });
  if (db) wide_bias_rows(s, dz, oc, db);
}

const SingleChannelKernels kSingleChannel{
    {nullptr, single_forward_oc<1>, single_forward_oc<2>, single_forward_oc<3>, single_forward_oc<4>, single_forward_oc<5>,
     single_forward_oc<6>, single_forward_oc<7>, single_forward_oc<8>},
    {nullptr, single_filter_oc<1>, single_filter_oc<2>, single_filter_oc<3>, single_filter_oc<4>, single_filter_oc<5>,
     single_filter_oc<6>, single_filter_oc<7>, single_filter_oc<8>},
    single_wide_forward,
    single_wide_filter,
};
