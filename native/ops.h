// Entry points of the graph-model kernels (activations, batch normalization, average pooling, element-wise
// ops, RMSprop/AdamW), behind the binding (binding_ops.cc), and the two ways they use the thread pool.
// Shapes are checked by the binding before these run.
#pragma once
#include <algorithm>
#include <cstdint>

#include "common.h"
#include "kernels.h"
#include "threadpool.h"

namespace dn {

/** Element-wise activations, in the order the binding parses them. */
enum class Act : int { kLinear, kRelu, kTanh, kSigmoid, kElu, kSelu, kLeakyRelu };

/** SELU's constants, as src/engine/backend.ts (TensorFlow's). */
constexpr double kSeluAlpha = 1.6732632423543772;
constexpr double kSeluScale = 1.0507009873554805;

void activation_forward(Act act, const float* x, float* y, long n, double alpha);
void activation_backward(Act act, const float* y, const float* dy, float* dx, long n, double alpha);

void batchnorm_stats(const float* x, float* mean, float* var, long rows, long c);
/** relu: a ReLU after the normalization, in the same pass. */
void batchnorm_forward(const float* x, const float* mean, const float* var, const float* gamma, const float* beta, double eps,
                       float* y, long rows, long c, bool relu);
/**
 * dx, dgamma, dbeta may each be null; dx may be dy. relu_beta: the forward fused a ReLU
 * (with this beta); dy is the gradient at its output, taken as 0 where the forward's normalized value was ≤ 0.
 */
void batchnorm_backward(const float* x, const float* mean, const float* var, const float* gamma, double eps, const float* dy,
                        float* dx, float* dgamma, float* dbeta, long rows, long c, bool batch_stats, const float* relu_beta);

void avgpool_forward(const float* x, float* y, const Geo& g);
void avgpool_backward(const float* dy, float* dx, const Geo& g);
void global_avgpool_forward(const float* x, float* y, long n, long hw, long c);
void global_avgpool_backward(const float* dy, float* dx, long n, long hw, long c);

/** relu: max(a + b, 0), a ReLU after the add in the same pass. */
void add(const float* a, const float* b, float* y, long n, bool relu);
void axpy(double alpha, const float* x, float* y, long n);
void copy_columns(const float* src, long src_cols, long src_off, float* dst, long dst_cols, long dst_off, long rows, long cols);
void softmax_backward(const float* y, const float* dy, float* dx, long rows, long cols);
void rmsprop_step(float* p, const float* g, float* ms, float* mom, long n, double lr, double rho, double momentum, double eps);

/**
 * Runs f(begin, end) over [0, n) split into ranges of at least `grain` items, across the pool. The split
 * depends on the pool size: only for kernels whose ranges do not add into a shared result.
 */
template <class F>
void parallel_ranges(long n, long grain, F&& f) {
  const int threads = pool_threads();
  if (n < 2 * grain || threads == 1) {
    if (n > 0) f(0L, n);
    return;
  }
  const long per = std::max(grain, round_up(ceil_div(n, 4L * threads), 16));
  parallel_for(static_cast<int>(ceil_div(n, per)), [&](int t, int) { f(t * per, std::min(n, (t + 1) * per)); });
}

/**
 * Runs f(k, begin, end) for the fixed chunks k of `chunk` items each (the last one shorter) that cover [0, n),
 * across the pool when the work is at least `parallel_from` items. Chunks do not depend on the pool size,
 * so per-chunk partial results, combined in chunk order, give the same bits for any thread count.
 */
template <class F>
void fixed_chunks(long n, long chunk, long parallel_from, F&& f) {
  const long count = ceil_div(n, chunk);
  auto run = [&](int k, int) { f(static_cast<long>(k), k * chunk, std::min(n, (k + 1) * chunk)); };
  if (n < parallel_from || pool_threads() == 1)
    for (long k = 0; k < count; k++) run(static_cast<int>(k), 0);
  else
    parallel_for(static_cast<int>(count), run);
}

}  // namespace dn
