// GEMM driver: packing, blocking, threading and the portable micro-kernel.
#include "gemm.h"

#include <algorithm>
#include <cstring>

#include "common.h"
#include "threadpool.h"

namespace dn {
namespace {

const UKernel kAvx512{12, 32, ukernel_avx512, "avx512"};
const UKernel kAvx2{6, 16, ukernel_avx2, "avx2"};
const UKernel kGeneric{4, 16, ukernel_generic, "generic"};

bool has(const char* isa) {
#ifdef DN_X86
  __builtin_cpu_init();
  if (!std::strcmp(isa, "avx512"))
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
  if (!std::strcmp(isa, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return !std::strcmp(isa, "generic");
}

const UKernel* pick_auto() {
  if (has("avx512")) return &kAvx512;
  if (has("avx2")) return &kAvx2;
  return &kGeneric;
}

const UKernel* active = nullptr;

inline void epilogue_fill(float* C, long ldc, int M, int n0, int n1, bool accumulate, const float* bias, bool relu) {
  for (int i = 0; i < M; i++) {
    float* c = C + i * ldc;
    for (int j = n0; j < n1; j++) {
      float v = accumulate ? c[j] : 0.f;
      if (bias) v += bias[j];
      if (relu && v < 0.f) v = 0.f;
      c[j] = v;
    }
  }
}

/** Packs rows [0, mc) x depth [0, kc) of A into MR-row panels: dst[panel][p*MR + r], zero padded. */
void pack_a(const MatView& A, int mc, int kc, int MR, float* dst) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    const int mr = std::min(MR, mc - i0);
    float* d = dst + static_cast<long>(i0) * kc;
    if (A.cs == 1) {
      // Row-major A: read each row along p, write with stride MR.
      for (int r = 0; r < mr; r++) {
        const float* s = A.at(i0 + r, 0);
        for (int p = 0; p < kc; p++) d[p * MR + r] = s[p];
      }
      for (int r = mr; r < MR; r++)
        for (int p = 0; p < kc; p++) d[p * MR + r] = 0.f;
    } else if (A.rs == 1) {
      // Column-major A (transposed): MR contiguous floats per depth step.
      for (int p = 0; p < kc; p++) {
        const float* s = A.at(i0, p);
        float* dd = d + p * MR;
        for (int r = 0; r < mr; r++) dd[r] = s[r];
        for (int r = mr; r < MR; r++) dd[r] = 0.f;
      }
    } else {
      for (int p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++) d[p * MR + r] = r < mr ? *A.at(i0 + r, p) : 0.f;
    }
  }
}

}  // namespace

const UKernel& ukernel() {
  if (!active) active = pick_auto();
  return *active;
}

bool cpu_supports_isa(const char* name) { return has(name); }

bool set_isa(const char* name) {
  if (!std::strcmp(name, "auto")) {
    active = pick_auto();
    return true;
  }
  if (!has(name)) return false;
  if (!std::strcmp(name, "avx512")) active = &kAvx512;
  else if (!std::strcmp(name, "avx2")) active = &kAvx2;
  else active = &kGeneric;
  return true;
}

const char* isa_name() { return ukernel().name; }

void ukernel_generic(int kc, const float* a, long ars, long acs, const float* b, float* c, long ldc, int mr, int nr,
                     bool accumulate, const float* bias, bool relu) {
  float acc[4][16] = {};
  for (int p = 0; p < kc; p++) {
    for (int r = 0; r < 4; r++) {
      const float av = a[r * ars];
      for (int j = 0; j < 16; j++) acc[r][j] += av * b[j];
    }
    a += acs;
    b += 16;
  }
  for (int r = 0; r < mr; r++) {
    float* cr = c + r * ldc;
    for (int j = 0; j < nr; j++) {
      float v = acc[r][j];
      if (accumulate) v += cr[j];
      if (bias) v += bias[j];
      if (relu && v < 0.f) v = 0.f;
      cr[j] = v;
    }
  }
}

size_t packed_b_size(int K, int N) {
  const int NR = ukernel().nr;
  return static_cast<size_t>(K) * round_up(N, NR);
}

void pack_b(const MatView& B, int K, int N, float* dst) {
  const int NR = ukernel().nr;
  const long Npad = round_up(N, NR);
  for (int pc = 0; pc < K; pc += kKC) {
    const int kc = std::min(kKC, K - pc);
    float* blk = dst + static_cast<long>(pc) * Npad;
    for (int j0 = 0; j0 < N; j0 += NR) {
      const int nr = std::min(NR, N - j0);
      float* d = blk + static_cast<long>(j0) * kc;
      if (B.cs == 1) {
        for (int p = 0; p < kc; p++) {
          const float* s = B.at(pc + p, j0);
          float* dd = d + p * NR;
          std::memcpy(dd, s, nr * sizeof(float));
          for (int j = nr; j < NR; j++) dd[j] = 0.f;
        }
      } else {
        for (int j = 0; j < NR; j++) {
          if (j < nr) {
            const float* s = B.at(pc, j0 + j);
            for (int p = 0; p < kc; p++) d[p * NR + j] = s[p * B.rs];
          } else {
            for (int p = 0; p < kc; p++) d[p * NR + j] = 0.f;
          }
        }
      }
    }
  }
}

void gemm_serial(int M, int n0, int n1, int K, const MatView& A, const float* Bp, int Npad, float* C, long ldc,
                 bool accumulate, const float* bias, bool relu, int tid) {
  if (M <= 0 || n1 <= n0) return;
  if (K <= 0) {
    epilogue_fill(C, ldc, M, n0, n1, accumulate, bias, relu);
    return;
  }
  const UKernel& uk = ukernel();
  const int MR = uk.mr, NR = uk.nr;
  // A is read in place when its rows or columns are contiguous (im2col chunks, weights, activations);
  // only edge tiles (fewer than MR rows) and general strides are packed.
  const bool direct = A.rs == 1 || A.cs == 1;
  float* Ap = scratch(tid, kPackA).get(static_cast<size_t>(kMC) * kKC);
  for (int pc = 0; pc < K; pc += kKC) {
    const int kc = std::min(kKC, K - pc);
    const bool last = pc + kc >= K;
    const bool acc = accumulate || pc > 0;
    const float* blk = Bp + static_cast<long>(pc) * Npad;
    for (int ic = 0; ic < M; ic += kMC) {
      const int mc = std::min(kMC, M - ic);
      const int full = direct ? mc / MR * MR : 0;  // rows read in place
      if (full < mc) {
        MatView Ab{A.at(ic + full, pc), A.rs, A.cs};
        pack_a(Ab, mc - full, kc, MR, Ap);
      }
      for (int j = n0; j < n1; j += NR) {
        const int nr = std::min(NR, n1 - j);
        const float* bpanel = blk + static_cast<long>(j) * kc;
        for (int ir = 0; ir < mc; ir += MR) {
          const int mr = std::min(MR, mc - ir);
          const float* bias_j = last && bias ? bias + j : nullptr;
          float* cij = C + (ic + ir) * ldc + j;
          if (ir < full)
            uk.fn(kc, A.at(ic + ir, pc), A.rs, A.cs, bpanel, cij, ldc, mr, nr, acc, bias_j, last && relu);
          else
            uk.fn(kc, Ap + static_cast<long>(ir - full) * kc, 1, MR, bpanel, cij, ldc, mr, nr, acc, bias_j, last && relu);
        }
      }
    }
  }
}

void sgemm_naive(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, const float* bias, bool relu) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = 0.f;
      for (int p = 0; p < K; p++) s += *A.at(i, p) * *B.at(p, j);
      if (bias) s += bias[j];
      if (relu && s < 0.f) s = 0.f;
      C[i * ldc + j] = s;
    }
}

namespace {

// Few rows (batch-1 inference): y_i = Σ_p a_ip · B_p, one pass over row-major B, split over columns.
DN_CLONES void small_m_rows(int M, int j0, int j1, int K, const MatView& A, const MatView& B, float* C, long ldc,
                            const float* bias, bool relu) {
  for (int i = 0; i < M; i++) {
    float* c = C + i * ldc;
    for (int j = j0; j < j1; j++) c[j] = 0.f;
    for (int p = 0; p < K; p++) {
      const float av = *A.at(i, p);
      const float* b = B.at(p, 0);
      for (int j = j0; j < j1; j++) c[j] += av * b[j];
    }
    for (int j = j0; j < j1; j++) {
      float v = c[j];
      if (bias) v += bias[j];
      if (relu && v < 0.f) v = 0.f;
      c[j] = v;
    }
  }
}

}  // namespace

void sgemm(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, const float* bias, bool relu) {
  if (M <= 0 || N <= 0) return;
  const int T = pool_threads();
  if (K <= 0) {
    epilogue_fill(C, ldc, M, 0, N, false, bias, relu);
    return;
  }
  if (M < 4 && B.cs == 1) {
    const int chunk = static_cast<int>(std::max<long>(64, round_up(ceil_div(N, T), 16)));
    const int tasks = static_cast<int>(ceil_div(N, chunk));
    const long work = static_cast<long>(M) * N * K;
    auto f = [&](int t, int) { small_m_rows(M, t * chunk, std::min(N, (t + 1) * chunk), K, A, B, C, ldc, bias, relu); };
    if (work < 32768) for (int t = 0; t < tasks; t++) f(t, 0);
    else parallel_for(tasks, f);
    return;
  }
  const UKernel& uk = ukernel();
  const int MR = uk.mr, NR = uk.nr;
  const int Npanels = static_cast<int>(ceil_div(N, NR));
  const int Npad = Npanels * NR;
  float* Bp = shared_scratch(kPackB).get(packed_b_size(K, N));
  const long work = static_cast<long>(M) * N * K;
  // Pack B: split over KC blocks when it is big.
  const int kblocks = static_cast<int>(ceil_div(K, kKC));
  if (static_cast<long>(K) * N > (1 << 16) && kblocks > 1) {
    parallel_for(kblocks, [&](int t, int) {
      const int pc = t * kKC, kc = std::min(kKC, K - pc);
      pack_b(MatView{B.at(pc, 0), B.rs, B.cs}, kc, N, Bp + static_cast<long>(pc) * Npad);
    });
  } else {
    pack_b(B, K, N, Bp);
  }
  if (T == 1 || work < 65536) {
    gemm_serial(M, 0, N, K, A, Bp, Npad, C, ldc, false, bias, relu, 0);
    return;
  }
  // Tiles: row chunks (multiples of MR) x column chunks (multiples of NR), at least ~2 per thread.
  int mchunk = kMC;
  long mtasks = ceil_div(M, mchunk);
  if (mtasks < 2L * T) {
    mchunk = static_cast<int>(round_up(ceil_div(M, 2L * T), MR));
    mtasks = ceil_div(M, mchunk);
  }
  int ntasks_n = 1;
  if (mtasks < 2L * T) ntasks_n = static_cast<int>(std::min<long>(Npanels, ceil_div(2L * T, mtasks)));
  const int ppt = static_cast<int>(ceil_div(Npanels, ntasks_n));  // panels per column chunk
  ntasks_n = static_cast<int>(ceil_div(Npanels, ppt));
  parallel_for(static_cast<int>(mtasks * ntasks_n), [&](int t, int tid) {
    const int mi = t / ntasks_n, ni = t % ntasks_n;
    const int i0 = mi * mchunk, i1 = std::min(M, i0 + mchunk);
    const int n0 = ni * ppt * NR, n1 = std::min(N, n0 + ppt * NR);
    gemm_serial(i1 - i0, n0, n1, K, MatView{A.at(i0, 0), A.rs, A.cs}, Bp, Npad, C + i0 * ldc, ldc, false, bias, relu, tid);
  });
}

}  // namespace dn
