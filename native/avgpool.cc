// Average pooling (avgPool2dForward/Backward, TensorFlow's 'same': padding cells not counted) and global
// average pooling. Per-set bodies in avgpool_simd.h; here, the split over the pool. Every output (and, in
// the backward, every image of dx) is written by one task from its own inputs: no sum crosses tasks, so
// the bits do not depend on the thread count.
#include <cstring>
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

/** Windows that tile the input (no overlap, no padding): each input cell lies in at most one window. */
bool tiles(const Geo& g) {
  return g.kh == g.sh && g.kw == g.sw && g.pt == 0 && g.pl == 0 && g.oh * g.kh <= g.h && g.ow * g.kw <= g.w;
}

/**
 * avg_backward_image where the windows tile the input: each dx cell is its window's share dy/count (+0, as
 * the reference's scatter into zeros gives), or 0 outside every window. The share row is computed along
 * ow·c contiguous floats and copied c floats per cell, with no masked loads or stores per pixel (a few
 * channels, as LeNet-5's 6, fill a fraction of a vector, and masked stores are slow on some CPUs).
 */
DN_CLONES void avg_backward_image_tiled(const float* __restrict dy, float* __restrict dx, const Geo& g, long b) {
  const long c = g.c, rowc = g.ow * c, xrow = g.w * c;
  const float count = static_cast<float>(g.kh * g.kw);
  thread_local std::vector<float> buf;
  if (buf.size() < static_cast<size_t>(rowc)) buf.resize(static_cast<size_t>(rowc));
  float* share = buf.data();
  float* db = dx + b * g.h * xrow;
  for (long oy = 0; oy < g.oh; oy++) {
    const float* d = dy + (b * g.oh + oy) * rowc;
    for (long i = 0; i < rowc; i++) share[i] = d[i] / count + 0.f;
    for (long ky = 0; ky < g.kh; ky++) {
      float* row = db + (oy * g.kh + ky) * xrow;
      for (long ox = 0; ox < g.ow; ox++)
        for (long kx = 0; kx < g.kw; kx++) std::memcpy(row + (ox * g.kw + kx) * c, share + ox * c, static_cast<size_t>(c) * sizeof(float));
      if (g.w > g.ow * g.kw) std::memset(row + g.ow * g.kw * c, 0, static_cast<size_t>((g.w - g.ow * g.kw) * c) * sizeof(float));
    }
  }
  if (g.h > g.oh * g.kh) std::memset(db + g.oh * g.kh * xrow, 0, static_cast<size_t>((g.h - g.oh * g.kh) * xrow) * sizeof(float));
}
}  // namespace

void avgpool_forward(const float* x, float* y, const Geo& g) {
  const PoolKernels& k = DN_SIMD_TABLE(kAvgPool);
  const long row = std::max(1L, g.ow * g.c * g.kh * g.kw);  // floats read per output row
  parallel_ranges(g.n * g.oh, std::max(1L, kGrain / row), [&](long t0, long t1) { k.avg_forward_rows(x, y, g, t0, t1); });
}

void avgpool_backward(const float* dy, float* dx, const Geo& g) {
  const PoolKernels& k = DN_SIMD_TABLE(kAvgPool);
  const long img = std::max(1L, g.h * g.w * g.c);
  const bool tiled = tiles(g);
  parallel_ranges(g.n, std::max(1L, kGrain / img), [&](long b0, long b1) {
    for (long b = b0; b < b1; b++) tiled ? avg_backward_image_tiled(dy, dx, g, b) : k.avg_backward_image(dy, dx, g, b);
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
