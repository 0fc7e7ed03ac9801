// 2x2 max pooling with stride 2 and no padding, the shape CNNs pool with: one window at a time, so that a
// convolution can pool its own outputs while they are still in cache (conv.cc, winograd.cc) instead of
// writing them out for maxpool_forward to read back.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels.h"

namespace dn {

/** Whether g (a pooling geometry) is 2x2 windows, stride 2, no padding. */
inline bool pool2x2(const Geo& g) {
  return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.pt == 0 && g.pl == 0 && 2 * g.oh <= g.h && 2 * g.ow <= g.w;
}

/**
 * One window over c channels: its four cells x0..x3 in window order (row by row), at indices i0..i3 of the
 * pooled tensor. The first maximum wins, a NaN first value loses to any number, and y = x[argmax], as in the
 * reference. Inlined into each caller's instruction-set clone.
 */
inline __attribute__((always_inline)) void pool2x2_window(const float* x0, const float* x1, const float* x2, const float* x3,
                                                          int32_t i0, int32_t i1, int32_t i2, int32_t i3, long c, float* yo,
                                                          int32_t* ao) {
  for (long ch = 0; ch < c; ch++) {
    float best = x0[ch];
    int32_t at = i0 + static_cast<int32_t>(ch);
    if (!(best > -INFINITY)) best = -INFINITY;
    const float v1 = x1[ch], v2 = x2[ch], v3 = x3[ch];
    if (v1 > best) { best = v1; at = i1 + static_cast<int32_t>(ch); }
    if (v2 > best) { best = v2; at = i2 + static_cast<int32_t>(ch); }
    if (v3 > best) { best = v3; at = i3 + static_cast<int32_t>(ch); }
    ao[ch] = at;
    yo[ch] = at == i0 + static_cast<int32_t>(ch) ? x0[ch] : best;
  }
}

/**
 * Pools images [b0, b1) of a (n, h, w, c) tensor whose images b0 … b1 − 1 lie at x (x holds only those), into
 * their rows of y and argmax (indices into the whole tensor). pg: 2x2 windows, stride 2 (pool2x2).
 */
void maxpool2x2_images(const float* x, long b0, long b1, float* y, int32_t* argmax, const Geo& pg);

/**
 * The pooling's backward for window row oy of image b (pg: pool2x2), gathered into d: the gradient at input
 * rows 2·oy and 2·oy + 1 (pg.w·pg.c floats each, one after the other), dy where each window's argmax points,
 * else 0. False if some argmax is not a cell of its own window.
 */
bool pool2x2_backward_rows(const float* dy, const int32_t* argmax, const Geo& pg, long b, long oy, float* d);

}  // namespace dn
