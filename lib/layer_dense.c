/* layer_dense.c - fully connected layer: one GEMM forward, two backward. */
#include <cblas.h>
#include <string.h>

#include "layers.h"

void dense_forward(float *out, const float *in, const float *w, const float *b, int B, int Din, int Dout)
{
    for (int i = 0; i < B; i++)
        memcpy(out + (size_t)i * Dout, b, (size_t)Dout * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, Dout, Din, 1.0f, in, Din, w, Din, 1.0f, out, Dout);
}

void dense_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w, int B,
                    int Din, int Dout)
{
    /* dw (Dout, Din) += dout^T (Dout, B) . in (B, Din) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Dout, Din, B, 1.0f, dout, Dout, in, Din, 1.0f, dw, Din);
    for (int i = 0; i < B; i++)
        for (int o = 0; o < Dout; o++)
            db[o] += dout[(size_t)i * Dout + o];
    if (din) /* din (B, Din) = dout (B, Dout) . w (Dout, Din) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, Din, Dout, 1.0f, dout, Dout, w, Din, 0.0f, din,
                    Din);
}
