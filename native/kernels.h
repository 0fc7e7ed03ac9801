// Kernel entry points behind the binding. Shapes are checked by the binding before these run.
#pragma once
#include <cstdint>

namespace dn {

struct Geo {
  long n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, oc;
};

/** b may be null: no bias. */
void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Geo& g, bool relu);
void conv2d_backward_input(const float* dy, const float* w, float* dx, const Geo& g);
/** db may be null: the bias gradient is not computed (a layer without bias). */
void conv2d_backward_filter(const float* x, const float* dy, float* dw, float* db, const Geo& g);
/**
 * conv2d_backward_filter(x, maxpool_backward(dy, argmax)) with dy the gradient at the pooling's output (pg over
 * the convolution's output): the same bits, the convolution's output gradient written out only where no
 * kernel gathers it as it goes. False when argmax holds an index outside that output.
 */
bool conv2d_backward_filter_pooled(const float* x, const float* dy, const int32_t* argmax, float* dw, float* db, const Geo& g, const Geo& pg);

void maxpool_forward(const float* x, float* y, int32_t* argmax, const Geo& g);
/**
 * maxpool_forward(conv2d_forward(x, w, b)) into y and argmax (indices into the convolution's output, which is
 * not kept): pg is the pooling geometry over that output. The same bits as the two calls.
 */
void conv2d_maxpool_forward(const float* x, const float* w, const float* b, float* y, int32_t* argmax, const Geo& g, const Geo& pg, bool relu);
/** Returns false when an argmax entry points outside x (dx is then partly written). */
bool maxpool_backward(const float* dy, const int32_t* argmax, float* dx, const Geo& g);

/** b may be null: no bias. */
void dense_forward(const float* x, const float* w, const float* b, float* y, long n, long in, long out, bool relu);
void dense_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db, long n, long in, long out);
void column_sums(const float* dy, float* db, long rows, long cols);

void relu_forward(const float* x, float* y, long n);
void relu_backward(const float* y, const float* dy, float* dx, long n);
void mul(const float* a, const float* b, float* y, long n);
/** mask[i] = 0 with probability rate, else scale: engine/random.ts's xoshiro128** from state (4 words, advanced). */
void dropout_mask(uint32_t* state, float* mask, long n, double rate, float scale);
void softmax(const float* x, float* y, long rows, long cols);
double softmax_xent(const float* logits, const float* targets, float* probs, float* dlogits, long rows, long cols);
void adam_step(float* p, const float* g, float* m, float* v, long n, double lr, double b1, double b2, double eps, double step,
               double weight_decay);
void sgd_step(float* p, const float* g, float* vel, long n, double lr, double momentum, bool nesterov);

}  // namespace dn
