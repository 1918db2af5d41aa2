/* layer_conv2d_winograd.c - 3x3 stride-1 convolution by Winograd's F(2x2,3x3).
 *
 * Each 2x2 block of outputs comes from a 4x4 tile of input: Y = A^T [U . V] A, where
 * U = G g G^T is the 3x3 kernel transformed to 4x4 and V = B^T d B the tile transformed.
 * The elementwise product summed over input channels is, for each of the 16 positions
 * xi, one GEMM: M_xi (tiles, Cout) = V_xi (tiles, Cin) . U_xi^T (Cin, Cout). That is 16
 * multiplies per 4 outputs instead of 36: 2.25 times less GEMM arithmetic than im2col,
 * for the price of the transforms (O(C) per tile, not O(C^2)).
 *
 * Backward:
 *  - the input gradient of a stride-1 convolution is itself a convolution: of dout
 *    with the kernel turned 180 degrees and in/out channels swapped, padding 2 - P.
 *    It runs through the same forward code.
 *  - the weight gradient is the adjoint of the forward: dU_xi (Cout, Cin) += dM_xi^T . V_xi
 *    with dM = A dY A^T, then dg = G^T dU G. The same 2.25x saving.
 * F(2x2,3x3)'s transforms have coefficients 0, +-1 and 1/2, so it keeps fp32 accuracy
 * near im2col's (F(4x4,3x3) would save more but loses about two digits).
 *
 * Layout: V and M hold the 16 matrices one after the other, [16][T][C], T = images x tiles,
 * so each GEMM reads and writes contiguous rows. NHWC makes every transform a loop over
 * contiguous channels, which the compiler vectorises.
 */
#include <cblas.h>
#include <string.h>

#include "layers.h"

int conv_winograd_fits(const conv_shape *s)
{
    /* padding up to 2 keeps the input gradient's padding, 2 - P, non-negative */
    return s->K == 3 && s->S == 1 && s->P <= 2;
}

static int tiles_of(int Ho, int Wo) { return ((Ho + 1) / 2) * ((Wo + 1) / 2); }

static int imax(int a, int b) { return a > b ? a : b; }

size_t conv_winograd_floats(const conv_shape *s, int B)
{
    const size_t cmax = (size_t)imax(s->Cin, s->Cout);
    const size_t tmax = (size_t)B * imax(tiles_of(s->Ho, s->Wo), tiles_of(s->H, s->W));
    /* zeros, a sink for dropped outputs, U, U of the turned kernel (or dU), the turned kernel, V, M */
    return 2 * cmax + 2 * 16 * (size_t)s->Cin * s->Cout + 9 * (size_t)s->Cin * s->Cout + 2 * 16 * tmax * cmax;
}

typedef struct wino_buf {
    float *zeros, *sink, *U, *U2, *w2, *V, *M;
} wino_buf;

static wino_buf wino_split(float *work, const conv_shape *s, int chunk)
{
    const size_t cmax = (size_t)imax(s->Cin, s->Cout), cc = (size_t)s->Cin * s->Cout;
    const size_t tmax = (size_t)chunk * imax(tiles_of(s->Ho, s->Wo), tiles_of(s->H, s->W));
    wino_buf b;
    b.zeros = work;
    b.sink = b.zeros + cmax;
    b.U = b.sink + cmax;
    b.U2 = b.U + 16 * cc;
    b.w2 = b.U2 + 16 * cc;
    b.V = b.w2 + 9 * cc;
    b.M = b.V + 16 * tmax * cmax;
    memset(b.zeros, 0, cmax * sizeof(float));
    return b;
}

/* U [16][Cout][Cin] = G g G^T for each kernel g of w (Cout,3,3,Cin) */
static void weights_transform(float *U, const float *w, int Cout, int Cin)
{
    const size_t plane = (size_t)Cout * Cin;
    for (int co = 0; co < Cout; co++) {
        const float *g = w + (size_t)co * 9 * Cin;
        float *u = U + (size_t)co * Cin;
        for (int ci = 0; ci < Cin; ci++) {
            float t[4][3]; /* G g: rows */
            for (int x = 0; x < 3; x++) {
                float g0 = g[(0 * 3 + x) * Cin + ci], g1 = g[(1 * 3 + x) * Cin + ci], g2 = g[(2 * 3 + x) * Cin + ci];
                t[0][x] = g0;
                t[1][x] = 0.5f * (g0 + g1 + g2);
                t[2][x] = 0.5f * (g0 - g1 + g2);
                t[3][x] = g2;
            }
            for (int r = 0; r < 4; r++) { /* (G g) G^T: columns */
                u[(size_t)(r * 4 + 0) * plane + ci] = t[r][0];
                u[(size_t)(r * 4 + 1) * plane + ci] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
                u[(size_t)(r * 4 + 2) * plane + ci] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
                u[(size_t)(r * 4 + 3) * plane + ci] = t[r][2];
            }
        }
    }
}

/* dw (Cout,3,3,Cin) += G^T dU G: the adjoint of weights_transform */
static void weights_transform_adjoint(float *dw, const float *dU, int Cout, int Cin)
{
    const size_t plane = (size_t)Cout * Cin;
    for (int co = 0; co < Cout; co++) {
        float *g = dw + (size_t)co * 9 * Cin;
        const float *u = dU + (size_t)co * Cin;
        for (int ci = 0; ci < Cin; ci++) {
            float e[4][3]; /* dU G: per row r of dU, the 3 columns */
            for (int r = 0; r < 4; r++) {
                float u0 = u[(size_t)(r * 4 + 0) * plane + ci], u1 = u[(size_t)(r * 4 + 1) * plane + ci];
                float u2 = u[(size_t)(r * 4 + 2) * plane + ci], u3 = u[(size_t)(r * 4 + 3) * plane + ci];
                e[r][0] = u0 + 0.5f * (u1 + u2);
                e[r][1] = 0.5f * (u1 - u2);
                e[r][2] = 0.5f * (u1 + u2) + u3;
            }
            for (int x = 0; x < 3; x++) { /* G^T (dU G): rows */
                g[(0 * 3 + x) * Cin + ci] += e[0][x] + 0.5f * (e[1][x] + e[2][x]);
                g[(1 * 3 + x) * Cin + ci] += 0.5f * (e[1][x] - e[2][x]);
                g[(2 * 3 + x) * Cin + ci] += 0.5f * (e[1][x] + e[2][x]) + e[3][x];
            }
        }
    }
}

/* V [16][nb*tiles][C] = B^T d B for every 4x4 tile d of in (nb,H,W,C), tiles at
 * (2ty - P, 2tx - P); what lies outside the image reads as s->pad (or zero). */
static void input_transform(float *V, const float *in, const conv_shape *s, int nb, const float *zeros)
{
    const float *border = s->pad ? s->pad : zeros;
    const int C = s->Cin, th = (s->Ho + 1) / 2, tw = (s->Wo + 1) / 2;
    const size_t T = (size_t)nb * th * tw, plane = T * C;
    size_t tile = 0;
    for (int b = 0; b < nb; b++) {
        const float *img = in + (size_t)b * s->H * s->W * C;
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx++, tile++) {
                const float *p[16];
                for (int y = 0; y < 4; y++)
                    for (int x = 0; x < 4; x++) {
                        int iy = 2 * ty - s->P + y, ix = 2 * tx - s->P + x;
                        p[y * 4 + x] = iy < 0 || iy >= s->H || ix < 0 || ix >= s->W
                                           ? border
                                           : img + ((size_t)iy * s->W + ix) * C;
                    }
                float *v = V + tile * C;
                for (int c = 0; c < C; c++) {
                    float r[4][4]; /* B^T d */
                    for (int x = 0; x < 4; x++) {
                        float d0 = p[x][c], d1 = p[4 + x][c], d2 = p[8 + x][c], d3 = p[12 + x][c];
                        r[0][x] = d0 - d2;
                        r[1][x] = d1 + d2;
                        r[2][x] = d2 - d1;
                        r[3][x] = d1 - d3;
                    }
                    for (int y = 0; y < 4; y++) { /* (B^T d) B */
                        v[(size_t)(y * 4 + 0) * plane + c] = r[y][0] - r[y][2];
                        v[(size_t)(y * 4 + 1) * plane + c] = r[y][1] + r[y][2];
                        v[(size_t)(y * 4 + 2) * plane + c] = r[y][2] - r[y][1];
                        v[(size_t)(y * 4 + 3) * plane + c] = r[y][1] - r[y][3];
                    }
                }
            }
    }
}

/* out (nb,Ho,Wo,Cout) = A^T m A (+ bias, then ReLU if asked) for every tile m of M
 * [16][nb*tiles][Cout]; the parts of edge tiles past Ho or Wo are dropped. */
static void output_transform(float *out, const float *M, const float *bias, const conv_shape *s, int nb, int relu,
                             float *sink)
{
    const int C = s->Cout, th = (s->Ho + 1) / 2, tw = (s->Wo + 1) / 2;
    const size_t T = (size_t)nb * th * tw, plane = T * C;
    size_t tile = 0;
    for (int b = 0; b < nb; b++) {
        float *img = out + (size_t)b * s->Ho * s->Wo * C;
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx++, tile++) {
                float *o[4];
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 2; x++) {
                        int oy = 2 * ty + y, ox = 2 * tx + x;
                        o[y * 2 + x] = oy < s->Ho && ox < s->Wo ? img + ((size_t)oy * s->Wo + ox) * C : sink;
                    }
                const float *m = M + tile * C;
                for (int c = 0; c < C; c++) {
                    float t[2][4]; /* A^T m */
                    for (int x = 0; x < 4; x++) {
                        float m0 = m[(size_t)(0 + x) * plane + c], m1 = m[(size_t)(4 + x) * plane + c];
                        float m2 = m[(size_t)(8 + x) * plane + c], m3 = m[(size_t)(12 + x) * plane + c];
                        t[0][x] = m0 + m1 + m2;
                        t[1][x] = m1 - m2 - m3;
                    }
                    float bc = bias ? bias[c] : 0.0f;
                    for (int y = 0; y < 2; y++) { /* (A^T m) A */
                        float y0 = t[y][0] + t[y][1] + t[y][2] + bc, y1 = t[y][1] - t[y][2] - t[y][3] + bc;
                        if (relu) {
                            y0 = y0 > 0.0f ? y0 : 0.0f;
                            y1 = y1 > 0.0f ? y1 : 0.0f;
                        }
                        o[y * 2 + 0][c] = y0;
                        o[y * 2 + 1][c] = y1;
                    }
                }
            }
    }
}

/* dM [16][nb*tiles][Cout] = A dY A^T for every 2x2 block dY of dout (nb,Ho,Wo,Cout):
 * the adjoint of output_transform; outputs past Ho or Wo count as zero. */
static void output_transform_adjoint(float *dM, const float *dout, const conv_shape *s, int nb, const float *zeros)
{
    const int C = s->Cout, th = (s->Ho + 1) / 2, tw = (s->Wo + 1) / 2;
    const size_t T = (size_t)nb * th * tw, plane = T * C;
    size_t tile = 0;
    for (int b = 0; b < nb; b++) {
        const float *img = dout + (size_t)b * s->Ho * s->Wo * C;
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx++, tile++) {
                const float *g[4];
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 2; x++) {
                        int oy = 2 * ty + y, ox = 2 * tx + x;
                        g[y * 2 + x] = oy < s->Ho && ox < s->Wo ? img + ((size_t)oy * s->Wo + ox) * C : zeros;
                    }
                float *m = dM + tile * C;
                for (int c = 0; c < C; c++) {
                    float r[4][2]; /* A dY: rows */
                    for (int x = 0; x < 2; x++) {
                        float d0 = g[x][c], d1 = g[2 + x][c];
                        r[0][x] = d0;
                        r[1][x] = d0 + d1;
                        r[2][x] = d0 - d1;
                        r[3][x] = -d1;
                    }
                    for (int y = 0; y < 4; y++) { /* (A dY) A^T: columns */
                        m[(size_t)(y * 4 + 0) * plane + c] = r[y][0];
                        m[(size_t)(y * 4 + 1) * plane + c] = r[y][0] + r[y][1];
                        m[(size_t)(y * 4 + 2) * plane + c] = r[y][0] - r[y][1];
                        m[(size_t)(y * 4 + 3) * plane + c] = -r[y][1];
                    }
                }
            }
    }
}

/* The forward pass with U already transformed; images chunk at a time. */
static void forward_with(float *out, const float *in, const float *U, const float *bias, const conv_shape *s, int B,
                         const wino_buf *wb, int chunk, int relu)
{
    const size_t in_img = (size_t)s->H * s->W * s->Cin, out_img = (size_t)s->Ho * s->Wo * s->Cout;
    const int tiles = tiles_of(s->Ho, s->Wo);
    for (int b0 = 0; b0 < B; b0 += chunk) {
        int nb = B - b0 < chunk ? B - b0 : chunk;
        const int T = nb * tiles;
        input_transform(wb->V, in + (size_t)b0 * in_img, s, nb, wb->zeros);
        for (int xi = 0; xi < 16; xi++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, s->Cout, s->Cin, 1.0f,
                        wb->V + (size_t)xi * T * s->Cin, s->Cin, U + (size_t)xi * s->Cout * s->Cin, s->Cin, 0.0f,
                        wb->M + (size_t)xi * T * s->Cout, s->Cout);
        output_transform(out + (size_t)b0 * out_img, wb->M, bias, s, nb, relu, wb->sink);
    }
}

void conv2d_winograd_forward(float *out, const float *in, const float *w, const float *b, const conv_shape *s, int B,
                             float *work, int chunk, int relu)
{
    wino_buf wb = wino_split(work, s, chunk);
    weights_transform(wb.U, w, s->Cout, s->Cin);
    forward_with(out, in, wb.U, b, s, B, &wb, chunk, relu);
}

void conv2d_winograd_backward(float *din, float *dw, float *db, const float *dout, const float *in, const float *w,
                              const conv_shape *s, int B, float *work, int chunk)
{
    wino_buf wb = wino_split(work, s, chunk);
    const size_t in_img = (size_t)s->H * s->W * s->Cin, out_img = (size_t)s->Ho * s->Wo * s->Cout;
    const int tiles = tiles_of(s->Ho, s->Wo);
    const size_t cc = (size_t)s->Cin * s->Cout;
    /* ---- weights: dU accumulates in U2 over every chunk, then dw += G^T dU G ---- */
    float *dU = wb.U2;
    memset(dU, 0, 16 * cc * sizeof(float));
    for (int b0 = 0; b0 < B; b0 += chunk) {
        int nb = B - b0 < chunk ? B - b0 : chunk;
        const int T = nb * tiles;
        const float *go = dout + (size_t)b0 * out_img;
        input_transform(wb.V, in + (size_t)b0 * in_img, s, nb, wb.zeros);
        output_transform_adjoint(wb.M, go, s, nb, wb.zeros);
        for (int xi = 0; xi < 16; xi++)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s->Cout, s->Cin, T, 1.0f,
                        wb.M + (size_t)xi * T * s->Cout, s->Cout, wb.V + (size_t)xi * T * s->Cin, s->Cin, 1.0f,
                        dU + (size_t)xi * cc, s->Cin);
        for (size_t m = 0; m < (size_t)nb * s->Ho * s->Wo; m++)
            for (int c = 0; c < s->Cout; c++)
                db[c] += go[m * s->Cout + c];
    }
    weights_transform_adjoint(dw, dU, s->Cout, s->Cin);
    if (!din)
        return;
    /* ---- input: dout convolved with the turned kernel w2 (Cin,3,3,Cout), padding 2 - P ---- */
    for (int ci = 0; ci < s->Cin; ci++)
        for (int k = 0; k < 9; k++)
            for (int co = 0; co < s->Cout; co++)
                wb.w2[((size_t)ci * 9 + k) * s->Cout + co] = w[((size_t)co * 9 + (8 - k)) * s->Cin + ci];
    conv_shape s2 = conv_shape_make(s->Ho, s->Wo, s->Cout, s->Cin, 3, 1, 2 - s->P);
    weights_transform(wb.U, wb.w2, s2.Cout, s2.Cin);
    forward_with(din, dout, wb.U, NULL, &s2, B, &wb, chunk, 0);
}
