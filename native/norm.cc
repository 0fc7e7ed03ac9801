// Batch normalization over the last axis (batchNormStats/Forward/Backward): x is (rows, c). The per-set
// bodies are in norm_simd.h; here, the split over the pool and the fixed reduction order: rows are cut
// into chunks that depend on c alone, each chunk's partial sums (float64) are kept apart, and they are
// combined in chunk order on the calling thread, so the result is the same for any thread count.
#include <cmath>
#include <limits>
#include <vector>

#include "ops.h"
#include "simd.h"

namespace dn {

// gate: a fused ReLU's scale (c floats) then shift (c floats), or null where no ReLU followed the normalization.
struct NormKernels {
  void (*chunk_moments)(const float* x, long c, long r0, long r1, double* sum, double* m2);
  void (*affine_rows)(const float* x, const float* scale, const float* shift, float* y, long c, long r0, long r1, bool relu);
  void (*gate_rows)(const float* x, const float* dy, const float* gate, float* out, long c, long r0, long r1);
  void (*chunk_grad_sums)(const float* x, const float* dy, const float* mean, const float* gate, long c, long r0, long r1, double* sdy, double* sdyxc);
  void (*dx_rows)(const float* x, const float* dy, const float* mean, const float* gate, double rows, const double* neg_sdy, const double* neg_q,
                  const double* scale, float* dx, long c, long r0, long r1);
};

}  // namespace dn

#define DN_SIMD_FILE "norm_simd.h"
#include "simd_foreach.h"

namespace dn {
namespace {

/**
 * Rows per reduction chunk: about 16 KB of x, at least 16 rows (the partials, 2·c doubles per chunk, stay
 * under a quarter of x). Depends on c only, never on the thread count.
 */
long chunk_rows(long c) { return std::max(16L, 4096 / std::max(1L, c)); }
/** The gradient sums read x and dy: chunks of half as many rows, so that both stay in L1 (32 KB). */
long grad_chunk_rows(long c) { return std::max(16L, 2048 / std::max(1L, c)); }
constexpr long kParallelFrom = 1 << 15;  // floats: below this, one thread
constexpr long kGrain = 1 << 14;         // floats per task of the element-wise passes

/** Grow-only scratch of the calling (JS) thread; workers only write the chunks they are given. */
template <class T, int Slot>
T* scratch_of(size_t n) {
  thread_local std::vector<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}
double* partials(size_t n) { return scratch_of<double, 0>(n); }
double* channel_doubles(size_t n) { return scratch_of<double, 1>(n); }
float* channel_floats(size_t n) { return scratch_of<float, 0>(n); }
float* gate_floats(size_t n) { return scratch_of<float, 1>(n); }

/**
 * The forward's y = x·scale + shift per channel (scale, then shift, into out: 2c floats), rounded to float32
 * as the reference rounds them. The backward of a fused ReLU recomputes them here, so its mask is the forward's.
 */
void scale_shift(const float* mean, const float* var, const float* gamma, const float* beta, double eps, long c, float* out) {
  for (long j = 0; j < c; j++) {
    out[j] = static_cast<float>(gamma[j] / std::sqrt(static_cast<double>(var[j]) + eps));
    out[c + j] = static_cast<float>(beta[j] - static_cast<double>(mean[j]) * out[j]);
  }
}

/** Runs per_chunk(r0, r1, out0, out1) over the fixed chunks: two c-vectors of float64 partials per chunk. */
template <class F>
double* chunk_partials(long rows, long c, long R, F per_chunk) {
  double* part = partials(static_cast<size_t>(2 * ceil_div(rows, R) * c));
  fixed_chunks(rows, R, kParallelFrom / c, [&](long i, long r0, long r1) { per_chunk(r0, r1, part + 2 * i * c, part + (2 * i + 1) * c); });
  return part;
}

}  // namespace

void batchnorm_stats(const float* x, float* mean, float* var, long rows, long c) {
  if (rows == 0) {  // 0/0, as the reference
    std::fill(mean, mean + c, std::numeric_limits<float>::quiet_NaN());
    std::fill(var, var + c, std::numeric_limits<float>::quiet_NaN());
    return;
  }
  if (c == 0) return;
  const NormKernels& k = DN_SIMD_TABLE(kNorm);
  const double* part = chunk_partials(rows, c, chunk_rows(c), [&](long r0, long r1, double* sum, double* q) { k.chunk_moments(x, c, r0, r1, sum, q); });
  // Each chunk k holds n_k rows, their sum S_k and M2_k = Σ(x − S_k/n_k)². Over all rows, in chunk order:
  // mean = ΣS_k / rows and M2 = Σ M2_k + (S_k − n_k·mean)² / n_k (Chan, Golub and LeVeque's pairwise formula).
  const long R = chunk_rows(c), chunks = ceil_div(rows, R);
  double* m = channel_doubles(static_cast<size_t>(2 * c));
  double* q = m + c;
  std::fill(m, m + 2 * c, 0.0);
  for (long i = 0; i < chunks; i++)
    for (long j = 0; j < c; j++) m[j] += part[2 * i * c + j];
  for (long j = 0; j < c; j++) m[j] /= static_cast<double>(rows);
  for (long i = 0; i < chunks; i++) {
    const double n = static_cast<double>(std::min(R, rows - i * R)), inv = 1.0 / n;
    for (long j = 0; j < c; j++) {
      const double d = part[2 * i * c + j] - n * m[j];
      q[j] += part[(2 * i + 1) * c + j] + d * d * inv;
    }
  }
  for (long j = 0; j < c; j++) {
    mean[j] = static_cast<float>(m[j]);
    var[j] = static_cast<float>(std::max(0.0, q[j]) / static_cast<double>(rows));  // ≥ 0 despite rounding
  }
}

void batchnorm_forward(const float* x, const float* mean, const float* var, const float* gamma, const float* beta, double eps,
                       float* y, long rows, long c, bool relu) {
  if (rows == 0 || c == 0) return;
  float* ss = channel_floats(static_cast<size_t>(2 * c));
  scale_shift(mean, var, gamma, beta, eps, c, ss);
  const NormKernels& k = DN_SIMD_TABLE(kNorm);
  parallel_ranges(rows, std::max(1L, kGrain / c), [&](long r0, long r1) { k.affine_rows(x, ss, ss + c, y, c, r0, r1, relu); });
}

void batchnorm_backward(const float* x, const float* mean, const float* var, const float* gamma, double eps, const float* dy,
                        float* dx, float* dgamma, float* dbeta, long rows, long c, bool batch_stats, const float* relu_beta) {
  if (c == 0) return;
  const NormKernels& k = DN_SIMD_TABLE(kNorm);
  float* gate = nullptr;
  if (relu_beta) scale_shift(mean, var, gamma, relu_beta, eps, c, gate = gate_floats(static_cast<size_t>(2 * c)));
  // Per channel: invstd, Σdy and Σdy·(x − mean) (float64), then the coefficients of dx.
  double* inv = channel_doubles(static_cast<size_t>(6 * c));
  double* sdy = inv + c;
  double* sdyxc = sdy + c;
  std::fill(sdy, sdy + 2 * c, 0.0);
  for (long j = 0; j < c; j++) inv[j] = 1.0 / std::sqrt(static_cast<double>(var[j]) + eps);
  if (dgamma || dbeta || (dx && batch_stats)) {
    const double* acc = chunk_partials(rows, c, grad_chunk_rows(c), [&](long r0, long r1, double* s, double* p) { k.chunk_grad_sums(x, dy, mean, gate, c, r0, r1, s, p); });
    const long chunks = ceil_div(rows, grad_chunk_rows(c));
    for (long i = 0; i < chunks; i++)
      for (long j = 0; j < c; j++) {
        sdy[j] += acc[2 * i * c + j];
        sdyxc[j] += acc[(2 * i + 1) * c + j];
      }
    if (dgamma)
      for (long j = 0; j < c; j++) dgamma[j] = static_cast<float>(sdyxc[j] * inv[j]);
    if (dbeta)
      for (long j = 0; j < c; j++) dbeta[j] = static_cast<float>(sdy[j]);
  }
  if (!dx || rows == 0) return;
  const long grain = std::max(1L, kGrain / c);
  if (!batch_stats) {
    // The mean and variance are constants: dx = gamma·invstd·dy, and x is not read.
    float* a = channel_floats(static_cast<size_t>(2 * c));
    float* zero = a + c;
    for (long j = 0; j < c; j++) {
      a[j] = static_cast<float>(gamma[j] * inv[j]);
      zero[j] = 0.f;
    }
    // Gated: dy masked into dx first, then scaled there (the same values the ReLU's own backward would pass).
    parallel_ranges(rows, grain, [&](long r0, long r1) {
      if (gate) k.gate_rows(x, dy, gate, dx, c, r0, r1);
      k.affine_rows(gate ? dx : dy, a, zero, dx, c, r0, r1, false);
    });
    return;
  }
  // dx = gamma·invstd/rows · (rows·dy − Σdy − x̂·Σdy·x̂), with x̂·Σdy·x̂ = (x − mean)·invstd²·Σdy·(x − mean).
  double *neg_sdy = sdyxc + c, *neg_q = neg_sdy + c, *scale = neg_q + c;
  const double n = static_cast<double>(rows);
  for (long j = 0; j < c; j++) {
    neg_sdy[j] = -sdy[j];
    neg_q[j] = -inv[j] * inv[j] * sdyxc[j];
    scale[j] = gamma[j] * inv[j] / n;
  }
  parallel_ranges(rows, grain, [&](long r0, long r1) { k.dx_rows(x, dy, mean, gate, n, neg_sdy, neg_q, scale, dx, c, r0, r1); });
}

}  // namespace dn
