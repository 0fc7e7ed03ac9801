// Element-wise activations and their derivatives for one instruction set (no include guard: compiled once
// per set by activation.cc through simd_foreach.h). Derivatives use the forward's output y alone, as the
// reference (src/engine/backends/reference/activations.ts): relu/leakyRelu/elu/selu from y's sign,
// tanh (1 − y)(1 + y), sigmoid y(1 − y), factored so that no 1 − y² cancels in float32.

#include "simd_math.h"

/** y = f(x) over n floats, W at a time, the tail masked. */
template <class F>
inline void map1(const float* x, float* y, long n, F f) {
  long i = 0;
  for (; i + W <= n; i += W) f(VF::load(x + i)).store(y + i);
  if (i < n) f(VF::load_n(x + i, static_cast<int>(n - i))).store_n(y + i, static_cast<int>(n - i));
}

/** y = f(a, b) over n floats. */
template <class F>
inline void map2(const float* a, const float* b, float* y, long n, F f) {
  long i = 0;
  for (; i + W <= n; i += W) f(VF::load(a + i), VF::load(b + i)).store(y + i);
  if (i < n) {
    const int k = static_cast<int>(n - i);
    f(VF::load_n(a + i, k), VF::load_n(b + i, k)).store_n(y + i, k);
  }
}

void act_forward(Act act, const float* x, float* y, long n, double alpha) {
  const VF zero = VF::zero(), one = VF::set1(1.f);
  const Split a(alpha), scale(kSeluScale);
  const VF ea = VF::set1(static_cast<float>(alpha)), sa = VF::set1(static_cast<float>(kSeluScale * kSeluAlpha));
  switch (act) {
    case Act::kLinear:
      if (x != y) std::memmove(y, x, n * sizeof(float));
      return;
    case Act::kRelu:
      return map1(x, y, n, [&](VF v) { return select(v > zero, v, zero); });
    case Act::kLeakyRelu:
      return map1(x, y, n, [&](VF v) { return select(v < zero, a.times(v), v); });
    case Act::kTanh:
      return map1(x, y, n, [&](VF v) { return vtanh(v); });
    case Act::kSigmoid:
      return map1(x, y, n, [&](VF v) { return one / (one + vexp(zero - v)); });
    case Act::kElu:
      return map1(x, y, n, [&](VF v) { return select(v > zero, v, ea * vexpm1(v)); });
    case Act::kSelu:
      return map1(x, y, n, [&](VF v) { return select(v > zero, scale.times(v), sa * vexpm1(v)); });
  }
}

void act_backward(Act act, const float* y, const float* dy, float* dx, long n, double alpha) {
  const VF zero = VF::zero(), one = VF::set1(1.f);
  const Split a(alpha), scale(kSeluScale), sa(kSeluScale * kSeluAlpha);
  switch (act) {
    case Act::kLinear:
      if (dx != dy) std::memmove(dx, dy, n * sizeof(float));
      return;
    case Act::kRelu:
      return map2(y, dy, dx, n, [&](VF v, VF d) { return select(v > zero, d, zero); });
    case Act::kLeakyRelu:
      // y < 0 exactly where x < 0 for a positive slope.
      return map2(y, dy, dx, n, [&](VF v, VF d) { return select(v < zero, a.times(d), d); });
    case Act::kTanh:
      return map2(y, dy, dx, n, [&](VF v, VF d) { return d * (one - v) * (one + v); });
    case Act::kSigmoid:
      return map2(y, dy, dx, n, [&](VF v, VF d) { return d * v * (one - v); });
    case Act::kElu:
      // For x ≤ 0, y = α(eˣ − 1), so f'(x) = y + α (added in two parts: exact near y = −α).
      return map2(y, dy, dx, n, [&](VF v, VF d) { return select(v > zero, d, d * a.plus(v)); });
    case Act::kSelu:
      return map2(y, dy, dx, n, [&](VF v, VF d) { return select(v > zero, scale.times(d), d * sa.plus(v)); });
  }
}

const ActKernels kActivation{act_forward, act_backward};
