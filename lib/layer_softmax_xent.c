/* layer_softmax_xent.c - softmax with cross-entropy, fused: the gradient with
 * respect to the logits is simply probs - target. Label smoothing spreads
 * `smooth` of the target's mass evenly over the K classes. */
#include <math.h>

#include "layers.h"

void softmax_forward(float *probs, const float *logits, int B, int K)
{
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * K;
        float *p = probs + (size_t)b * K;
        float mx = z[0];
        for (int k = 1; k < K; k++)
            mx = z[k] > mx ? z[k] : mx;
        double s = 0;
        for (int k = 0; k < K; k++)
            s += (p[k] = expf(z[k] - mx));
        for (int k = 0; k < K; k++)
            p[k] = (float)(p[k] / s);
    }
}

double softmax_xent_forward(float *probs, const float *logits, const int32_t *labels, int B, int K, float smooth)
{
    softmax_forward(probs, logits, B, K);
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * K;
        /* log p_k = z_k - logsumexp(z), computed stably */
        float mx = z[0];
        for (int k = 1; k < K; k++)
            mx = z[k] > mx ? z[k] : mx;
        double s = 0;
        for (int k = 0; k < K; k++)
            s += exp((double)z[k] - mx);
        double lse = mx + log(s);
        for (int k = 0; k < K; k++) {
            double t = smooth / K + (k == labels[b] ? 1.0 - smooth : 0.0);
            if (t > 0)
                loss -= t * (z[k] - lse);
        }
    }
    return loss;
}

void softmax_xent_backward(float *dlogits, const float *probs, const int32_t *labels, int B, int K, float smooth,
                           int Ntotal)
{
    const float inv = 1.0f / (float)Ntotal;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++) {
            float t = smooth / K + (k == labels[b] ? 1.0f - smooth : 0.0f);
            dlogits[(size_t)b * K + k] = (probs[(size_t)b * K + k] - t) * inv;
        }
}
