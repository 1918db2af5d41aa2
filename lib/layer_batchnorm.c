/* layer_batchnorm.c - batch normalisation over the last (channel) axis.
 *
 * Training uses the batch's mean and biased variance; inference uses running
 * statistics (kept by the network with Keras' momentum convention). The sums
 * are accumulated in double: a 64 x 28 x 28 batch has 50,176 rows per channel.
 */
#include <math.h>

#include "layers.h"

void batchnorm_sums(double *sum, double *sumsq, const float *in, size_t N, int C)
{
    for (size_t n = 0; n < N; n++) {
        const float *x = in + n * C;
        for (int c = 0; c < C; c++) {
            sum[c] += x[c];
            sumsq[c] += (double)x[c] * x[c];
        }
    }
}

void batchnorm_moments(float *mean, float *invstd, const double *sum, const double *sumsq, size_t Ntotal, int C,
                       float eps)
{
    for (int c = 0; c < C; c++) {
        double m = sum[c] / (double)Ntotal;
        double var = sumsq[c] / (double)Ntotal - m * m;
        if (var < 0)
            var = 0;
        mean[c] = (float)m;
        invstd[c] = (float)(1.0 / sqrt(var + eps));
    }
}

void batchnorm_normalise(float *out, float *xhat, const float *in, const float *mean, const float *invstd,
                         const float *gamma, const float *beta, size_t N, int C)
{
    for (size_t n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            size_t i = n * C + c;
            float h = (in[i] - mean[c]) * invstd[c];
            xhat[i] = h;
            out[i] = gamma[c] * h + beta[c];
        }
}

void batchnorm_forward_infer(float *out, const float *in, const float *rmean, const float *rvar,
                             const float *gamma, const float *beta, float eps, size_t N, int C)
{
    float a[4096], b[4096]; /* per-channel affine; C <= 4096 is checked when the network is built */
    for (int c = 0; c < C; c++) {
        a[c] = gamma[c] / sqrtf(rvar[c] + eps);
        b[c] = beta[c] - rmean[c] * a[c];
    }
    for (size_t n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            out[n * C + c] = in[n * C + c] * a[c] + b[c];
}

void batchnorm_forward_train(float *out, float *xhat, float *mean, float *invstd, const float *in,
                             const float *gamma, const float *beta, float eps, size_t N, int C)
{
    double sum[4096] = {0}, sumsq[4096] = {0};
    batchnorm_sums(sum, sumsq, in, N, C);
    batchnorm_moments(mean, invstd, sum, sumsq, N, C, eps);
    batchnorm_normalise(out, xhat, in, mean, invstd, gamma, beta, N, C);
}

void batchnorm_backward_sums(double *sdy, double *sdyx, const float *dout, const float *xhat, size_t N, int C)
{
    for (size_t n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            sdy[c] += dout[n * C + c];
            sdyx[c] += (double)dout[n * C + c] * xhat[n * C + c];
        }
}

/* din = gamma * invstd / N * (N * dy - sum(dy) - xhat * sum(dy * xhat)) */
void batchnorm_backward_input(float *din, const float *dout, const float *xhat, const float *invstd,
                              const float *gamma, const double *sdy, const double *sdyx, size_t Ntotal,
                              size_t N, int C)
{
    float k[4096], mdy[4096], mdyx[4096];
    for (int c = 0; c < C; c++) {
        k[c] = gamma[c] * invstd[c];
        mdy[c] = (float)(sdy[c] / (double)Ntotal);
        mdyx[c] = (float)(sdyx[c] / (double)Ntotal);
    }
    for (size_t n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            size_t i = n * C + c;
            din[i] = k[c] * (dout[i] - mdy[c] - xhat[i] * mdyx[c]);
        }
}

void batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *xhat,
                        const float *invstd, const float *gamma, size_t N, int C)
{
    double sdy[4096] = {0}, sdyx[4096] = {0};
    batchnorm_backward_sums(sdy, sdyx, dout, xhat, N, C);
    for (int c = 0; c < C; c++) {
        dgamma[c] += (float)sdyx[c];
        dbeta[c] += (float)sdy[c];
    }
    batchnorm_backward_input(din, dout, xhat, invstd, gamma, sdy, sdyx, N, N, C);
}
