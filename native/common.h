// Shared helpers for the native kernels: aligned grow-only buffers and per-thread scratch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define DN_X86 1
// Elementwise loops get AVX-512 / AVX2 / baseline clones, picked by the loader (ifunc) at run time.
#define DN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DN_CLONES
#endif

namespace dn {

constexpr int kMaxThreads = 64;

/** A grow-only, 64-byte aligned float buffer; contents unspecified after growth. */
struct FBuf {
  float* p = nullptr;
  size_t n = 0;
  FBuf() = default;
  FBuf(const FBuf&) = delete;
  FBuf& operator=(const FBuf&) = delete;
  ~FBuf() { std::free(p); }
  float* get(size_t need) {
    if (need > n) {
      std::free(p);
      size_t bytes = ((need * sizeof(float) + 63) / 64) * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64));
      n = need;
    }
    return p;
  }
  void release() {
    std::free(p);
    p = nullptr;
    n = 0;
  }
};

/** Scratch slots per thread: pack A, pack B, im2col chunk, partial gradients, convolution outputs about to be pooled. */
enum ScratchSlot { kPackA = 0, kPackB, kCol, kPartial, kPartialBias, kConvOut, kSlots };
FBuf& scratch(int tid, int slot);
/** A shared (main-thread-owned) buffer, e.g. a packed B read by all threads. */
FBuf& shared_scratch(int slot);
void release_scratch();

inline long ceil_div(long a, long b) { return (a + b - 1) / b; }
inline long round_up(long a, long b) { return ceil_div(a, b) * b; }

/**
 * out[i] = Σ_s part[s·stride + i] for i in [i0, i1), s = 0 … S − 1 added in that order (S ≥ 1): the partial
 * sums of fixed chunks combined in a fixed order, so the result does not depend on which thread computed
 * which chunk, nor on the thread count.
 */
inline void sum_in_order(const float* part, long S, long stride, long i0, long i1, float* out) {
  for (long i = i0; i < i1; i++) out[i] = part[i];
  for (long s = 1; s < S; s++) {
    const float* p = part + s * stride;
    for (long i = i0; i < i1; i++) out[i] += p[i];
  }
}

}  // namespace dn
