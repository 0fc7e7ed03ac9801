// Max pooling over NHWC windows, channel-innermost so that the compare/select vectorizes.
// Semantics follow the reference: first maximum wins, padding never wins, y = x[argmax].
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "common.h"
#include "kernels.h"
#include "pool.h"
#include "threadpool.h"

namespace dn {
namespace {

DN_CLONES void pool_row(const float* x, float* y, int32_t* am, const Geo& g, long b, long oy) {
  const long c = g.c;
  const long xb = b * g.h * g.w * c;
  const long y0 = std::max(oy * g.sh - g.pt, 0L), y1 = std::min(oy * g.sh - g.pt + g.kh, g.h);
  for (long ox = 0; ox < g.ow; ox++) {
    const long x0 = std::max(ox * g.sw - g.pl, 0L), x1 = std::min(ox * g.sw - g.pl + g.kw, g.w);
    float* yo = y + ((b * g.oh + oy) * g.ow + ox) * c;
    int32_t* ao = am + ((b * g.oh + oy) * g.ow + ox) * c;
    const int32_t first = static_cast<int32_t>(xb + (y0 * g.w + x0) * c);
    for (long ch = 0; ch < c; ch++) {
      yo[ch] = -INFINITY;
      ao[ch] = first + static_cast<int32_t>(ch);
    }
    for (long iy = y0; iy < y1; iy++) {
      for (long ix = x0; ix < x1; ix++) {
        const int32_t base = static_cast<int32_t>(xb + (iy * g.w + ix) * c);
        const float* xi = x + base;
        for (long ch = 0; ch < c; ch++) {
          const float v = xi[ch];
          const bool gt = v > yo[ch];
          yo[ch] = gt ? v : yo[ch];
          ao[ch] = gt ? base + static_cast<int32_t>(ch) : ao[ch];
        }
      }
    }
    // y = x[argmax]; differs from the running best only when no value beat -inf (NaN / -inf first cell).
    for (long ch = 0; ch < c; ch++)
      if (!(yo[ch] > -INFINITY)) yo[ch] = x[ao[ch]];
  }
}

/** 2x2 windows, stride 2, no padding: row oy of image b, whose cells lie at x − xoff (x holds images from xoff on). */
DN_CLONES void pool2x2_row(const float* x, long xoff, float* y, int32_t* am, const Geo& g, long b, long oy) {
  const long c = g.c, xb = b * g.h * g.w * c;
  for (long ox = 0; ox < g.ow; ox++) {
    const int32_t i0 = static_cast<int32_t>(xb + ((2 * oy) * g.w + 2 * ox) * c), i1 = i0 + static_cast<int32_t>(c);
    const int32_t i2 = i0 + static_cast<int32_t>(g.w * c), i3 = i2 + static_cast<int32_t>(c);
    const float* x0 = x + (i0 - xoff);
    const long o = ((b * g.oh + oy) * g.ow + ox) * c;
    pool2x2_window(x0, x0 + c, x0 + g.w * c, x0 + (g.w + 1) * c, i0, i1, i2, i3, c, y + o, am + o);
  }
}

}  // namespace

/**
 * The backward of pool2x2_row for window row oy of image b, gathered into d (conv rows 2·oy and 2·oy + 1,
 * w·c floats each, one after the other): every cell of a window written once, dy where the window's argmax
 * points at it, else 0 (+0 added, so a −0 gradient lands as +0, as the reference's scatter gives), with no
 * zeroing pass and no read-modify-write; cells no window covers (an odd last column) are zeroed. Returns
 * false if some argmax is not a cell of its own window (not this forward's output).
 */
DN_CLONES bool pool2x2_backward_rows(const float* __restrict dy, const int32_t* __restrict am, const Geo& g, long b, long oy,
                                     float* __restrict d) {
  const long c = g.c, xb = b * g.h * g.w * c, row0 = xb + 2 * oy * g.w * c;
  int32_t miss = 0;
  for (long ox = 0; ox < g.ow; ox++) {
    const int32_t i0 = static_cast<int32_t>(row0 + 2 * ox * c), i1 = i0 + static_cast<int32_t>(c);
    const int32_t i2 = i0 + static_cast<int32_t>(g.w * c), i3 = i2 + static_cast<int32_t>(c);
    const long o = ((b * g.oh + oy) * g.ow + ox) * c;
    const int32_t* a = am + o;
    const float* s = dy + o;
    float *d0 = d + (i0 - row0), *d1 = d + (i1 - row0), *d2 = d + (i2 - row0), *d3 = d + (i3 - row0);
    // One pass along the channels writing all four cells, with no branch and no cross-lane sum, so that it
    // vectorizes: the four rows never overlap (c apart at least).
#pragma GCC ivdep
    for (long ch = 0; ch < c; ch++) {
      const int32_t k = a[ch] - static_cast<int32_t>(ch);
      const float v = s[ch] + 0.f;
      d0[ch] = k == i0 ? v : 0.f;
      d1[ch] = k == i1 ? v : 0.f;
      d2[ch] = k == i2 ? v : 0.f;
      d3[ch] = k == i3 ? v : 0.f;
      miss |= (k != i0) & (k != i1) & (k != i2) & (k != i3);
    }
  }
  if (g.w > 2 * g.ow) {
    std::memset(d + 2 * g.ow * c, 0, (g.w - 2 * g.ow) * c * sizeof(float));
    std::memset(d + (g.w + 2 * g.ow) * c, 0, (g.w - 2 * g.ow) * c * sizeof(float));
  }
  return !miss;
}

namespace {

/** pool2x2_backward_rows for every window row of image b, into its dx; an odd last row zeroed. */
bool pool2x2_backward_image(const float* dy, const int32_t* am, float* dx, const Geo& g, long b) {
  const long xb = b * g.h * g.w * g.c;
  bool ok = true;
  for (long oy = 0; oy < g.oh; oy++) ok = pool2x2_backward_rows(dy, am, g, b, oy, dx + xb + 2 * oy * g.w * g.c) && ok;
  if (g.h > 2 * g.oh) std::memset(dx + xb + 2 * g.oh * g.w * g.c, 0, (g.h - 2 * g.oh) * g.w * g.c * sizeof(float));
  return ok;
}

}  // namespace

void maxpool2x2_images(const float* x, long b0, long b1, float* y, int32_t* argmax, const Geo& pg) {
  for (long b = b0; b < b1; b++)
    for (long oy = 0; oy < pg.oh; oy++) pool2x2_row(x, b0 * pg.h * pg.w * pg.c, y, argmax, pg, b, oy);
}

void maxpool_forward(const float* x, float* y, int32_t* argmax, const Geo& g) {
  const long rows = g.n * g.oh;
  const long per = std::max<long>(1, 4096 / std::max<long>(1, g.ow * g.c));  // rows per task
  const int tasks = static_cast<int>(ceil_div(rows, per));
  auto f = [&](int t, int) {
    const bool fast = pool2x2(g);
    for (long r = t * per; r < std::min(rows, (t + 1) * per); r++) {
      if (fast) pool2x2_row(x, 0, y, argmax, g, r / g.oh, r % g.oh);
      else pool_row(x, y, argmax, g, r / g.oh, r % g.oh);
    }
  };
  if (rows * g.ow * g.c < 16384) for (int t = 0; t < tasks; t++) f(t, 0);
  else parallel_for(tasks, f);
}

bool maxpool_backward(const float* dy, const int32_t* argmax, float* dx, const Geo& g) {
  const long img = g.h * g.w * g.c, oimg = g.oh * g.ow * g.c, total = g.n * img;
  std::atomic<int> bad{0}, foreign{0};
  if (pool2x2(g)) {
    // Gathered per window; an argmax outside its window (not this forward's) falls back to the scatter below.
    std::atomic<int> miss{0};
    auto fast = [&](int b, int) {
      if (!pool2x2_backward_image(dy, argmax, dx, g, b)) miss.store(1, std::memory_order_relaxed);
    };
    if (g.n * oimg < 16384) for (long b = 0; b < g.n; b++) fast(static_cast<int>(b), 0);
    else parallel_for(static_cast<int>(g.n), fast);
    if (!miss.load()) return true;
  }
  auto f = [&](int b, int) {
    float* d = dx + b * img;
    std::memset(d, 0, img * sizeof(float));
    const long lo = b * img, hi = lo + img;
    const int32_t* a = argmax + b * oimg;
    const float* s = dy + b * oimg;
    for (long i = 0; i < oimg; i++) {
      const long at = a[i];
      if (at >= lo && at < hi) dx[at] += s[i];
      else if (at < 0 || at >= total) bad.store(1, std::memory_order_relaxed);
      else foreign.store(1, std::memory_order_relaxed);
    }
  };
  if (g.n * oimg < 16384) for (long b = 0; b < g.n; b++) f(static_cast<int>(b), 0);
  else parallel_for(static_cast<int>(g.n), f);
  if (bad.load()) return false;
  if (foreign.load()) {
    // argmax pointing into another image (not produced by our forward): redo serially, in order.
    std::memset(dx, 0, total * sizeof(float));
    const long outs = g.n * oimg;
    for (long i = 0; i < outs; i++) dx[argmax[i]] += dy[i];
  }
  return true;
}

}  // namespace dn
