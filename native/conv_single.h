// Convolutions of one-channel images with few filters (conv_single.cc), used by conv.cc and conv_filter.cc
// where they apply: a network's first layer on grey digits, such as LeNet-5's 5x5 one with 6 filters.
#pragma once
#include "kernels.h"

namespace dn {

/** Whether the single-channel kernels take this geometry: one input channel, stride 1. At most 8 filters run
 * vectorized along the output pixels, more along the filters. */
bool single_channel_applies(const Geo& g);
/** y = act(conv(x, w) + b) for a geometry single_channel_applies() accepts; w is (kh, kw, 1, oc); b may be null. */
void single_channel_forward(const float* x, const float* w, const float* b, float* y, const Geo& g, bool relu);
/** single_channel_forward pooled 2x2 (pg: pool2x2) into y and argmax, a task's images pooled from its scratch. */
void single_channel_forward_pooled(const float* x, const float* w, const float* b, float* y, int32_t* argmax, const Geo& g, const Geo& pg,
                                   bool relu);
/** dw (kh, kw, 1, oc) and db (oc) for a geometry single_channel_applies() accepts; bit-reproducible on any thread count. */
void single_channel_backward_filter(const float* x, const float* dy, float* dw, float* db, const Geo& g);
/**
 * single_channel_backward_filter of the gradient that the 2x2 pooling pg routes from dy through argmax,
 * gathered a window row at a time and never written out: the same bits. False where it does not apply (at
 * most 8 filters, other windows: dw untouched) or where some argmax is not a cell of its window.
 */
bool single_channel_backward_filter_pooled(const float* x, const float* dy, const int32_t* argmax, float* dw, float* db, const Geo& g,
                                           const Geo& pg);

}  // namespace dn
