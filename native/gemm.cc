// GEMM driver: cache blocking, packing, threading and the portable micro-kernel.
// Loop order inside a task (BLIS's, with the roles of A and B swapped because C is row-major and the
// vectors run along N): for each depth block, for each MR-row micro-panel of A (kept in L1), for each
// NR-column panel of packed B (streamed from L2): one micro-kernel call.
#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <unistd.h>

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

/** Data cache sizes in bytes (glibc reads them from cpuid); common values when the system does not say. */
struct Caches {
  long l1, l2, l3;
};
const Caches& caches() {
  static const Caches c = [] {
    long l1 = 0, l2 = 0, l3 = 0;
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE) && defined(_SC_LEVEL3_CACHE_SIZE)
    l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
    if (l1 < 16 * 1024 || l1 > 256 * 1024) l1 = 32 * 1024;
    if (l2 < 128 * 1024 || l2 > 16 * 1024 * 1024) l2 = 512 * 1024;
    if (l3 < l2) l3 = 4 * l2;
    return Caches{l1, l2, l3};
  }();
  return c;
}

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

/** Packs rows [i0, i0+mr) x depth [p0, p0+kc) of A as one MR-row panel: dst[p*MR + r], zero padded. */
void pack_a_panel(const MatView& A, int i0, int p0, int mr, int kc, int MR, float* dst) {
  if (A.rs == 1) {
    for (int p = 0; p < kc; p++) {
      const float* s = A.at(i0, p0 + p);
      float* d = dst + p * MR;
      for (int r = 0; r < mr; r++) d[r] = s[r];
      for (int r = mr; r < MR; r++) d[r] = 0.f;
    }
    return;
  }
  for (int r = 0; r < mr; r++) {
    const float* s = A.at(i0 + r, p0);
    for (int p = 0; p < kc; p++) dst[p * MR + r] = s[p * A.cs];
  }
  for (int r = mr; r < MR; r++)
    for (int p = 0; p < kc; p++) dst[p * MR + r] = 0.f;
}

/** Where the micro-kernel finds a B panel: packed blocks, or row-major rows read in place. */
struct BSource {
  const float* p;
  long ld;    // in place: the row stride; packed: 0
  int Npad;   // packed: the padded width of the packing
  const float* panel(int pc, int kc, int j) const { return ld ? p + static_cast<long>(pc) * ld + j : p + static_cast<long>(pc) * Npad + static_cast<long>(j) * kc; }
  long ldb(int NR) const { return ld ? ld : NR; }
};

/**
 * Rows [0, M) x columns [n0, n1) of C (+)= A · B. A is read in place when its rows or columns are
 * contiguous; edge panels (fewer than MR rows) and other strides are packed into this thread's scratch.
 */
void macro_kernel(int M, int n0, int n1, int K, const MatView& A, const BSource& B, float* C, long ldc, bool accumulate,
                  const float* bias, bool relu, int tid) {
  if (M <= 0 || n1 <= n0) return;
  if (K <= 0) {
    epilogue_fill(C, ldc, M, n0, n1, accumulate, bias, relu);
    return;
  }
  const UKernel& uk = ukernel();
  const int MR = uk.mr, NR = uk.nr;
  const int kcmax = depth_block(K);
  const bool colA = A.rs == 1, rowA = A.cs == 1 && !colA;
  // Rows a multiple of 4 KB apart fall into the same L1 sets, more of them than it has ways: such panels are
  // packed when they are reused across several B panels. Other row-major A is read in place.
  const bool packRows = rowA && (A.rs * static_cast<long>(sizeof(float))) % 4096 == 0 && ceil_div(n1 - n0, NR) >= 4;
  float* Ap = scratch(tid, kPackA).get(static_cast<size_t>(MR) * kcmax);
  const long ldb = B.ldb(NR);
  for (int pc = 0; pc < K; pc += kcmax) {
    const int kc = std::min(kcmax, K - pc);
    const bool last = pc + kc >= K;
    const bool acc = accumulate || pc > 0;
    for (int ir = 0; ir < M; ir += MR) {
      const int mr = std::min(MR, M - ir);
      const float* a = A.at(ir, pc);
      long ars = A.rs, acs = A.cs;
      if (mr < MR || !(colA || rowA) || packRows) {
        pack_a_panel(A, ir, pc, mr, kc, MR, Ap);
        a = Ap;
        ars = 1;
        acs = MR;
      }
      KernelArgs k{kc, a, ars, acs, nullptr, ldb, nullptr, ldc, mr, 0, acc, nullptr, last && relu, nullptr, 0, 0};
      // Row-major A read in place: the first call of this panel brings the next panel's rows into L1.
      if (rowA && !packRows && ir + MR < M) {
        k.pf = A.at(ir + MR, pc);
        k.pf_ld = A.rs;
        k.pf_rows = std::min(MR, M - ir - MR);
      }
      float* crow = C + static_cast<long>(ir) * ldc;
      for (int j = n0; j < n1; j += NR) {
        k.b = B.panel(pc, kc, j);
        k.c = crow + j;
        k.nr = std::min(NR, n1 - j);
        k.bias = last && bias ? bias + j : nullptr;
        uk.fn(k);
        k.pf = nullptr;
      }
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

void ukernel_generic(const KernelArgs& k) {
  int kc = k.kc;
  const float* a = k.a;
  const float* b = k.b;
  const long ars = k.ars, acs = k.acs, ldb = k.ldb, ldc = k.ldc;
  float* c = k.c;
  float acc[4][16] = {};
  if (k.rows) {
    for (int s = 0; s < k.nruns; s++)
      for (int q = 0; q < k.run_len[s]; q++, b += ldb)
        for (int r = 0; r < 4; r++) {
          const float av = k.rows[r][k.run_off[s] + q * k.run_step];
          for (int j = 0; j < 16; j++) acc[r][j] += av * b[j];
        }
    kc = 0;
  }
  for (int p = 0; p < kc; p++) {
    for (int r = 0; r < 4; r++) {
      const float av = a[r * ars];
      for (int j = 0; j < 16; j++) acc[r][j] += av * b[j];
    }
    a += acs;
    b += ldb;
  }
  for (int r = 0; r < k.mr; r++) {
    float* cr = c + r * ldc;
    for (int j = 0; j < k.nr; j++) {
      float v = acc[r][j];
      if (k.accumulate) v += cr[j];
      if (k.bias) v += k.bias[j];
      if (k.relu && v < 0.f) v = 0.f;
      cr[j] = v;
    }
  }
}

int depth_block(int K) {
  const UKernel& uk = ukernel();
  // An A micro-panel (MR x kc) in half of L1, the other half for the B panel's stream.
  long cap = caches().l1 / 2 / (uk.mr * static_cast<long>(sizeof(float)));
  cap = std::max(128L, std::min(512L, cap / 8 * 8));
  if (K <= cap) return std::max(K, 1);
  const long blocks = ceil_div(K, cap);
  return static_cast<int>(round_up(ceil_div(K, blocks), 8));
}

namespace {
/** Columns of B packed at once: a kc x nc block of packed B fits in half of L2. */
int column_block(int kc) {
  const int NR = ukernel().nr;
  const long nc = caches().l2 / 2 / (static_cast<long>(kc) * sizeof(float));
  return static_cast<int>(std::max<long>(4L * NR, nc / NR * NR));
}
}  // namespace

size_t packed_b_size(int K, int N) {
  const int NR = ukernel().nr;
  return static_cast<size_t>(std::max(K, 1)) * round_up(std::max(N, 1), NR);
}

void pack_b(const MatView& B, int K, int N, float* dst) {
  const int NR = ukernel().nr;
  const long Npad = round_up(N, NR);
  const int kcmax = depth_block(K);
  for (int pc = 0; pc < K; pc += kcmax) {
    const int kc = std::min(kcmax, K - pc);
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
  macro_kernel(M, n0, n1, K, A, BSource{Bp, 0, Npad}, C, ldc, accumulate, bias, relu, tid);
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

void small_m(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, const float* bias, bool relu) {
  const int T = pool_threads();
  const int chunk = static_cast<int>(std::max<long>(64, round_up(ceil_div(N, T), 16)));
  const int tasks = static_cast<int>(ceil_div(N, chunk));
  auto f = [&](int t, int) { small_m_rows(M, t * chunk, std::min(N, (t + 1) * chunk), K, A, B, C, ldc, bias, relu); };
  if (static_cast<long>(M) * N * K < 32768) {
    for (int t = 0; t < tasks; t++) f(t, 0);
  } else {
    parallel_for(tasks, f);
  }
}

/** Packs columns [0, N) of B into Bp, split across the pool by depth blocks and panel groups when big. */
void pack_b_threaded(const MatView& B, int K, int N, float* Bp) {
  const int NR = ukernel().nr;
  const long Npad = round_up(N, NR);
  if (static_cast<long>(K) * N < (1 << 15) || pool_threads() == 1) {
    pack_b(B, K, N, Bp);
    return;
  }
  // Every column group is packed with the depth blocking of the whole K, so each task packs whole panels.
  const int kcmax = depth_block(K);
  const int kblocks = static_cast<int>(ceil_div(K, kcmax));
  const int panels = static_cast<int>(Npad / NR);
  const int groups = std::min(panels, std::max(1, 4 * pool_threads() / kblocks));
  const int ppg = static_cast<int>(ceil_div(panels, groups));
  parallel_for(kblocks * groups, [&](int t, int) {
    const int kb = t / groups, gi = t % groups;
    const int pc = kb * kcmax, kc = std::min(kcmax, K - pc);
    const int j0 = gi * ppg * NR, j1 = std::min(N, j0 + ppg * NR);
    if (j1 <= j0) return;
    // One depth block of at most kcmax: the sub-packing lays its panels out as the whole packing does.
    pack_b(MatView{B.at(pc, j0), B.rs, B.cs}, kc, j1 - j0, Bp + static_cast<long>(pc) * Npad + static_cast<long>(j0) * kc);
  });
}

/**
 * Few rows (a dense layer on a few images) or a short sum: packing B would cost about as much as the
 * multiply, each panel being met by only a few A micro-panels. With whole panels in each row of B, the
 * micro-kernel reads B in place; tasks split the columns into panel groups and the rows into micro-panel
 * chunks, or, with rows enough for 3 tasks a thread of at least 4 micro-panels each (a short sum over a
 * batch of pixels), the rows alone, as gemm_block does: column groups had both threads writing
 * neighbouring halves of the same lines of C (86528x32x9: 21 -> 49 GFLOP/s). From 32 rows on, packing
 * pays: a panel read in place takes one line per step from rows a layer's width apart, and at widths of a
 * multiple of 128 floats those lines share a few L1 sets (the seed CNN's dense layer at batch 64 and 128,
 * forward and input gradient: 51-83 -> 60-98 GFLOP/s packed; the same bits, as the sums run in the same
 * order).
 */
void sgemm_b_in_place(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, const float* bias, bool relu) {
  const UKernel& uk = ukernel();
  const int MR = uk.mr, NR = uk.nr, T = pool_threads();
  const BSource Bs{B.at(0, 0), B.rs, 0};
  if (T == 1 || static_cast<long>(M) * N * K < 65536) return macro_kernel(M, 0, N, K, A, Bs, C, ldc, false, bias, relu, 0);
  const int panels = N / NR, rowPanels = static_cast<int>(ceil_div(M, MR));
  const int ngroups = rowPanels >= 3 * T * 4 ? 1 : std::min(panels, 2 * T);
  const int mtasks = std::min(rowPanels, static_cast<int>(ceil_div(3L * T, ngroups)));
  const int ppg = static_cast<int>(ceil_div(panels, ngroups)), mchunk = static_cast<int>(ceil_div(rowPanels, mtasks)) * MR;
  parallel_for(mtasks * ngroups, [&](int t, int tid) {
    const int i0 = (t / ngroups) * mchunk, i1 = std::min(M, i0 + mchunk);
    const int n0 = (t % ngroups) * ppg * NR, n1 = std::min(N, n0 + ppg * NR);
    if (i1 <= i0 || n1 <= n0) return;
    macro_kernel(i1 - i0, n0, n1, K, MatView{A.at(i0, 0), A.rs, A.cs}, Bs, C + static_cast<long>(i0) * ldc, ldc, false, bias, relu, tid);
  });
}

/**
 * Few outputs and a long sum (a weight gradient over many rows: 288 x 64 summed over 15,488). Split by rows
 * and columns, every task would take the whole sum and stream all of B from L3; the sum is split instead,
 * in fixed chunks (by shape alone, so the result does not depend on the thread count), each chunk's B
 * packed by its task and multiplied into the chunk's own partial C, added in chunk order.
 */
constexpr int kSumChunk = 2048;
/**
 * The chunk length, or 0 where the sum is not split: chunks of kSumChunk for long sums; halves for a sum of
 * 1,024 to 4,095 into at most 16,384 outputs from 32 rows on (a dense layer's forward, 128 x 128 from
 * 1,600). There a whole packed B is larger than L2 (800 KB), and each of gemm_block's row tasks would read
 * it all from L3; a half is packed by its own task into its own L2 (bench --gemm on Zen 3: 144 -> 156 GFLOP/s,
 * OpenBLAS 137-169 in the same runs). Fewer rows take the in-place path, where packing B would cost as much
 * as the multiply.
 */
int sum_chunk(int M, int N, int K) {
  const long outputs = static_cast<long>(M) * N;
  if (K >= 2 * kSumChunk && outputs <= 65536) return kSumChunk;
  if (M >= 32 && K >= 1024 && outputs <= 16384) return static_cast<int>(round_up(ceil_div(K, 2), 8));
  return 0;
}

void sgemm_split_sum(int M, int N, int K, int chunk, const MatView& A, const MatView& B, float* C, long ldc, const float* bias,
                     bool relu) {
  const int NR = ukernel().nr, chunks = static_cast<int>(ceil_div(K, chunk));
  const int Npad = static_cast<int>(round_up(N, NR));
  const long plane = static_cast<long>(M) * N;
  float* part = shared_scratch(kPartial).get(chunks * plane);
  parallel_for(chunks, [&](int s, int tid) {
    const int p0 = s * chunk, kc = std::min(chunk, K - p0);
    float* Bp = scratch(tid, kPackB).get(packed_b_size(kc, N));
    pack_b(MatView{B.at(p0, 0), B.rs, B.cs}, kc, N, Bp);
    gemm_serial(M, 0, N, kc, MatView{A.at(0, p0), A.rs, A.cs}, Bp, Npad, part + s * plane, N, false, nullptr, false, tid);
  });
  parallel_for(static_cast<int>(ceil_div(M, 16)), [&](int t, int) {
    const int i0 = t * 16, i1 = std::min(M, i0 + 16);
    for (int i = i0; i < i1; i++) sum_in_order(part + static_cast<long>(i) * N, chunks, plane, 0, N, C + static_cast<long>(i) * ldc);
    if (bias || relu) epilogue_fill(C + static_cast<long>(i0) * ldc, ldc, i1 - i0, 0, N, true, bias, relu);
  });
}

/** Columns of B packed at once for a wide product (more columns than column_block): a kc x nc block in a quarter of L3, at most 4 MB. */
int wide_column_block(int kc) {
  const int NR = ukernel().nr;
  // min of max, not std::clamp: an L2 reported above 8 MB would put clamp's floor over its ceiling (undefined).
  const long budget = std::min(std::max(caches().l3 / 4, caches().l2 / 2), 4L << 20);
  const long nc = budget / (static_cast<long>(kc) * sizeof(float));
  return static_cast<int>(std::max<long>(column_block(kc), nc / NR * NR));
}

/**
 * C[:, 0:N) (+)= A · B (K deep) for N within one column block: B packed whole (threaded when big), then tasks
 * of row chunks (multiples of MR, at most 16 micro-panels) x column groups, about 3 per thread so that a
 * thread slowed by others does not hold the rest back.
 */
void gemm_block(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, bool accumulate, const float* bias,
                bool relu, bool threaded) {
  const int MR = ukernel().mr, NR = ukernel().nr, T = pool_threads();
  const int Npad = static_cast<int>(round_up(N, NR));
  float* Bp = shared_scratch(kPackB).get(packed_b_size(K, N));
  pack_b_threaded(B, K, N, Bp);
  if (!threaded) return gemm_serial(M, 0, N, K, A, Bp, Npad, C, ldc, accumulate, bias, relu, 0);
  const long rowPanels = ceil_div(M, MR);
  long mchunk = std::min<long>(16, std::max<long>(1, ceil_div(rowPanels, 3L * T)));
  const long mtasks = ceil_div(rowPanels, mchunk);
  const int panels = Npad / NR;
  const int ngroups = static_cast<int>(std::min<long>(panels, std::max<long>(1, ceil_div(3L * T, mtasks))));
  const int ppg = static_cast<int>(ceil_div(panels, ngroups));
  mchunk *= MR;
  parallel_for(static_cast<int>(mtasks * ngroups), [&](int t, int tid) {
    const int mi = t / ngroups, ni = t % ngroups;
    const int i0 = static_cast<int>(mi * mchunk), i1 = static_cast<int>(std::min<long>(M, i0 + mchunk));
    const int n0 = ni * ppg * NR, n1 = std::min(N, n0 + ppg * NR);
    if (n1 <= n0) return;
    gemm_serial(i1 - i0, n0, n1, K, MatView{A.at(i0, 0), A.rs, A.cs}, Bp, Npad, C + static_cast<long>(i0) * ldc, ldc, accumulate,
                bias, relu, tid);
  });
}

}  // namespace

void sgemm(int M, int N, int K, const MatView& A, const MatView& B, float* C, long ldc, const float* bias, bool relu) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    epilogue_fill(C, ldc, M, 0, N, false, bias, relu);
    return;
  }
  if (M < 4 && B.cs == 1) return small_m(M, N, K, A, B, C, ldc, bias, relu);
  const int NR = ukernel().nr, T = pool_threads();
  if (const int chunk = sum_chunk(M, N, K)) return sgemm_split_sum(M, N, K, chunk, A, B, C, ldc, bias, relu);
  if (B.cs == 1 && N % NR == 0 && (M < 32 || K < 64)) return sgemm_b_in_place(M, N, K, A, B, C, ldc, bias, relu);
  const int kc = depth_block(K);
  const int Nall = static_cast<int>(round_up(N, NR));
  const bool threaded = T > 1 && static_cast<long>(M) * N * K >= 65536;
  if (Nall <= column_block(kc)) return gemm_block(M, N, K, A, B, C, ldc, false, bias, relu, threaded);
  // Wide: B in blocks of kc x nc sized for L3, each packed and multiplied in turn, the depth blocks added in
  // order (the sums run as in the narrow path: the same bits). An A micro-panel in L1 then meets nc / NR
  // panels of B instead of the few an L2-sized block holds, so A is read and packed that much less often:
  // 4096^3 on 2 Zen 3 cores 79 -> 131 GFLOP/s (both builds alternating in one process), B blocks of 4 MB, not 256 KB.
  const int nc = std::min(Nall, wide_column_block(kc));
  for (int jc = 0; jc < N; jc += nc) {
    const int nb = std::min(nc, N - jc);
    for (int pc = 0; pc < K; pc += kc) {
      const int kb = std::min(kc, K - pc);
      const bool last = pc + kb >= K;
      gemm_block(M, nb, kb, MatView{A.at(0, pc), A.rs, A.cs}, MatView{B.at(pc, jc), B.rs, B.cs}, C + jc, ldc, pc > 0,
                 last && bias ? bias + jc : nullptr, last && relu, threaded);
    }
  }
}

}  // namespace dn
