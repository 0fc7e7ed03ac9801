// Single-precision matrix multiply: packed panels + register-blocked micro-kernels (AVX-512 12x32,
// AVX2+FMA 6x16, portable 4x16), chosen at run time.
#pragma once
#include <cstddef>

namespace dn {

/**
 * Micro-kernel: C[mr,nr] (+)= A(MR x kc) · Bpanel(kc x NR), then optional bias and ReLU. A element (r, p) is
 * at a[r*ars + p*acs] with ars == 1 (a packed panel: acs = MR; or a column-major block) or acs == 1
 * (row-major rows read in place, no packing); all MR rows must be readable.
 */
using UKernelFn = void (*)(int kc, const float* a, long ars, long acs, const float* b, float* c, long ldc, int mr, int nr,
                           bool accumulate, const float* bias, bool relu);

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
void ukernel_avx512(int kc, const float* a, long ars, long acs, const float* b, float* c, long ldc, int mr, int nr, bool accumulate,
                    const float* bias, bool relu);
void ukernel_avx2(int kc, const float* a, long ars, long acs, const float* b, float* c, long ldc, int mr, int nr, bool accumulate,
                  const float* bias, bool relu);
void ukernel_generic(int kc, const float* a, long ars, long acs, const float* b, float* c, long ldc, int mr, int nr, bool accumulate,
                     const float* bias, bool relu);

/** A strided matrix view: element (i, p) is at p[i*rs + p*cs]. Transposes are just swapped strides. */
struct MatView {
  const float* p;
  long rs, cs;
  const float* at(long i, long j) const { return p + i * rs + j * cs; }
};

constexpr int kKC = 256;  // depth of one packed block
constexpr int kMC = 144;  // rows of A packed at once (a multiple of every MR)

/** Floats needed to pack all of B (K x N), padded to whole NR panels. */
size_t packed_b_size(int K, int N);
/** Packs B (K x N) into KC-deep blocks of NR-wide panels, zero padded. */
void pack_b(const MatView& B, int K, int N, float* dst);

/**
 * Serial GEMM on rows [0, M) and columns [n0, n1) (n0 a multiple of NR): C (+)= A · B, with B packed by
 * pack_b (Npad = packed width). bias/relu apply once, after the whole K sum. C points at row 0, column 0.
 */
void gemm_serial(int M, int n0, int n1, int K, const MatView& A, const float* Bp, int Npad, float* C, long ldc,
                 bool accumulate, const float* bias, bool relu, int tid);

/** Threaded C (M x N, ldc) = A · B (+ bias, ReLU). */
void sgemm(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, const float* bias, bool relu);

/** The naive triple loop (the "twin" of sgemm), used by self-checks. */
void sgemm_naive(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, const float* bias, bool relu);

}  // namespace dn
