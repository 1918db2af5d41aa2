/* quant.h - int8 inference for convolutions: im2col over 8-bit activations and
 * per-output-channel 8-bit weights, integer dot products (AVX2's maddubs/madd, or
 * VNNI's dpbusd where the build targets it), one scale back to float per output.
 *
 * Activations: x ~ ascale * (u - zero), u in 0..127. Seven bits, not eight: with u < 128
 * a pair of u8 x s8 products cannot saturate AVX2's 16-bit maddubs sums, so AVX2 and
 * VNNI builds compute the same integers. Weights: w ~ wscale[co] * q, q in -127..127.
 */
#ifndef QUANT_H
#define QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "layers.h"

typedef struct qconv {
    int8_t *w;       /* (Cout, kp): each row's K*K*Cin weights, zero-padded to kp */
    float *scale;    /* (Cout): wscale[co] * ascale, the integer sum's unit */
    int32_t *wsum;   /* (Cout): sum of the row's q, for the zero point */
    float ascale;    /* input activations */
    int zero;        /* the u8 that stands for 0.0 */
    int kp;          /* K*K*Cin rounded up to 32 */
} qconv;

/* Quantize conv weights w (Cout, K, K, Cin) for inputs calibrated to [lo, hi]. */
qconv *qconv_new(const float *w, const conv_shape *s, float lo, float hi, err *e);
void qconv_free(qconv *q);
/* Bytes of workspace conv2d_int8_forward needs for chunk images. */
size_t conv_int8_bytes(const conv_shape *s, int chunk);
/* out (B,Ho,Wo,Cout) = conv(in (B,H,W,Cin)) + b, then max(0, .) if relu; as conv2d_forward. */
void conv2d_int8_forward(float *out, const float *in, const qconv *q, const float *b, const conv_shape *s, int B,
                         void *work, int chunk, int relu);
/* The kernel alone, for tests: c (M, N) = a (M, kp) u8 . b (N, kp)^T s8, in int32. */
void gemm_u8s8(int32_t *c, const uint8_t *a, const int8_t *b, int M, int N, int kp);
/* "vnni", "avx2" or "scalar": what this build's kernel uses. */
const char *int8_kernel_name(void);

#endif
