// Convolution filter gradient on the packed GEMM's micro-kernels: dW = colᵀ · dy with colᵀ read in place,
// one row pointer per kernel tap and channel stepping along the output rows, and dy read in place.
// The sum over pixels runs in a fixed order: fixed chunks of pixels (a function of the shape alone) sum
// into their own partial buffers, which are then added in chunk order, so the result never depends on
// which thread ran which chunk, nor on the thread count: training is bit-reproducible. 3x3 stride-1 layers
// with enough channels take the Winograd kernels instead (winograd.cc says which), with the same guarantee.
#include <vector>

#include "conv.h"
#include "conv_single.h"
#include "gemm.h"
#include "winograd.h"

namespace dn {
namespace {

/** db (N) += column sums of dy rows [0, rows). */
DN_CLONES void add_column_sums(const float* __restrict dy, long rows, long N, float* __restrict db) {
  for (long r = 0; r < rows; r++)
    for (long j = 0; j < N; j++) db[j] += dy[r * N + j];
}

/**
 * Pixels per reduction chunk: a function of the shape only (never of the thread count or timing). At most
 * 8 chunks, each with its own partial dW: enough for two to four threads to share the work dynamically,
 * with little memory (8 x K x N floats).
 */
long reduction_chunk(long rows) { return std::max<long>(512, round_up(ceil_div(rows, 8), 64)); }

/**
 * The filter gradient of pixels [r0, r1) into partial dw (K x N) and db (N): dW = colᵀ · dy with colᵀ read
 * in place, one row pointer per kernel tap and channel, stepping from pixel to pixel along output rows
 * (zero-padded copies of the chunk's images where windows leave them), and dy read in place (through a
 * copy with whole panels when the filter count is not a multiple of the panel width). pdb may be null.
 */
void filter_chunk(const float* x, const float* dy, const Geo& g, long r0, long r1, float* pdw, float* pdb, int tid) {
  const UKernel& uk = ukernel();
  const int MR = uk.mr, NR = uk.nr;
  const long K = g.kh * g.kw * g.c, N = g.oc, ohw = g.oh * g.ow;
  const PaddedInput pi(g);
  const long b0 = r0 / ohw, b1 = ceil_div(r1, ohw);
  const long rowstride = (pi.copy ? pi.wp : g.w) * g.c, img = (pi.copy ? pi.hp : g.h) * rowstride;
  const float* src = x + b0 * g.h * g.w * g.c;
  if (pi.copy) {
    float* padded = scratch(tid, kCol).get((b1 - b0) * img);
    pad_images(x, g, pi, b0, b1, padded);
    src = padded;
  }
  // Output-row runs of the chunk's pixels.
  thread_local std::vector<long> off;
  thread_local std::vector<int> len;
  off.clear();
  len.clear();
  for (long R = r0; R < r1;) {
    const long b = R / ohw, oy = (R % ohw) / g.ow, ox = R % g.ow, n = std::min(r1 - R, g.ow - ox);
    off.push_back((b - b0) * img + oy * g.sh * rowstride + ox * g.sw * g.c);
    len.push_back(static_cast<int>(n));
    R += n;
  }
  const float* B = dy + r0 * N;
  long ldb = N;
  if (N % NR) {
    ldb = round_up(N, NR);
    float* copy = scratch(tid, kPackB).get((r1 - r0) * ldb);
    for (long r = 0; r < r1 - r0; r++) {
      copy_run(copy + r * ldb, B + r * N, N);
      for (long j = N; j < ldb; j++) copy[r * ldb + j] = 0.f;
    }
    B = copy;
  }
  const float* rows[16];
  KernelArgs k{static_cast<int>(r1 - r0), nullptr, 0, 0, nullptr, ldb, nullptr, N, 0, 0, false, nullptr, false, nullptr, 0, 0};
  k.rows = rows;
  k.run_off = off.data();
  k.run_len = len.data();
  k.nruns = static_cast<int>(off.size());
  k.run_step = g.sw * g.c;
  for (long j = 0; j < N; j += NR) {
    k.b = B + j;
    k.nr = static_cast<int>(std::min<long>(NR, N - j));
    for (long k0 = 0; k0 < K; k0 += MR) {
      k.mr = static_cast<int>(std::min<long>(MR, K - k0));
      for (int r = 0; r < MR; r++) {
        const long kk = k0 + std::min(r, k.mr - 1), ci = kk % g.c, tap = kk / g.c;
        rows[r] = src + (tap / g.kw) * rowstride + (tap % g.kw) * g.c + ci;
      }
      k.c = pdw + k0 * N + j;
      uk.fn(k);
    }
  }
  if (!pdb) return;
  for (long j = 0; j < N; j++) pdb[j] = 0.f;
  add_column_sums(dy + r0 * N, r1 - r0, N, pdb);
}

/** db = column sums of dy (rows x N), over the same fixed chunks, added in chunk order (the Winograd path). */
void bias_gradient(const float* dy, long rows, long N, float* db) {
  const long Rc = reduction_chunk(rows);
  const int S = static_cast<int>(ceil_div(rows, Rc));
  float* pdb = shared_scratch(kPartialBias).get(S * N);
  auto chunk = [&](int s, int) {
    const long r0 = s * Rc, r1 = std::min(rows, r0 + Rc);
    for (long j = 0; j < N; j++) pdb[s * N + j] = 0.f;
    add_column_sums(dy + r0 * N, r1 - r0, N, pdb + s * N);
  };
  if (rows * N < 65536) {
    for (int s = 0; s < S; s++) chunk(s, 0);
  } else {
    parallel_for(S, chunk);
  }
  sum_in_order(pdb, S, N, 0, N, db);
}

}  // namespace

bool conv2d_backward_filter_pooled(const float* x, const float* dy, const int32_t* argmax, float* dw, float* db, const Geo& g, const Geo& pg) {
  if (g.n * g.oh * g.ow > 0 && single_channel_applies(g) && single_channel_backward_filter_pooled(x, dy, argmax, dw, db, g, pg)) return true;
  // Elsewhere (and where an argmax is not its window's, which the scatter then reports): the two calls.
  float* dz = shared_scratch(kConvOut).get(g.n * g.oh * g.ow * g.oc);
  if (!maxpool_backward(dy, argmax, dz, pg)) return false;
  conv2d_backward_filter(x, dz, dw, db, g);
  return true;
}

void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db, const Geo& g) {
  const long rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c, N = g.oc;
  if (rows == 0) {
    std::memset(dw, 0, K * N * sizeof(float));
    if (db) std::memset(db, 0, N * sizeof(float));
    return;
  }
  if (single_channel_applies(g)) return single_channel_backward_filter(x, dy, dw, db, g);
  if (winograd_applies(g)) {
    winograd_backward_filter(x, dy, dw, g);
    if (db) bias_gradient(dy, rows, N, db);
    return;
  }
  const long Rc = reduction_chunk(rows);
  const int S = static_cast<int>(ceil_div(rows, Rc));
  float* pdw = shared_scratch(kPartial).get(S * K * N);
  float* pdb = shared_scratch(kPartialBias).get(S * N);
  auto chunk = [&](int s, int tid) {
    filter_chunk(x, dy, g, s * Rc, std::min(rows, (s + 1) * Rc), pdw + s * K * N, db ? pdb + s * N : nullptr, tid);
  };
  if (rows * K * N < 65536) {
    for (int s = 0; s < S; s++) chunk(s, 0);
  } else {
    parallel_for(S, chunk);
  }
  // dw = Σ_s partial_s, always in chunk order; split over element ranges, which do not interact.
  const long total = K * N;
  const long per = std::max<long>(4096, round_up(ceil_div(total, 2L * pool_threads()), 16));
  auto reduce = [&](int t, int) { sum_in_order(pdw, S, total, t * per, std::min(total, (t + 1) * per), dw); };
  const int rtasks = static_cast<int>(ceil_div(total, per));
  if (rtasks > 1 && S > 1) parallel_for(rtasks, reduce);
  else for (int t = 0; t < rtasks; t++) reduce(t, 0);
  if (db) sum_in_order(pdb, S, N, 0, N, db);
}

}  // namespace dn
