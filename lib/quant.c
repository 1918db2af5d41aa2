/* quant.c - int8 convolutions for inference (see quant.h).
 *
 * The kernel: 32 bytes of an im2col row against 32 bytes of each of 4 weight rows per
 * step, 2 rows at a time, int32 lanes summed at the end of the row. AVX2 multiplies u8 by
 * s8 into pairs of 16-bit sums (maddubs) and widens them (madd with ones); VNNI does both
 * in one instruction (dpbusd). Which one is decided by the build's target flags.
 */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#if defined(__AVXVNNI__)
#define KERNEL "vnni"
#define DOT(acc, a, b) _mm256_dpbusd_avx_epi32((acc), (a), (b))
#elif defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define KERNEL "vnni"
#define DOT(acc, a, b) _mm256_dpbusd_epi32((acc), (a), (b))
#elif defined(__AVX2__)
#define KERNEL "avx2"
#define DOT(acc, a, b) _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((a), (b)), _mm256_set1_epi16(1)))
#else
#define KERNEL "scalar"
#endif

const char *int8_kernel_name(void) { return KERNEL; }

#if defined(DOT)
/* the 4 sums of x0..x3's 8 lanes each */
static inline __m128i hsum4(__m256i x0, __m256i x1, __m256i x2, __m256i x3)
{
    __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(x0, x1), _mm256_hadd_epi32(x2, x3));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

static inline int32_t dot1(const uint8_t *a, const int8_t *b, int kp)
{
    __m256i acc = _mm256_setzero_si256();
    for (int k = 0; k < kp; k += 32)
        acc = DOT(acc, _mm256_loadu_si256((const __m256i *)(a + k)), _mm256_loadu_si256((const __m256i *)(b + k)));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_hadd_epi32(s, s);
    s = _mm_hadd_epi32(s, s);
    return _mm_cvtsi128_si32(s);
}

void gemm_u8s8(int32_t *c, const uint8_t *a, const int8_t *b, int M, int N, int kp)
{
    int m = 0;
    for (; m + 2 <= M; m += 2) {
        const uint8_t *a0 = a + (size_t)m * kp, *a1 = a0 + kp;
        int n = 0;
        for (; n + 4 <= N; n += 4) {
            const int8_t *b0 = b + (size_t)n * kp, *b1 = b0 + kp, *b2 = b1 + kp, *b3 = b2 + kp;
            __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00;
            __m256i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            for (int k = 0; k < kp; k += 32) {
                __m256i x0 = _mm256_loadu_si256((const __m256i *)(a0 + k));
                __m256i x1 = _mm256_loadu_si256((const __m256i *)(a1 + k));
                __m256i w = _mm256_loadu_si256((const __m256i *)(b0 + k));
                c00 = DOT(c00, x0, w), c10 = DOT(c10, x1, w);
                w = _mm256_loadu_si256((const __m256i *)(b1 + k));
                c01 = DOT(c01, x0, w), c11 = DOT(c11, x1, w);
                w = _mm256_loadu_si256((const __m256i *)(b2 + k));
                c02 = DOT(c02, x0, w), c12 = DOT(c12, x1, w);
                w = _mm256_loadu_si256((const __m256i *)(b3 + k));
                c03 = DOT(c03, x0, w), c13 = DOT(c13, x1, w);
            }
            _mm_storeu_si128((__m128i *)(c + (size_t)m * N + n), hsum4(c00, c01, c02, c03));
            _mm_storeu_si128((__m128i *)(c + (size_t)(m + 1) * N + n), hsum4(c10, c11, c12, c13));
        }
        for (; n < N; n++) {
            c[(size_t)m * N + n] = dot1(a0, b + (size_t)n * kp, kp);
            c[(size_t)(m + 1) * N + n] = dot1(a1, b + (size_t)n * kp, kp);
        }
    }
    for (; m < M; m++)
        for (int n = 0; n < N; n++)
            c[(size_t)m * N + n] = dot1(a + (size_t)m * kp, b + (size_t)n * kp, kp);
}
#else
void gemm_u8s8(int32_t *c, const uint8_t *a, const int8_t *b, int M, int N, int kp)
{
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            int32_t s = 0;
            for (int k = 0; k < kp; k++)
                s += (int32_t)a[(size_t)m * kp + k] * b[(size_t)n * kp + k];
            c[(size_t)m * N + n] = s;
        }
}
#endif

static int kp_of(const conv_shape *s) { return (s->K * s->K * s->Cin + 31) / 32 * 32; }

qconv *qconv_new(const float *w, const conv_shape *s, float lo, float hi, err *e)
{
    const int kkc = s->K * s->K * s->Cin, kp = kp_of(s), C = s->Cout;
    qconv *q = calloc(1, sizeof *q);
    if (q) {
        q->w = calloc((size_t)C * kp, 1);
        q->scale = malloc((size_t)C * sizeof(float));
        q->wsum = malloc((size_t)C * sizeof(int32_t));
    }
    if (!q || !q->w || !q->scale || !q->wsum) {
        qconv_free(q);
        return err_set(e, "out of memory"), NULL;
    }
    /* the range must hold 0 (zero padding, ReLU outputs) */
    lo = lo < 0 ? lo : 0, hi = hi > 0 ? hi : 0;
    q->kp = kp;
    q->ascale = hi > lo ? (hi - lo) / 127.0f : 1.0f;
    q->zero = (int)lrintf(-lo / q->ascale);
    q->zero = q->zero < 0 ? 0 : q->zero > 127 ? 127 : q->zero;
    for (int co = 0; co < C; co++) {
        const float *row = w + (size_t)co * kkc;
        float m = 0;
        for (int k = 0; k < kkc; k++)
            m = fabsf(row[k]) > m ? fabsf(row[k]) : m;
        const float ws = m > 0 ? m / 127.0f : 1.0f;
        int32_t sum = 0;
        for (int k = 0; k < kkc; k++) {
            long v = lrintf(row[k] / ws);
            q->w[(size_t)co * kp + k] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
            sum += q->w[(size_t)co * kp + k];
        }
        q->wsum[co] = sum;
        q->scale[co] = ws * q->ascale;
    }
    return q;
}

void qconv_free(qconv *q)
{
    if (!q)
        return;
    free(q->w), free(q->scale), free(q->wsum);
    free(q);
}

size_t conv_int8_bytes(const conv_shape *s, int chunk)
{
    const size_t pix = (size_t)s->Ho * s->Wo;
    return (size_t)s->Cin + (size_t)chunk * ((size_t)s->H * s->W * s->Cin + pix * kp_of(s) + pix * s->Cout * 4) + 64;
}

/* round(x / ascale) + zero, clamped to 0..127; in float so that the loop vectorises
 * (lrintf is a library call per value) */
static inline uint8_t quantize(float x, float inv, float zero)
{
    float v = x * inv + zero;
    v = v < 0.0f ? 0.0f : v > 127.0f ? 127.0f : v;
    return (uint8_t)(v + 0.5f);
}

void conv2d_int8_forward(float *out, const float *in, const qconv *q, const float *b, const conv_shape *s, int B,
                         void *work, int chunk, int relu)
{
    const int C = s->Cin, K = s->K, kkc = K * K * C, kp = q->kp, pix = s->Ho * s->Wo;
    const size_t in_img = (size_t)s->H * s->W * C;
    const float inv = 1.0f / q->ascale, zero = (float)q->zero;
    /* int32 sums first: their alignment is 4 */
    int32_t *acc = work;
    uint8_t *padq = (uint8_t *)(acc + (size_t)chunk * pix * s->Cout);
    uint8_t *qin = padq + C, *cols = qin + (size_t)chunk * in_img;
    for (int c = 0; c < C; c++)
        padq[c] = s->pad ? quantize(s->pad[c], inv, zero) : (uint8_t)q->zero;
    for (int b0 = 0; b0 < B; b0 += chunk) {
        const int nb = B - b0 < chunk ? B - b0 : chunk, M = nb * pix;
        const float *x = in + (size_t)b0 * in_img;
        for (size_t k = 0; k < (size_t)nb * in_img; k++)
            qin[k] = quantize(x[k], inv, zero);
        for (int i = 0; i < nb; i++)
            for (int oy = 0; oy < s->Ho; oy++)
                for (int ox = 0; ox < s->Wo; ox++) {
                    uint8_t *row = cols + ((size_t)(i * s->Ho + oy) * s->Wo + ox) * kp;
                    for (int ky = 0; ky < K; ky++) {
                        const int iy = oy * s->S - s->P + ky;
                        for (int kx = 0; kx < K; kx++) {
                            const int ix = ox * s->S - s->P + kx;
                            const uint8_t *src = iy < 0 || iy >= s->H || ix < 0 || ix >= s->W
                                                     ? padq
                                                     : qin + (size_t)i * in_img + ((size_t)iy * s->W + ix) * C;
                            uint8_t *dst = row + (ky * K + kx) * C;
                            for (int c = 0; c < C; c++) /* runs of Cin bytes: a loop beats a call */
                                dst[c] = src[c];
                        }
                    }
                    memset(row + kkc, 0, (size_t)(kp - kkc));
                }
        gemm_u8s8(acc, cols, q->w, M, s->Cout, kp);
        float *o = out + (size_t)b0 * pix * s->Cout;
        for (int m = 0; m < M; m++)
            for (int co = 0; co < s->Cout; co++) {
                const size_t at = (size_t)m * s->Cout + co;
                float v = q->scale[co] * (float)(acc[at] - q->zero * q->wsum[co]) + b[co];
                o[at] = relu && v < 0 ? 0.0f : v;
            }
    }
}
