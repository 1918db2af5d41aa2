/* layer_relu.c - max(0, x). */
#include "layers.h"

/* Written without branches so that the compiler vectorises them: a branch per
 * element mispredicts on half the units. */
void relu_forward(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = in[i];
        out[i] = v > 0.0f ? v : 0.0f;
    }
}

void relu_backward(float *din, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float keep = out[i] > 0.0f ? 1.0f : 0.0f;
        din[i] = dout[i] * keep;
    }
}
