/* layer_conv2d.c - 2-D convolution as im2col + one GEMM per chunk of images.
 *
 * With NHWC activations, one output pixel's receptive field is K*K runs of
 * Cin contiguous floats, so im2col is a sequence of memcpy's and the product
 * cols (M, K*K*Cin) . w^T (K*K*Cin, Cout) lands directly in NHWC order.
 * Images go through in chunks so the column buffer stays near cache size.
 */
#include <cblas.h>
#include <string.h>

#include "layers.h"

conv_shape conv_shape_make(int H, int W, int Cin, int Cout, int K, int S, int P)
{
    conv_shape s = {H, W, Cin, Cout, K, S, P, (H + 2 * P - K) / S + 1, (W + 2 * P - K) / S + 1, NULL};
    return s;
}

size_t conv_cols_floats(const conv_shape *s, int B)
{
    return (size_t)B * s->Ho * s->Wo * s->K * s->K * s->Cin;
}

/* cols (Ho*Wo, K*K*Cin) for one image in (H,W,Cin); the border reads s->pad (or 0) */
static void im2col(float *cols, const float *in, const conv_shape *s)
{
    const int C = s->Cin, K = s->K;
    /* Runs are short (Cin floats): an inline loop beats a memcpy call per run. */
    for (int oy = 0; oy < s->Ho; oy++) {
        for (int ox = 0; ox < s->Wo; ox++) {
            float *row = cols + ((size_t)oy * s->Wo + ox) * K * K * C;
            for (int ky = 0; ky < K; ky++) {
                int iy = oy * s->S - s->P + ky;
                for (int kx = 0; kx < K; kx++) {
                    int ix = ox * s->S - s->P + kx;
                    float *dst = row + ((size_t)ky * K + kx) * C;
                    if ((iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) && s->pad) {
                        for (int c = 0; c < C; c++)
                            dst[c] = s->pad[c];
                    } else if (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) {
                        for (int c = 0; c < C; c++)
                            dst[c] = 0.0f;
                    } else {
                        const float *src = in + ((size_t)iy * s->W + ix) * C;
                        for (int c = 0; c < C; c++)
                            dst[c] = src[c];
                    }
                }
            }
        }
    }
}

/* din (H,W,Cin) += scatter of dcols (Ho*Wo, K*K*Cin): the adjoint of im2col */
static void col2im(float *din, const float *dcols, const conv_shape *s)
{
    const int C = s->Cin, K = s->K;
    for (int oy = 0; oy < s->Ho; oy++) {
        for (int ox = 0; ox < s->Wo; ox++) {
            const float *row = dcols + ((size_t)oy * s->Wo + ox) * K * K * C;
            for (int ky = 0; ky < K; ky++) {
                int iy = oy * s->S - s->P + ky;
                if (iy < 0 || iy >= s->H)
                    continue;
                for (int kx = 0; kx < K; kx++) {
                    int ix = ox * s->S - s->P + kx;
                    if (ix < 0 || ix >= s->W)
                        continue;
                    const float *src = row + ((size_t)ky * K + kx) * C;
                    float *dst = din + ((size_t)iy * s->W + ix) * C;
                    for (int c = 0; c < C; c++)
                        dst[c] += src[c];
                }
            }
        }
    }
}

void conv2d_forward(float *out, const float *in, const float *w, const float *b, const conv_shape *s, int B,
                    float *cols, int chunk, int relu)
{
    const size_t in_img = (size_t)s->H * s->W * s->Cin;
    const int pix = s->Ho * s->Wo, kkc = s->K * s->K * s->Cin;
    const size_t col_img = (size_t)pix * kkc;
    for (int b0 = 0; b0 < B; b0 += chunk) {
        int nb = B - b0 < chunk ? B - b0 : chunk;
        for (int i = 0; i < nb; i++)
            im2col(cols + i * col_img, in + (size_t)(b0 + i) * in_img, s);
        float *o = out + (size_t)b0 * pix * s->Cout;
        const int M = nb * pix;
        /* bias first, then the GEMM adds onto it (beta = 1) */
        for (int m = 0; m < M; m++)
            memcpy(o + (size_t)m * s->Cout, b, (size_t)s->Cout * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, s->Cout, kkc, 1.0f, cols, kkc, w, kkc, 1.0f, o,
                    s->Cout);
        if (relu)
            relu_forward(o, o, (size_t)M * s->Cout);
    }
}

void conv2d_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w,
                     const conv_shape *s, int B, float *cols, int chunk)
{
    const size_t in_img = (size_t)s->H * s->W * s->Cin;
    const int pix = s->Ho * s->Wo, kkc = s->K * s->K * s->Cin;
    const size_t col_img = (size_t)pix * kkc;
    if (din)
        memset(din, 0, (size_t)B * in_img * sizeof(float));
    for (int b0 = 0; b0 < B; b0 += chunk) {
        int nb = B - b0 < chunk ? B - b0 : chunk;
        const int M = nb * pix;
        const float *go = dout + (size_t)b0 * pix * s->Cout;
        for (int i = 0; i < nb; i++)
            im2col(cols + i * col_img, in + (size_t)(b0 + i) * in_img, s);
        /* dw (Cout, kkc) += go^T (Cout, M) . cols (M, kkc) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s->Cout, kkc, M, 1.0f, go, s->Cout, cols, kkc, 1.0f,
                    dw, kkc);
        for (int m = 0; m < M; m++)
            for (int c = 0; c < s->Cout; c++)
                db[c] += go[(size_t)m * s->Cout + c];
        if (!din)
            continue;
        /* dcols (M, kkc) = go (M, Cout) . w (Cout, kkc), reusing the column buffer */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, kkc, s->Cout, 1.0f, go, s->Cout, w, kkc, 0.0f,
                    cols, kkc);
        for (int i = 0; i < nb; i++)
            col2im(din + (size_t)(b0 + i) * in_img, cols + i * col_img, s);
    }
}
