// AVX2+FMA micro-kernel: a 6x16 tile of C in 12 ymm accumulators (two B vectors and one broadcast make 15
// of the 16 registers). Compiled with a target attribute, as the AVX-512 one.
#include "gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "avx2_store.h"

namespace dn {

#define DN_AVX2 __attribute__((target("avx2,fma")))

namespace {

enum { kRowA, kPackedA, kColA, kRowPtrA };

/** Lane mask for columns [base, base+8) of a tile nr wide. */
DN_AVX2 inline __m256i lanes(int nr, int base) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - base), idx);
}

DN_AVX2 inline __attribute__((always_inline)) void store_row(float* cr, __m256 v0, __m256 v1, int nr, __m256i m0, __m256i m1,
                                                             bool accumulate, __m256 bias0, __m256 bias1, bool bias, bool relu) {
  const bool full = nr == 16;
  if (accumulate) {
    v0 = _mm256_add_ps(v0, full ? _mm256_loadu_ps(cr) : _mm256_maskload_ps(cr, m0));
    v1 = _mm256_add_ps(v1, full ? _mm256_loadu_ps(cr + 8) : _mm256_maskload_ps(cr + 8, m1));
  }
  if (bias) {
    v0 = _mm256_add_ps(v0, bias0);
    v1 = _mm256_add_ps(v1, bias1);
  }
  if (relu) {
    v0 = _mm256_max_ps(v0, _mm256_setzero_ps());
    v1 = _mm256_max_ps(v1, _mm256_setzero_ps());
  }
  if (full) {
    _mm256_storeu_ps(cr, v0);
    _mm256_storeu_ps(cr + 8, v1);
  } else {
    store_first(cr, v0, nr);
    store_first(cr + 8, v1, nr - 8);
  }
}

// A: kRowA (rows read in place, element (r, p) at a[r*as + p]), kPackedA (a[r + p*6]) or kColA
// (a[r + p*as]). Strides known at compile time keep the address arithmetic out of the registers.
// Half: the tile is at most 8 columns wide, so the right half of B and C is never touched (half the
// FMAs for narrow layers: 16 filters, or 6).
template <int AMode, bool PackedB, bool Half>
DN_AVX2 inline __attribute__((always_inline)) void kernel6x16(const KernelArgs& k, long as) {
  const int kc = k.kc, mr = k.mr, nr = k.nr;
  const float* a = k.a;
  const float* b = k.b;
  const long ldb = PackedB ? 16 : k.ldb, ldc = k.ldc;
  float* c = k.c;
  const float* bias = k.bias;
  const bool accumulate = k.accumulate, relu = k.relu;
  PanelPrefetch pf(k);
  for (int r = 0; r < mr; r++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 15), _MM_HINT_T0);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define DN_ROW(r, x0, x1)                                                       \
  {                                                                             \
    const __m256 av = _mm256_broadcast_ss(AMode == kRowA ? a + (r) * as : a + (r)); \
    x0 = _mm256_fmadd_ps(av, b0, x0);                                           \
    if (!Half) x1 = _mm256_fmadd_ps(av, b1, x1);                                           \
  }
#define DN_STEP()                                                                                                            \
  {                                                                                                                          \
    const __m256 b0 = _mm256_loadu_ps(b), b1 = Half ? _mm256_setzero_ps() : _mm256_loadu_ps(b + 8);                                                       \
    DN_ROW(0, c00, c01) DN_ROW(1, c10, c11) DN_ROW(2, c20, c21) DN_ROW(3, c30, c31) DN_ROW(4, c40, c41) DN_ROW(5, c50, c51) \
    a += AMode == kRowA ? 1 : AMode == kPackedA ? 6 : as;                                                                                                 \
    b += ldb;                                                                                                                \
  }
  // One step per iteration: with 16 registers, unrolling lets the compiler interleave steps and spill.
  if constexpr (AMode == kRowPtrA) {
    // The row pointers stay in registers; a run only moves the common index.
    const float *a0 = k.rows[0], *a1 = k.rows[1], *a2 = k.rows[2], *a3 = k.rows[3], *a4 = k.rows[4], *a5 = k.rows[5];
    const long step = k.run_step;
#define DN_PROW(ar, x0, x1)                                 \
  {                                                         \
    const __m256 av = _mm256_broadcast_ss(ar + at);         \
    x0 = _mm256_fmadd_ps(av, b0, x0);                       \
    if (!Half) x1 = _mm256_fmadd_ps(av, b1, x1);            \
  }
    for (int s = 0; s < k.nruns; s++) {
      const long off = k.run_off[s];
      for (long at = off, end = off + k.run_len[s] * step; at < end; at += step) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = Half ? _mm256_setzero_ps() : _mm256_loadu_ps(b + 8);
        DN_PROW(a0, c00, c01) DN_PROW(a1, c10, c11) DN_PROW(a2, c20, c21) DN_PROW(a3, c30, c31) DN_PROW(a4, c40, c41)
        DN_PROW(a5, c50, c51)
        b += ldb;
      }
    }
#undef DN_PROW
  } else {
    for (int p = 0; p < kc; p++) {
      DN_STEP()
      if (AMode == kRowA && (p & 3) == 3) pf.step(2);
    }
  }
#undef DN_STEP
#undef DN_ROW
  const __m256i m0 = lanes(nr, 0), m1 = lanes(nr, 8);
  __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
  if (bias) {
    bias0 = _mm256_maskload_ps(bias, m0);
    bias1 = _mm256_maskload_ps(bias + 8, m1);
  }
  const bool hb = bias != nullptr;
#define DN_OUT(r, x0, x1) \
  if ((r) < mr) store_row(c + (r) * ldc, x0, x1, nr, m0, m1, accumulate, bias0, bias1, hb, relu);
  DN_OUT(0, c00, c01) DN_OUT(1, c10, c11) DN_OUT(2, c20, c21) DN_OUT(3, c30, c31) DN_OUT(4, c40, c41) DN_OUT(5, c50, c51)
#undef DN_OUT
}

}  // namespace

namespace {
template <int AMode, bool PackedB>
DN_AVX2 inline __attribute__((always_inline)) void narrow_or_wide(const KernelArgs& k, long as) {
  if (k.nr <= 8) kernel6x16<AMode, PackedB, true>(k, as);
  else kernel6x16<AMode, PackedB, false>(k, as);
}
}  // namespace

DN_AVX2 void ukernel_avx2(const KernelArgs& k) {
  const bool pb = k.ldb == 16;
  if (k.rows) return pb ? narrow_or_wide<kRowPtrA, true>(k, 0) : narrow_or_wide<kRowPtrA, false>(k, 0);
  if (k.acs == 1 && k.ars != 1) pb ? narrow_or_wide<kRowA, true>(k, k.ars) : narrow_or_wide<kRowA, false>(k, k.ars);
  else if (k.acs == 6) pb ? narrow_or_wide<kPackedA, true>(k, 6) : narrow_or_wide<kPackedA, false>(k, 6);
  else pb ? narrow_or_wide<kColA, true>(k, k.acs) : narrow_or_wide<kColA, false>(k, k.acs);
}

}  // namespace dn

#else
namespace dn {
void ukernel_avx2(const KernelArgs&) {}
}  // namespace dn
#endif
