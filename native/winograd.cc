// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016): each 2x2 block
// of outputs (a tile) takes 16 multiplications per channel pair instead of 36, 2.25x fewer. Per tile, the
// 4x4 input patch is transformed (Bᵀ d B), the 16 transformed values of each channel pair are multiplied
// as 16 independent GEMMs (tiles x c) · (c x oc) against the transformed filters (G g Gᵀ), and each tile's
// 16 products are transformed back (Aᵀ m A) into its 2x2 outputs, with bias and ReLU fused.
// Everything runs per block of tiles sized to stay in L2, every transform vectorized along the channels
// (NHWC keeps them contiguous), the GEMMs on the packed micro-kernels with A read in place through row
// pointers. A tile's result does not depend on which block or thread computed it, so neither does y.
// The input gradient of a stride-1 'same' layer is a convolution too (conv.cc), and comes here as well.
#include <atomic>
#include <vector>

#include "conv.h"
#include "simd.h"
#include "winograd.h"

namespace dn {

struct WinogradKernels {
  void (*input_tile)(const float* const* in, float* u, long c);
  void (*output_tile)(const float* m, long oc, const float* bias, bool relu, float* const* out);
};

}  // namespace dn

#define DN_SIMD_FILE "winograd_simd.h"
#include "simd_foreach.h"

namespace dn {
namespace {

std::atomic<bool> g_enabled{true};

/** G g Gᵀ of every (ci, o) pair: v[ξ][ci][o] from w (3, 3, c, oc). G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]]. */
void filter_transform(const float* w, long c, long oc, float* v) {
  const long plane = c * oc;
  for (long p = 0; p < plane; p++) {
    float g[3][3], t[4][3];
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) g[i][j] = w[(i * 3 + j) * plane + p];
    for (int j = 0; j < 3; j++) {
      t[0][j] = g[0][j];
      t[1][j] = 0.5f * (g[0][j] + g[1][j] + g[2][j]);
      t[2][j] = 0.5f * (g[0][j] - g[1][j] + g[2][j]);
      t[3][j] = g[2][j];
    }
    for (int i = 0; i < 4; i++) {
      v[(i * 4 + 0) * plane + p] = t[i][0];
      v[(i * 4 + 1) * plane + p] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
      v[(i * 4 + 2) * plane + p] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
      v[(i * 4 + 3) * plane + p] = t[i][2];
    }
  }
}

/** The tiles: ceil(oh/2) x ceil(ow/2) per image, numbered image by image, row by row. */
struct Tiles {
  long th, tw, per_image, total;
  explicit Tiles(const Geo& g) : th(ceil_div(g.oh, 2)), tw(ceil_div(g.ow, 2)), per_image(th * tw), total(g.n * th * tw) {}
};

struct Plan {
  const Geo& g;
  Tiles tiles;
  const float* Vp;  // 16 packed (c x oc) filter matrices, `vstride` floats apart
  size_t vstride;
  int Npad, kcmax;
  const float* bias;
  bool relu;
  const WinogradKernels& k;
};

/** Transforms the input patches of tiles [t0, t1) into u (tile-major: 16·c floats a tile). */
void transform_inputs(const float* x, const Plan& P, long t0, long t1, const float* zeros, float* u) {
  const Geo& g = P.g;
  const float* in[16];
  for (long t = t0; t < t1; t++) {
    const long b = t / P.tiles.per_image, r = t % P.tiles.per_image;
    const long y0 = 2 * (r / P.tiles.tw) - g.pt, x0 = 2 * (r % P.tiles.tw) - g.pl;
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        const long iy = y0 + i, ix = x0 + j;
        const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
        in[i * 4 + j] = inside ? x + ((b * g.h + iy) * g.w + ix) * g.c : zeros;
      }
    P.k.input_tile(in, u + (t - t0) * 16 * g.c, g.c);
  }
}

/** m[t][ξ] (oc floats) = u[t][ξ] (c floats) · V[ξ], for the nt tiles in u, on the micro-kernels. */
void multiply(const Plan& P, long nt, const float* u, float* m) {
  const UKernel& uk = ukernel();
  const long c = P.g.c, oc = P.g.oc;
  const float* rows[16];
  for (int xi = 0; xi < 16; xi++) {
    const float* V = P.Vp + xi * P.vstride;
    for (long i0 = 0; i0 < nt; i0 += uk.mr) {
      const int mr = static_cast<int>(std::min<long>(uk.mr, nt - i0));
      for (int r = 0; r < uk.mr; r++) rows[r] = u + ((i0 + std::min(r, mr - 1)) * 16 + xi) * c;
      for (long pc = 0; pc < c; pc += P.kcmax) {
        const long kc = std::min<long>(P.kcmax, c - pc);
        const long off = pc;
        const int len = static_cast<int>(kc);
        KernelArgs k{static_cast<int>(kc), nullptr, 0, 0, nullptr, uk.nr, nullptr, 16 * oc, mr, 0, pc > 0, nullptr, false, nullptr, 0, 0};
        k.rows = rows;
        k.run_off = &off;
        k.run_len = &len;
        k.nruns = 1;
        for (long j = 0; j < oc; j += uk.nr) {
          k.b = V + pc * P.Npad + j * kc;
          k.c = m + (i0 * 16 + xi) * oc + j;
          k.nr = static_cast<int>(std::min<long>(uk.nr, oc - j));
          uk.fn(k);
        }
      }
    }
  }
}

/** Transforms tiles [t0, t1)'s products back into y; outputs past the bottom/right edge go to `sink`. */
void transform_outputs(const float* m, const Plan& P, long t0, long t1, const float* bias, float* sink, float* y) {
  const Geo& g = P.g;
  for (long t = t0; t < t1; t++) {
    const long b = t / P.tiles.per_image, r = t % P.tiles.per_image;
    const long oy = 2 * (r / P.tiles.tw), ox = 2 * (r % P.tiles.tw);
    auto at = [&](long dy, long dx) { return oy + dy < g.oh && ox + dx < g.ow ? y + ((b * g.oh + oy + dy) * g.ow + ox + dx) * g.oc : sink; };
    float* const out[4] = {at(0, 0), at(0, 1), at(1, 0), at(1, 1)};
    P.k.output_tile(m + (t - t0) * 16 * g.oc, g.oc, bias, P.relu, out);
  }
}

}  // namespace

void set_winograd(bool on) { g_enabled.store(on); }
bool winograd_enabled() { return g_enabled.load(); }

bool winograd_applies(const Geo& g) {
  // Below 24 channels in or out the 16 GEMMs are too shallow (or too narrow) to pay for the transforms: at
  // 128x28x28, 16 -> 32 channels took 6.6 ms against the direct kernel's 4.9; 24 -> 24, 6.3 against 6.9.
  return g_enabled.load() && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.c >= 24 && g.oc >= 24;
}

void winograd_forward(const float* x, const float* w, const float* bias, float* y, const Geo& g, bool relu) {
  const Tiles tiles(g);
  if (tiles.total == 0 || g.oc == 0) return;
  const UKernel& uk = ukernel();
  const int Npad = static_cast<int>(round_up(g.oc, uk.nr));
  const size_t vstride = packed_b_size(static_cast<int>(g.c), static_cast<int>(g.oc));
  float* v = shared_scratch(kPackB).get(16 * g.c * g.oc);
  filter_transform(w, g.c, g.oc, v);
  float* Vp = shared_scratch(kPartial).get(16 * vstride);
  for (int xi = 0; xi < 16; xi++)
    pack_b(MatView{v + xi * g.c * g.oc, g.oc, 1}, static_cast<int>(g.c), static_cast<int>(g.oc), Vp + xi * vstride);
  const Plan P{g, tiles, Vp, vstride, Npad, depth_block(static_cast<int>(g.c)), bias, relu, DN_SIMD_TABLE(kWinograd)};
  // Tiles per task: their transformed inputs and products (16·(c + oc) floats a tile) in half of L2, and
  // at least 4 tasks a thread where there are enough tiles.
  const long fit = std::max<long>(uk.mr, (2 * chunk_floats()) / (16 * (g.c + g.oc)) / uk.mr * uk.mr);
  const long T = std::min(fit, round_up(ceil_div(tiles.total, 4L * pool_threads()), uk.mr));
  const int tasks = static_cast<int>(ceil_div(tiles.total, T));
  std::vector<float> zero_bias(bias ? 0 : g.oc, 0.f);
  const float* b = bias ? bias : zero_bias.data();
  auto task = [&](int t, int tid) {
    const long t0 = t * T, t1 = std::min(tiles.total, t0 + T);
    float* u = scratch(tid, kCol).get(T * 16 * (g.c + g.oc) + g.c + g.oc);
    float* m = u + T * 16 * g.c;
    float* zeros = m + T * 16 * g.oc;  // c zeros for patch pixels outside the image, then oc floats of sink
    std::memset(zeros, 0, g.c * sizeof(float));
    transform_inputs(x, P, t0, t1, zeros, u);
    multiply(P, t1 - t0, u, m);
    transform_outputs(m, P, t0, t1, b, zeros + g.c, y);
  };
  parallel_for(tasks, task);
}

}  // namespace dn
