// The first n lanes of an AVX2 vector stored without VMASKMOVPS, for the GEMM micro-kernel's edge tiles and
// the AVX2 set's tails (simd_vec.h): AMD runs a VMASKMOVPS store as microcode (on Zen 3 a micro-kernel call
// on a 6x8 tile took 77 ns stored masked, a full 6x16 tile 21).
#pragma once
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace dn {

/** Lanes [0, n) of v to p (none when n <= 0, all 8 from 8 on) in 128-, 64- and 32-bit stores. */
__attribute__((target("avx2,fma"), always_inline)) inline void store_first(float* p, __m256 v, int n) {
  if (n >= 8) return _mm256_storeu_ps(p, v);
  if (n <= 0) return;
  __m128 h = _mm256_castps256_ps128(v);
  if (n & 4) {
    _mm_storeu_ps(p, h);
    h = _mm256_extractf128_ps(v, 1);
    p += 4;
  }
  if (n & 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(p), h);
    h = _mm_movehl_ps(h, h);
    p += 2;
  }
  if (n & 1) _mm_store_ss(p, h);
}

}  // namespace dn
#endif
