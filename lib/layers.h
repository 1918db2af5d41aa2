/* layers.h - every layer's forward and backward pass, as free functions over raw
 * float arrays (in the manner of llm.c). One file per layer: lib/layer_<name>.c.
 *
 * Layout is NHWC: an activation for B images of H x W x C is float[B][H][W][C],
 * so a convolution is one GEMM over rows = pixels, columns = channels, and a
 * dense layer sees the same memory as a flattened vector.
 * Backward functions ACCUMULATE (+=) into parameter gradients, and WRITE (=)
 * input gradients. Shapes are noted on every array as // (B,H,W,C).
 */
#ifndef LAYERS_H
#define LAYERS_H

#include <stddef.h>
#include <stdint.h>

/* ---- conv2d: square kernel K, stride S, zero padding P ------------------- */
typedef struct conv_shape {
    int H, W, Cin;  /* input */
    int Cout, K, S, P;
    int Ho, Wo;     /* output: (H + 2P - K) / S + 1 */
    /* The padding's value per input channel; NULL: zeros. Only the forward passes read it
     * (inference, where a batch norm folded into this layer moves the input's zero). */
    const float *pad;
} conv_shape;

conv_shape conv_shape_make(int H, int W, int Cin, int Cout, int K, int S, int P);
size_t conv_cols_floats(const conv_shape *s, int B); /* workspace for B images */

/* out (B,Ho,Wo,Cout) = conv(in (B,H,W,Cin), w (Cout,K,K,Cin)) + b (Cout), then
 * max(0, .) if relu (applied chunk by chunk, while the GEMM's output is in cache).
 * cols: workspace of conv_cols_floats(s, chunk); images are done chunk at a time. */
void conv2d_forward(float *out, const float *in, const float *w, const float *b, const conv_shape *s, int B,
                    float *cols, int chunk, int relu);
/* dw, db += ...; din (B,H,W,Cin) = ... (skipped when din is NULL: the first layer). */
void conv2d_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w,
                     const conv_shape *s, int B, float *cols, int chunk);

/* The same two passes by Winograd's F(2x2,3x3) (lib/layer_conv2d_winograd.c), for
 * the shapes conv_winograd_fits(): 3x3 kernel, stride 1, padding 0..2. Same
 * arguments and results (to rounding); work holds conv_winograd_floats(s, chunk). */
typedef enum conv_algo { CONV_AUTO, CONV_IM2COL, CONV_WINOGRAD } conv_algo; /* AUTO: 0, the default */
int conv_winograd_fits(const conv_shape *s);
size_t conv_winograd_floats(const conv_shape *s, int B);
void conv2d_winograd_forward(float *out, const float *in, const float *w, const float *b, const conv_shape *s, int B,
                             float *work, int chunk, int relu);
void conv2d_winograd_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w,
                              const conv_shape *s, int B, float *work, int chunk);

/* ---- dense: out (B,Dout) = in (B,Din) . w^T (Dout,Din) + b (Dout) --------- */
void dense_forward(float *out, const float *in, const float *w, const float *b, int B, int Din, int Dout);
void dense_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w, int B,
                    int Din, int Dout);

/* ---- relu ---------------------------------------------------------------- */
void relu_forward(float *out, const float *in, size_t n);
/* uses the forward output: din = dout where out > 0 */
void relu_backward(float *din, const float *dout, const float *out, size_t n);

/* ---- max pool, window = stride = Z, floor(H/Z) x floor(W/Z) output -------- */
/* argmax (B,Ho,Wo,C) records which of the Z*Z inputs won, for backward. */
void maxpool_forward(float *out, uint8_t *argmax, const float *in, int B, int H, int W, int C, int Z);
void maxpool_backward(float *din, const float *dout, const uint8_t *argmax, int B, int H, int W, int C, int Z);

/* ---- dropout (inverted: kept units scaled by 1/(1-p) in training) -------- */
/* The mask comes from a counter-based hash of (key, element index), so it is
 * the same whatever the thread count or batch slicing. first = index of in[0]. */
void dropout_forward(float *out, uint8_t *mask, const float *in, size_t n, float p, uint64_t key, size_t first);
void dropout_backward(float *din, const float *dout, const uint8_t *mask, size_t n, float p);

/* ---- batch norm over the channel (last) axis, N = B*H*W rows -------------- */
/* Training is split in two so threads can each take a slice of the batch:
 * 1. each slice adds its sums, 2. mean/var of the whole batch are formed,
 * 3. each slice normalises. batchnorm_forward_train() does all three at once. */
void batchnorm_sums(double *sum, double *sumsq, const float *in, size_t N, int C); /* += */
void batchnorm_moments(float *mean, float *invstd, const double *sum, const double *sumsq, size_t Ntotal, int C,
                       float eps);
/* out = gamma * xhat + beta, xhat (N,C) kept for backward */
void batchnorm_normalise(float *out, float *xhat, const float *in, const float *mean, const float *invstd,
                         const float *gamma, const float *beta, size_t N, int C);
void batchnorm_forward_infer(float *out, const float *in, const float *rmean, const float *rvar,
                             const float *gamma, const float *beta, float eps, size_t N, int C);
void batchnorm_forward_train(float *out, float *xhat, float *mean, float *invstd, const float *in,
                             const float *gamma, const float *beta, float eps, size_t N, int C);
/* backward: 1. per slice sums of dout and dout*xhat (+=), 2. each slice's din */
void batchnorm_backward_sums(double *sdy, double *sdyx, const float *dout, const float *xhat, size_t N, int C);
void batchnorm_backward_input(float *din, const float *dout, const float *xhat, const float *invstd,
                              const float *gamma, const double *sdy, const double *sdyx, size_t Ntotal,
                              size_t N, int C);
/* whole batch in one call: dgamma, dbeta += ; din = */
void batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *xhat,
                        const float *invstd, const float *gamma, size_t N, int C);

/* ---- softmax + cross-entropy (labels smoothed by eps over K classes) ------ */
/* probs (B,K) = softmax(logits (B,K)); returns the summed loss over the B rows. */
double softmax_xent_forward(float *probs, const float *logits, const int32_t *labels, int B, int K, float smooth);
/* dlogits (B,K) = (probs - target) / Ntotal: the gradient of the mean loss over Ntotal rows. */
void softmax_xent_backward(float *dlogits, const float *probs, const int32_t *labels, int B, int K, float smooth,
                           int Ntotal);
void softmax_forward(float *probs, const float *logits, int B, int K);

#endif
