// Convolution, forward and both gradients, as im2col + packed GEMM done in chunks of output pixels that
// stay in L2: each task gathers its im2col rows into a per-thread buffer and multiplies them at once, so
// the full im2col matrix is never materialized. Bias and ReLU are fused into the GEMM epilogue.
// Every reduction runs in a fixed order: the filter gradient sums fixed chunks of pixels into their own
// partial buffers and adds the partials in chunk order, so a result never depends on which thread ran
// which chunk, nor on the thread count.
#include <algorithm>
#include <cstring>
#include <unistd.h>

#include "common.h"
#include "gemm.h"
#include "kernels.h"
#include "threadpool.h"

namespace dn {
namespace {

/** dst[0, len) = src[0, len); short runs (one input channel) stay scalar, long ones vectorize. */
DN_CLONES inline void copy_run(float* __restrict d, const float* __restrict s, long len) {
  for (long i = 0; i < len; i++) d[i] = s[i];
}

/** One im2col row whose window may cross the padding: zeros where it does. */
void im2col_row_padded(const float* xb, const Geo& g, long oy, long ox, float* d) {
  const long rowlen = g.kw * g.c, ix0 = ox * g.sw - g.pl;
  for (long ky = 0; ky < g.kh; ky++, d += rowlen) {
    const long iy = oy * g.sh - g.pt + ky;
    if (iy < 0 || iy >= g.h) {
      std::memset(d, 0, rowlen * sizeof(float));
      continue;
    }
    const float* xr = xb + iy * g.w * g.c;
    for (long kx = 0; kx < g.kw; kx++) {
      const long ix = ix0 + kx;
      if (ix < 0 || ix >= g.w) std::memset(d + kx * g.c, 0, g.c * sizeof(float));
      else copy_run(d + kx * g.c, xr + ix * g.c, g.c);
    }
  }
}

/**
 * im2col rows [r0, r1) of the (n·oh·ow, kh·kw·c) matrix into dst (row-major, K columns). Windows wholly
 * inside the image take the fast path: kh runs of kw·c floats, or, with one input channel, K single
 * floats at fixed offsets (a first convolution's rows are only 9 or 25 floats long).
 */
DN_CLONES void im2col_rows(const float* x, const Geo& g, long r0, long r1, float* dst) {
  const long K = g.kh * g.kw * g.c, ohw = g.oh * g.ow, rowlen = g.kw * g.c, img = g.h * g.w * g.c;
  long off[64];
  const bool taps = g.c == 1 && K <= 64;
  if (taps)
    for (long ky = 0; ky < g.kh; ky++)
      for (long kx = 0; kx < g.kw; kx++) off[ky * g.kw + kx] = ky * g.w + kx;
  long b = r0 / ohw, oy = (r0 % ohw) / g.ow, ox = r0 % g.ow;
  for (long r = r0; r < r1;) {
    // The run of this output row within [r, r1): same image, same window rows.
    const long n = std::min(r1 - r, g.ow - ox);
    const float* xb = x + b * img;
    const long iy0 = oy * g.sh - g.pt;
    const bool yin = iy0 >= 0 && iy0 + g.kh <= g.h;
    float* d = dst + (r - r0) * K;
    for (long i = 0; i < n; i++, d += K) {
      const long ix0 = (ox + i) * g.sw - g.pl;
      if (!yin || ix0 < 0 || ix0 + g.kw > g.w) {
        im2col_row_padded(xb, g, oy, ox + i, d);
      } else if (taps) {
        const float* s = xb + iy0 * g.w + ix0;
        for (long t = 0; t < K; t++) d[t] = s[off[t]];
      } else {
        const float* s = xb + (iy0 * g.w + ix0) * g.c;
        for (long ky = 0; ky < g.kh; ky++) copy_run(d + ky * rowlen, s + ky * g.w * g.c, rowlen);
      }
    }
    r += n;
    ox += n;
    if (ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) {
        oy = 0;
        ++b;
      }
    }
  }
}

/** db (N) += column sums of dy rows [0, rows). */
DN_CLONES void add_column_sums(const float* __restrict dy, long rows, long N, float* __restrict db) {
  for (long r = 0; r < rows; r++)
    for (long j = 0; j < N; j++) db[j] += dy[r * N + j];
}

/**
 * Adds rows [r0, r1) of one image's im2col-shaped gradient (dcol holds those rows, K columns each) into
 * the image's dx (h, w, c).
 */
DN_CLONES void col2im_rows(const float* dcol, const Geo& g, long r0, long r1, float* dxi) {
  const long K = g.kh * g.kw * g.c;
  for (long r = r0; r < r1; r++) {
    const long oy = r / g.ow, ox = r % g.ow;
    const float* row = dcol + (r - r0) * K;
    const long ix0 = ox * g.sw - g.pl;
    const long kx0 = std::max(0L, -ix0), kx1 = std::min(g.kw, g.w - ix0);
    if (kx1 <= kx0) continue;
    for (long ky = 0; ky < g.kh; ky++) {
      const long iy = oy * g.sh - g.pt + ky;
      if (iy < 0 || iy >= g.h) continue;
      // Columns kx0..kx1 map to contiguous pixels ix0+kx0..: one contiguous run of (kx1-kx0)·c floats.
      float* __restrict dd = dxi + (iy * g.w + ix0 + kx0) * g.c;
      const float* __restrict ss = row + (ky * g.kw + kx0) * g.c;
      const long len = (kx1 - kx0) * g.c;
      for (long i = 0; i < len; i++) dd[i] += ss[i];
    }
  }
}

bool is_pointwise(const Geo& g) { return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0; }

/** Rows per chunk: about `target_floats` of im2col data, a multiple of `mult`, and ≥ `per_thread` chunks per thread. */
long chunk_rows(long rows, long K, long target_floats, long mult, long per_thread) {
  const int T = pool_threads();
  long P = round_up(std::max<long>(1, target_floats / std::max<long>(K, 1)), mult);
  if (T > 1) P = std::min(P, round_up(ceil_div(rows, per_thread * T), mult));
  return std::max<long>(P, mult);
}

/** Floats of L2 a task's im2col chunk may take (a quarter of it: B, C and the next chunk need the rest). */
long chunk_floats() {
  static const long f = [] {
    long l2 = 0;
#ifdef _SC_LEVEL2_CACHE_SIZE
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    if (l2 < 128 * 1024 || l2 > 16 * 1024 * 1024) l2 = 512 * 1024;
    return l2 / 4 / static_cast<long>(sizeof(float));
  }();
  return f;
}

// ---- filter gradient: fixed reduction chunks -----------------------------------------------------------

/** Pixels per reduction chunk: a function of the shape only (never of the thread count or timing). */
long reduction_chunk(long rows) { return std::max<long>(512, round_up(ceil_div(rows, 32), 64)); }

/** Sums chunk `s`'s pixels [r0, r1) into its partial dw (K x N) and partial db (N). */
void filter_chunk(const float* x, const float* dy, const Geo& g, long r0, long r1, float* pdw, float* pdb, int tid) {
  const long K = g.kh * g.kw * g.c, N = g.oc;
  const UKernel& uk = ukernel();
  const bool pw = is_pointwise(g);
  const bool inPlaceB = N % uk.nr == 0;
  // A = colᵀ read in place (column-major: MR consecutive k of one pixel per step); rows past K read the
  // buffer's zeroed tail, so the edge panel needs no packing either.
  const long sub = 256;
  float* col = pw ? nullptr : scratch(tid, kCol).get(sub * K + uk.mr);
  if (col) std::memset(col + sub * K, 0, uk.mr * sizeof(float));
  for (long j = 0; j < N; j++) pdb[j] = 0.f;
  for (long rr = r0; rr < r1; rr += sub) {
    const long pr = std::min(sub, r1 - rr);
    const float* a = pw ? x + rr * K : col;
    if (!pw) {
      im2col_rows(x, g, rr, rr + pr, col);
      if (pr < sub) std::memset(col + pr * K, 0, uk.mr * sizeof(float));
    }
    const float* dyc = dy + rr * N;
    const bool acc = rr > r0;
    // dW (K x N) (+)= colᵀ (K x pr) · dy (pr x N)
    if (inPlaceB) {
      gemm_serial_unpacked_b(static_cast<int>(K), static_cast<int>(N), static_cast<int>(pr), MatView{a, 1, K}, dyc, N, pdw, N,
                             acc, tid, !pw);
    } else {
      float* Bp = scratch(tid, kPackB).get(packed_b_size(static_cast<int>(pr), static_cast<int>(N)));
      pack_b(MatView{dyc, N, 1}, static_cast<int>(pr), static_cast<int>(N), Bp);
      gemm_serial(static_cast<int>(K), 0, static_cast<int>(N), static_cast<int>(pr), MatView{a, 1, K}, Bp,
                  static_cast<int>(round_up(N, uk.nr)), pdw, N, acc, nullptr, false, tid);
    }
    add_column_sums(dyc, pr, N, pdb);
  }
}

}  // namespace

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Geo& g, bool relu) {
  const long rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c, N = g.oc;
  if (rows == 0 || N == 0) return;
  const UKernel& uk = ukernel();
  const int Npad = static_cast<int>(round_up(N, uk.nr));
  float* Wp = shared_scratch(kCol).get(packed_b_size(static_cast<int>(K), static_cast<int>(N)));
  pack_b(MatView{w, N, 1}, static_cast<int>(K), static_cast<int>(N), Wp);
  const bool pw = is_pointwise(g);
  const long P = chunk_rows(rows, K, chunk_floats(), uk.mr, 4);
  const int tasks = static_cast<int>(ceil_div(rows, P));
  auto task = [&](int t, int tid) {
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
  };
  if (rows * K * N < 65536) {
    for (int t = 0; t < tasks; t++) task(t, 0);
  } else {
    parallel_for(tasks, task);
  }
}

void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db, const Geo& g) {
  const long rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c, N = g.oc;
  if (rows == 0) {
    std::memset(dw, 0, K * N * sizeof(float));
    std::memset(db, 0, N * sizeof(float));
    return;
  }
  const long Rc = reduction_chunk(rows);
  const int S = static_cast<int>(ceil_div(rows, Rc));
  float* pdw = shared_scratch(kPartial).get(S * K * N);
  float* pdb = shared_scratch(kPartialBias).get(S * N);
  auto chunk = [&](int s, int tid) {
    filter_chunk(x, dy, g, s * Rc, std::min(rows, (s + 1) * Rc), pdw + s * K * N, pdb + s * N, tid);
  };
  if (rows * K * N < 65536) {
    for (int s = 0; s < S; s++) chunk(s, 0);
  } else {
    parallel_for(S, chunk);
  }
  // dw = Σ_s partial_s, always in chunk order; split over element ranges, which do not interact.
  const long total = K * N;
  const long per = std::max<long>(4096, round_up(ceil_div(total, 2L * pool_threads()), 16));
  auto reduce = [&](int t, int) {
    const long i0 = t * per, i1 = std::min(total, i0 + per);
    for (long i = i0; i < i1; i++) dw[i] = pdw[i];
    for (int s = 1; s < S; s++) {
      const float* p = pdw + s * total;
      for (long i = i0; i < i1; i++) dw[i] += p[i];
    }
  };
  const int rtasks = static_cast<int>(ceil_div(total, per));
  if (rtasks > 1 && S > 1) parallel_for(rtasks, reduce);
  else for (int t = 0; t < rtasks; t++) reduce(t, 0);
  for (long j = 0; j < N; j++) db[j] = pdb[j];
  for (int s = 1; s < S; s++)
    for (long j = 0; j < N; j++) db[j] += pdb[s * N + j];
}

void conv2d_backward_input(const float* dy, const float* w, float* dx, const Geo& g) {
  const long ohw = g.oh * g.ow, K = g.kh * g.kw * g.c, N = g.oc, img = g.h * g.w * g.c;
  if (g.n == 0) return;
  const UKernel& uk = ukernel();
  // dcol (rows x K) = dy (rows x oc) · wᵀ (oc x K); B(p=o, j=k) = w[k·oc + o].
  const int Npad = static_cast<int>(round_up(K, uk.nr));
  float* Wp = shared_scratch(kCol).get(packed_b_size(static_cast<int>(N), static_cast<int>(K)));
  pack_b(MatView{w, 1, N}, static_cast<int>(N), static_cast<int>(K), Wp);
  // A task owns whole images (col2im adds overlapping windows, so an image is never shared); within an
  // image, rows go through the GEMM in sub-chunks that keep dcol in L2.
  const long sub = std::min(ohw, chunk_rows(ohw, K, chunk_floats(), uk.mr, 1));
  const long perTask = std::max<long>(1, std::min(ceil_div(g.n, 3L * pool_threads()), std::max<long>(1, 4 * sub / ohw)));
  const int tasks = static_cast<int>(ceil_div(g.n, perTask));
  auto task = [&](int t, int tid) {
    float* dcol = scratch(tid, kCol).get(sub * K);
    for (long b = t * perTask; b < std::min(g.n, (t + 1) * perTask); b++) {
      float* dxi = dx + b * img;
      std::memset(dxi, 0, img * sizeof(float));
      for (long r0 = 0; r0 < ohw; r0 += sub) {
        const long r1 = std::min(ohw, r0 + sub);
        gemm_serial(static_cast<int>(r1 - r0), 0, static_cast<int>(K), static_cast<int>(N),
                    MatView{dy + (b * ohw + r0) * N, N, 1}, Wp, Npad, dcol, K, false, nullptr, false, tid);
        col2im_rows(dcol, g, r0, r1, dxi);
      }
    }
  };
  if (g.n * ohw * K * N < 65536) {
    for (int t = 0; t < tasks; t++) task(t, 0);
  } else {
    parallel_for(tasks, task);
  }
}

}  // namespace dn
