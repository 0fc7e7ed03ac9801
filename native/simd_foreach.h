// Compiles DN_SIMD_FILE once per instruction set (no include guard on purpose; see simd.h). Each copy sits in
// its own namespace (dn::generic, dn::avx2, dn::avx512), so no inline function compiled for one set can be
// picked by the linker for another; the system headers were included before any target pragma, so the
// library's inline functions keep the baseline target.
#ifndef DN_SIMD_FILE
#error "define DN_SIMD_FILE before including simd_foreach.h"
#endif

#define DN_SIMD_LEVEL 1
namespace dn {
namespace generic {
#include "simd_vec.h"
#include DN_SIMD_FILE
}  // namespace generic
}  // namespace dn
#undef DN_SIMD_LEVEL

#ifdef DN_SIMD_X86
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define DN_SIMD_LEVEL 2
namespace dn {
namespace avx2 {
#include "simd_vec.h"
#include DN_SIMD_FILE
}  // namespace avx2
}  // namespace dn
#undef DN_SIMD_LEVEL
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,fma")
#define DN_SIMD_LEVEL 3
namespace dn {
namespace avx512 {
#include "simd_vec.h"
#include DN_SIMD_FILE
}  // namespace avx512
}  // namespace dn
#undef DN_SIMD_LEVEL
#pragma GCC pop_options
#endif

#undef DN_SIMD_FILE
