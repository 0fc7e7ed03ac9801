// Vector exp, expm1 and tanh for one instruction set (no include guard: included once per set, after
// simd_vec.h). Accurate to a few float32 ulps, the same algorithm on every set (Cephes' expf and tanhf
// polynomials), so results differ between sets by FMA rounding only. NaN stays NaN.

/** Splits a double constant into float hi + lo, so that hi·v + lo·v is v times the double to about 2^-48. */
struct Split {
  VF hi, lo;
  explicit Split(double a)
      : hi(VF::set1(static_cast<float>(a))), lo(VF::set1(static_cast<float>(a - static_cast<double>(static_cast<float>(a))))) {}
  /** a·v, rounded once (nearly as the reference's double product); ±inf and NaN as hi·v. */
  VF times(VF v) const {
    const VF p = hi * v;
    return select(vabs(p) < VF::set1(3.4028234663852886e38f), fma(hi, v, lo * v), p);
  }
  /** v + a, rounded once when v is close to −a (Sterbenz), as y + alpha in the reference. */
  VF plus(VF v) const { return (v + hi) + lo; }
};

/**
 * e^x = 2^n·e^r with n = round(x·log2 e) and r = x − n·ln 2 (ln 2 in two parts, the first exact in n·C1);
 * e^r by Cephes' degree-6 polynomial. x is clamped to [−87.34, 88.38] so that 2^n stays a normal float:
 * below, the result is about 1e-38 instead of a denormal.
 */
inline VF vexp(VF x) {
  x = vmin(VF::set1(88.3762626647949f), x);
  x = vmax(VF::set1(-87.3365447505531f), x);
  const VF n = round_nearest(x * VF::set1(1.44269504088896341f));
  VF r = mul_add(n, VF::set1(-0.693359375f), x);
  r = mul_add(n, VF::set1(2.12194440e-4f), r);
  VF p = VF::set1(1.9875691500e-4f);
  p = mul_add(p, r, VF::set1(1.3981999507e-3f));
  p = mul_add(p, r, VF::set1(8.3334519073e-3f));
  p = mul_add(p, r, VF::set1(4.1665795894e-2f));
  p = mul_add(p, r, VF::set1(1.6666665459e-1f));
  p = mul_add(p, r, VF::set1(5.0000001201e-1f));
  p = mul_add(p, r * r, r) + VF::set1(1.f);
  return p * pow2i(n);
}

/** e^x − 1 without cancellation near 0: Taylor to x^7 for |x| < 0.35 (truncation below 0.3 ulp), else e^x − 1. */
inline VF vexpm1(VF x) {
  VF t = VF::set1(1.f / 5040.f);
  t = mul_add(t, x, VF::set1(1.f / 720.f));
  t = mul_add(t, x, VF::set1(1.f / 120.f));
  t = mul_add(t, x, VF::set1(1.f / 24.f));
  t = mul_add(t, x, VF::set1(1.f / 6.f));
  t = mul_add(t, x, VF::set1(0.5f));
  const VF small = mul_add(x * x, t, x);
  const VF big = vexp(x) - VF::set1(1.f);
  return select(vabs(x) < VF::set1(0.35f), small, big);
}

/** tanh: Cephes' odd polynomial for |x| < 0.625, else ±(1 − 2/(e^{2|x|} + 1)). */
inline VF vtanh(VF x) {
  const VF ax = vabs(x);
  const VF z = x * x;
  VF p = VF::set1(-5.70498872745e-3f);
  p = mul_add(p, z, VF::set1(2.06390887954e-2f));
  p = mul_add(p, z, VF::set1(-5.37397155531e-2f));
  p = mul_add(p, z, VF::set1(1.33314422036e-1f));
  p = mul_add(p, z, VF::set1(-3.33332819422e-1f));
  const VF small = mul_add(p * z, x, x);
  const VF e = vexp(ax + ax);
  const VF big = copysign(VF::set1(1.f) - VF::set1(2.f) / (e + VF::set1(1.f)), x);
  return select(ax < VF::set1(0.625f), small, big);
}
