// Augmentation of a batch of one-channel images: random affine (rotation, zoom, shear, shift) and elastic
// distortion, bilinear resampling. The definition is src/data/augment/reference.ts; this computes the same
// draws (xoshiro128** seeded by splitmix32, per image from deriveSeed(seed, i)) and the same maps, in float
// where the reference uses double. Synchronous over the thread pool, or on a libuv thread (a Promise), so
// that the next batch is prepared while the pool trains on this one. The binding entries are at the end.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "binding.h"
#include "common.h"
#include "random.h"
#include "threadpool.h"

namespace dn {
namespace {

struct AugSpec {
  double rotate, zoom, shift, shear, elastic, sigma;
};

struct Affine {
  float a, b, c, d, tx, ty;
};

Affine draw_affine(Rng& rng, const AugSpec& s) {
  const double rad = M_PI / 180;
  const double theta = rng.uniform(-s.rotate, s.rotate) * rad;
  const double zx = rng.uniform(1 - s.zoom, 1 + s.zoom);
  const double zy = rng.uniform(1 - s.zoom, 1 + s.zoom);
  const double phi = rng.uniform(-s.shear, s.shear) * rad;
  const double tx = rng.uniform(-s.shift, s.shift);
  const double ty = rng.uniform(-s.shift, s.shift);
  const double cs = std::cos(theta), sn = std::sin(theta), k = std::tan(phi);
  const double m00 = cs * zx, m01 = (cs * k - sn) * zy, m10 = sn * zx, m11 = (sn * k + cs) * zy;
  const double det = m00 * m11 - m01 * m10;
  return {float(m11 / det), float(-m01 / det), float(-m10 / det), float(m00 / det), float(tx), float(ty)};
}

/** Normalized Gaussian taps for sigma, radius ceil(3 sigma). */
std::vector<float> gaussian_taps(double sigma) {
  const int r = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> t(2 * r + 1);
  double sum = 0;
  for (int j = -r; j <= r; j++) sum += t[j + r] = std::exp(-(double(j) * j) / (2 * sigma * sigma));
  std::vector<float> out(t.size());
  for (size_t j = 0; j < t.size(); j++) out[j] = float(t[j] / sum);
  return out;
}

/** One field: h*w uniform values in [-1, 1], smoothed (rows then columns, zero beyond the edges), times alpha. */
DN_CLONES void elastic_field(Rng& rng, long h, long w, const float* taps, int r, float alpha, float* noise, float* pad,
                             float* rows, float* out) {
  for (long i = 0; i < h * w; i++) noise[i] = float(rng.uniform(-1, 1));
  const long pw = w + 2 * r;
  for (long y = 0; y < h; y++) {
    const float* nr = noise + y * w;
    for (long x = 0; x < pw; x++) {
      const long sx = x - r;
      pad[x] = sx < 0 || sx >= w ? 0.f : nr[sx];
    }
    float* rr = rows + y * w;
    for (long x = 0; x < w; x++) rr[x] = 0.f;
    for (int j = 0; j <= 2 * r; j++) {
      const float t = taps[j];
      const float* p = pad + j;
      for (long x = 0; x < w; x++) rr[x] += t * p[x];
    }
  }
  for (long y = 0; y < h; y++) {
    float* o = out + y * w;
    for (long x = 0; x < w; x++) o[x] = 0.f;
    for (int j = 0; j <= 2 * r; j++) {
      const long sy = y + j - r;
      if (sy < 0 || sy >= h) continue;
      const float t = taps[j];
      const float* p = rows + sy * w;
      for (long x = 0; x < w; x++) o[x] += t * p[x];
    }
    for (long x = 0; x < w; x++) o[x] *= alpha;
  }
}

/**
 * dst from src (h, w) through the map, bilinearly. src is read from `pad`, a copy with a zero border one pixel
 * wide ((h + 2) x (w + 2)), so that every sample whose four neighbours touch the image needs no bounds checks;
 * a sample farther out is 0, as in the reference.
 */
DN_CLONES void resample(const float* src, float* dst, long h, long w, const Affine& t, const float* dx, const float* dy, float* pad) {
  const long pw = w + 2;
  for (long i = 0; i < pw; i++) pad[i] = pad[(h + 1) * pw + i] = 0.f;
  for (long y = 0; y < h; y++) {
    float* row = pad + (y + 1) * pw;
    row[0] = row[w + 1] = 0.f;
    for (long x = 0; x < w; x++) row[x + 1] = src[y * w + x];
  }
  const float cx = (w - 1) * 0.5f, cy = (h - 1) * 0.5f;
  for (long y = 0; y < h; y++) {
    for (long x = 0; x < w; x++) {
      const long i = y * w + x;
      const float u = float(x) - cx - t.tx + (dx ? dx[i] : 0.f);
      const float v = float(y) - cy - t.ty + (dy ? dy[i] : 0.f);
      const float sx = t.a * u + t.b * v + cx, sy = t.c * u + t.d * v + cy;
      const bool inside = sx >= -1.f && sx < float(w) && sy >= -1.f && sy < float(h);
      const float fx0 = std::floor(inside ? sx : 0.f), fy0 = std::floor(inside ? sy : 0.f);
      const float fx = (inside ? sx : 0.f) - fx0, fy = (inside ? sy : 0.f) - fy0;
      const float* p = pad + (long(fy0) + 1) * pw + long(fx0) + 1;
      const float top = p[0] * (1 - fx) + p[1] * fx;
      const float bottom = p[pw] * (1 - fx) + p[pw + 1] * fx;
      dst[i] = inside ? top * (1 - fy) + bottom * fy : 0.f;
    }
  }
}

/** Per-thread buffers for the elastic fields. */
struct Scratch {
  std::vector<float> noise, pad, rows, dx, dy, image;
};

void augment_image(const float* src, float* dst, long h, long w, const AugSpec& s, uint32_t seed, const std::vector<float>& taps) {
  Rng rng(seed);
  const Affine t = draw_affine(rng, s);
  thread_local Scratch f;
  f.image.resize((h + 2) * (w + 2));
  if (s.elastic > 0) {
    const int r = static_cast<int>(taps.size() / 2);
    f.noise.resize(h * w);
    f.pad.resize(w + 2 * r);
    f.rows.resize(h * w);
    f.dx.resize(h * w);
    f.dy.resize(h * w);
    elastic_field(rng, h, w, taps.data(), r, float(s.elastic), f.noise.data(), f.pad.data(), f.rows.data(), f.dx.data());
    elastic_field(rng, h, w, taps.data(), r, float(s.elastic), f.noise.data(), f.pad.data(), f.rows.data(), f.dy.data());
    resample(src, dst, h, w, t, f.dx.data(), f.dy.data(), f.image.data());
  } else {
    resample(src, dst, h, w, t, nullptr, nullptr, f.image.data());
  }
}

/** n images of src into dst; across the pool when `pooled`, else on the calling thread alone. */
void augment_batch(const float* src, float* dst, long n, long h, long w, const AugSpec& s, uint32_t seed, bool pooled) {
  const std::vector<float> taps = s.elastic > 0 ? gaussian_taps(s.sigma) : std::vector<float>();
  const long per = h * w;
  auto one = [&](long i) { augment_image(src + i * per, dst + i * per, h, w, s, derive_seed(seed, uint32_t(i)), taps); };
  if (!pooled) {
    for (long i = 0; i < n; i++) one(i);
    return;
  }
  const long chunk = 8;
  parallel_for(static_cast<int>(ceil_div(n, chunk)), [&](int task, int) {
    for (long i = task * chunk; i < std::min(n, (task + 1) * chunk); i++) one(i);
  });
}

// ---- Binding: argument checks, then the kernel (synchronous) or an AsyncWorker (a Promise). ----

struct AugArgs {
  float* src;
  float* dst;
  long n, h, w;
  AugSpec spec;
  uint32_t seed;
};

[[noreturn]] void fail(const Napi::Env& env, const char* fn, const std::string& msg, bool range) {
  const std::string m = std::string("digitnet native ") + fn + ": " + msg;
  if (range) throw Napi::RangeError::New(env, m);
  throw Napi::TypeError::New(env, m);
}

double num(const Napi::Env& env, const char* fn, Napi::Value v, const std::string& name, double lo, double hi) {
  if (!v.IsNumber()) fail(env, fn, name + " must be a number", false);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < lo || d > hi) fail(env, fn, name + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(d), true);
  return d;
}

long whole(const Napi::Env& env, const char* fn, Napi::Value v, const std::string& name, double lo, double hi) {
  const double d = num(env, fn, v, name, lo, hi);
  if (d != std::floor(d)) fail(env, fn, name + " must be a whole number, got " + std::to_string(d), true);
  return static_cast<long>(d);
}

Napi::TypedArrayOf<float> floats(const Napi::CallbackInfo& info, const char* fn, size_t i, const char* name, double need) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) fail(info.Env(), fn, std::string(name) + " must be a Float32Array", false);
  auto a = v.As<Napi::TypedArrayOf<float>>();
  if (double(a.ElementLength()) < need) fail(info.Env(), fn, std::string(name) + " has " + std::to_string(a.ElementLength()) + " elements, needs at least " + std::to_string(long(need)), true);
  return a;
}

/** (src, dst, n, h, w, spec, seed) → the checked arguments. */
AugArgs parse(const Napi::CallbackInfo& info, const char* fn) {
  const Napi::Env env = info.Env();
  if (info.Length() < 7) fail(env, fn, "expected 7 arguments (src, dst, n, h, w, spec, seed), got " + std::to_string(info.Length()), false);
  AugArgs a;
  a.n = whole(env, fn, info[2], "n", 0, 1 << 24);
  a.h = whole(env, fn, info[3], "h", 1, 4096);
  a.w = whole(env, fn, info[4], "w", 1, 4096);
  const double need = double(a.n) * a.h * a.w;
  if (need > 2147483647.0) fail(env, fn, "the batch is too large (" + std::to_string(need) + " values)", true);
  a.src = floats(info, fn, 0, "src", need).Data();
  a.dst = floats(info, fn, 1, "dst", need).Data();
  if (!info[5].IsObject()) fail(env, fn, "spec must be an object {rotate, zoom, shift, shear, elastic, sigma}", false);
  Napi::Object o = info[5].As<Napi::Object>();
  a.spec.rotate = num(env, fn, o.Get("rotate"), "spec.rotate", 0, 180);
  a.spec.zoom = num(env, fn, o.Get("zoom"), "spec.zoom", 0, 0.9);
  a.spec.shift = num(env, fn, o.Get("shift"), "spec.shift", 0, 4096);
  a.spec.shear = num(env, fn, o.Get("shear"), "spec.shear", 0, 80);
  a.spec.elastic = num(env, fn, o.Get("elastic"), "spec.elastic", 0, 4096);
  a.spec.sigma = num(env, fn, o.Get("sigma"), "spec.sigma", 0.1, 64);
  a.seed = static_cast<uint32_t>(whole(env, fn, info[6], "seed", 0, 4294967295.0));
  return a;
}

Napi::Value AugmentBatch(const Napi::CallbackInfo& info) {
  const AugArgs a = parse(info, "augmentBatch");
  // Over the shared pool: serialized with every other kernel call (binding.h). The asynchronous form below
  // uses no shared state (its thread's own scratch) and runs beside training by design.
  std::lock_guard<std::mutex> serial(binding::kernel_mutex());
  augment_batch(a.src, a.dst, a.n, a.h, a.w, a.spec, a.seed, true);
  return info.Env().Undefined();
}

/** The same work on a libuv thread (never the pool, which trains meanwhile); src and dst are held until it ends. */
class AugmentWorker : public Napi::AsyncWorker {
 public:
  AugmentWorker(const Napi::Env& env, const AugArgs& a, Napi::Value src, Napi::Value dst)
      : Napi::AsyncWorker(env), args_(a), deferred_(Napi::Promise::Deferred::New(env)) {
    src_ = Napi::Persistent(src.As<Napi::Object>());
    dst_ = Napi::Persistent(dst.As<Napi::Object>());
  }
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { augment_batch(args_.src, args_.dst, args_.n, args_.h, args_.w, args_.spec, args_.seed, false); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  AugArgs args_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference src_, dst_;
};

Napi::Value AugmentBatchAsync(const Napi::CallbackInfo& info) {
  const AugArgs a = parse(info, "augmentBatchAsync");
  auto* w = new AugmentWorker(info.Env(), a, info[0], info[1]);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace

void register_augment(Napi::Env env, Napi::Object exports) {
  exports.Set("augmentBatch", Napi::Function::New(env, AugmentBatch));
  exports.Set("augmentBatchAsync", Napi::Function::New(env, AugmentBatchAsync));
}

}  // namespace dn
