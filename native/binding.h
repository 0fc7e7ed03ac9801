// Argument checking for the Node binding: types, integer dims, buffer lengths implied by the shapes. Every
// bad input becomes a JavaScript TypeError/RangeError naming the kernel and the argument, never a crash.
#pragma once
#include <napi.h>

#include <cmath>
#include <mutex>
#include <string>

#include "kernels.h"

namespace dn {
namespace binding {

using dn::Geo;
constexpr double kMaxElems = 2147483647.0;  // int32 indices (argmax) and int GEMM dims

/**
 * Held by every kernel call for its duration. The addon is loaded once per process, so its thread pool,
 * micro-kernel choice and scratch buffers are shared by every JS thread that calls it (a server's main
 * thread and its inference worker, worker threads a user trains in); two calls at once would share those
 * and could deadlock the pool. Calls from one thread never contend, and the lock costs nanoseconds.
 */
std::mutex& kernel_mutex();

struct Call {
  const Napi::CallbackInfo& info;
  const char* fn;
  std::lock_guard<std::mutex> serial{kernel_mutex()};
  Napi::Env env() const { return info.Env(); }

  [[noreturn]] void type_error(const std::string& msg) const {
    throw Napi::TypeError::New(env(), std::string("digitnet native ") + fn + ": " + msg);
  }
  [[noreturn]] void range_error(const std::string& msg) const {
    throw Napi::RangeError::New(env(), std::string("digitnet native ") + fn + ": " + msg);
  }

  void need_args(size_t n) const {
    if (info.Length() < n) type_error("expected " + std::to_string(n) + " arguments, got " + std::to_string(info.Length()));
  }

  template <class T>
  T* typed(size_t i, const char* name, napi_typedarray_type type, const char* tname, double need, bool nullable) const {
    Napi::Value v = info[i];
    if (nullable && (v.IsNull() || v.IsUndefined())) return nullptr;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
      type_error(std::string(name) + " must be a " + tname + (nullable ? " or null" : ""));
    auto arr = v.As<Napi::TypedArrayOf<T>>();
    if (static_cast<double>(arr.ElementLength()) < need)
      range_error(std::string(name) + " has " + std::to_string(arr.ElementLength()) + " elements, needs at least " +
                  std::to_string(static_cast<long long>(need)));
    return arr.Data();
  }
  float* f32(size_t i, const char* name, double need, bool nullable = false) const {
    return typed<float>(i, name, napi_float32_array, "Float32Array", need, nullable);
  }
  int32_t* i32(size_t i, const char* name, double need) const {
    return typed<int32_t>(i, name, napi_int32_array, "Int32Array", need, false);
  }
  uint32_t* u32(size_t i, const char* name, double need) const {
    return typed<uint32_t>(i, name, napi_uint32_array, "Uint32Array", need, false);
  }
  size_t length(size_t i) const {
    Napi::Value v = info[i];
    if (!v.IsTypedArray()) return 0;
    return v.As<Napi::TypedArray>().ElementLength();
  }

  double number(Napi::Value v, const std::string& name) const {
    if (!v.IsNumber()) type_error(name + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d)) range_error(name + " must be finite");
    return d;
  }
  long dim(Napi::Value v, const std::string& name, long min = 0) const {
    double d = number(v, name);
    if (d != std::floor(d) || d < min || d > kMaxElems)
      range_error(name + " must be an integer ≥ " + std::to_string(min) + ", got " + std::to_string(d));
    return static_cast<long>(d);
  }
  long dim(size_t i, const char* name, long min = 0) const { return dim(info[i], name, min); }
  bool boolean(size_t i, const char* name) const {
    if (!info[i].IsBoolean()) type_error(std::string(name) + " must be a boolean");
    return info[i].As<Napi::Boolean>().Value();
  }
  void check_elems(double count, const char* what) const {
    if (count > kMaxElems) range_error(std::string(what) + " is too large (" + std::to_string(count) + " elements)");
  }

  Geo geometry(size_t i, bool conv, bool pool) const {
    if (!info[i].IsObject()) type_error("geometry must be an object");
    Napi::Object o = info[i].As<Napi::Object>();
    auto get = [&](const char* k, long min) { return dim(o.Get(k), std::string("geometry.") + k, min); };
    Geo g;
    g.n = get("n", 0);
    g.h = get("h", 1);
    g.w = get("w", 1);
    g.c = get("c", 1);
    g.kh = get("kh", 1);
    g.kw = get("kw", 1);
    g.sh = get("strideH", 1);
    g.sw = get("strideW", 1);
    g.pt = get("padTop", 0);
    g.pl = get("padLeft", 0);
    g.oh = get("oh", 1);
    g.ow = get("ow", 1);
    g.oc = conv ? get("oc", 1) : g.c;
    check_elems(static_cast<double>(g.n) * g.h * g.w * g.c, "input");
    check_elems(static_cast<double>(g.n) * g.oh * g.ow * g.oc, "output");
    check_elems(static_cast<double>(g.kh) * g.kw * g.c * g.oc, "kernel");
    check_elems(static_cast<double>(g.n) * g.oh * g.ow * g.kh * g.kw * g.c, "im2col matrix");
    if (pool) {
      // Every window must hold at least one real pixel (padding never wins).
      if (g.pt >= g.kh || g.pl >= g.kw || (g.oh - 1) * g.sh - g.pt >= g.h || (g.ow - 1) * g.sw - g.pl >= g.w)
        range_error("geometry has a pooling window made only of padding");
    }
    return g;
  }
};

inline double sz(const Geo& g) { return static_cast<double>(g.n) * g.h * g.w * g.c; }
inline double osz(const Geo& g) { return static_cast<double>(g.n) * g.oh * g.ow * g.oc; }

/** Registers the graph-model kernels (binding_ops.cc) on the addon's exports. */
void register_ops(Napi::Env env, Napi::Object exports);

}  // namespace binding
}  // namespace dn
