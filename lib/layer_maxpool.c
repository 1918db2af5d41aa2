/* layer_maxpool.c - non-overlapping Z x Z max pooling over NHWC. */
#include <string.h>

#include "layers.h"

void maxpool_forward(float *out, uint8_t *argmax, const float *in, int B, int H, int W, int C, int Z)
{
    const int Ho = H / Z, Wo = W / Z;
    for (int b = 0; b < B; b++) {
        const float *x = in + (size_t)b * H * W * C;
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++) {
                size_t o = (((size_t)b * Ho + oy) * Wo + ox) * C;
                /* start from the window's first pixel, then compare the others channel-wise */
                const float *first = x + ((size_t)(oy * Z) * W + ox * Z) * C;
                memcpy(out + o, first, (size_t)C * sizeof(float));
                memset(argmax + o, 0, (size_t)C);
                for (int dy = 0; dy < Z; dy++)
                    for (int dx = 0; dx < Z; dx++) {
                        if (!dy && !dx)
                            continue;
                        const float *p = x + ((size_t)(oy * Z + dy) * W + ox * Z + dx) * C;
                        uint8_t k = (uint8_t)(dy * Z + dx);
                        for (int c = 0; c < C; c++)
                            if (p[c] > out[o + c]) {
                                out[o + c] = p[c];
                                argmax[o + c] = k;
                            }
                    }
            }
    }
}

void maxpool_backward(float *din, const float *dout, const uint8_t *argmax, int B, int H, int W, int C, int Z)
{
    const int Ho = H / Z, Wo = W / Z;
    memset(din, 0, (size_t)B * H * W * C * sizeof(float));
    for (int b = 0; b < B; b++) {
        float *dx = din + (size_t)b * H * W * C;
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++) {
                size_t o = (((size_t)b * Ho + oy) * Wo + ox) * C;
                for (int c = 0; c < C; c++) {
                    int k = argmax[o + c];
                    dx[((size_t)(oy * Z + k / Z) * W + ox * Z + k % Z) * C + c] += dout[o + c];
                }
            }
    }
}
