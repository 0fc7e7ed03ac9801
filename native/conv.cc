// Convolution forward and input gradient on the packed GEMM's micro-kernels, with no im2col matrix: the
// forward pass reads its input in place, one row pointer per output pixel into the (zero-padded where the
// windows need it) input, with bias and ReLU fused into the epilogue. The input gradient is dy · wᵀ then
// col2im, each task owning whole images, or, for stride-1 'same' layers, a convolution of dy itself.
// Nothing here sums across tasks, so results do not depend on the thread count.
#include <vector>

#include "conv.h"
#include "conv_single.h"
#include "gemm.h"
#include "winograd.h"

namespace dn {
namespace {

/**
 * Adds rows [r0, r1) of one image's im2col-shaped gradient (dcol holds those rows, K columns each) into
 * the image's dx (h, w, c).
 */
DN_CLONES void col2im_rows(const float* dcol, const Geo& g, long r0, long r1, float* dxi) {
  const long K = g.kh * g.kw * g.c;
  for (long r = r0; r < r1; r++) {
    const long oy = r / g.ow, ox = r % g.ow;
    const float* row = dcol + (r - r0) * K;
    const long ix0 = ox * g.sw - g.pl;
    const long kx0 = std::max(0L, -ix0), kx1 = std::min(g.kw, g.w - ix0);
    if (kx1 <= kx0) continue;
    for (long ky = 0; ky < g.kh; ky++) {
      const long iy = oy * g.sh - g.pt + ky;
      if (iy < 0 || iy >= g.h) continue;
      // Columns kx0..kx1 map to contiguous pixels ix0+kx0..: one contiguous run of (kx1-kx0)·c floats.
      float* __restrict dd = dxi + (iy * g.w + ix0 + kx0) * g.c;
      const float* __restrict ss = row + (ky * g.kw + kx0) * g.c;
      const long len = (kx1 - kx0) * g.c;
      for (long i = 0; i < len; i++) dd[i] += ss[i];
    }
  }
}

/** The depth runs of block [pc, pc + kc): pieces of the kh window rows (kw·c consecutive floats each, one
 * input row of `rowstride` floats apart). Returns how many; at most kh. */
int window_runs(const Geo& g, long rowstride, long pc, long kc, long* off, int* len) {
  const long L = g.kw * g.c;
  int n = 0;
  for (long ky = pc / L; ky < g.kh && ky * L < pc + kc; ky++) {
    const long s = std::max(pc, ky * L), e = std::min(pc + kc, (ky + 1) * L);
    off[n] = ky * rowstride + (s - ky * L);
    len[n++] = static_cast<int>(e - s);
  }
  return n;
}

/**
 * The filters (K x N) as the micro-kernels read them: packed by pack_b (depth blocks of NR-wide panels,
 * n = the padded width), or the row-major matrix in place (n = N, a whole number of panels).
 */
struct Filters {
  const float* p;
  long n;
  bool packed;
  const float* panel(long pc, long kc, long j) const { return packed ? p + pc * n + j * kc : p + pc * n + j; }
};

/**
 * Packing copies all K·N filters on every call, which pays where many blocks of rows reuse them. A call of
 * few rows (batch-1 inference: 49 to 784 output pixels) reads them in place instead where N fills whole
 * panels: packing was a tenth of a batch-1 `resnet20` forward pass (its 1.1 MB of filters copied each time).
 */
constexpr long kInPlaceRows = 2048;
Filters filters_for(const float* w, long K, long N, long rows) {
  const int NR = ukernel().nr;
  if (N % NR == 0 && rows <= kInPlaceRows) return {w, N, false};
  float* Wp = shared_scratch(kCol).get(packed_b_size(static_cast<int>(K), static_cast<int>(N)));
  pack_b(MatView{w, N, 1}, static_cast<int>(K), static_cast<int>(N), Wp);
  return {Wp, round_up(N, NR), true};
}

/** Output rows [r0, r1) = act(windows · W + b) into y (row r0 first), reading the windows from src (images from b0 on, padded). */
void forward_rows(const float* src, long b0, const Geo& g, const PaddedInput& pi, const Filters& W, const float* bias, float* y,
                  long r0, long r1, bool relu) {
  const UKernel& uk = ukernel();
  const int MR = uk.mr, NR = uk.nr;
  const long K = g.kh * g.kw * g.c, N = g.oc, ohw = g.oh * g.ow;
  const long rowstride = (pi.copy ? pi.wp : g.w) * g.c, img = (pi.copy ? pi.hp : g.h) * rowstride;
  const int kcmax = depth_block(static_cast<int>(K));
  // Runs of every depth block, laid out once: block i's runs are [first[i], first[i + 1]).
  const int nblocks = static_cast<int>(ceil_div(K, kcmax));
  thread_local std::vector<long> off;
  thread_local std::vector<int> len, first;
  off.assign(static_cast<size_t>(nblocks) * g.kh, 0);
  len.assign(off.size(), 0);
  first.assign(nblocks + 1, 0);
  for (int blk = 0; blk < nblocks; blk++) {
    const long pc = static_cast<long>(blk) * kcmax;
    first[blk + 1] = first[blk] + window_runs(g, rowstride, pc, std::min<long>(kcmax, K - pc), &off[first[blk]], &len[first[blk]]);
  }
  const float* rows[16];
  // The pixel of row r0, then stepped along: no divisions per row.
  long b = r0 / ohw, oy = (r0 % ohw) / g.ow, ox = r0 % g.ow;
  for (long i0 = r0; i0 < r1; i0 += MR) {
    const int mr = static_cast<int>(std::min<long>(MR, r1 - i0));
    for (int r = 0; r < MR; r++) {
      if (r < mr) {
        rows[r] = src + (b - b0) * img + oy * g.sh * rowstride + ox * g.sw * g.c;
        if (++ox == g.ow) {
          ox = 0;
          if (++oy == g.oh) {
            oy = 0;
            ++b;
          }
        }
      } else {
        rows[r] = rows[mr - 1];
      }
    }
    for (int blk = 0; blk < nblocks; blk++) {
      const long pc = static_cast<long>(blk) * kcmax, kc = std::min<long>(kcmax, K - pc);
      const bool last = blk == nblocks - 1;
      KernelArgs k{static_cast<int>(kc), nullptr, 0, 0, nullptr, W.packed ? NR : W.n, nullptr, N, mr, 0, blk > 0, nullptr, last && relu, nullptr, 0, 0};
      k.rows = rows;
      k.run_off = &off[first[blk]];
      k.run_len = &len[first[blk]];
      k.nruns = first[blk + 1] - first[blk];
      for (long j = 0; j < N; j += NR) {
        k.b = W.panel(pc, kc, j);
        k.c = y + (i0 - r0) * N + j;
        k.nr = static_cast<int>(std::min<long>(NR, N - j));
        k.bias = last && bias ? bias + j : nullptr;
        uk.fn(k);
      }
    }
  }
}

/** y = act(conv(x) · W + b) with W the (kh·kw·c) x oc kernel; b may be null. */
void forward_pass(const float* x, const Filters& W, const float* b, float* y, const Geo& g, bool relu) {
  const long rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c, N = g.oc;
  const PaddedInput pi(g);
  const long ohw = g.oh * g.ow;
  // Chunks of output pixels; with padding, whole images, so that each task pads the images it reads.
  long P = chunk_rows(rows, K, chunk_floats(), ukernel().mr, 4);
  if (pi.copy) P = ohw * std::max<long>(1, std::min(P / ohw, ceil_div(g.n, 4L * pool_threads())));
  const int tasks = static_cast<int>(ceil_div(rows, P));
  auto task = [&](int t, int tid) {
    const long r0 = t * P, r1 = std::min(rows, r0 + P);
    if (!pi.copy) return forward_rows(x, 0, g, pi, W, b, y + r0 * N, r0, r1, relu);
    const long b0 = r0 / ohw, b1 = ceil_div(r1, ohw);
    float* padded = scratch(tid, kCol).get((b1 - b0) * pi.image() * g.c);
    pad_images(x, g, pi, b0, b1, padded);
    forward_rows(padded, b0, g, pi, W, b, y + r0 * N, r0, r1, relu);
  };
  if (rows * K * N < 65536) {
    for (int t = 0; t < tasks; t++) task(t, 0);
  } else {
    parallel_for(tasks, task);
  }
}

/** forward_pass pooled 2x2 (pg) as it goes (pool_by_images). */
void pooled_pass(const float* x, const Filters& W, const float* b, float* y, int32_t* argmax, const Geo& g, const Geo& pg, bool relu) {
  const long ohw = g.oh * g.ow;
  const PaddedInput pi(g);
  pool_by_images(g, pg, y, argmax, g.n * ohw * g.kh * g.kw * g.c * g.oc, [&](long b0, long b1, float* out, int tid) {
    const float* src = x;
    if (pi.copy) {
      float* padded = scratch(tid, kCol).get((b1 - b0) * pi.image() * g.c);
      pad_images(x, g, pi, b0, b1, padded);
      src = padded;
    }
    forward_rows(src, pi.copy ? b0 : 0, g, pi, W, b, out, b0 * ohw, b1 * ohw, relu);
  });
}

/** dx as a convolution of dy (stride 1): dy padded by kernel − 1 − padding, the kernel turned 180° with its channel axes swapped. */
Geo turned(const Geo& g) { return Geo{g.n, g.oh, g.ow, g.oc, g.kh, g.kw, 1, 1, g.kh - 1 - g.pt, g.kw - 1 - g.pl, g.h, g.w, g.c}; }

/**
 * With stride 1 the input gradient is itself a convolution (turned). When the output is about as large as
 * the input ('same' padding) that costs the same FLOPs as dy · wᵀ and needs no col2im, so it is used there.
 * With 'valid' padding it multiplies the border's zeros too, but where it takes the Winograd path it can
 * still need fewer multiplications than dy · wᵀ (the seed CNN's second layer: 4x4 tiles of 13x13 outputs,
 * 576 per channel pair and image against 11·11·9 = 1,089).
 */
bool input_gradient_as_convolution(const Geo& g) {
  if (g.sh != 1 || g.sw != 1 || g.pt >= g.kh || g.pl >= g.kw) return false;
  if (100 * g.h * g.w <= 115 * g.oh * g.ow) return true;
  const Geo t = turned(g);
  return winograd_applies(t) && winograd_products(t) < g.n * g.oh * g.ow * g.kh * g.kw;
}

void backward_input_as_convolution(const float* dy, const float* w, float* dx, const Geo& g) {
  const long K = g.kh * g.kw * g.oc, N = g.c;
  // wt (kh, kw, oc, c): wt[ky, kx, o, ci] = w[kh-1-ky, kw-1-kx, ci, o].
  float* wt = shared_scratch(kPackA).get(K * N);
  for (long ky = 0; ky < g.kh; ky++)
    for (long kx = 0; kx < g.kw; kx++)
      for (long o = 0; o < g.oc; o++)
        for (long ci = 0; ci < g.c; ci++)
          wt[((ky * g.kw + kx) * g.oc + o) * N + ci] = w[(((g.kh - 1 - ky) * g.kw + (g.kw - 1 - kx)) * g.c + ci) * g.oc + o];
  const Geo t = turned(g);
  if (winograd_applies(t)) return winograd_forward(dy, wt, nullptr, dx, t, false, false);
  forward_pass(dy, filters_for(wt, K, N, t.n * t.oh * t.ow), nullptr, dx, t, false);
}

}  // namespace

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Geo& g, bool relu) {
  const long K = g.kh * g.kw * g.c, N = g.oc;
  if (g.n * g.oh * g.ow == 0 || N == 0) return;
  if (winograd_applies(g, relu, true)) return winograd_forward(x, w, b, y, g, relu, true);
  if (single_channel_applies(g)) return single_channel_forward(x, w, b, y, g, relu);
  forward_pass(x, filters_for(w, K, N, g.n * g.oh * g.ow), b, y, g, relu);
}

void conv2d_maxpool_forward(const float* x, const float* w, const float* b, float* y, int32_t* argmax, const Geo& g, const Geo& pg, bool relu) {
  if (pg.n * pg.oh * pg.ow * pg.c == 0) return;
  if (pool2x2(pg)) {
    if (winograd_applies(g, relu, true)) return winograd_forward_pooled(x, w, b, y, argmax, g, pg, relu);
    if (single_channel_applies(g)) return single_channel_forward_pooled(x, w, b, y, argmax, g, pg, relu);
    return pooled_pass(x, filters_for(w, g.kh * g.kw * g.c, g.oc, g.n * g.oh * g.ow), b, y, argmax, g, pg, relu);
  }
  // Other windows: the two calls.
  float* out = shared_scratch(kConvOut).get(g.n * g.oh * g.ow * g.oc);
  conv2d_forward(x, w, b, out, g, relu);
  maxpool_forward(out, y, argmax, pg);
}

void conv2d_backward_input(const float* dy, const float* w, float* dx, const Geo& g) {
  const long ohw = g.oh * g.ow, K = g.kh * g.kw * g.c, N = g.oc, img = g.h * g.w * g.c;
  if (g.n == 0) return;
  if (input_gradient_as_convolution(g)) return backward_input_as_convolution(dy, w, dx, g);
  const UKernel& uk = ukernel();
  // dcol (rows x K) = dy (rows x oc) · wᵀ (oc x K); B(p=o, j=k) = w[k·oc + o].
  const int Npad = static_cast<int>(round_up(K, uk.nr));
  float* Wp = shared_scratch(kCol).get(packed_b_size(static_cast<int>(N), static_cast<int>(K)));
  pack_b(MatView{w, 1, N}, static_cast<int>(N), static_cast<int>(K), Wp);
  // A task owns whole images (col2im adds overlapping windows, so an image is never shared). Small images
  // go through the GEMM several at once (fewer edge tiles); a large one in sub-chunks of rows. Either
  // way dcol stays within a quarter of L2.
  const long budget = std::max<long>(uk.mr, chunk_floats() / std::max<long>(K, 1));
  const long group = std::max<long>(1, std::min(budget / ohw, ceil_div(g.n, 3L * pool_threads())));
  const long sub = group > 1 ? group * ohw : std::min(ohw, round_up(budget, uk.mr));
  const int tasks = static_cast<int>(ceil_div(g.n, group));
  auto task = [&](int t, int tid) {
    float* dcol = scratch(tid, kCol).get(sub * K);
    const long b0 = t * group, b1 = std::min(g.n, b0 + group);
    std::memset(dx + b0 * img, 0, (b1 - b0) * img * sizeof(float));
    if (group > 1) {
      gemm_serial(static_cast<int>((b1 - b0) * ohw), 0, static_cast<int>(K), static_cast<int>(N), MatView{dy + b0 * ohw * N, N, 1},
                  Wp, Npad, dcol, K, false, nullptr, false, tid);
      for (long b = b0; b < b1; b++) col2im_rows(dcol + (b - b0) * ohw * K, g, 0, ohw, dx + b * img);
      return;
    }
    for (long r0 = 0; r0 < ohw; r0 += sub) {
      const long r1 = std::min(ohw, r0 + sub);
      gemm_serial(static_cast<int>(r1 - r0), 0, static_cast<int>(K), static_cast<int>(N), MatView{dy + (b0 * ohw + r0) * N, N, 1},
                  Wp, Npad, dcol, K, false, nullptr, false, tid);
      col2im_rows(dcol, g, r0, r1, dx + b0 * img);
    }
  };
  if (g.n * ohw * K * N < 65536) {
    for (int t = 0; t < tasks; t++) task(t, 0);
  } else {
    parallel_for(tasks, task);
  }
}

}  // namespace dn
