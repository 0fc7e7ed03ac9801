// Convolutions of one-channel images with at most 8 filters, vectorized along the output pixels. The GEMM
// path puts the filters along its vectors, so 6 filters fill 6 of AVX-512's 16 lanes (and a 5x5 window's
// 25 taps make a short sum per micro-kernel call); here a vector holds W neighbouring output pixels, each
// tap one load of W input pixels, and every lane does useful work whatever the filter count. Per-set
// bodies in conv_single_simd.h; here, the split over the pool. The forward pass writes each pixel from its
// own window; the filter gradient sums fixed chunks of images (a function of the batch size alone) into
// their own partials, added in chunk order, so both results are the same on any thread count.
#include <atomic>
#include <vector>

#include "conv.h"
#include "conv_single.h"
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
  /** The filter gradient with more filters, vectorized along them: dw and db += rows [s.r0, s.r1)'s sums. */
  void (*wide_filter)(const SingleRows& s, const float* dz, long oc, float* dw, float* db);
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

bool single_channel_applies(const Geo& g) { return g.c == 1 && g.sh == 1 && g.sw == 1 && g.oc >= 1 && g.oh > 0 && g.ow > 0; }

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
  pool_by_images(g, pg, y, argmax, g.n * g.oh * g.ow * g.kh * g.kw * g.oc, [&](long b0, long b1, float* out, int tid) {
    forward_images(x, g, pi, tap, w, b, relu, b0, b1, tid, out);
  });
}

namespace {

/**
 * The filter gradient's frame: fixed chunks of images (a function of the batch size alone), each summed by
 * body(kernels, rows, partial dw, partial db, thread) into its own zeroed partials, then added in chunk order
 * into dw and db (db may be null), so the result is the same on any thread count.
 */
template <class Body>
void filter_chunks(const float* x, const Geo& g, float* dw, float* db, Body body) {
  const SingleChannelKernels& k = DN_SIMD_TABLE(kSingleChannel);
  const PaddedInput pi(g);
  const std::vector<long> tap = tap_offsets(g, pi.copy ? pi.wp : g.w);
  const long K = g.kh * g.kw, N = g.oc, per = images_per_chunk(g.n);
  const int S = static_cast<int>(ceil_div(g.n, per));
  float* pdw = shared_scratch(kPartial).get(S * K * N);
  float* pdb = shared_scratch(kPartialBias).get(S * N);
  auto chunk = [&](int s, int tid) {
    const long b0 = s * per, b1 = std::min(g.n, b0 + per);
    std::memset(pdw + s * K * N, 0, K * N * sizeof(float));
    std::memset(pdb + s * N, 0, N * sizeof(float));
    on_images(x, g, pi, tap, b0, b1, tid, [&](const SingleRows& rows) { body(k, rows, pdw + s * K * N, pdb + s * N, tid); });
  };
  if (g.n * g.oh * g.ow * K * N < 65536) {
    for (int s = 0; s < S; s++) chunk(s, 0);
  } else {
    parallel_for(S, chunk);
  }
  sum_in_order(pdw, S, K * N, 0, K * N, dw);
  if (db) sum_in_order(pdb, S, N, 0, N, db);
}

/** Rows per call of the wide filter kernel: about 16 KB of the gradient, re-read once per group of taps. */
long wide_block_rows(const Geo& g) { return std::max<long>(2, 4096 / (g.ow * g.oc)); }

}  // namespace

void single_channel_backward_filter(const float* x, const float* dy, float* dw, float* db, const Geo& g) {
  const long block = wide_block_rows(g);
  filter_chunks(x, g, dw, db, [&](const SingleChannelKernels& k, const SingleRows& rows, float* pdw, float* pdb, int) {
    if (g.oc <= kSingleMaxFilters) return k.filter[g.oc](rows, dy, pdw, pdb);
    for (long r = rows.r0; r < rows.r1; r += block) {
      SingleRows sub = rows;
      sub.r0 = r, sub.r1 = std::min(rows.r1, r + block);
      k.wide_filter(sub, dy + r * g.ow * g.oc, g.oc, pdw, pdb);
    }
  });
}

bool single_channel_backward_filter_pooled(const float* x, const float* dy, const int32_t* argmax, float* dw, float* db, const Geo& g,
                                           const Geo& pg) {
  if (g.oc <= kSingleMaxFilters || !pool2x2(pg)) return false;
  std::atomic<bool> ok{true};
  const long row = g.ow * g.oc;
  filter_chunks(x, g, dw, db, [&](const SingleChannelKernels& k, const SingleRows& rows, float* pdw, float* pdb, int tid) {
    // The gradient at the convolution's output, one window row (two output rows) at a time, gathered into
    // L1 and summed there: the plain gradient's rows in the plain gradient's order, so the same sums.
    float* dz = scratch(tid, kConvOut).get(2 * row);
    for (long b = rows.r0 / g.oh; b < rows.r1 / g.oh; b++) {
      SingleRows sub = rows;
      for (long py = 0; py < pg.oh; py++) {
        if (!pool2x2_backward_rows(dy, argmax, pg, b, py, dz)) ok.store(false, std::memory_order_relaxed);
        sub.r0 = b * g.oh + 2 * py, sub.r1 = sub.r0 + 2;
        k.wide_filter(sub, dz, g.oc, pdw, pdb);
      }
      if (g.oh > 2 * pg.oh) {  // an odd last row: no window takes it, its gradient is 0
        std::memset(dz, 0, row * sizeof(float));
        sub.r0 = b * g.oh + 2 * pg.oh, sub.r1 = (b + 1) * g.oh;
        k.wide_filter(sub, dz, g.oc, pdw, pdb);
      }
    }
  });
  return ok.load();
}

}  // namespace dn
