// Vector types for one instruction set (DN_SIMD_LEVEL 1 portable, 2 AVX2+FMA, 3 AVX-512), included by
// simd_foreach.h inside that set's namespace; no include guard on purpose. VF holds W floats, VM a lane mask,
// VD W doubles (the float64 accumulator of one VF). Tails use load_n/store_n (masked, never touching memory
// past n). min/max return their second operand when either is NaN (as MINPS/MAXPS), so vmin(k, x) keeps a
// NaN x. The portable set is scalar (W = 1); its fma computes in double, i.e. as the reference does, and
// mul_add (for polynomials) in float.

#if DN_SIMD_LEVEL == 3

struct VM {
  __mmask16 m;
};
struct VF {
  static constexpr int W = 16;
  __m512 v;
  static __mmask16 tail(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static VF zero() { return {_mm512_setzero_ps()}; }
  static VF set1(float a) { return {_mm512_set1_ps(a)}; }
  static VF load(const float* p) { return {_mm512_loadu_ps(p)}; }
  static VF load_n(const float* p, int n) { return {_mm512_maskz_loadu_ps(tail(n), p)}; }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
  void store_n(float* p, int n) const { _mm512_mask_storeu_ps(p, tail(n), v); }
};
inline VF operator+(VF a, VF b) { return {_mm512_add_ps(a.v, b.v)}; }
inline VF operator-(VF a, VF b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline VF operator*(VF a, VF b) { return {_mm512_mul_ps(a.v, b.v)}; }
inline VF operator/(VF a, VF b) { return {_mm512_div_ps(a.v, b.v)}; }
inline VF fma(VF a, VF b, VF c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
inline VF mul_add(VF a, VF b, VF c) { return fma(a, b, c); }
inline VF vmin(VF a, VF b) { return {_mm512_min_ps(a.v, b.v)}; }
inline VF vmax(VF a, VF b) { return {_mm512_max_ps(a.v, b.v)}; }
inline VM operator>(VF a, VF b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_GT_OQ)}; }
inline VM operator<(VF a, VF b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ)}; }
/** m ? a : b, per lane. */
inline VF select(VM m, VF a, VF b) { return {_mm512_mask_blend_ps(m.m, b.v, a.v)}; }
inline VF vabs(VF a) { return {_mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a.v), _mm512_set1_epi32(0x7fffffff)))}; }
/** |mag| with the sign of s. */
inline VF copysign(VF mag, VF s) {
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  return {_mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(sign, _mm512_castps_si512(mag.v)),
                                              _mm512_and_si512(sign, _mm512_castps_si512(s.v))))};
}
inline VF round_nearest(VF a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
/** 2^n for integral n in [-126, 127]. */
inline VF pow2i(VF n) {
  const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n.v), _mm512_set1_epi32(127));
  return {_mm512_castsi512_ps(_mm512_slli_epi32(e, 23))};
}

struct VD {
  __m512d lo, hi;
  static VD zero() { return {_mm512_setzero_pd(), _mm512_setzero_pd()}; }
  static VD set1(double a) { return {_mm512_set1_pd(a), _mm512_set1_pd(a)}; }
  static VD from(VF f) {
    return {_mm512_cvtps_pd(_mm512_castps512_ps256(f.v)), _mm512_cvtps_pd(_mm512_extractf32x8_ps(f.v, 1))};
  }
  static VD load(const double* p) { return {_mm512_loadu_pd(p), _mm512_loadu_pd(p + 8)}; }
  void store(double* p) const {
    _mm512_storeu_pd(p, lo);
    _mm512_storeu_pd(p + 8, hi);
  }
  VF to_float() const { return {_mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1)}; }
};
inline VD operator+(VD a, VD b) { return {_mm512_add_pd(a.lo, b.lo), _mm512_add_pd(a.hi, b.hi)}; }
inline VD operator-(VD a, VD b) { return {_mm512_sub_pd(a.lo, b.lo), _mm512_sub_pd(a.hi, b.hi)}; }
inline VD operator*(VD a, VD b) { return {_mm512_mul_pd(a.lo, b.lo), _mm512_mul_pd(a.hi, b.hi)}; }
inline VD operator/(VD a, VD b) { return {_mm512_div_pd(a.lo, b.lo), _mm512_div_pd(a.hi, b.hi)}; }
inline VD fma(VD a, VD b, VD c) { return {_mm512_fmadd_pd(a.lo, b.lo, c.lo), _mm512_fmadd_pd(a.hi, b.hi, c.hi)}; }

#elif DN_SIMD_LEVEL == 2

struct VM {
  __m256 m;
};
struct VF {
  static constexpr int W = 8;
  __m256 v;
  static __m256i tail(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static VF zero() { return {_mm256_setzero_ps()}; }
  static VF set1(float a) { return {_mm256_set1_ps(a)}; }
  static VF load(const float* p) { return {_mm256_loadu_ps(p)}; }
  static VF load_n(const float* p, int n) { return {_mm256_maskload_ps(p, tail(n))}; }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
  void store_n(float* p, int n) const { store_first(p, v, n); }  // not VMASKMOVPS: see avx2_store.h
};
inline VF operator+(VF a, VF b) { return {_mm256_add_ps(a.v, b.v)}; }
inline VF operator-(VF a, VF b) { return {_mm256_sub_ps(a.v, b.v)}; }
inline VF operator*(VF a, VF b) { return {_mm256_mul_ps(a.v, b.v)}; }
inline VF operator/(VF a, VF b) { return {_mm256_div_ps(a.v, b.v)}; }
inline VF fma(VF a, VF b, VF c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
inline VF mul_add(VF a, VF b, VF c) { return fma(a, b, c); }
inline VF vmin(VF a, VF b) { return {_mm256_min_ps(a.v, b.v)}; }
inline VF vmax(VF a, VF b) { return {_mm256_max_ps(a.v, b.v)}; }
inline VM operator>(VF a, VF b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ)}; }
inline VM operator<(VF a, VF b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ)}; }
inline VF select(VM m, VF a, VF b) { return {_mm256_blendv_ps(b.v, a.v, m.m)}; }
inline VF vabs(VF a) { return {_mm256_and_ps(a.v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)))}; }
inline VF copysign(VF mag, VF s) {
  const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(0x80000000u)));
  return {_mm256_or_ps(_mm256_andnot_ps(sign, mag.v), _mm256_and_ps(sign, s.v))};
}
inline VF round_nearest(VF a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
inline VF pow2i(VF n) {
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n.v), _mm256_set1_epi32(127));
  return {_mm256_castsi256_ps(_mm256_slli_epi32(e, 23))};
}

struct VD {
  __m256d lo, hi;
  static VD zero() { return {_mm256_setzero_pd(), _mm256_setzero_pd()}; }
  static VD set1(double a) { return {_mm256_set1_pd(a), _mm256_set1_pd(a)}; }
  static VD from(VF f) { return {_mm256_cvtps_pd(_mm256_castps256_ps128(f.v)), _mm256_cvtps_pd(_mm256_extractf128_ps(f.v, 1))}; }
  static VD load(const double* p) { return {_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4)}; }
  void store(double* p) const {
    _mm256_storeu_pd(p, lo);
    _mm256_storeu_pd(p + 4, hi);
  }
  VF to_float() const { return {_mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo))}; }
};
inline VD operator+(VD a, VD b) { return {_mm256_add_pd(a.lo, b.lo), _mm256_add_pd(a.hi, b.hi)}; }
inline VD operator-(VD a, VD b) { return {_mm256_sub_pd(a.lo, b.lo), _mm256_sub_pd(a.hi, b.hi)}; }
inline VD operator*(VD a, VD b) { return {_mm256_mul_pd(a.lo, b.lo), _mm256_mul_pd(a.hi, b.hi)}; }
inline VD operator/(VD a, VD b) { return {_mm256_div_pd(a.lo, b.lo), _mm256_div_pd(a.hi, b.hi)}; }
inline VD fma(VD a, VD b, VD c) { return {_mm256_fmadd_pd(a.lo, b.lo, c.lo), _mm256_fmadd_pd(a.hi, b.hi, c.hi)}; }

#else  // portable: one lane

struct VM {
  bool m;
};
struct VF {
  static constexpr int W = 1;
  float v;
  static VF zero() { return {0.f}; }
  static VF set1(float a) { return {a}; }
  static VF load(const float* p) { return {*p}; }
  static VF load_n(const float* p, int n) { return {n > 0 ? *p : 0.f}; }
  void store(float* p) const { *p = v; }
  void store_n(float* p, int n) const {
    if (n > 0) *p = v;
  }
};
inline VF operator+(VF a, VF b) { return {a.v + b.v}; }
inline VF operator-(VF a, VF b) { return {a.v - b.v}; }
inline VF operator*(VF a, VF b) { return {a.v * b.v}; }
inline VF operator/(VF a, VF b) { return {a.v / b.v}; }
inline VF fma(VF a, VF b, VF c) {
  return {static_cast<float>(static_cast<double>(a.v) * b.v + c.v)};
}
/** a·b + c, fused where the hardware fuses (polynomials: the rounding of a·b does not matter there). */
inline VF mul_add(VF a, VF b, VF c) { return {a.v * b.v + c.v}; }
inline VF vmin(VF a, VF b) { return {a.v < b.v ? a.v : b.v}; }
inline VF vmax(VF a, VF b) { return {a.v > b.v ? a.v : b.v}; }
inline VM operator>(VF a, VF b) { return {a.v > b.v}; }
inline VM operator<(VF a, VF b) { return {a.v < b.v}; }
inline VF select(VM m, VF a, VF b) { return {m.m ? a.v : b.v}; }
inline VF vabs(VF a) { return {std::fabs(a.v)}; }
inline VF copysign(VF mag, VF s) { return {std::copysign(mag.v, s.v)}; }
/** Nearest integer, ties to even, for |a| < 2^22: adding 1.5·2^23 drops the fraction (nearbyint is a slow libm call). */
inline VF round_nearest(VF a) { return {(a.v + 12582912.f) - 12582912.f}; }
inline VF pow2i(VF n) {
  if (!(n.v == n.v)) return n;  // NaN: the caller's product is NaN anyway; the cast below would be undefined
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n.v) + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return {f};
}

struct VD {
  double v;
  static VD zero() { return {0.0}; }
  static VD set1(double a) { return {a}; }
  static VD from(VF f) { return {static_cast<double>(f.v)}; }
  static VD load(const double* p) { return {*p}; }
  void store(double* p) const { *p = v; }
  VF to_float() const { return {static_cast<float>(v)}; }
};
inline VD operator+(VD a, VD b) { return {a.v + b.v}; }
inline VD operator-(VD a, VD b) { return {a.v - b.v}; }
inline VD operator*(VD a, VD b) { return {a.v * b.v}; }
inline VD operator/(VD a, VD b) { return {a.v / b.v}; }
inline VD fma(VD a, VD b, VD c) { return {a.v * b.v + c.v}; }

#endif

constexpr int W = VF::W;

/** Loads lanes [0, n) of p (n ≤ W), zero elsewhere; a full load when n == W. */
inline VF load_part(const float* p, int n) { return n == W ? VF::load(p) : VF::load_n(p, n); }
inline void store_part(VF v, float* p, int n) {
  if (n == W) v.store(p);
  else v.store_n(p, n);
}
/** W doubles from p, of which only [0, n) are read. */
inline VD load_part(const double* p, int n) {
  if (n == W) return VD::load(p);
  double t[W] = {};
  for (int i = 0; i < n; i++) t[i] = p[i];
  return VD::load(t);
}
inline void store_part(VD v, double* p, int n) {
  if (n == W) return v.store(p);
  double t[W];
  v.store(t);
  for (int i = 0; i < n; i++) p[i] = t[i];
}
