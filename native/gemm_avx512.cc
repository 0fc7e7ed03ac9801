// AVX-512 micro-kernel: a 12x32 tile of C in 24 zmm accumulators; per depth step two B vectors and twelve
// broadcast A values. Compiled with a target attribute, so the addon still loads on CPUs without AVX-512
// (it is only called when __builtin_cpu_supports says so).
#include "gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace dn {

#define DN_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))

namespace {

enum { kRowA, kPackedA, kColA, kRowPtrA };

/** Adds (when accumulating) what C holds, then bias and ReLU, and stores the mr x nr corner. */
DN_AVX512 inline __attribute__((always_inline)) void store_row(float* cr, __m512 v0, __m512 v1, __mmask16 m0, __mmask16 m1,
                                                               bool accumulate, __m512 bias0, __m512 bias1, bool bias, bool relu) {
  if (accumulate) {
    v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cr));
    v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cr + 16));
  }
  if (bias) {
    v0 = _mm512_add_ps(v0, bias0);
    v1 = _mm512_add_ps(v1, bias1);
  }
  if (relu) {
    v0 = _mm512_max_ps(v0, _mm512_setzero_ps());
    v1 = _mm512_max_ps(v1, _mm512_setzero_ps());
  }
  _mm512_mask_storeu_ps(cr, m0, v0);
  _mm512_mask_storeu_ps(cr + 16, m1, v1);
}

// A: kRowA (rows read in place, element (r, p) at a[r*as + p]), kPackedA (a[r + p*12]) or kColA
// (a[r + p*as]). Strides known at compile time keep the address arithmetic out of the registers.
// Half: the tile is at most 16 columns wide, so the right half of B and C is never touched (half the
// FMAs for narrow layers: 16 filters, or 6).
template <int AMode, bool PackedB, bool Half>
DN_AVX512 inline __attribute__((always_inline)) void kernel12x32(const KernelArgs& k, long as) {
  const int kc = k.kc, mr = k.mr, nr = k.nr;
  const float* a = k.a;
  const float* b = k.b;
  const long ldb = PackedB ? 32 : k.ldb, ldc = k.ldc;
  float* c = k.c;
  const float* bias = k.bias;
  const bool accumulate = k.accumulate, relu = k.relu;
  PanelPrefetch pf(k);
  // The C tile is touched only at the end: ask for its lines now, so the stores do not wait on memory.
  for (int r = 0; r < mr; r++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
  }
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
  __m512 c80 = _mm512_setzero_ps(), c81 = _mm512_setzero_ps(), c90 = _mm512_setzero_ps(), c91 = _mm512_setzero_ps();
  __m512 ca0 = _mm512_setzero_ps(), ca1 = _mm512_setzero_ps(), cb0 = _mm512_setzero_ps(), cb1 = _mm512_setzero_ps();
#define DN_ROW(r, x0, x1)                                               \
  {                                                                     \
    const __m512 av = _mm512_set1_ps(AMode == kRowA ? a[(r) * as] : a[r]); \
    x0 = _mm512_fmadd_ps(av, b0, x0);                                   \
    if (!Half) x1 = _mm512_fmadd_ps(av, b1, x1);                                   \
  }
#define DN_STEP()                                                                                       \
  {                                                                                                     \
    const __m512 b0 = _mm512_loadu_ps(b), b1 = Half ? _mm512_setzero_ps() : _mm512_loadu_ps(b + 16);                                 \
    DN_ROW(0, c00, c01) DN_ROW(1, c10, c11) DN_ROW(2, c20, c21) DN_ROW(3, c30, c31) DN_ROW(4, c40, c41) \
    DN_ROW(5, c50, c51) DN_ROW(6, c60, c61) DN_ROW(7, c70, c71) DN_ROW(8, c80, c81) DN_ROW(9, c90, c91) \
    DN_ROW(10, ca0, ca1) DN_ROW(11, cb0, cb1)                                                           \
    a += AMode == kRowA ? 1 : AMode == kPackedA ? 12 : as;                                                                            \
    b += ldb;                                                                                           \
  }
  if constexpr (AMode == kRowPtrA) {
    // The row pointers stay in registers; a run only moves the common index.
    const float* ap[12];
    for (int r = 0; r < 12; r++) ap[r] = k.rows[r];
#define DN_RSTEP(q)                                                                                        \
  {                                                                                                        \
    const __m512 b0 = _mm512_loadu_ps(b), b1 = Half ? _mm512_setzero_ps() : _mm512_loadu_ps(b + 16);      \
    DN_PROW(0, c00, c01, q) DN_PROW(1, c10, c11, q) DN_PROW(2, c20, c21, q) DN_PROW(3, c30, c31, q)        \
    DN_PROW(4, c40, c41, q) DN_PROW(5, c50, c51, q) DN_PROW(6, c60, c61, q) DN_PROW(7, c70, c71, q)        \
    DN_PROW(8, c80, c81, q) DN_PROW(9, c90, c91, q) DN_PROW(10, ca0, ca1, q) DN_PROW(11, cb0, cb1, q)      \
    b += ldb;                                                                                              \
  }
#define DN_PROW(r, x0, x1, q)                             \
  {                                                       \
    const __m512 av = _mm512_set1_ps(ap[r][q]);           \
    x0 = _mm512_fmadd_ps(av, b0, x0);                     \
    if (!Half) x1 = _mm512_fmadd_ps(av, b1, x1);          \
  }
    const long step = k.run_step;
    for (int s = 0; s < k.nruns; s++) {
      const long off = k.run_off[s];
      const int len = k.run_len[s];
      if (step == 1) {
        int q = 0;
        for (; q + 4 <= len; q += 4) {
          DN_RSTEP(off + q) DN_RSTEP(off + q + 1) DN_RSTEP(off + q + 2) DN_RSTEP(off + q + 3)
        }
        for (; q < len; q++) DN_RSTEP(off + q)
      } else {
        for (long at = off, end = off + len * step; at < end; at += step) DN_RSTEP(at)
      }
    }
#undef DN_PROW
#undef DN_RSTEP
  } else {
    int p = 0;
    for (; p + 4 <= kc; p += 4) {
      DN_STEP() DN_STEP() DN_STEP() DN_STEP()
      if (AMode == kRowA) pf.step(3);
    }
    for (; p < kc; p++) DN_STEP()
  }
#undef DN_STEP
#undef DN_ROW

  const __mmask16 m0 = nr >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : static_cast<__mmask16>((1u << (nr - 16)) - 1);
  __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
  if (bias) {
    bias0 = _mm512_maskz_loadu_ps(m0, bias);
    bias1 = _mm512_maskz_loadu_ps(m1, bias + 16);
  }
  const bool hb = bias != nullptr;
#define DN_OUT(r, x0, x1) \
  if ((r) < mr) store_row(c + (r) * ldc, x0, x1, m0, m1, accumulate, bias0, bias1, hb, relu);
  DN_OUT(0, c00, c01) DN_OUT(1, c10, c11) DN_OUT(2, c20, c21) DN_OUT(3, c30, c31) DN_OUT(4, c40, c41) DN_OUT(5, c50, c51)
  DN_OUT(6, c60, c61) DN_OUT(7, c70, c71) DN_OUT(8, c80, c81) DN_OUT(9, c90, c91) DN_OUT(10, ca0, ca1) DN_OUT(11, cb0, cb1)
#undef DN_OUT
}

}  // namespace

namespace {
template <int AMode, bool PackedB>
DN_AVX512 inline __attribute__((always_inline)) void narrow_or_wide(const KernelArgs& k, long as) {
  if (k.nr <= 16) kernel12x32<AMode, PackedB, true>(k, as);
  else kernel12x32<AMode, PackedB, false>(k, as);
}
}  // namespace

DN_AVX512 void ukernel_avx512(const KernelArgs& k) {
  const bool pb = k.ldb == 32;
  if (k.rows) return pb ? narrow_or_wide<kRowPtrA, true>(k, 0) : narrow_or_wide<kRowPtrA, false>(k, 0);
  if (k.acs == 1 && k.ars != 1) pb ? narrow_or_wide<kRowA, true>(k, k.ars) : narrow_or_wide<kRowA, false>(k, k.ars);
  else if (k.acs == 12) pb ? narrow_or_wide<kPackedA, true>(k, 12) : narrow_or_wide<kPackedA, false>(k, 12);
  else pb ? narrow_or_wide<kColA, true>(k, k.acs) : narrow_or_wide<kColA, false>(k, k.acs);
}

}  // namespace dn

#else
namespace dn {
void ukernel_avx512(const KernelArgs&) {}
}  // namespace dn
#endif
