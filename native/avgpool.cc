// Average pooling (avgPool2dForward/Backward, TensorFlow's 'same': padding cells not counted) and global
// average pooling. Per-set bodies in avgpool_simd.h; here, the split over the pool. Every output (and, in
// the backward, every image of dx) is written by one task from its own inputs: no sum crosses tasks, so
// the bits do not depend on the thread count.
#include <vector>

#include "ops.h"
#include "simd.h"

namespace dn {

struct PoolKernels {
  void (*avg_forward_rows)(const float* x, float* y, const Geo& g, long t0, long t1);
  void (*avg_backward_image)(const float* dy, float* dx, const Geo& g, long b);
  void (*gap_forward)(const float* x, float* y, long hw, long c, long b0, long b1);
  void (*gap_backward)(const float* dy, float* dx, long hw, long c, long b0, long b1);
};

}  // namespace dn

#define DN_SIMD_FILE "avgpool_simd.h"
#include "simd_foreach.h"

namespace dn {
namespace {
constexpr long kGrain = 1 << 14;  // floats per task
}  // namespace

void avgpool_forward(const float* x, float* y, const Geo& g) {
  const PoolKernels& k = DN_SIMD_TABLE(kAvgPool);
  const long row = std::max(1L, g.ow * g.c * g.kh * g.kw);  // floats read per output row
  parallel_ranges(g.n * g.oh, std::max(1L, kGrain / row), [&](long t0, long t1) { k.avg_forward_rows(x, y, g, t0, t1); });
}

void avgpool_backward(const float* dy, float* dx, const Geo& g) {
  const PoolKernels& k = DN_SIMD_TABLE(kAvgPool);
  const long img = std::max(1L, g.h * g.w * g.c);
  parallel_ranges(g.n, std::max(1L, kGrain / img), [&](long b0, long b1) {
    for (long b = b0; b < b1; b++) k.avg_backward_image(dy, dx, g, b);
  });
}

void global_avgpool_forward(const float* x, float* y, long n, long hw, long c) {
  const PoolKernels& k = DN_SIMD_TABLE(kAvgPool);
  parallel_ranges(n, std::max(1L, kGrain / std::max(1L, hw * c)), [&](long b0, long b1) { k.gap_forward(x, y, hw, c, b0, b1); });
}

void global_avgpool_backward(const float* dy, float* dx, long n, long hw, long c) {
  const PoolKernels& k = DN_SIMD_TABLE(kAvgPool);
  parallel_ranges(n, std::max(1L, kGrain / std::max(1L, hw * c)), [&](long b0, long b1) { k.gap_backward(dy, dx, hw, c, b0, b1); });
}

}  // namespace dn
