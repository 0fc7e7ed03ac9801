// Single-precision matrix multiply: register-blocked micro-kernels (AVX-512 12x32, AVX2+FMA 6x16, portable
// 4x16) chosen at run time, packed B panels, cache blocking sized from the machine's caches, and a driver
// that reads A in place where its rows or columns are contiguous (im2col chunks, activations, weights).
#pragma once
#include <cstddef>

namespace dn {

/**
 * One micro-kernel call: C[mr,nr] (+)= A(MR x kc) · B(kc x NR), then optional bias and ReLU.
 * A element (r, p) is at a[r*ars + p*acs] with ars == 1 (a packed panel: acs = MR; or a column-major block)
 * or acs == 1 (row-major rows read in place); all MR rows must be readable.
 * B element (p, j) is at b[p*ldb + j]: a packed panel (ldb = NR) or row-major rows read in place; all NR
 * columns must be readable. Only the mr x nr corner of C is read or written.
 * While it computes, the kernel brings the next A micro-panel (pf_rows rows of kc floats, pf_ld apart)
 * into L1, a few lines per step, when pf is set: row-major A read in place is MR separate streams, more
 * than the hardware prefetchers follow.
 * With rows set, A is read through MR row pointers instead (a convolution's input read in place, one
 * pointer per output pixel, or per kernel tap and channel): the depth steps are nruns runs, run s covering
 * run_len[s] floats at rows[r] + run_off[s] + q·run_step (kc is their total); a and the strides are then
 * unused.
 */
struct KernelArgs {
  int kc;
  const float* a;
  long ars, acs;
  const float* b;
  long ldb;
  float* c;
  long ldc;
  int mr, nr;
  bool accumulate;
  const float* bias;
  bool relu;
  const float* pf;
  long pf_ld;
  int pf_rows;
  const float* const* rows = nullptr;
  const long* run_off = nullptr;
  const int* run_len = nullptr;
  int nruns = 0;
  long run_step = 1;
};
using UKernelFn = void (*)(const KernelArgs&);

struct UKernel {
  int mr, nr;
  UKernelFn fn;
  const char* name;
};

const UKernel& ukernel();
/** "auto", "avx512", "avx2" or "generic"; false when the CPU lacks it or the name is unknown. */
bool set_isa(const char* name);
const char* isa_name();
bool cpu_supports_isa(const char* name);

// ISA-specific micro-kernels (each in its own translation unit, compiled with target attributes).
void ukernel_avx512(const KernelArgs& k);
void ukernel_avx2(const KernelArgs& k);
void ukernel_generic(const KernelArgs& k);

/** Issues the prefetches of the next A micro-panel, `per_step` lines at a time (see KernelArgs). */
struct PanelPrefetch {
  const float* p;
  long ld;
  int rows, r = 0;
  long col = 0, len;
  PanelPrefetch(const KernelArgs& k) : p(k.pf), ld(k.pf_ld), rows(k.pf_rows), len(k.kc) {}
  inline __attribute__((always_inline)) void step(int lines) {
    for (int i = 0; i < lines && p; i++) {
      if (col >= len) return;
      __builtin_prefetch(p + r * ld + col, 0, 3);
      if (++r == rows) {
        r = 0;
        col += 16;
      }
    }
  }
};

/** A strided matrix view: element (i, j) is at p[i*rs + j*cs]. Transposes are just swapped strides. */
struct MatView {
  const float* p;
  long rs, cs;
  const float* at(long i, long j) const { return p + i * rs + j * cs; }
};

/**
 * Depth of one packed block for a sum of length K: K itself up to a cap sized so that an A micro-panel
 * stays in L1 while B panels stream from L2; longer sums are cut into equal blocks under the cap. A pure
 * function of K and the active micro-kernel, so packing and multiplying always agree.
 */
int depth_block(int K);

/** Floats needed to pack B (K x N), padded to whole NR panels. */
size_t packed_b_size(int K, int N);
/**
 * Packs B (K x N) into depth_block(K)-deep blocks of NR-wide panels, zero padded: block pc starts at
 * dst + pc*Npad, its panel of columns [j, j+NR) at + j*kc, element (p, j') at + p*NR + j'.
 */
void pack_b(const MatView& B, int K, int N, float* dst);

/**
 * Serial GEMM on rows [0, M) and columns [n0, n1) (n0 a multiple of NR): C (+)= A · B, with B packed by
 * pack_b (Npad = packed width, K = its depth). bias/relu apply once, after the whole K sum. C points at
 * row 0, column 0. Uses the per-thread scratch of `tid` for edge panels of A.
 */
void gemm_serial(int M, int n0, int n1, int K, const MatView& A, const float* Bp, int Npad, float* C, long ldc,
                 bool accumulate, const float* bias, bool relu, int tid);

/** Threaded C (M x N, ldc) = A · B (+ bias, ReLU). The result does not depend on the thread count. */
void sgemm(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, const float* bias, bool relu);

/** The naive triple loop (the "twin" of sgemm), used by self-checks. */
void sgemm_naive(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, const float* bias, bool relu);

}  // namespace dn
