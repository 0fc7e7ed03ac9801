// Convolutions of one-channel images with few filters (conv_single.cc), used by conv.cc and conv_filter.cc
// where they apply: a network's first layer on grey digits, such as LeNet-5's 5x5 one with 6 filters.
#pragma once
#include "kernels.h"

namespace dn {

/** Whether the single-channel kernels take this geometry: one input channel, stride 1, at most 8 filters. */
bool single_channel_applies(const Geo& g);
/** Whether the single-channel forward takes it: one input channel, stride 1, any filter count (more than 8
 * vectorized along the filters). */
bool single_channel_forward_applies(const Geo& g);
/** y = act(conv(x, w) + b) for a geometry single_channel_forward_applies() accepts; w is (kh, kw, 1, oc); b may be null. */
void single_channel_forward(const float* x, const float* w, const float* b, float* y, const Geo& g, bool relu);
/** single_channel_forward pooled 2x2 (pg: pool2x2) into y and argmax, a task's images pooled from its scratch. */
void single_channel_forward_pooled(const float* x, const float* w, const float* b, float* y, int32_t* argmax, const Geo& g, const Geo& pg,
                                   bool relu);
/** dw (kh, kw, 1, oc) and db (oc) for a geometry single_channel_applies() accepts; bit-reproducible on any thread count. */
void single_channel_backward_filter(const float* x, const float* dy, float* dw, float* db, const Geo& g);

}  // namespace dn
