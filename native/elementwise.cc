// Dense layers (GEMM calls), element-wise kernels, softmax cross-entropy and its backward, and the optimizer
// updates. Streaming loops: auto-vectorized clones for the CPU (DN_CLONES), memory-bound, split over the pool.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common.h"
#include "gemm.h"
#include "kernels.h"
#include "ops.h"
#include "random.h"
#include "threadpool.h"

namespace dn {
namespace {

constexpr long kChunk = 1 << 15;  // elements per task for streaming kernels

template <class F>
void chunked(long n, F&& f) {
  if (n < 2 * kChunk || pool_threads() == 1) {
    f(0L, n);
    return;
  }
  const long per = round_up(ceil_div(n, 2L * pool_threads()), 16);
  parallel_for(static_cast<int>(ceil_div(n, per)), [&](int t, int) { f(t * per, std::min(n, (t + 1) * per)); });
}

DN_CLONES void relu_fwd_range(const float* x, float* y, long a, long b) {
  for (long i = a; i < b; i++) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
DN_CLONES void relu_bwd_range(const float* y, const float* dy, float* dx, long a, long b) {
  for (long i = a; i < b; i++) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}
DN_CLONES void mul_range(const float* x, const float* z, float* y, long a, long b) {
  for (long i = a; i < b; i++) y[i] = x[i] * z[i];
}
DN_CLONES void colsum_range(const float* dy, float* db, long rows, long cols, long j0, long j1) {
  for (long j = j0; j < j1; j++) db[j] = 0.f;
  for (long r = 0; r < rows; r++) {
    const float* d = dy + r * cols;
    for (long j = j0; j < j1; j++) db[j] += d[j];
  }
}
DN_CLONES void add_range(const float* x, const float* z, float* y, long a, long b) {
  for (long i = a; i < b; i++) y[i] = x[i] + z[i];
}
// The ReLU as relu's own kernel: NaN and −0 give +0.
DN_CLONES void add_relu_range(const float* x, const float* z, float* y, long a, long b) {
  for (long i = a; i < b; i++) {
    const float s = x[i] + z[i];
    y[i] = s > 0.f ? s : 0.f;
  }
}
// In float64, as the reference: alpha is a double (a learning rate, a penalty) and y + alpha·x rounds once.
DN_CLONES void axpy_range(double alpha, const float* x, float* y, long a, long b) {
  for (long i = a; i < b; i++) y[i] = static_cast<float>(y[i] + alpha * x[i]);
}
// AdamW's decoupled decay first, rounded to float32 as the reference stores it, then Adam.
DN_CLONES void adam_range(float* p, const float* g, float* m, float* v, long a, long b, double lr, double b1, double b2,
                          double eps, double c1, double c2, double decay) {
  for (long i = a; i < b; i++) {
    if (decay != 0) p[i] = static_cast<float>(p[i] - decay * p[i]);
    const double gi = g[i];
    const double mi = b1 * m[i] + (1 - b1) * gi;
    const double vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    p[i] = static_cast<float>(p[i] - (lr * (mi / c1)) / (std::sqrt(vi / c2) + eps));
  }
}
DN_CLONES void sgd_range(float* p, const float* g, float* vel, long a, long b, double lr, double mom, bool nesterov) {
  if (mom == 0) {
    for (long i = a; i < b; i++) p[i] = static_cast<float>(p[i] - lr * g[i]);
    return;
  }
  for (long i = a; i < b; i++) {
    const double vi = mom * vel[i] - lr * g[i];
    vel[i] = static_cast<float>(vi);
    p[i] = static_cast<float>(p[i] + (nesterov ? mom * vi - lr * g[i] : vi));
  }
}

DN_CLONES void rmsprop_range(float* p, const float* g, float* ms, float* mom, long a, long b, double lr, double rho,
                             double momentum, double eps) {
  for (long i = a; i < b; i++) {
    const double gi = g[i];
    const double msi = rho * ms[i] + (1 - rho) * gi * gi;
    ms[i] = static_cast<float>(msi);
    const double step = lr * gi / std::sqrt(msi + eps);
    if (momentum > 0) {
      const double mi = momentum * mom[i] + step;
      mom[i] = static_cast<float>(mi);
      p[i] = static_cast<float>(p[i] - mi);
    } else {
      p[i] = static_cast<float>(p[i] - step);
    }
  }
}

}  // namespace

void dense_forward(const float* x, const float* w, const float* b, float* y, long n, long in, long out, bool relu) {
  sgemm(static_cast<int>(n), static_cast<int>(out), static_cast<int>(in), MatView{x, in, 1}, MatView{w, out, 1}, y, out,
        b, relu);
}

void column_sums(const float* dy, float* db, long rows, long cols) { colsum_range(dy, db, rows, cols, 0, cols); }

void dense_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, long n, long in, long out) {
  // dw (in x out) = xᵀ · dy
  sgemm(static_cast<int>(in), static_cast<int>(out), static_cast<int>(n), MatView{x, 1, in}, MatView{dy, out, 1}, dw, out,
        nullptr, false);
  if (db) column_sums(dy, db, n, out);
  // dx (n x in) = dy · wᵀ
  if (dx)
    sgemm(static_cast<int>(n), static_cast<int>(in), static_cast<int>(out), MatView{dy, out, 1}, MatView{w, 1, out}, dx,
          in, nullptr, false);
}

void relu_forward(const float* x, float* y, long n) {
  chunked(n, [&](long a, long b) { relu_fwd_range(x, y, a, b); });
}
void relu_backward(const float* y, const float* dy, float* dx, long n) {
  chunked(n, [&](long a, long b) { relu_bwd_range(y, dy, dx, a, b); });
}
void dropout_mask(uint32_t* state, float* mask, long n, double rate, float scale) {
  // One generator, one draw per element in order: sequential by definition (the same mask on every backend).
  Rng r(state[0], state[1], state[2], state[3]);
  // A draw u32/2³² is below rate exactly when the integer u32 < ceil(rate·2³²). No branch: at rate 0.25 a
  // branch mispredicts on a quarter of the draws (the mask took 4.5 ms a vgg step, now about 1).
  const uint64_t cut = static_cast<uint64_t>(std::ceil(rate * 4294967296.0));
  // The value by its bits, masked: a float conversion per element put a false dependency into the loop.
  uint32_t bits;
  std::memcpy(&bits, &scale, 4);
  for (long i = 0; i < n; i++) {
    const uint32_t v = bits & (0u - static_cast<uint32_t>(static_cast<uint64_t>(r.u32()) >= cut));
    std::memcpy(mask + i, &v, 4);
  }
  state[0] = r.s0, state[1] = r.s1, state[2] = r.s2, state[3] = r.s3;
}

void mul(const float* a, const float* b, float* y, long n) {
  chunked(n, [&](long s, long e) { mul_range(a, b, y, s, e); });
}

void softmax(const float* x, float* y, long rows, long cols) {
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double mx = -INFINITY;
    for (long j = 0; j < cols; j++) mx = std::max(mx, static_cast<double>(xr[j]));
    double sum = 0;
    for (long j = 0; j < cols; j++) {
      const double e = std::exp(static_cast<double>(xr[j]) - mx);
      yr[j] = static_cast<float>(e);
      sum += e;
    }
    for (long j = 0; j < cols; j++) yr[j] = static_cast<float>(yr[j] / sum);
  }
}

double softmax_xent(const float* logits, const float* targets, float* probs, float* dlogits, long rows, long cols) {
  double loss = 0;
  for (long r = 0; r < rows; r++) {
    const float* lr = logits + r * cols;
    const float* tr = targets + r * cols;
    float* pr = probs + r * cols;
    double mx = -INFINITY;
    for (long j = 0; j < cols; j++) mx = std::max(mx, static_cast<double>(lr[j]));
    double sum = 0;
    for (long j = 0; j < cols; j++) sum += std::exp(static_cast<double>(lr[j]) - mx);
    const double lse = mx + std::log(sum);
    for (long j = 0; j < cols; j++) {
      const double logp = lr[j] - lse;
      pr[j] = static_cast<float>(std::exp(logp));
      if (tr[j] != 0) loss -= tr[j] * logp;
    }
    if (dlogits)
      for (long j = 0; j < cols; j++)
        dlogits[r * cols + j] = static_cast<float>((static_cast<double>(pr[j]) - tr[j]) / rows);
  }
  return loss;
}

void adam_step(float* p, const float* g, float* m, float* v, long n, double lr, double b1, double b2, double eps, double step,
               double weight_decay) {
  const double c1 = 1 - std::pow(b1, step), c2 = 1 - std::pow(b2, step);
  const double decay = weight_decay > 0 ? lr * weight_decay : 0;  // the reference ignores a negative decay
  chunked(n, [&](long a, long b) { adam_range(p, g, m, v, a, b, lr, b1, b2, eps, c1, c2, decay); });
}

void rmsprop_step(float* p, const float* g, float* ms, float* mom, long n, double lr, double rho, double momentum, double eps) {
  chunked(n, [&](long a, long b) { rmsprop_range(p, g, ms, mom, a, b, lr, rho, momentum, eps); });
}

void add(const float* a, const float* b, float* y, long n, bool relu) {
  chunked(n, [&](long s, long e) { relu ? add_relu_range(a, b, y, s, e) : add_range(a, b, y, s, e); });
}

void axpy(double alpha, const float* x, float* y, long n) {
  chunked(n, [&](long s, long e) { axpy_range(alpha, x, y, s, e); });
}

void copy_columns(const float* src, long src_cols, long src_off, float* dst, long dst_cols, long dst_off, long rows, long cols) {
  if (cols == 0 || rows == 0) return;
  const size_t bytes = static_cast<size_t>(cols) * sizeof(float);
  auto copy = [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) std::memmove(dst + r * dst_cols + dst_off, src + r * src_cols + src_off, bytes);
  };
  // Rows of one buffer copied onto another part of itself: in row order, as the reference.
  const float *slo = src, *shi = src + (rows - 1) * src_cols + src_off + cols;
  const float *dlo = dst, *dhi = dst + (rows - 1) * dst_cols + dst_off + cols;
  if (slo < dhi && dlo < shi) copy(0, rows);
  else parallel_ranges(rows, std::max(1L, kChunk / cols), copy);
}

// dx = y ⊙ (dy − Σ dy·y) per row, the dot in float64; dx may be dy (each row's dot is taken before it is written).
void softmax_backward(const float* y, const float* dy, float* dx, long rows, long cols) {
  parallel_ranges(rows, std::max(1L, kChunk / std::max(1L, cols)), [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const float* yr = y + r * cols;
      const float* dr = dy + r * cols;
      double dot = 0;
      for (long j = 0; j < cols; j++) dot += static_cast<double>(dr[j]) * yr[j];
      float* xr = dx + r * cols;
      for (long j = 0; j < cols; j++) xr[j] = static_cast<float>(yr[j] * (dr[j] - dot));
    }
  });
}

void sgd_step(float* p, const float* g, float* vel, long n, double lr, double momentum, bool nesterov) {
  chunked(n, [&](long a, long b) { sgd_range(p, g, vel, a, b, lr, momentum, nesterov); });
}

}  // namespace dn
