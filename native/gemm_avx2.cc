// AVX2+FMA micro-kernel: a 6x16 tile of C in 12 ymm accumulators. Target attribute as for AVX-512.
#include "gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace dn {

#define DN_AVX2 __attribute__((target("avx2,fma")))

DN_AVX2 void ukernel_avx2(int kc, const float* a, long ars, long acs, const float* b, float* c, long ldc, int mr, int nr,
                          bool accumulate, const float* bias, bool relu) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define DN_ROW(r, x0, x1)                      \
  {                                            \
    const __m256 av = _mm256_broadcast_ss(a + (r) * ars); \
    x0 = _mm256_fmadd_ps(av, b0, x0);          \
    x1 = _mm256_fmadd_ps(av, b1, x1);          \
  }
  for (int p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    DN_ROW(0, c00, c01) DN_ROW(1, c10, c11) DN_ROW(2, c20, c21) DN_ROW(3, c30, c31) DN_ROW(4, c40, c41) DN_ROW(5, c50, c51)
    a += acs;
    b += 16;
  }
#undef DN_ROW
  alignas(32) float tile[6][16];
  _mm256_store_ps(tile[0], c00); _mm256_store_ps(tile[0] + 8, c01);
  _mm256_store_ps(tile[1], c10); _mm256_store_ps(tile[1] + 8, c11);
  _mm256_store_ps(tile[2], c20); _mm256_store_ps(tile[2] + 8, c21);
  _mm256_store_ps(tile[3], c30); _mm256_store_ps(tile[3] + 8, c31);
  _mm256_store_ps(tile[4], c40); _mm256_store_ps(tile[4] + 8, c41);
  _mm256_store_ps(tile[5], c50); _mm256_store_ps(tile[5] + 8, c51);
  for (int r = 0; r < mr; r++) {
    float* cr = c + r * ldc;
    for (int j = 0; j < nr; j++) {
      float v = tile[r][j];
      if (accumulate) v += cr[j];
      if (bias) v += bias[j];
      if (relu && v < 0.f) v = 0.f;
      cr[j] = v;
    }
  }
}

}  // namespace dn

#else
namespace dn {
void ukernel_avx2(int kc, const float* a, long, long, const float* b, float* c, long ldc, int mr, int nr, bool accumulate,
                  const float* bias, bool relu) {
  (void)kc; (void)a; (void)b; (void)c; (void)ldc; (void)mr; (void)nr; (void)accumulate; (void)bias; (void)relu;
}
}  // namespace dn
#endif
