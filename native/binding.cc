// The Node binding: argument checking (types, integer dims, buffer lengths implied by the geometry) and
// dispatch to the kernels. Every bad input becomes a JavaScript TypeError/RangeError, never a crash.
#include <napi.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "binding.h"
#include "common.h"
#include "gemm.h"
#include "kernels.h"
#include "threadpool.h"
#include "winograd.h"

namespace dn {
void register_augment(Napi::Env env, Napi::Object exports);  // augment.cc
namespace binding {
std::mutex& kernel_mutex() {
  static std::mutex m;  // one per process: the addon is loaded once, whatever the number of JS threads
  return m;
}
}  // namespace binding
}  // namespace dn

namespace {

using dn::Geo;
using dn::binding::Call;
using dn::binding::osz;
using dn::binding::sz;

bool activation(const Call& c, size_t i) {
  if (!c.info[i].IsString()) c.type_error("activation must be 'linear' or 'relu'");
  std::string a = c.info[i].As<Napi::String>().Utf8Value();
  if (a == "relu") return true;
  if (a == "linear") return false;
  c.range_error("activation must be 'linear' or 'relu', got '" + a + "'");
}

Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Call c{info, "matmul"};
  c.need_args(8);
  const long m = c.dim(3, "m"), n = c.dim(4, "n"), k = c.dim(5, "k");
  const bool ta = c.boolean(6, "transA"), tb = c.boolean(7, "transB");
  if (ta && tb) c.range_error("transA and transB together are not supported");
  c.check_elems(static_cast<double>(m) * k, "a");
  c.check_elems(static_cast<double>(k) * n, "b");
  c.check_elems(static_cast<double>(m) * n, "y");
  const float* a = c.f32(0, "a", static_cast<double>(m) * k);
  const float* b = c.f32(1, "b", static_cast<double>(k) * n);
  float* y = c.f32(2, "y", static_cast<double>(m) * n);
  dn::MatView A = ta ? dn::MatView{a, 1, m} : dn::MatView{a, k, 1};
  dn::MatView B = tb ? dn::MatView{b, 1, k} : dn::MatView{b, n, 1};
  dn::sgemm(static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), A, B, y, n, nullptr, false);
  return info.Env().Undefined();
}

Napi::Value DenseForward(const Napi::CallbackInfo& info) {
  Call c{info, "denseForward"};
  c.need_args(8);
  const long n = c.dim(4, "n"), in = c.dim(5, "inSize"), out = c.dim(6, "outSize");
  const bool relu = activation(c, 7);
  c.check_elems(static_cast<double>(n) * in, "x");
  c.check_elems(static_cast<double>(in) * out, "w");
  c.check_elems(static_cast<double>(n) * out, "y");
  const float* x = c.f32(0, "x", static_cast<double>(n) * in);
  const float* w = c.f32(1, "w", static_cast<double>(in) * out);
  const float* b = c.f32(2, "b", static_cast<double>(out), true);
  float* y = c.f32(3, "y", static_cast<double>(n) * out);
  dn::dense_forward(x, w, b, y, n, in, out, relu);
  return info.Env().Undefined();
}

Napi::Value DenseBackward(const Napi::CallbackInfo& info) {
  Call c{info, "denseBackward"};
  c.need_args(9);
  const long n = c.dim(6, "n"), in = c.dim(7, "inSize"), out = c.dim(8, "outSize");
  c.check_elems(static_cast<double>(n) * in, "x");
  c.check_elems(static_cast<double>(in) * out, "w");
  c.check_elems(static_cast<double>(n) * out, "dy");
  const float* x = c.f32(0, "x", static_cast<double>(n) * in);
  const float* w = c.f32(1, "w", static_cast<double>(in) * out);
  const float* dy = c.f32(2, "dy", static_cast<double>(n) * out);
  float* dx = c.f32(3, "dx", static_cast<double>(n) * in, true);
  float* dw = c.f32(4, "dw", static_cast<double>(in) * out);
  float* db = c.f32(5, "db", static_cast<double>(out), true);
  dn::dense_backward(x, w, dy, dx, dw, db, n, in, out);
  return info.Env().Undefined();
}

Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  Call c{info, "conv2dForward"};
  c.need_args(6);
  const Geo g = c.geometry(4, true, false);
  const bool relu = activation(c, 5);
  const float* x = c.f32(0, "x", sz(g));
  const float* w = c.f32(1, "w", static_cast<double>(g.kh) * g.kw * g.c * g.oc);
  const float* b = c.f32(2, "b", static_cast<double>(g.oc), true);
  float* y = c.f32(3, "y", osz(g));
  dn::conv2d_forward(x, w, b, y, g, relu);
  return info.Env().Undefined();
}

/** Argument i: a pooling geometry over convolution g's output. */
Geo pool_over(const Call& c, size_t i, const Geo& g) {
  const Geo pg = c.geometry(i, false, true);
  auto dims = [](const Geo& a, bool out) {
    return "(" + std::to_string(a.n) + ", " + std::to_string(out ? a.oh : a.h) + ", " + std::to_string(out ? a.ow : a.w) + ", " +
           std::to_string(out ? a.oc : a.c) + ")";
  };
  if (pg.n != g.n || pg.h != g.oh || pg.w != g.ow || pg.c != g.oc)
    c.range_error("the pooling geometry's input " + dims(pg, false) + " is not the convolution's output " + dims(g, true));
  return pg;
}

Napi::Value Conv2dMaxPoolForward(const Napi::CallbackInfo& info) {
  Call c{info, "conv2dMaxPoolForward"};
  c.need_args(8);
  const Geo g = c.geometry(5, true, false), pg = pool_over(c, 6, g);
  const bool relu = activation(c, 7);
  const float* x = c.f32(0, "x", sz(g));
  const float* w = c.f32(1, "w", static_cast<double>(g.kh) * g.kw * g.c * g.oc);
  const float* b = c.f32(2, "b", static_cast<double>(g.oc), true);
  float* y = c.f32(3, "y", osz(pg));
  int32_t* am = c.i32(4, "argmax", osz(pg));
  dn::conv2d_maxpool_forward(x, w, b, y, am, g, pg, relu);
  return info.Env().Undefined();
}

Napi::Value Conv2dBackwardInput(const Napi::CallbackInfo& info) {
  Call c{info, "conv2dBackwardInput"};
  c.need_args(4);
  const Geo g = c.geometry(3, true, false);
  const float* dy = c.f32(0, "dy", osz(g));
  const float* w = c.f32(1, "w", static_cast<double>(g.kh) * g.kw * g.c * g.oc);
  float* dx = c.f32(2, "dx", sz(g));
  dn::conv2d_backward_input(dy, w, dx, g);
  return info.Env().Undefined();
}

Napi::Value Conv2dBackwardFilter(const Napi::CallbackInfo& info) {
  Call c{info, "conv2dBackwardFilter"};
  c.need_args(5);
  const Geo g = c.geometry(4, true, false);
  const float* x = c.f32(0, "x", sz(g));
  const float* dy = c.f32(1, "dy", osz(g));
  float* dw = c.f32(2, "dw", static_cast<double>(g.kh) * g.kw * g.c * g.oc);
  float* db = c.f32(3, "db", static_cast<double>(g.oc), true);
  dn::conv2d_backward_filter(x, dy, dw, db, g);
  return info.Env().Undefined();
}

Napi::Value Conv2dBackwardFilterPooled(const Napi::CallbackInfo& info) {
  Call c{info, "conv2dBackwardFilterPooled"};
  c.need_args(7);
  const Geo g = c.geometry(5, true, false), pg = pool_over(c, 6, g);
  const float* x = c.f32(0, "x", sz(g));
  const float* dy = c.f32(1, "dy", osz(pg));
  const int32_t* am = c.i32(2, "argmax", osz(pg));
  float* dw = c.f32(3, "dw", static_cast<double>(g.kh) * g.kw * g.c * g.oc);
  float* db = c.f32(4, "db", static_cast<double>(g.oc), true);
  if (!dn::conv2d_backward_filter_pooled(x, dy, am, dw, db, g, pg)) c.range_error("argmax holds an index outside the convolution's output");
  return info.Env().Undefined();
}

Napi::Value MaxPoolForward(const Napi::CallbackInfo& info) {
  Call c{info, "maxPool2dForward"};
  c.need_args(4);
  const Geo g = c.geometry(3, false, true);
  const float* x = c.f32(0, "x", sz(g));
  float* y = c.f32(1, "y", osz(g));
  int32_t* am = c.i32(2, "argmax", osz(g));
  dn::maxpool_forward(x, y, am, g);
  return info.Env().Undefined();
}

Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info) {
  Call c{info, "maxPool2dBackward"};
  c.need_args(4);
  const Geo g = c.geometry(3, false, true);
  const float* dy = c.f32(0, "dy", osz(g));
  const int32_t* am = c.i32(1, "argmax", osz(g));
  float* dx = c.f32(2, "dx", sz(g));
  if (!dn::maxpool_backward(dy, am, dx, g)) c.range_error("argmax holds an index outside dx");
  return info.Env().Undefined();
}

Napi::Value ReluForward(const Napi::CallbackInfo& info) {
  Call c{info, "reluForward"};
  c.need_args(2);
  const double n = static_cast<double>(c.length(0));
  const float* x = c.f32(0, "x", 0);
  float* y = c.f32(1, "y", n);
  dn::relu_forward(x, y, static_cast<long>(n));
  return info.Env().Undefined();
}

Napi::Value ReluBackward(const Napi::CallbackInfo& info) {
  Call c{info, "reluBackward"};
  c.need_args(3);
  const double n = static_cast<double>(c.length(0));
  const float* y = c.f32(0, "y", 0);
  const float* dy = c.f32(1, "dy", n);
  float* dx = c.f32(2, "dx", n);
  dn::relu_backward(y, dy, dx, static_cast<long>(n));
  return info.Env().Undefined();
}

Napi::Value Mul(const Napi::CallbackInfo& info) {
  Call c{info, "mul"};
  c.need_args(3);
  const double n = static_cast<double>(c.length(0));
  const float* a = c.f32(0, "a", 0);
  const float* b = c.f32(1, "b", n);
  float* y = c.f32(2, "y", n);
  dn::mul(a, b, y, static_cast<long>(n));
  return info.Env().Undefined();
}

Napi::Value DropoutMask(const Napi::CallbackInfo& info) {
  Call c{info, "dropoutMask"};
  c.need_args(4);
  uint32_t* state = c.u32(0, "state", 4);
  const double n = static_cast<double>(c.length(1));
  float* mask = c.f32(1, "mask", 0);
  const double rate = c.number(info[2], "rate"), scale = c.number(info[3], "scale");
  if (!(rate >= 0 && rate < 1)) c.range_error("rate must be in [0, 1), got " + std::to_string(rate));
  dn::dropout_mask(state, mask, static_cast<long>(n), rate, static_cast<float>(scale));
  return info.Env().Undefined();
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Call c{info, "softmax"};
  c.need_args(4);
  const long rows = c.dim(2, "rows"), cols = c.dim(3, "cols");
  const double n = static_cast<double>(rows) * cols;
  c.check_elems(n, "x");
  const float* x = c.f32(0, "x", n);
  float* y = c.f32(1, "y", n);
  dn::softmax(x, y, rows, cols);
  return info.Env().Undefined();
}

Napi::Value SoftmaxXent(const Napi::CallbackInfo& info) {
  Call c{info, "softmaxCrossEntropy"};
  c.need_args(6);
  const long rows = c.dim(4, "rows"), cols = c.dim(5, "cols");
  const double n = static_cast<double>(rows) * cols;
  c.check_elems(n, "logits");
  const float* logits = c.f32(0, "logits", n);
  const float* targets = c.f32(1, "targets", n);
  float* probs = c.f32(2, "probs", n);
  float* dlogits = c.f32(3, "dlogits", n, true);
  return Napi::Number::New(info.Env(), dn::softmax_xent(logits, targets, probs, dlogits, rows, cols));
}

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Call c{info, "adamStep"};
  c.need_args(5);
  const double n = static_cast<double>(c.length(0));
  float* p = c.f32(0, "params", 0);
  const float* g = c.f32(1, "grads", n);
  float* m = c.f32(2, "m", n);
  float* v = c.f32(3, "v", n);
  if (!info[4].IsObject()) c.type_error("params must be an object {lr, beta1, beta2, epsilon, step, weightDecay}");
  Napi::Object o = info[4].As<Napi::Object>();
  const double lr = c.number(o.Get("lr"), "lr"), b1 = c.number(o.Get("beta1"), "beta1"),
               b2 = c.number(o.Get("beta2"), "beta2"), eps = c.number(o.Get("epsilon"), "epsilon"),
               step = c.number(o.Get("step"), "step"), decay = c.number(o.Get("weightDecay"), "weightDecay");
  dn::adam_step(p, g, m, v, static_cast<long>(n), lr, b1, b2, eps, step, decay);
  return info.Env().Undefined();
}

Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Call c{info, "sgdStep"};
  c.need_args(4);
  const double n = static_cast<double>(c.length(0));
  float* p = c.f32(0, "params", 0);
  const float* g = c.f32(1, "grads", n);
  float* vel = c.f32(2, "velocity", n);
  if (!info[3].IsObject()) c.type_error("params must be an object {lr, momentum, nesterov}");
  Napi::Object o = info[3].As<Napi::Object>();
  const double lr = c.number(o.Get("lr"), "lr"), mom = c.number(o.Get("momentum"), "momentum");
  const bool nesterov = o.Get("nesterov").ToBoolean().Value();
  dn::sgd_step(p, g, vel, static_cast<long>(n), lr, mom, nesterov);
  return info.Env().Undefined();
}

/** The Winograd setting as JavaScript sees it: true (tile size per layer), false (off), 2 or 4. */
Napi::Value winograd_value(Napi::Env env) {
  const int mode = dn::winograd_mode();
  if (mode == 2 || mode == 4) return Napi::Number::New(env, mode);
  return Napi::Boolean::New(env, mode != 0);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("isa", dn::isa_name());
  o.Set("threads", dn::pool_threads());
  o.Set("cores", dn::available_cores());
  Napi::Array isas = Napi::Array::New(info.Env());
  uint32_t k = 0;
  for (const char* name : {"avx512", "avx2", "generic"})
    if (dn::cpu_supports_isa(name)) isas.Set(k++, name);
  o.Set("supportedIsas", isas);
  o.Set("winograd", winograd_value(info.Env()));
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Call c{info, "setThreads"};
  c.need_args(1);
  dn::pool_set_threads(static_cast<int>(c.dim(0, "threads", 0)));
  return Napi::Number::New(info.Env(), dn::pool_threads());
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Call c{info, "setIsa"};
  c.need_args(1);
  if (!info[0].IsString()) c.type_error("isa must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (!dn::set_isa(name.c_str())) c.range_error("instruction set '" + name + "' is unknown or not supported by this CPU");
  return Napi::String::New(info.Env(), dn::isa_name());
}

Napi::Value SetWinograd(const Napi::CallbackInfo& info) {
  Call c{info, "setWinograd"};
  c.need_args(1);
  int mode = -1;  // a number names a tile size (1 is not one); true is the per-layer choice
  if (info[0].IsBoolean()) mode = info[0].As<Napi::Boolean>().Value() ? 1 : 0;
  else if (info[0].IsNumber() && (info[0].As<Napi::Number>().DoubleValue() == 2 || info[0].As<Napi::Number>().DoubleValue() == 4))
    mode = static_cast<int>(info[0].As<Napi::Number>().DoubleValue());
  if (!dn::set_winograd(mode)) c.range_error("winograd must be true, false, 2 or 4");
  return winograd_value(info.Env());
}

Napi::Value ReleaseScratch(const Napi::CallbackInfo& info) {
  Call c{info, "releaseScratch"};
  dn::release_scratch();
  dn::release_kept_filters();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const char* t = std::getenv("DIGITNET_THREADS");
  {
    // Init runs again in each worker thread that loads the addon, maybe while another thread's kernel runs.
    std::lock_guard<std::mutex> serial(dn::binding::kernel_mutex());
    dn::pool_set_threads(t ? std::atoi(t) : 0);
  }
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("denseForward", Napi::Function::New(env, DenseForward));
  exports.Set("denseBackward", Napi::Function::New(env, DenseBackward));
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward));
  exports.Set("conv2dMaxPoolForward", Napi::Function::New(env, Conv2dMaxPoolForward));
  exports.Set("conv2dBackwardFilterPooled", Napi::Function::New(env, Conv2dBackwardFilterPooled));
  exports.Set("conv2dBackwardInput", Napi::Function::New(env, Conv2dBackwardInput));
  exports.Set("conv2dBackwardFilter", Napi::Function::New(env, Conv2dBackwardFilter));
  exports.Set("maxPool2dForward", Napi::Function::New(env, MaxPoolForward));
  exports.Set("maxPool2dBackward", Napi::Function::New(env, MaxPoolBackward));
  exports.Set("reluForward", Napi::Function::New(env, ReluForward));
  exports.Set("reluBackward", Napi::Function::New(env, ReluBackward));
  exports.Set("mul", Napi::Function::New(env, Mul));
  exports.Set("dropoutMask", Napi::Function::New(env, DropoutMask));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("softmaxCrossEntropy", Napi::Function::New(env, SoftmaxXent));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep));
  dn::binding::register_ops(env, exports);
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("setWinograd", Napi::Function::New(env, SetWinograd));
  exports.Set("releaseScratch", Napi::Function::New(env, ReleaseScratch));
  dn::register_augment(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(digitnet_native, Init)
