// Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (winograd.cc), used by conv.cc where it applies.
#pragma once
#include "kernels.h"

namespace dn {

/** On by default; off sends every convolution to the direct kernels (tests, benchmarks). */
void set_winograd(bool on);
bool winograd_enabled();
/** Whether conv2d_forward takes the Winograd path for this geometry (3x3, stride 1, ≥ 24 channels in and out). */
bool winograd_applies(const Geo& g);
/** y = act(conv(x, w) + b) for a geometry winograd_applies() accepts; w is (3, 3, c, oc); b may be null. */
void winograd_forward(const float* x, const float* w, const float* b, float* y, const Geo& g, bool relu);
/** dw (3, 3, c, oc) of x and dy for a geometry winograd_applies() accepts (the bias gradient stays with the caller). */
void winograd_backward_filter(const float* x, const float* dy, float* dw, const Geo& g);

}  // namespace dn
