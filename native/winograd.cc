// 3x3 stride-1 convolutions by Winograd's minimal filtering F(m x m, 3x3) (Lavin & Gray 2016), m = 2 or 4:
// each m x m block of outputs (a tile) takes (m + 2)² multiplications per channel pair instead of 9m²,
// 2.25x fewer for m = 2 and 4x for m = 4. Per tile, the (m + 2)² input patch is transformed (Bᵀ d B), the
// X = (m + 2)² transformed values of each channel pair are multiplied as X independent GEMMs
// (tiles x c) · (c x oc) against the transformed filters (G g Gᵀ), and each tile's X products are transformed
// back (Aᵀ m A) into its outputs, with bias and ReLU fused. Everything runs per block of tiles sized to stay
// in L2, every transform vectorized along the channels (NHWC keeps them contiguous), the GEMMs on register
// blocks of tiles x filter columns (K.products) where the channels are few, else on the packed micro-kernels
// with A read in place through row pointers. A tile's result does not depend on which block
// or thread computed it, so neither does y. The input gradient of a stride-1 'same' layer is a convolution
// too (conv.cc), and comes here as well. The filter gradient is the adjoint: per tile, the input transform
// and A dy Aᵀ, the X products summed over tiles as GEMMs (uᵀ · m), in fixed chunks added in order, then
// Gᵀ · G back to 3x3. m = 4 is chosen where it saves at least a quarter of m = 2's multiplications (its
// tiles overhang small images more); its transforms have larger constants, and its results differ from the
// direct convolution's by about 1e-6 of their scale instead of 1e-7.
#include <atomic>

#include "conv.h"
#include "kept_filters.h"
#include "pool.h"
#include "simd.h"
#include "winograd.h"

namespace dn {

struct WinogradKernels {
  int m;      // outputs per tile side
  int lanes;  // floats per vector: the width of products' panels
  void (*input_tile)(const float* const* in, float* u, long c, long xs);
  void (*output_tile)(const float* m, long oc, const float* bias, bool relu, float* const* out);
  void (*grad_tile)(const float* const* dy, float* m, long oc, long xs);
  void (*filter)(const float* w, long plane, long p0, long p1, float* v);
  void (*filter_grad)(const float* du, long plane, long p0, long p1, float* dw);
  void (*products)(const float* u, long us, const float* v, long c, long oc, long nt, float* m, long ms);
  void (*filter_products)(const float* u, long us, const float* m, long ms, long nt, long c, long oc, float* du, bool accumulate);
};

}  // namespace dn

#define DN_SIMD_FILE "winograd_simd.h"
#include "simd_foreach.h"

namespace dn {
namespace {

std::atomic<int> g_mode{1};  // 0 off, 1 tile size per layer, 2 or 4 that tile size everywhere

/**
 * m = 4 where its tiles take at least a quarter fewer multiplications than m = 2's, else 2 (or as set); and
 * 2 under a fused ReLU. An output whose window holds only zeros (a digit's background) is exactly 0; m = 2's
 * transforms (sums and halvings) keep it 0, m = 4's (sixths, twelfths) leave ±1e-9, and ReLU would then let
 * the gradient through half of them where the direct convolution lets none (on the seed CNN: 25,000 of its
 * 306,000 zeros, and its second bias's gradient off by a third).
 */
int tile_size(const Geo& g, bool relu) {
  const int mode = g_mode.load();
  if (mode == 2 || mode == 4) return mode;
  if (relu) return 2;
  const long f2 = ceil_div(g.oh, 2) * ceil_div(g.ow, 2) * 16, f4 = ceil_div(g.oh, 4) * ceil_div(g.ow, 4) * 36;
  return 4 * f4 <= 3 * f2 ? 4 : 2;
}

const WinogradKernels& kernels_for(int m) { return m == 4 ? DN_SIMD_TABLE(kWinograd4) : DN_SIMD_TABLE(kWinograd2); }

/** The tiles: ceil(oh/m) x ceil(ow/m) per image, numbered image by image, row by row; X transformed values each. */
struct Tiles {
  int m, a, X;
  long th, tw, per_image, total;
  Tiles(const Geo& g, int m_)
      : m(m_), a(m_ + 2), X((m_ + 2) * (m_ + 2)), th(ceil_div(g.oh, m_)), tw(ceil_div(g.ow, m_)), per_image(th * tw), total(g.n * th * tw) {}
  /** Tile t's image and the output pixel at its top-left corner. */
  void origin(long t, long& b, long& oy, long& ox) const {
    b = t / per_image;
    const long r = t % per_image;
    oy = m * (r / tw), ox = m * (r % tw);
  }
  /** out[i·m + j]: where output (i, j) of tile t lies in an (n, oh, ow, ch) tensor at base; `sink` past the bottom/right edge. */
  template <class T>
  void outputs(const Geo& g, long t, long ch, T* base, T* sink, T** out) const {
    long b, oy, ox;
    origin(t, b, oy, ox);
    if (oy + m <= g.oh && ox + m <= g.ow) {  // inside (most tiles)
      T* p = base + ((b * g.oh + oy) * g.ow + ox) * ch;
      for (int i = 0; i < m; i++, p += g.ow * ch)
        for (int j = 0; j < m; j++) out[i * m + j] = p + j * ch;
      return;
    }
    for (int i = 0; i < m; i++)
      for (int j = 0; j < m; j++) out[i * m + j] = oy + i < g.oh && ox + j < g.ow ? base + ((b * g.oh + oy + i) * g.ow + ox + j) * ch : sink;
  }
};

struct Plan {
  const Geo& g;
  Tiles tiles;
  const float* Vp;  // X packed (c x oc) filter matrices, `vstride` floats apart: for the micro-kernels, or in panels for K.products
  size_t vstride;
  bool panels;
  int Npad, kcmax;
  bool relu;
  const WinogradKernels& k;
  // Floats from one tile's X transformed inputs (products) to the next: X·c (X·oc) and one cache line,
  // so that the micro-kernel's row streams do not share L1 sets.
  long us = tiles.X * g.c + 16, ms = tiles.X * g.oc + 16;
};

/** in[i·A + j]: where patch pixel (i, j) of tile t lies in x, `zeros` outside the image. */
void patch(const float* x, const Geo& g, const Tiles& tiles, long t, const float* zeros, const float** in) {
  long b, oy, ox;
  tiles.origin(t, b, oy, ox);
  const int A = tiles.a;
  const long y0 = oy - g.pt, x0 = ox - g.pl;
  if (y0 >= 0 && x0 >= 0 && y0 + A <= g.h && x0 + A <= g.w) {  // inside: no pixel to test (most tiles)
    const float* p = x + ((b * g.h + y0) * g.w + x0) * g.c;
    for (int i = 0; i < A; i++, p += g.w * g.c)
      for (int j = 0; j < A; j++) in[i * A + j] = p + j * g.c;
    return;
  }
  for (int i = 0; i < A; i++)
    for (int j = 0; j < A; j++) {
      const long iy = y0 + i, ix = x0 + j;
      const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
      in[i * A + j] = inside ? x + ((b * g.h + iy) * g.w + ix) * g.c : zeros;
    }
}

/** Prefetches the n pixels (`floats` each) that `p` points to, each a line at a time. */
inline void prefetch_pixels(const float* const* p, int n, long floats, int write) {
  for (int i = 0; i < n; i++)
    for (long f = 0; f < floats; f += 16) __builtin_prefetch(p[i] + f, write, 3);
}

/**
 * body(t, addr) for tiles [t0, t1), where(t, addr) filling addr with tile t's n pixel addresses (`floats`
 * each). The tensors outgrow L2 with little reuse between tiles, and the hardware prefetchers do not
 * follow the rows a tile touches: tile t + 1's addresses are taken and its lines prefetched (for writing
 * when `write`) while tile t is worked on.
 */
template <class T, class Where, class Body>
void tiles_prefetched(long t0, long t1, int n, long floats, int write, Where where, Body body) {
  T* bufs[2][36];
  if (t0 < t1) where(t0, bufs[0]);
  for (long t = t0; t < t1; t++) {
    if (t + 1 < t1) {
      T** next = bufs[(t + 1 - t0) & 1];
      where(t + 1, next);
      prefetch_pixels(next, n, floats, write);
    }
    body(t, bufs[(t - t0) & 1]);
  }
}

/**
 * Transforms the input patches of tiles [t0, t1) into u: tile t's value ξ at u + (t − t0)·ts + ξ·xs (c floats).
 * Patch pixels outside the image read `zeros`.
 */
void transform_inputs(const float* x, const Geo& g, const Tiles& tiles, const WinogradKernels& K, long t0, long t1, long ts,
                      long xs, const float* zeros, float* u) {
  tiles_prefetched<const float>(
      t0, t1, tiles.X, g.c, 0, [&](long t, const float** in) { patch(x, g, tiles, t, zeros, in); },
      [&](long t, const float** in) { K.input_tile(in, u + (t - t0) * ts, g.c, xs); });
}

/** m[t][ξ] (oc floats) = u[t][ξ] (c floats) · V[ξ], for the nt tiles in u and each of the X values ξ: on K.products, or the micro-kernels. */
void multiply(const Plan& P, long nt, const float* u, float* m) {
  const long c = P.g.c, oc = P.g.oc;
  if (P.panels) {
    for (int xi = 0; xi < P.tiles.X; xi++) P.k.products(u + xi * c, P.us, P.Vp + xi * P.vstride, c, oc, nt, m + xi * oc, P.ms);
    return;
  }
  const UKernel& uk = ukernel();
  const float* rows[16];
  for (int xi = 0; xi < P.tiles.X; xi++) {
    const float* V = P.Vp + xi * P.vstride;
    for (long i0 = 0; i0 < nt; i0 += uk.mr) {
      const int mr = static_cast<int>(std::min<long>(uk.mr, nt - i0));
      for (int r = 0; r < uk.mr; r++) rows[r] = u + (i0 + std::min(r, mr - 1)) * P.us + xi * c;
      for (long pc = 0; pc < c; pc += P.kcmax) {
        const long kc = std::min<long>(P.kcmax, c - pc);
        const long off = pc;
        const int len = static_cast<int>(kc);
        KernelArgs k{static_cast<int>(kc), nullptr, 0, 0, nullptr, uk.nr, nullptr, P.ms, mr, 0, pc > 0, nullptr, false, nullptr, 0, 0};
        k.rows = rows;
        k.run_off = &off;
        k.run_len = &len;
        k.nruns = 1;
        for (long j = 0; j < oc; j += uk.nr) {
          k.b = V + pc * P.Npad + j * kc;
          k.c = m + i0 * P.ms + xi * oc + j;
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
  tiles_prefetched<float>(
      t0, t1, P.tiles.m * P.tiles.m, g.oc, 1, [&](long t, float** out) { P.tiles.outputs(g, t, g.oc, y, sink, out); },
      [&](long t, float** out) { P.k.output_tile(m + (t - t0) * P.ms, g.oc, bias, P.relu, out); });
}


/**
 * Transforms tiles [t0, t1)'s products back into buf (m² outputs of oc floats) one tile at a time, and pools
 * them 2x2 into y and argmax (pg; indices into the (n, oh, ow, oc) output that is never written): an m x m
 * tile holds (m/2)² whole windows, and the windows past the pooled edge (an odd last row or column) are
 * dropped, as maxpool_forward drops them.
 */
DN_CLONES void transform_outputs_pooled(const float* m, const Plan& P, long t0, long t1, const float* bias, float* buf, float* y,
                                        int32_t* am, const Geo& pg) {
  const Geo& g = P.g;
  const int M = P.tiles.m;
  const long oc = g.oc;
  float* out[16];
  for (int i = 0; i < M * M; i++) out[i] = buf + i * oc;
  for (long t = t0; t < t1; t++) {
    P.k.output_tile(m + (t - t0) * P.ms, oc, bias, P.relu, out);
    long b, oy, ox;
    P.tiles.origin(t, b, oy, ox);
    for (int wy = 0; wy < M / 2 && oy / 2 + wy < pg.oh; wy++)
      for (int wx = 0; wx < M / 2 && ox / 2 + wx < pg.ow; wx++) {
        const long py = oy / 2 + wy, px = ox / 2 + wx;
        const int32_t i0 = static_cast<int32_t>(((b * g.oh + 2 * py) * g.ow + 2 * px) * oc), i2 = i0 + static_cast<int32_t>(g.ow * oc);
        const float* x0 = buf + (2 * wy * M + 2 * wx) * oc;
        const long o = ((b * pg.oh + py) * pg.ow + px) * oc;
        pool2x2_window(x0, x0 + oc, x0 + M * oc, x0 + (M + 1) * oc, i0, i0 + static_cast<int32_t>(oc), i2, i2 + static_cast<int32_t>(oc), oc,
                       y + o, am + o);
      }
  }
}

/**
 * The filter gradient's blocks: `sub` tiles at a time (their transformed inputs and gradients, X·sub·(c + ocp)
 * floats, at most 512 KB, stay in L2 between the transforms and the GEMMs), `chunk` tiles (whole blocks) per
 * partial sum, at most 8 partials. Functions of the shape alone, so the summation order never depends on the
 * thread count.
 */
struct FilterBlocks {
  long ocp, sub, chunk, count;
  FilterBlocks(const Geo& g, const Tiles& tiles, int nr)
      : ocp(round_up(g.oc, nr)), sub(std::max(8L, std::min(256L, 131072 / (tiles.X * (g.c + ocp)) / 8 * 8))),
        chunk(round_up(std::max(sub, ceil_div(tiles.total, 8)), sub)), count(ceil_div(tiles.total, chunk)) {}
};

/**
 * Whether a layer's Winograd GEMMs run on K.products / K.filter_products, register blocks sized for its
 * skinny shapes, rather than the micro-kernels. Forward, per call at batch 128 (AVX-512 / AVX2): 16 -> 16
 * channels on 28x28 images 21% / 30% faster, 32 -> 32 on 14x14 16% / 23%, 64 -> 64 on 7x7 6% / 8%. From
 * 128 channels the micro-kernels' packed depth blocks are faster (AVX-512, 128 -> 128 on 7x7: 4.4 ms
 * against 5.9), where K.products reads each tile's long rows from L2 once per panel.
 */
bool few_channels(const Geo& g) { return g.c <= 64 && g.oc <= 64; }

/**
 * Where filter_chunk keeps a block's transformed inputs u and gradients m, in floats from one tile (one
 * value ξ) to the next: tile-major for K.filter_products (a tile's X values side by side, as the forward
 * has them), value-major for the micro-kernels (u[ξ] a tiles x c block read as uᵀ in place, m[ξ] tiles x
 * ocp). Value-major matrices lie one cache line more than their size apart: at exactly 16 or 32 KB apart,
 * the transforms' X store streams fell into one L1 set and ran 3x slower.
 */
struct FilterLayout {
  bool tile_major;
  long u_tile, u_value, m_tile, m_value, u_size, m_size;
  FilterLayout(const Geo& g, const Tiles& tiles, const FilterBlocks& fb) : tile_major(few_channels(g)) {
    const long X = tiles.X, sub = fb.sub;
    if (tile_major) u_tile = X * g.c + 16, u_value = g.c, m_tile = X * g.oc + 16, m_value = g.oc;
    else u_tile = g.c, u_value = sub * g.c + 16, m_tile = fb.ocp, m_value = sub * fb.ocp + 16;
    u_size = tile_major ? sub * u_tile : X * u_value;
    m_size = tile_major ? sub * m_tile : X * m_value;
  }
};

/** Transforms the output gradients of tiles [t0, t1) into m (A dy Aᵀ): tile t's value ξ at m + (t − t0)·ts + ξ·xs. */
void transform_grads(const float* dy, const Geo& g, const Tiles& tiles, const WinogradKernels& K, long t0, long t1, long ts, long xs,
                     const float* zeros, float* m) {
  tiles_prefetched<const float>(
      t0, t1, tiles.m * tiles.m, g.oc, 0, [&](long t, const float** dyp) { tiles.outputs(g, t, g.oc, dy, zeros, dyp); },
      [&](long t, const float** dyp) { K.grad_tile(dyp, m + (t - t0) * ts, g.oc, xs); });
}

/**
 * Partial du (X x c x oc) of tiles [t0, t1): per block of tiles, their inputs and output gradients are
 * transformed (u, m), then du[ξ] (+)= u[ξ]ᵀ · m[ξ] for each ξ, on K.filter_products or the micro-kernels.
 */
void filter_chunk(const float* x, const float* dy, const Geo& g, const Tiles& tiles, const FilterBlocks& fb, long t0, long t1,
                  float* du, int tid) {
  const UKernel& uk = ukernel();
  const WinogradKernels& K = kernels_for(tiles.m);
  const long c = g.c, oc = g.oc;
  const FilterLayout L(g, tiles, fb);
  // u, then m, then c zeros (patch pixels outside the image) and oc zeros (outputs past the edge), then MR
  // floats that the last channel panel may read past u's end.
  float* u = scratch(tid, kCol).get(L.u_size + L.m_size + c + oc + uk.mr);
  float* m = u + L.u_size;
  float* zeros = m + L.m_size;
  std::memset(m, 0, (L.m_size + c + oc + uk.mr) * sizeof(float));  // also m's padding columns, never written
  for (long s0 = t0; s0 < t1; s0 += fb.sub) {
    const long s1 = std::min(t1, s0 + fb.sub), nt = s1 - s0;
    transform_inputs(x, g, tiles, K, s0, s1, L.u_tile, L.u_value, zeros, u);
    transform_grads(dy, g, tiles, K, s0, s1, L.m_tile, L.m_value, zeros + c, m);
    for (int xi = 0; xi < tiles.X; xi++) {
      const float* ux = u + xi * L.u_value;
      const float* mx = m + xi * L.m_value;
      float* dux = du + xi * c * oc;
      if (L.tile_major) {
        K.filter_products(ux, L.u_tile, mx, L.m_tile, nt, c, oc, dux, s0 > t0);
        continue;
      }
      KernelArgs k{static_cast<int>(nt), nullptr, 1, c, nullptr, fb.ocp, nullptr, oc, 0, 0, s0 > t0, nullptr, false, nullptr, 0, 0};
      for (long i0 = 0; i0 < c; i0 += uk.mr) {
        k.a = ux + i0;
        k.mr = static_cast<int>(std::min<long>(uk.mr, c - i0));
        for (long j = 0; j < oc; j += uk.nr) {
          k.b = mx + j;
          k.c = dux + i0 * oc + j;
          k.nr = static_cast<int>(std::min<long>(uk.nr, oc - j));
          uk.fn(k);
        }
      }
    }
  }
}
}  // namespace

bool set_winograd(int mode) {
  if (mode != 0 && mode != 1 && mode != 2 && mode != 4) return false;
  g_mode.store(mode);
  return true;
}
int winograd_mode() { return g_mode.load(); }

bool winograd_applies(const Geo& g, bool relu, bool keep) {
  // With fewer channels the GEMMs are too shallow (or too narrow) to pay for the transforms: with 2x2 tiles
  // below 24 (128x28x28, 16 -> 32 channels: 4.6 ms against the direct kernel's 4.6; 24 -> 24: 6.3 against
  // 6.9), with 4x4 tiles below 16 (16 -> 16: 1.95 ms against 2.6).
  if (g_mode.load() == 0 || g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1) return false;
  const int m = tile_size(g, relu);
  const long least = m == 4 ? 16 : 24;
  // A call transforms and packs X·c·oc filter values whatever the batch: at batch 1 with few tiles that
  // costs more than the tiles save (resnet20's 16- to 64-channel layers: 1.19 ms against 0.87 direct),
  // unless the filters are a layer's weights, prepared once and kept (kept_filters.h).
  const long work = Tiles(g, m).total * g.c * g.oc;
  return g.c >= least && g.oc >= least && (keep || work >= 32768);
}

long winograd_products(const Geo& g, bool relu) {
  const Tiles tiles(g, tile_size(g, relu));
  return tiles.total * tiles.X;
}

namespace {

/** The X transformed filter matrices (c x oc each) packed for multiply(), `vstride` floats apart, into Vp. */
void prepare_filters(const float* w, const Geo& g, const Tiles& tiles, const WinogradKernels& K, bool panels, size_t vstride, float* Vp) {
  const long L = K.lanes;
  float* v = shared_scratch(kPackB).get(tiles.X * g.c * g.oc);
  K.filter(w, g.c * g.oc, 0, g.c * g.oc, v);
  auto pack = [&](int xi, int) {
    const float* vx = v + xi * g.c * g.oc;
    float* dst = Vp + xi * vstride;
    if (!panels) return pack_b(MatView{vx, g.oc, 1}, static_cast<int>(g.c), static_cast<int>(g.oc), dst);
    for (long j = 0; j < g.oc; j += L) {  // panel j: rows 0..c-1 of columns [j, j + L), zero padded
      const long n = std::min(L, g.oc - j);
      for (long ci = 0; ci < g.c; ci++, dst += L) {
        // A branch-free copy of whole panels (the common case) vectorizes.
        const float* src = vx + ci * g.oc + j;
        if (n == L) for (long l = 0; l < L; l++) dst[l] = src[l];
        else for (long l = 0; l < L; l++) dst[l] = l < n ? src[l] : 0.f;
      }
    }
  };
  if (g.c * g.oc >= 4096) parallel_for(tiles.X, pack);
  else for (int xi = 0; xi < tiles.X; xi++) pack(xi, 0);
}

KeptFilters& kept_filters() {
  static KeptFilters* c = new KeptFilters;  // never destroyed: kernels may run until the process exits
  return *c;
}

/**
 * The forward's plan: the filters transformed and packed (kept between calls when `keep` and the call has
 * few tiles: kept_filters.h), tiles in tasks; then per task its tiles' inputs are transformed and
 * multiplied, and `out(m, P, t0, t1, bias, spare, tid)` transforms the products back, with `spare` 16·oc
 * free floats.
 */
template <class Out>
void forward_tasks(const float* x, const float* w, const float* bias, const Geo& g, bool relu, bool keep, Out out) {
  const Tiles tiles(g, tile_size(g, relu));
  if (tiles.total == 0 || g.oc == 0) return;
  const UKernel& uk = ukernel();
  const int Npad = static_cast<int>(round_up(g.oc, uk.nr));
  const WinogradKernels& K = kernels_for(tiles.m);
  const bool panels = few_channels(g);
  const size_t vstride = panels ? static_cast<size_t>(round_up(g.oc, K.lanes) * g.c) : packed_b_size(static_cast<int>(g.c), static_cast<int>(g.oc));
  const float* Vp;
  if (keep && tiles.total <= 256) {
    // Few tiles (batch-1 inference): preparing the filters costs as much as the tiles themselves (4 tiles of a
    // 7x7x64 layer make 0.6 M multiply-adds, its filters 147 K transformed values), so their prepared form is
    // kept for the next call on the same weights. The layout depends on the tile size, the panels and the
    // instruction set's kernels (K and the micro-kernel), which a process may switch between calls.
    const KeptKey key{w, static_cast<size_t>(9 * g.c * g.oc), g.c, g.oc, &K, &uk, panels};
    Vp = kept_filters().get(key, tiles.X * vstride, [&](float* dst) { prepare_filters(w, g, tiles, K, panels, vstride, dst); });
  } else {
    float* buf = shared_scratch(kPartial).get(tiles.X * vstride);
    prepare_filters(w, g, tiles, K, panels, vstride, buf);
    Vp = buf;
  }
  const Plan P{g, tiles, Vp, vstride, panels, Npad, depth_block(static_cast<int>(g.c)), relu, K};
  // Tiles per task: their transformed inputs and products (X·(c + oc) floats a tile) in half of L2, and
  // at least 4 tasks a thread where there are enough tiles.
  const long fit = std::max<long>(uk.mr, (2 * chunk_floats()) / (tiles.X * (g.c + g.oc)) / uk.mr * uk.mr);
  const long T = std::min(fit, round_up(ceil_div(tiles.total, 4L * pool_threads()), uk.mr));
  const int tasks = static_cast<int>(ceil_div(tiles.total, T));
  // Bias-free layers (every one before a BatchNormalization, every input gradient) add zeros.
  float* zero_bias = nullptr;
  if (!bias) {
    zero_bias = shared_scratch(kPartialBias).get(g.oc);
    std::memset(zero_bias, 0, g.oc * sizeof(float));
  }
  const float* b = bias ? bias : zero_bias;
  auto task = [&](int t, int tid) {
    const long t0 = t * T, t1 = std::min(tiles.total, t0 + T);
    float* u = scratch(tid, kCol).get(T * (P.us + P.ms) + g.c + 16 * g.oc);
    float* m = u + T * P.us;
    float* zeros = m + T * P.ms;  // c zeros for patch pixels outside the image, then 16·oc spare floats
    std::memset(zeros, 0, g.c * sizeof(float));
    transform_inputs(x, g, tiles, P.k, t0, t1, P.us, g.c, zeros, u);
    multiply(P, t1 - t0, u, m);
    out(m, P, t0, t1, b, zeros + g.c, tid);
  };
  parallel_for(tasks, task);
}

}  // namespace

void winograd_forward(const float* x, const float* w, const float* bias, float* y, const Geo& g, bool relu, bool keep) {
  // Outputs past the bottom/right edge go to the spare floats.
  forward_tasks(x, w, bias, g, relu, keep, [&](const float* m, const Plan& P, long t0, long t1, const float* b, float* spare, int) {
    transform_outputs(m, P, t0, t1, b, spare, y);
  });
}

void winograd_forward_pooled(const float* x, const float* w, const float* bias, float* y, int32_t* argmax, const Geo& g, const Geo& pg,
                             bool relu) {
  forward_tasks(x, w, bias, g, relu, true, [&](const float* m, const Plan& P, long t0, long t1, const float* b, float* spare, int) {
    transform_outputs_pooled(m, P, t0, t1, b, spare, y, argmax, pg);
  });
}

void release_kept_filters() { kept_filters().clear(); }

void winograd_backward_filter(const float* x, const float* dy, float* dw, const Geo& g) {
  const Tiles tiles(g, tile_size(g, false));
  const long plane = g.c * g.oc;
  const int X = tiles.X;
  if (tiles.total == 0) {
    std::memset(dw, 0, 9 * plane * sizeof(float));
    return;
  }
  const FilterBlocks fb(g, tiles, ukernel().nr);
  float* partial = shared_scratch(kPartial).get(fb.count * X * plane);
  parallel_for(static_cast<int>(fb.count), [&](int s, int tid) {
    filter_chunk(x, dy, g, tiles, fb, s * fb.chunk, std::min(tiles.total, (s + 1) * fb.chunk), partial + s * X * plane, tid);
  });
  // The partials summed in chunk order into the first, and transformed back, a range of (ci, o) pairs a task.
  const WinogradKernels& K = kernels_for(tiles.m);
  const long per = round_up(ceil_div(plane, 2L * pool_threads()), 64);
  auto finish = [&](int t, int) {
    const long p0 = t * per, p1 = std::min(plane, p0 + per);
    for (long s = 1; s < fb.count; s++)
      for (int xi = 0; xi < X; xi++) {
        float* __restrict d = partial + xi * plane;
        const float* __restrict q = partial + (s * X + xi) * plane;
        for (long i = p0; i < p1; i++) d[i] += q[i];
      }
    K.filter_grad(partial, plane, p0, p1, dw);
  };
  parallel_for(static_cast<int>(ceil_div(plane, per)), finish);
}

}  // namespace dn
