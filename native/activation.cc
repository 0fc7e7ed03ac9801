// Element-wise activations (activationForward/Backward): the per-set bodies in activation_simd.h, split
// over the thread pool here. No reductions, so any split gives the same bits.
#include "ops.h"
#include "simd.h"

namespace dn {

struct ActKernels {
  void (*forward)(Act act, const float* x, float* y, long n, double alpha);
  void (*backward)(Act act, const float* y, const float* dy, float* dx, long n, double alpha);
};

}  // namespace dn

#define DN_SIMD_FILE "activation_simd.h"
#include "simd_foreach.h"

namespace dn {
namespace {
constexpr long kGrain = 1 << 14;  // floats per task: a few microseconds of exp/tanh
}  // namespace

void activation_forward(Act act, const float* x, float* y, long n, double alpha) {
  const ActKernels& k = DN_SIMD_TABLE(kActivation);
  parallel_ranges(n, kGrain, [&](long a, long b) { k.forward(act, x + a, y + a, b - a, alpha); });
}

void activation_backward(Act act, const float* y, const float* dy, float* dx, long n, double alpha) {
  const ActKernels& k = DN_SIMD_TABLE(kActivation);
  parallel_ranges(n, kGrain, [&](long a, long b) { k.backward(act, y + a, dy + a, dx + a, b - a, alpha); });
}

}  // namespace dn
