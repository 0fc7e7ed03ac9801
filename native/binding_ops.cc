// The binding of the graph-model kernels (ops.h): activations, batch normalization, average pooling, the
// element-wise ops (add, axpy, copyColumns, softmaxBackward) and RMSprop. Same rules as binding.cc: types,
// integer dims and the buffer lengths that the dims imply are checked here, a bad one is a TypeError or a
// RangeError naming the kernel and the argument.
#include <string>

#include "binding.h"
#include "ops.h"

namespace dn {
namespace binding {
namespace {

using Value = Napi::Value;
using Info = Napi::CallbackInfo;

constexpr const char* kActNames[] = {"linear", "relu", "tanh", "sigmoid", "elu", "selu", "leakyRelu"};
constexpr const char* kActList = "'linear', 'relu', 'tanh', 'sigmoid', 'elu', 'selu' or 'leakyRelu'";

Act act_arg(const Call& c, size_t i) {
  if (!c.info[i].IsString()) c.type_error(std::string("activation must be ") + kActList);
  const std::string a = c.info[i].As<Napi::String>().Utf8Value();
  for (int k = 0; k < 7; k++)
    if (a == kActNames[k]) return static_cast<Act>(k);
  c.range_error(std::string("activation must be ") + kActList + ", got '" + a + "'");
}

double prod(long a, long b) { return static_cast<double>(a) * static_cast<double>(b); }

Value ActivationForward(const Info& info) {
  Call c{info, "activationForward"};
  c.need_args(4);
  const Act act = act_arg(c, 0);
  const double n = static_cast<double>(c.length(1));
  const float* x = c.f32(1, "x", 0);
  float* y = c.f32(2, "y", n);
  activation_forward(act, x, y, static_cast<long>(n), c.number(info[3], "alpha"));
  return info.Env().Undefined();
}

Value ActivationBackward(const Info& info) {
  Call c{info, "activationBackward"};
  c.need_args(5);
  const Act act = act_arg(c, 0);
  const double n = static_cast<double>(c.length(1));
  const float* y = c.f32(1, "y", 0);
  const float* dy = c.f32(2, "dy", n);
  float* dx = c.f32(3, "dx", n);
  activation_backward(act, y, dy, dx, static_cast<long>(n), c.number(info[4], "alpha"));
  return info.Env().Undefined();
}

Value BatchNormStats(const Info& info) {
  Call c{info, "batchNormStats"};
  c.need_args(5);
  const long rows = c.dim(3, "rows"), ch = c.dim(4, "c");
  c.check_elems(prod(rows, ch), "x");
  const float* x = c.f32(0, "x", prod(rows, ch));
  float* mean = c.f32(1, "mean", static_cast<double>(ch));
  float* var = c.f32(2, "variance", static_cast<double>(ch));
  batchnorm_stats(x, mean, var, rows, ch);
  return info.Env().Undefined();
}

Value BatchNormForward(const Info& info) {
  Call c{info, "batchNormForward"};
  c.need_args(10);
  const long rows = c.dim(7, "rows"), ch = c.dim(8, "c");
  const bool relu = c.boolean(9, "relu");
  c.check_elems(prod(rows, ch), "x");
  const double n = prod(rows, ch), cc = static_cast<double>(ch);
  const float* x = c.f32(0, "x", n);
  const float* mean = c.f32(1, "mean", cc);
  const float* var = c.f32(2, "variance", cc);
  const float* gamma = c.f32(3, "gamma", cc);
  const float* beta = c.f32(4, "beta", cc);
  const double eps = c.number(info[5], "epsilon");
  float* y = c.f32(6, "y", n);
  batchnorm_forward(x, mean, var, gamma, beta, eps, y, rows, ch, relu);
  return info.Env().Undefined();
}

Value BatchNormBackward(const Info& info) {
  Call c{info, "batchNormBackward"};
  c.need_args(13);
  const long rows = c.dim(9, "rows"), ch = c.dim(10, "c");
  const bool batch_stats = c.boolean(11, "batchStats");
  c.check_elems(prod(rows, ch), "x");
  const double n = prod(rows, ch), cc = static_cast<double>(ch);
  const float* x = c.f32(0, "x", n);
  const float* mean = c.f32(1, "mean", cc);
  const float* var = c.f32(2, "variance", cc);
  const float* gamma = c.f32(3, "gamma", cc);
  const double eps = c.number(info[4], "epsilon");
  const float* dy = c.f32(5, "dy", n);
  float* dx = c.f32(6, "dx", n, true);
  float* dgamma = c.f32(7, "dgamma", cc, true);
  float* dbeta = c.f32(8, "dbeta", cc, true);
  const float* relu_beta = c.f32(12, "reluBeta", cc, true);
  batchnorm_backward(x, mean, var, gamma, eps, dy, dx, dgamma, dbeta, rows, ch, batch_stats, relu_beta);
  return info.Env().Undefined();
}

Value AvgPoolForward(const Info& info) {
  Call c{info, "avgPool2dForward"};
  c.need_args(3);
  const Geo g = c.geometry(2, false, true);
  const float* x = c.f32(0, "x", sz(g));
  float* y = c.f32(1, "y", osz(g));
  avgpool_forward(x, y, g);
  return info.Env().Undefined();
}

Value AvgPoolBackward(const Info& info) {
  Call c{info, "avgPool2dBackward"};
  c.need_args(3);
  const Geo g = c.geometry(2, false, true);
  const float* dy = c.f32(0, "dy", osz(g));
  float* dx = c.f32(1, "dx", sz(g));
  avgpool_backward(dy, dx, g);
  return info.Env().Undefined();
}

/** (x or dy, y or dx, n, hw, c): the sizes of the (n, hw, c) and (n, c) buffers. */
struct GapDims {
  long n, hw, c;
};
GapDims gap_dims(const Call& c) {
  c.need_args(5);
  const GapDims d{c.dim(2, "n"), c.dim(3, "hw", 1), c.dim(4, "c")};
  c.check_elems(prod(d.n, d.hw) * static_cast<double>(d.c), "the (n, hw, c) tensor");
  return d;
}

Value GlobalAvgPoolForward(const Info& info) {
  Call c{info, "globalAvgPoolForward"};
  const GapDims d = gap_dims(c);
  const float* x = c.f32(0, "x", prod(d.n, d.hw) * static_cast<double>(d.c));
  float* y = c.f32(1, "y", prod(d.n, d.c));
  global_avgpool_forward(x, y, d.n, d.hw, d.c);
  return info.Env().Undefined();
}

Value GlobalAvgPoolBackward(const Info& info) {
  Call c{info, "globalAvgPoolBackward"};
  const GapDims d = gap_dims(c);
  const float* dy = c.f32(0, "dy", prod(d.n, d.c));
  float* dx = c.f32(1, "dx", prod(d.n, d.hw) * static_cast<double>(d.c));
  global_avgpool_backward(dy, dx, d.n, d.hw, d.c);
  return info.Env().Undefined();
}

Value Add(const Info& info) {
  Call c{info, "add"};
  c.need_args(4);
  const double n = static_cast<double>(c.length(0));
  const float* a = c.f32(0, "a", 0);
  const float* b = c.f32(1, "b", n);
  float* y = c.f32(2, "y", n);
  const bool relu = c.boolean(3, "relu");
  add(a, b, y, static_cast<long>(n), relu);
  return info.Env().Undefined();
}

Value Axpy(const Info& info) {
  Call c{info, "axpy"};
  c.need_args(3);
  const double alpha = c.number(info[0], "alpha");
  const double n = static_cast<double>(c.length(1));
  const float* x = c.f32(1, "x", 0);
  float* y = c.f32(2, "y", n);
  axpy(alpha, x, y, static_cast<long>(n));
  return info.Env().Undefined();
}

Value CopyColumns(const Info& info) {
  Call c{info, "copyColumns"};
  c.need_args(8);
  const long src_cols = c.dim(1, "srcCols"), src_off = c.dim(2, "srcOffset");
  const long dst_cols = c.dim(4, "dstCols"), dst_off = c.dim(5, "dstOffset");
  const long rows = c.dim(6, "rows"), cols = c.dim(7, "cols");
  if (src_off + cols > src_cols)
    c.range_error("srcOffset + cols (" + std::to_string(src_off + cols) + ") exceeds srcCols (" + std::to_string(src_cols) + ")");
  if (dst_off + cols > dst_cols)
    c.range_error("dstOffset + cols (" + std::to_string(dst_off + cols) + ") exceeds dstCols (" + std::to_string(dst_cols) + ")");
  // The last row ends at (rows − 1)·stride + offset + cols.
  auto need = [&](long stride, long off) { return rows == 0 || cols == 0 ? 0.0 : prod(rows - 1, stride) + off + cols; };
  c.check_elems(need(src_cols, src_off), "src");
  c.check_elems(need(dst_cols, dst_off), "dst");
  const float* src = c.f32(0, "src", need(src_cols, src_off));
  float* dst = c.f32(3, "dst", need(dst_cols, dst_off));
  copy_columns(src, src_cols, src_off, dst, dst_cols, dst_off, rows, cols);
  return info.Env().Undefined();
}

Value SoftmaxBackward(const Info& info) {
  Call c{info, "softmaxBackward"};
  c.need_args(5);
  const long rows = c.dim(3, "rows"), cols = c.dim(4, "cols");
  const double n = prod(rows, cols);
  c.check_elems(n, "y");
  const float* y = c.f32(0, "y", n);
  const float* dy = c.f32(1, "dy", n);
  float* dx = c.f32(2, "dx", n);
  softmax_backward(y, dy, dx, rows, cols);
  return info.Env().Undefined();
}

Value RmspropStep(const Info& info) {
  Call c{info, "rmspropStep"};
  c.need_args(5);
  if (!info[4].IsObject()) c.type_error("params must be an object {lr, rho, momentum, epsilon}");
  Napi::Object o = info[4].As<Napi::Object>();
  const double lr = c.number(o.Get("lr"), "lr"), rho = c.number(o.Get("rho"), "rho"),
               momentum = c.number(o.Get("momentum"), "momentum"), eps = c.number(o.Get("epsilon"), "epsilon");
  const double n = static_cast<double>(c.length(0));
  float* p = c.f32(0, "params", 0);
  const float* g = c.f32(1, "grads", n);
  float* ms = c.f32(2, "ms", n);
  float* mom = c.f32(3, "mom", momentum > 0 ? n : 0);  // read only with momentum, as the reference
  rmsprop_step(p, g, ms, mom, static_cast<long>(n), lr, rho, momentum, eps);
  return info.Env().Undefined();
}

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("activationForward", Napi::Function::New(env, ActivationForward));
  exports.Set("activationBackward", Napi::Function::New(env, ActivationBackward));
  exports.Set("batchNormStats", Napi::Function::New(env, BatchNormStats));
  exports.Set("batchNormForward", Napi::Function::New(env, BatchNormForward));
  exports.Set("batchNormBackward", Napi::Function::New(env, BatchNormBackward));
  exports.Set("avgPool2dForward", Napi::Function::New(env, AvgPoolForward));
  exports.Set("avgPool2dBackward", Napi::Function::New(env, AvgPoolBackward));
  exports.Set("globalAvgPoolForward", Napi::Function::New(env, GlobalAvgPoolForward));
  exports.Set("globalAvgPoolBackward", Napi::Function::New(env, GlobalAvgPoolBackward));
  exports.Set("add", Napi::Function::New(env, Add));
  exports.Set("axpy", Napi::Function::New(env, Axpy));
  exports.Set("copyColumns", Napi::Function::New(env, CopyColumns));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward));
  exports.Set("rmspropStep", Napi::Function::New(env, RmspropStep));
}

}  // namespace binding
}  // namespace dn
