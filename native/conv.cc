// Convolution, forward and both gradients, as im2col + packed GEMM done in chunks of output pixels that
// stay in L2: each task gathers its im2col rows into a per-thread buffer and multiplies them at once, so
// the full im2col matrix is never materialized. Bias and ReLU are fused into the GEMM epilogue.
#include <algorithm>
#include <cstring>

#include "common.h"
#include "gemm.h"
#include "kernels.h"
#include "threadpool.h"

namespace dn {
namespace {

/** im2col rows [r0, r1) of the (n·oh·ow, kh·kw·c) matrix into dst (row-major, K columns). */
DN_CLONES void im2col_rows(const float* x, const Geo& g, long r0, long r1, float* dst) {
  const long K = g.kh * g.kw * g.c, ohw = g.oh * g.ow, rowlen = g.kw * g.c;
  for (long r = r0; r < r1; r++) {
    const long b = r / ohw, rem = r % ohw, oy = rem / g.ow, ox = rem % g.ow;
    float* d = dst + (r - r0) * K;
    const float* xb = x + b * g.h * g.w * g.c;
    const long ix0 = ox * g.sw - g.pl;
    const bool xin = ix0 >= 0 && ix0 + g.kw <= g.w;
    for (long ky = 0; ky < g.kh; ky++, d += rowlen) {
      const long iy = oy * g.sh - g.pt + ky;
      if (iy < 0 || iy >= g.h) {
        std::memset(d, 0, rowlen * sizeof(float));
        continue;
      }
      const float* xr = xb + iy * g.w * g.c;
      if (xin) {
        std::memcpy(d, xr + ix0 * g.c, rowlen * sizeof(float));
      } else {
        for (long kx = 0; kx < g.kw; kx++) {
          const long ix = ix0 + kx;
          if (ix < 0 || ix >= g.w) std::memset(d + kx * g.c, 0, g.c * sizeof(float));
          else std::memcpy(d + kx * g.c, xr + ix * g.c, g.c * sizeof(float));
        }
      }
    }
  }
}

/** Adds one image's im2col-shaped gradient (oh·ow, K) into dx_img (h, w, c), which it zeroes first. */
DN_CLONES void col2im_image(const float* dcol, const Geo& g, float* dxi) {
  const long K = g.kh * g.kw * g.c;
  std::memset(dxi, 0, g.h * g.w * g.c * sizeof(float));
  for (long oy = 0; oy < g.oh; oy++) {
    for (long ox = 0; ox < g.ow; ox++) {
      const float* row = dcol + (oy * g.ow + ox) * K;
      const long ix0 = ox * g.sw - g.pl;
      for (long ky = 0; ky < g.kh; ky++) {
        const long iy = oy * g.sh - g.pt + ky;
        if (iy < 0 || iy >= g.h) continue;
        const float* s = row + ky * g.kw * g.c;
        float* d = dxi + iy * g.w * g.c;
        const long kx0 = std::max(0L, -ix0), kx1 = std::min(g.kw, g.w - ix0);
        if (kx1 <= kx0) continue;
        // Columns kx0..kx1 map to contiguous pixels ix0+kx0..: one contiguous run of (kx1-kx0)·c floats.
        float* dd = d + (ix0 + kx0) * g.c;
        const float* ss = s + kx0 * g.c;
        const long len = (kx1 - kx0) * g.c;
        for (long i = 0; i < len; i++) dd[i] += ss[i];
      }
    }
  }
}

/** First-layer convolution (one input channel): y row = bias + Σ_k x·w_k, vectorized over output channels. */
// wpad: the kernel with each (ky, kx) row padded to 64 output channels.
DN_CLONES void conv_c1_forward_rows(const float* x, const float* wpad, const float* b, float* y, const Geo& g, long r0,
                                    long r1, bool relu) {
  const long ohw = g.oh * g.ow, oc = g.oc;
  long bi = r0 / ohw, oy = (r0 % ohw) / g.ow, ox = r0 % g.ow;
  for (long r = r0; r < r1; r++, (++ox == g.ow ? (ox = 0, (++oy == g.oh ? (oy = 0, ++bi) : 0)) : 0)) {
    const float* xb = x + bi * g.h * g.w;
    float* __restrict yr = y + r * oc;
    alignas(64) float acc[64];
    for (long o = 0; o < 64; o++) acc[o] = o < oc ? b[o] : 0.f;
    for (long ky = 0; ky < g.kh; ky++) {
      const long iy = oy * g.sh - g.pt + ky;
      if (iy < 0 || iy >= g.h) continue;
      for (long kx = 0; kx < g.kw; kx++) {
        const long ix = ox * g.sw - g.pl + kx;
        if (ix < 0 || ix >= g.w) continue;
        const float xv = xb[iy * g.w + ix];
        const float* __restrict wk = wpad + (ky * g.kw + kx) * 64;
        for (long o = 0; o < 64; o++) acc[o] += xv * wk[o];
      }
    }
    if (relu)
      for (long o = 0; o < 64; o++) acc[o] = acc[o] > 0.f ? acc[o] : 0.f;
    for (long o = 0; o < oc; o++) yr[o] = acc[o];
  }
}

/** First-layer filter gradient: dw[k, o] += x·dy[o] and db[o] += dy[o] over pixels [r0, r1), into partials. */
DN_CLONES void conv_c1_filter_rows(const float* x, const float* dy, float* dw, float* db, const Geo& g, long r0, long r1) {
  const long ohw = g.oh * g.ow, oc = g.oc;
  long bi = r0 / ohw, oy = (r0 % ohw) / g.ow, ox = r0 % g.ow;
  for (long r = r0; r < r1; r++, (++ox == g.ow ? (ox = 0, (++oy == g.oh ? (oy = 0, ++bi) : 0)) : 0)) {
    const float* xb = x + bi * g.h * g.w;
    alignas(64) float d[64];
    for (long o = 0; o < 64; o++) d[o] = o < oc ? dy[r * oc + o] : 0.f;
    for (long o = 0; o < 64; o++) db[o] += d[o];
    for (long ky = 0; ky < g.kh; ky++) {
      const long iy = oy * g.sh - g.pt + ky;
      if (iy < 0 || iy >= g.h) continue;
      for (long kx = 0; kx < g.kw; kx++) {
        const long ix = ox * g.sw - g.pl + kx;
        if (ix < 0 || ix >= g.w) continue;
        const float xv = xb[iy * g.w + ix];
        float* __restrict dk = dw + (ky * g.kw + kx) * 64;
        for (long o = 0; o < 64; o++) dk[o] += xv * d[o];
      }
    }
  }
}

// The direct first-layer kernels win while the im2col row is short (k·k values) and the filter bank small.
bool use_c1_direct(const Geo& g) { return g.c == 1 && g.kh * g.kw <= 49 && g.oc >= 8 && g.oc <= 64; }

bool is_pointwise(const Geo& g) { return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0; }

/** Rows per im2col chunk: about `target_floats` of im2col data, a multiple of MR, ≥ 4 chunks per thread when possible. */
long chunk_rows(long rows, long K, long target_floats, int MR) {
  const int T = pool_threads();
  long P = round_up(std::max<long>(1, target_floats / std::max<long>(K, 1)), MR);
  P = std::min<long>(P, 4096);
  if (T > 1) P = std::min(P, round_up(ceil_div(rows, 4L * T), MR));
  return std::max<long>(P, MR);
}

}  // namespace

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Geo& g, bool relu) {
  const long rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c, N = g.oc;
  if (rows == 0 || N == 0) return;
  const UKernel& uk = ukernel();
  const int Npad = static_cast<int>(round_up(N, uk.nr));
  float* Wp = shared_scratch(kCol).get(packed_b_size(static_cast<int>(K), static_cast<int>(N)));
  pack_b(MatView{w, N, 1}, static_cast<int>(K), static_cast<int>(N), Wp);
  if (use_c1_direct(g)) {
    const long P = chunk_rows(rows, 64, 64 * 1024, 16);
    float* wpad = shared_scratch(kPackA).get(g.kh * g.kw * 64);
    for (long k = 0; k < g.kh * g.kw; k++)
      for (long o = 0; o < 64; o++) wpad[k * 64 + o] = o < N ? w[k * N + o] : 0.f;
    parallel_for(static_cast<int>(ceil_div(rows, P)), [&](int t, int) {
      conv_c1_forward_rows(x, wpad, b, y, g, t * P, std::min(rows, (t + 1) * P), relu);
    });
    return;
  }
  const bool pw = is_pointwise(g);
  const long P = chunk_rows(rows, K, 64 * 1024, uk.mr);
  const int tasks = static_cast<int>(ceil_div(rows, P));
  parallel_for(tasks, [&](int t, int tid) {
    const long r0 = t * P, r1 = std::min(rows, r0 + P);
    const float* a;
    if (pw) {
      a = x + r0 * K;
    } else {
      float* col = scratch(tid, kCol).get(P * K);
      im2col_rows(x, g, r0, r1, col);
      a = col;
    }
    gemm_serial(static_cast<int>(r1 - r0), 0, static_cast<int>(N), static_cast<int>(K), MatView{a, K, 1}, Wp, Npad,
                y + r0 * N, N, false, b, relu, tid);
  });
}

void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db, const Geo& g) {
  const long rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c, N = g.oc;
  const int T = pool_threads();
  const bool c1d = use_c1_direct(g);
  for (int t = 0; t < T; t++) {
    std::memset(scratch(t, kPartial).get(K * N), 0, K * N * sizeof(float));
    std::memset(scratch(t, kPartialBias).get(64 + N), 0, (64 + N) * sizeof(float));
    if (c1d) std::memset(scratch(t, kCol).get(K * 64), 0, K * 64 * sizeof(float));
  }
  const UKernel& uk = ukernel();
  const int Npad = static_cast<int>(round_up(N, uk.nr));
  const bool pw = is_pointwise(g);
  const bool c1 = use_c1_direct(g);
  const long P = chunk_rows(rows, c1 ? 64 : K, 128 * 1024, 16);
  const int tasks = rows == 0 ? 0 : static_cast<int>(ceil_div(rows, P));
  // Partial `part` sums the fixed run of chunks [part·tasks/T, (part+1)·tasks/T), whichever thread runs it,
  // and the partials are added in order below: the result does not depend on the scheduling (same T).
  auto chunk = [&](int t, int part, int tid) {
    if (c1) {
      conv_c1_filter_rows(x, dy, scratch(part, kCol).p, scratch(part, kPartialBias).p, g, t * P, std::min(rows, (t + 1) * P));
      return;
    }
    const long r0 = t * P, r1 = std::min(rows, r0 + P), pr = r1 - r0;
    const float* a;
    if (pw) {
      a = x + r0 * K;
    } else {
      float* col = scratch(tid, kCol).get(P * K);
      im2col_rows(x, g, r0, r1, col);
      a = col;
    }
    float* Bp = scratch(tid, kPackB).get(packed_b_size(static_cast<int>(P), static_cast<int>(N)));
    const float* dyc = dy + r0 * N;
    pack_b(MatView{dyc, N, 1}, static_cast<int>(pr), static_cast<int>(N), Bp);
    // dW (K x N) += colᵀ (K x pr) · dy (pr x N)
    gemm_serial(static_cast<int>(K), 0, static_cast<int>(N), static_cast<int>(pr), MatView{a, 1, K}, Bp, Npad,
                scratch(part, kPartial).p, N, true, nullptr, false, tid);
    float* dbt = scratch(part, kPartialBias).p;
    for (long r = 0; r < pr; r++)
      for (long j = 0; j < N; j++) dbt[j] += dyc[r * N + j];
  };
  parallel_for(T, [&](int part, int tid) {
    for (int t = static_cast<int>(long(part) * tasks / T); t < static_cast<int>(long(part + 1) * tasks / T); t++) chunk(t, part, tid);
  });
  if (c1d)
    for (int t = 0; t < T; t++) {
      float* part = scratch(t, kPartial).p;
      const float* padded = scratch(t, kCol).p;
      for (long k = 0; k < K; k++)
        for (long o = 0; o < N; o++) part[k * N + o] = padded[k * 64 + o];
    }
  const float* p0 = scratch(0, kPartial).p;
  const float* q0 = scratch(0, kPartialBias).p;
  std::memcpy(dw, p0, K * N * sizeof(float));
  std::memcpy(db, q0, N * sizeof(float));
  for (int t = 1; t < T; t++) {
    const float* p = scratch(t, kPartial).p;
    const float* q = scratch(t, kPartialBias).p;
    for (long i = 0; i < K * N; i++) dw[i] += p[i];
    for (long j = 0; j < N; j++) db[j] += q[j];
  }
}

void conv2d_backward_input(const float* dy, const float* w, float* dx, const Geo& g) {
  const long ohw = g.oh * g.ow, K = g.kh * g.kw * g.c, N = g.oc, img = g.h * g.w * g.c;
  if (g.n == 0) return;
  const UKernel& uk = ukernel();
  // dcol (ohw x K) = dy (ohw x oc) · wᵀ (oc x K); B(p=o, j=k) = w[k·oc + o].
  const int Npad = static_cast<int>(round_up(K, uk.nr));
  float* Wp = shared_scratch(kCol).get(packed_b_size(static_cast<int>(N), static_cast<int>(K)));
  pack_b(MatView{w, 1, N}, static_cast<int>(N), static_cast<int>(K), Wp);
  parallel_for(static_cast<int>(g.n), [&](int b, int tid) {
    float* dcol = scratch(tid, kCol).get(ohw * K);
    gemm_serial(static_cast<int>(ohw), 0, static_cast<int>(K), static_cast<int>(N), MatView{dy + b * ohw * N, N, 1}, Wp,
                Npad, dcol, K, false, nullptr, false, tid);
    col2im_image(dcol, g, dx + b * img);
  });
}

}  // namespace dn
