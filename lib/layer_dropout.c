/* layer_dropout.c - inverted dropout with a stateless, counter-based mask. */
#include "layers.h"
#include "rng.h"

void dropout_forward(float *out, uint8_t *mask, const float *in, size_t n, float p, uint64_t key, size_t first)
{
    const float scale = 1.0f / (1.0f - p);
    /* keep if a 24-bit uniform from hash(key, index) is at least p */
    const uint32_t cut = (uint32_t)(p * 16777216.0f);
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)(rng_hash(key, first + i) >> 40);
        mask[i] = u >= cut;
        out[i] = mask[i] ? in[i] * scale : 0.0f;
    }
}

void dropout_backward(float *din, const float *dout, const uint8_t *mask, size_t n, float p)
{
    const float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        din[i] = mask[i] ? dout[i] * scale : 0.0f;
}
