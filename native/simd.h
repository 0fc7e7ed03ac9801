// SIMD kernels written once and compiled once per instruction set (AVX-512, AVX2+FMA, portable C++), the
// set chosen at run time by setIsa, as the GEMM micro-kernel is. A kernel family's bodies live in a header
// without include guard (e.g. norm_simd.h); the family's .cc file defines DN_SIMD_FILE and includes
// simd_foreach.h, which compiles that header in namespace dn::generic, dn::avx2 and dn::avx512, each under
// its own target pragma, with the vector types of simd_vec.h. Threading and the fixed reduction order stay
// in the .cc file, written once; the per-set code only works on ranges.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "common.h"
#include "gemm.h"

#if defined(DN_X86) && defined(__GNUC__) && !defined(__clang__)
// GCC: '#pragma GCC target' regions (clang builds get the portable set only).
#include <immintrin.h>

#include "avx2_store.h"
#define DN_SIMD_X86 1
#endif

/**
 * Before a loop of a compile-time count over an array of vectors (a Winograd tile's points, a strip's sums):
 * unrolled early, before the compiler decides what lives in registers. Otherwise GCC keeps such arrays in
 * memory and stores every element back at every step (measured: the one-channel convolution 2.5x slower).
 */
#define DN_UNROLL _Pragma("GCC unroll 64")

namespace dn {

enum class Isa { kGeneric, kAvx2, kAvx512 };

/** The instruction set the kernels use now: the one setIsa chose for GEMM, when this build has it. */
inline Isa active_isa() {
#ifdef DN_SIMD_X86
  const char* n = isa_name();
  if (!std::strcmp(n, "avx512")) return Isa::kAvx512;
  if (!std::strcmp(n, "avx2")) return Isa::kAvx2;
#endif
  return Isa::kGeneric;
}

}  // namespace dn

/** The kernel table `name` of the active instruction set (each set's copy lives in its own namespace). */
#ifdef DN_SIMD_X86
#define DN_SIMD_TABLE(name)                                                                      \
  (::dn::active_isa() == ::dn::Isa::kAvx512 ? ::dn::avx512::name                                 \
   : ::dn::active_isa() == ::dn::Isa::kAvx2 ? ::dn::avx2::name                                   \
                                            : ::dn::generic::name)
#else
#define DN_SIMD_TABLE(name) (::dn::generic::name)
#endif
