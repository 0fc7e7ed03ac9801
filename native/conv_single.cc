// Convolutions of one-channel images with at most 8 filters, vectorized along the output pixels. The GEMM
// path puts the filters along its vectors, so 6 filters fill 6 of AVX-512's 16 lanes (and a 5x5 window's
// 25 taps make a short sum per micro-kernel call); here a vector holds W neighbouring output pixels, each
// tap one load of W input pixels, and every lane does useful work whatever the filter count. Per-set
// bodies in conv_single_simd.h; here, the split over the pool. The forward pass writes each pixel from its
// own window; the filter gradient sums fixed chunks of images (a function of the batch size alone) into
// their own partials, added in chunk order, so both results are the same on any thread count.
#include <vector>

#include "conv.h"
#include "conv_single.h"
#include "pool.h"
#include "simd.h"

namespace dn {

constexpr int kSingleMaxFilters = 8;

/** Output rows [r0, r1) of one task (row r = image b, output row oy: r = b·oh + oy), read from src: image b
 * at src + (b − b0)·img, its rows rowstride floats apart, zero-padded where the windows need it. */
struct SingleRows {
  const float* src;
  long b0, img, rowstride, oh, ow, r0, r1;
  const long* tap;  // each kernel tap's offset from the window's top-left pixel, (ky, kx) order
  int ntaps;
};

struct SingleChannelKernels {
  void (*forward[kSingleMaxFilters + 1])(const SingleRows& s, const float* w, const float* bias, bool relu, float* y);
  void (*filter[kSingleMaxFilters + 1])(const SingleRows& s, const float* dy, float* dw, float* db);
  /** The forward with more filters (any count), vectorized along them. */
  void (*wide)(const SingleRows& s, const float* w, long oc, const float* bias, bool relu, float* y);
};

}  // namespace dn

#define DN_SIMD_FILE "conv_single_simd.h"
#include "simd_foreach.h"

namespace dn {
namespace {

/** The tap offsets of g's window, in rows `rowstride` floats apart. */
std::vector<long> tap_offsets(const Geo& g, long rowstride) {
  std::vector<long> tap(static_cast<size_t>(g.kh * g.kw));
  for (long ky = 0; ky < g.kh; ky++)
    for (long kx = 0; kx < g.kw; kx++) tap[ky * g.kw + kx] = ky * rowstride + kx;
  return tap;
}

/**
 * Runs f(rows) on images [b0, b1): rows describes their output rows, read from x itself or from a
 * zero-padded copy in the scratch of task thread tid.
 */
template <typename F>
void on_images(const float* x, const Geo& g, const PaddedInput& pi, const std::vector<long>& tap, long b0, long b1, int tid, F&& f) {
  const long rowstride = pi.copy ? pi.wp : g.w, img = (pi.copy ? pi.hp : g.h) * rowstride;
  const float* src = x + b0 * g.h * g.w;
  if (pi.copy) {
    float* padded = scratch(tid, kCol).get((b1 - b0) * img);
    pad_images(x, g, pi, b0, b1, padded);
    src = padded;
  }
  const SingleRows rows{src, b0, img, rowstride, g.oh, g.ow, b0 * g.oh, b1 * g.oh, tap.data(), static_cast<int>(tap.size())};
  f(rows);
}

/** Images [b0, b1)'s outputs into y (image b0's first): the kernel for g.oc filters, or the wide one. */
void forward_images(const float* x, const Geo& g, const PaddedInput& pi, const std::vector<long>& tap, const float* w, const float* b,
                    bool relu, long b0, long b1, int tid, float* y) {
  const SingleChannelKernels& k = DN_SIMD_TABLE(kSingleChannel);
  on_images(x, g, pi, tap, b0, b1, tid, [&](const SingleRows& rows) {
    if (g.oc <= kSingleMaxFilters) k.forward[g.oc](rows, w, b, relu, y);
    else k.wide(rows, w, g.oc, b, relu, y);
  });
}

/** Images per chunk of the filter gradient: at most 8 chunks, a function of the batch size only. */
long images_per_chunk(long n) { return ceil_div(n, std::min<long>(n, 8)); }

}  // namespace

bool single_channel_applies(const Geo& g) {
  return g.c == 1 && g.sh == 1 && g.sw == 1 && g.oc >= 1 && g.oc <= kSingleMaxFilters && g.oh > 0 && g.ow > 0;
}

bool single_channel_forward_applies(const Geo& g) { return g.c == 1 && g.sh == 1 && g.sw == 1 && g.oc >= 1 && g.oh > 0 && g.ow > 0; }

void single_channel_forward(const float* x, const float* w, const float* b, float* y, const Geo& g, bool relu) {
  const PaddedInput pi(g);
  const std::vector<long> tap = tap_offsets(g, pi.copy ? pi.wp : g.w);
  // Images per task: about 4 tasks per thread, each no more than a few thousand output pixels.
  const long per = std::max<long>(1, std::min(ceil_div(g.n, 4L * pool_threads()), ceil_div(4096, g.oh * g.ow)));
  const int tasks = static_cast<int>(ceil_div(g.n, per));
  auto task = [&](int t, int tid) {
    const long b0 = t * per, b1 = std::min(g.n, b0 + per);
    forward_images(x, g, pi, tap, w, b, relu, b0, b1, tid, y + b0 * g.oh * g.ow * g.oc);
  };
  if (g.n * g.oh * g.ow * g.kh * g.kw * g.oc < 65536) {
    for (int t = 0; t < tasks; t++) task(t, 0);
  } else {
    parallel_for(tasks, task);
  }
}

void single_channel_forward_pooled(const float* x, const float* w, const float* b, float* y, int32_t* argmax, const Geo& g, const Geo& pg,
                                   bool relu) {
  const PaddedInput pi(g);
  const std::vector<long> tap = tap_offsets(g, pi.copy ? pi.wp : g.w);
  // Images per task: their outputs in a quarter of L2 at most (pooled from there), at least 4 tasks a thread.
  const long img = g.oh * g.ow * g.oc;
  const long per = std::max<long>(1, std::min(chunk_floats() / img, ceil_div(g.n, 4L * pool_threads())));
  const int tasks = static_cast<int>(ceil_div(g.n, per));
  auto task = [&](int t, int tid) {
    const long b0 = t * per, b1 = std::min(g.n, b0 + per);
    float* out = scratch(tid, kConvOut).get((b1 - b0) * img);
    forward_images(x, g, pi, tap, w, b, relu, b0, b1, tid, out);
    maxpool2x2_images(out, b0, b1, y, argmax, pg);
  };
  if (g.n * g.oh * g.ow * g.kh * g.kw * g.oc < 65536) {
    for (int t = 0; t < tasks; t++) task(t, 0);
  } else {
    parallel_for(tasks, task);
  }
}

void single_channel_backward_filter(const float* x, const float* dy, float* dw, float* db, const Geo& g) {
  const SingleChannelKernels& k = DN_SIMD_TABLE(kSingleChannel);
  const PaddedInput pi(g);
  const std::vector<long> tap = tap_offsets(g, pi.copy ? pi.wp : g.w);
  const long K = g.kh * g.kw, N = g.oc, per = images_per_chunk(g.n);
  const int S = static_cast<int>(ceil_div(g.n, per));
  float* pdw = shared_scratch(kPartial).get(S * K * N);
  float* pdb = shared_scratch(kPartialBias).get(S * N);
  auto chunk = [&](int s, int tid) {
    const long b0 = s * per, b1 = std::min(g.n, b0 + per);
    on_images(x, g, pi, tap, b0, b1, tid, [&](const SingleRows& rows) { k.filter[g.oc](rows, dy, pdw + s * K * N, pdb + s * N); });
  };
  if (g.n * g.oh * g.ow * K * N < 65536) {
    for (int s = 0; s < S; s++) chunk(s, 0);
  } else {
    parallel_for(S, chunk);
  }
  sum_in_order(pdw, S, K * N, 0, K * N, dw);
  if (db) sum_in_order(pdb, S, N, 0, N, db);
}

}  // namespace dn
