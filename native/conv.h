// Helpers shared by the convolution kernels (conv.cc: forward and input gradient; conv_filter.cc: filter
// gradient): the input as the windows see it (zero-padded where they leave the image), copy loops kept
// out of library calls, and chunk sizes from the caches.
#pragma once
#include <algorithm>
#include <cstring>
#include <unistd.h>

#include "common.h"
#include "kernels.h"
#include "pool.h"
#include "threadpool.h"

namespace dn {

// The copies here are runs of a few hundred bytes: a library memcpy call per run costs more than the copy,
// so the loops stay loops (vectorized by each clone's instruction set) instead of becoming calls.
#if defined(__GNUC__) && !defined(__clang__)
#define DN_NO_MEMCPY_CALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define DN_NO_MEMCPY_CALLS
#endif

/** dst[0, len) = src[0, len), inlined into each caller's clone. */
inline __attribute__((always_inline)) void copy_run(float* __restrict d, const float* __restrict s, long len) {
  for (long i = 0; i < len; i++) d[i] = s[i];
}

/** The input as the windows see it: zero-padded on every side the geometry pads (TensorFlow's 'same' may pad
 * one more pixel at the bottom/right), or x itself when no window leaves the image. */
struct PaddedInput {
  long hp, wp;  // padded height and width
  bool copy;    // whether windows need a zero-padded copy
  PaddedInput(const Geo& g)
      : hp(std::max(g.h + g.pt, (g.oh - 1) * g.sh + g.kh)), wp(std::max(g.w + g.pl, (g.ow - 1) * g.sw + g.kw)),
        copy(g.pt > 0 || g.pl > 0 || hp > g.h || wp > g.w) {}
  long image() const { return hp * wp; }
};

/** Copies images [b0, b1) of x into dst, each zero-padded to hp x wp (c channels). */
DN_NO_MEMCPY_CALLS inline void pad_images(const float* x, const Geo& g, const PaddedInput& pi, long b0, long b1, float* dst) {
  const long row = pi.wp * g.c, rowlen = g.w * g.c;
  for (long b = b0; b < b1; b++) {
    float* d = dst + (b - b0) * pi.image() * g.c;
    std::memset(d, 0, pi.image() * g.c * sizeof(float));
    const float* xb = x + b * g.h * g.w * g.c;
    for (long iy = 0; iy < g.h; iy++) copy_run(d + (iy + g.pt) * row + g.pl * g.c, xb + iy * rowlen, rowlen);
  }
}

/** Rows per chunk: about `target_floats` of window data (rows x K), a multiple of `mult`, ≥ `per_thread` chunks per thread. */
inline long chunk_rows(long rows, long K, long target_floats, long mult, long per_thread) {
  const int T = pool_threads();
  long P = round_up(std::max<long>(1, target_floats / std::max<long>(K, 1)), mult);
  if (T > 1) P = std::min(P, round_up(ceil_div(rows, per_thread * T), mult));
  return std::max<long>(P, mult);
}

/** Floats of L2 a task's chunk may take (a quarter of it: B, C and the next chunk need the rest). */
inline long chunk_floats() {
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

/**
 * A convolution pooled 2x2 (pg) as it goes: tasks of whole images, each convolved by
 * convolve(b0, b1, out, tid) into out (the task's scratch, a quarter of L2 at most, image b0 first) and pooled
 * from there into y and argmax; the convolution's output is never written out and read back. `work` (the
 * call's multiply-adds) decides whether the pool's threads are worth waking.
 */
template <class Convolve>
void pool_by_images(const Geo& g, const Geo& pg, float* y, int32_t* argmax, long work, Convolve convolve) {
  const long img = g.oh * g.ow * g.oc;
  const long per = std::max<long>(1, std::min(chunk_floats() / img, ceil_div(g.n, 4L * pool_threads())));
  const int tasks = static_cast<int>(ceil_div(g.n, per));
  auto task = [&](int t, int tid) {
    const long b0 = t * per, b1 = std::min(g.n, b0 + per);
    float* out = scratch(tid, kConvOut).get((b1 - b0) * img);
    convolve(b0, b1, out, tid);
    maxpool2x2_images(out, b0, b1, y, argmax, pg);
  };
  if (work < 65536) {
    for (int t = 0; t < tasks; t++) task(t, 0);
  } else {
    parallel_for(tasks, task);
  }
}

}  // namespace dn
