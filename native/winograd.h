// Winograd F(2x2, 3x3) and F(4x4, 3x3) for 3x3 stride-1 convolutions (winograd.cc), used by conv.cc and
// conv_filter.cc where it applies.
#pragma once
#include "kernels.h"

namespace dn {

/** 1 (default): the tile size chosen per layer; 0: off (every convolution on the direct kernels); 2 or 4:
 * that tile size on every layer it applies to (tests, benchmarks). False for any other value. */
bool set_winograd(int mode);
int winograd_mode();
/**
 * Whether the convolution kernels take the Winograd path for this geometry (3x3, stride 1, ≥ 16 or 24
 * channels in and out). keep: the filters are a layer's weights, whose prepared form winograd_forward may
 * keep between calls (then small batches take it too).
 */
bool winograd_applies(const Geo& g, bool relu = false, bool keep = false);
/** Multiplications per channel pair for the whole batch, with the tile size this geometry would take. */
long winograd_products(const Geo& g, bool relu = false);
/**
 * y = act(conv(x, w) + b) for a geometry winograd_applies() accepts; w is (3, 3, c, oc); b may be null.
 * keep: w is a layer's weights (not a buffer rewritten for each call), so on few tiles its transformed
 * form is kept for the next call and reused while w holds the same values.
 */
void winograd_forward(const float* x, const float* w, const float* b, float* y, const Geo& g, bool relu, bool keep);
/** winograd_forward pooled 2x2 (pg: pool2x2) into y and argmax as it goes, the convolution's output never written; w kept as by keep. */
void winograd_forward_pooled(const float* x, const float* w, const float* b, float* y, int32_t* argmax, const Geo& g, const Geo& pg,
                             bool relu);
/** Frees the filters winograd_forward keeps between calls (they are prepared again on the next call). */
void release_kept_filters();
/** dw (3, 3, c, oc) of x and dy for a geometry winograd_applies() accepts (the bias gradient stays with the caller). */
void winograd_backward_filter(const float* x, const float* dy, float* dw, const Geo& g);

}  // namespace dn
