/* network.c - building a network from its text description, and running
 * batches through it.
 *
 * Threads: each batch is cut into one contiguous slice per thread; every
 * layer runs on its own slice with single-threaded BLAS. Only batch norm
 * needs the whole batch (its mean and variance), which the threads meet at
 * a barrier for. Parameter gradients go to one buffer per thread and are
 * summed in a fixed order, so a run is reproducible for a given thread count.
 */
#include "network.h"

#include <cblas.h>
#include <ctype.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "rng.h"

#define BN_MAX_CHANNELS 4096
#define NET_MAX_THREADS 256 /* threads one workspace uses at most (the loss sum is per thread) */

/* ================================================================ parsing */

static int parse_kv(const char *tok, const char *key, double *v)
{
    size_t n = strlen(key);
    if (strncmp(tok, key, n) != 0 || tok[n] != '=')
        return 0;
    char *end;
    *v = strtod(tok + n + 1, &end);
    return end != tok + n + 1 && *end == '\0' && isfinite(*v) ? 1 : -1;
}

static int parse_num(const char *tok, double *v)
{
    char *end;
    *v = strtod(tok, &end);
    return end != tok && *end == '\0' && isfinite(*v);
}

static int add_layer(network *n, const layer *l, err *e)
{
    layer *nl = realloc(n->layers, (size_t)(n->nlayers + 1) * sizeof *nl);
    if (!nl)
        return err_set(e, "out of memory");
    n->layers = nl;
    n->layers[n->nlayers++] = *l;
    return 0;
}

/* One line of arch text, tokens already split. h, w, c: the current shape. */
static int parse_layer(network *n, char **tok, int ntok, int *h, int *w, int *c, err *e)
{
    layer l;
    memset(&l, 0, sizeof l);
    l.ih = *h, l.iw = *w, l.ic = *c;
    const char *kind = tok[0];
    double v;
    if (strcmp(kind, "conv") == 0) {
        if (ntok < 2 || !parse_num(tok[1], &v) || v < 1 || v > 65536 || v != floor(v))
            return err_set(e, "conv: expected a filter count, e.g. 'conv 32 k=3'");
        int filters = (int)v, k = 3, stride = 1, pad = -1;
        for (int i = 2; i < ntok; i++) {
            int r;
            if ((r = parse_kv(tok[i], "k", &v)) != 0) {
                if (r < 0 || v < 1 || v > 15 || v != floor(v))
                    return err_set(e, "conv: bad kernel size '%s'", tok[i]);
                k = (int)v;
            } else if ((r = parse_kv(tok[i], "stride", &v)) != 0) {
                if (r < 0 || v < 1 || v > 15 || v != floor(v))
                    return err_set(e, "conv: bad stride '%s'", tok[i]);
                stride = (int)v;
            } else if (strcmp(tok[i], "pad=same") == 0) {
                pad = -1;
            } else if (strcmp(tok[i], "pad=valid") == 0) {
                pad = 0;
            } else if ((r = parse_kv(tok[i], "pad", &v)) != 0) {
                if (r < 0 || v < 0 || v > 15 || v != floor(v))
                    return err_set(e, "conv: bad padding '%s'", tok[i]);
                pad = (int)v;
            } else {
                return err_set(e, "conv: unknown option '%s' (k=, stride=, pad=)", tok[i]);
            }
        }
        if (pad < 0)
            pad = (k - 1) / 2; /* 'same' for odd k at stride 1 */
        if (*h + 2 * pad < k || *w + 2 * pad < k)
            return err_set(e, "conv: %dx%d kernel does not fit a %dx%d input", k, k, *h, *w);
        l.kind = LK_CONV;
        l.conv = conv_shape_make(*h, *w, *c, filters, k, stride, pad);
        l.h = l.conv.Ho, l.w = l.conv.Wo, l.c = filters;
        l.nw = (size_t)filters * k * k * *c;
        l.nb = (size_t)filters;
    } else if (strcmp(kind, "dense") == 0) {
        if (ntok != 2 || !parse_num(tok[1], &v) || v < 1 || v > 1 << 20 || v != floor(v))
            return err_set(e, "dense: expected a unit count, e.g. 'dense 128'");
        l.kind = LK_DENSE;
        l.h = l.w = 1, l.c = (int)v;
        l.nw = (size_t)l.c * (size_t)*h * *w * *c;
        l.nb = (size_t)l.c;
    } else if (strcmp(kind, "relu") == 0 || strcmp(kind, "flatten") == 0 || strcmp(kind, "softmax") == 0) {
        if (ntok != 1)
            return err_set(e, "%s takes no options", kind);
        l.kind = kind[0] == 'r' ? LK_RELU : kind[0] == 'f' ? LK_FLATTEN : LK_SOFTMAX;
        l.h = *h, l.w = *w, l.c = *c;
        if (l.kind == LK_FLATTEN) /* fits an int: the input and every layer's output are at most 2^24 */
            l.h = l.w = 1, l.c = *h * *w * *c;
        if (l.kind == LK_SOFTMAX && (*h != 1 || *w != 1))
            return err_set(e, "softmax needs a vector input (add flatten and dense)");
    } else if (strcmp(kind, "batchnorm") == 0) {
        l.kind = LK_BATCHNORM;
        l.momentum = 0.99f, l.eps = 1e-3f;
        for (int i = 1; i < ntok; i++) {
            int r;
            if ((r = parse_kv(tok[i], "momentum", &v)) != 0 && r > 0 && v >= 0 && v < 1)
                l.momentum = (float)v;
            else if ((r = parse_kv(tok[i], "eps", &v)) != 0 && r > 0 && (float)v > 0 && v < 1) /* 1e-60f is 0 */
                l.eps = (float)v;
            else
                return err_set(e, "batchnorm: bad option '%s' (momentum=, eps=)", tok[i]);
        }
        if (*c > BN_MAX_CHANNELS)
            return err_set(e, "batchnorm: %d channels (limit %d)", *c, BN_MAX_CHANNELS);
        l.h = *h, l.w = *w, l.c = *c;
        l.nw = l.nb = (size_t)*c;
    } else if (strcmp(kind, "maxpool") == 0) {
        l.pool = 2;
        if (ntok > 2 || (ntok == 2 && (!parse_num(tok[1], &v) || v < 2 || v > 8 || v != floor(v))))
            return err_set(e, "maxpool: expected an optional window size 2..8");
        if (ntok == 2)
            l.pool = (int)v;
        if (*h < l.pool || *w < l.pool)
            return err_set(e, "maxpool: %dx%d window does not fit a %dx%d input", l.pool, l.pool, *h, *w);
        l.kind = LK_MAXPOOL;
        l.h = *h / l.pool, l.w = *w / l.pool, l.c = *c;
    } else if (strcmp(kind, "dropout") == 0) {
        if (ntok != 2 || !parse_num(tok[1], &v) || v < 0 || (float)v >= 1.0f) /* 0.99999999 is 1.0f */
            return err_set(e, "dropout: expected a probability in [0, 1)");
        l.kind = LK_DROPOUT;
        l.p = (float)v;
        l.h = *h, l.w = *w, l.c = *c;
    } else {
        return err_set(e, "unknown layer '%s' (conv, dense, relu, batchnorm, maxpool, dropout, flatten, softmax)",
                       kind);
    }
    if (n->nlayers > 0 && n->layers[n->nlayers - 1].kind == LK_SOFTMAX)
        return err_set(e, "softmax must be the last layer");
    if ((size_t)l.h * l.w * l.c > (1u << 24))
        return err_set(e, "%s output of %zu values is too large", kind, (size_t)l.h * l.w * l.c);
    *h = l.h, *w = l.w, *c = l.c;
    return add_layer(n, &l, e);
}

network *net_from_arch(const char *text, const char *name, err *e)
{
    network *n = calloc(1, sizeof *n);
    char *copy = strdup(text);
    n = n && copy ? n : NULL;
    if (!n) {
        free(copy);
        err_set(e, "out of memory");
        return NULL;
    }
    n->arch = strdup(text);
    n->norm_mean = 0.0f, n->norm_std = 255.0f;
    int h = 0, w = 0, c = 0, lineno = 0, have_input = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *tok[16];
        int ntok = 0;
        char *s2 = NULL;
        char *t = strtok_r(line, " \t\r", &s2);
        for (; t && ntok < 16; t = strtok_r(NULL, " \t\r", &s2))
            tok[ntok++] = t;
        if (t) {
            err_set(e, "%s: line %d: more than 16 words", name, lineno);
            goto fail;
        }
        if (ntok == 0)
            continue;
        if (!have_input) {
            double v[3];
            if (strcmp(tok[0], "input") != 0 || ntok != 4 || !parse_num(tok[1], &v[0]) || !parse_num(tok[2], &v[1]) ||
                !parse_num(tok[3], &v[2]) || v[0] < 1 || v[1] < 1 || v[2] < 1 || v[0] > 4096 || v[1] > 4096 ||
                v[2] > 4096 || v[0] != floor(v[0]) || v[1] != floor(v[1]) || v[2] != floor(v[2])) {
                err_set(e, "%s: line %d: the first layer must be 'input H W C' (whole numbers 1..4096)", name, lineno);
                goto fail;
            }
            if (v[0] * v[1] * v[2] > (1u << 24)) {
                err_set(e, "%s: line %d: an input of %.0f values is too large", name, lineno, v[0] * v[1] * v[2]);
                goto fail;
            }
            h = n->in_h = (int)v[0], w = n->in_w = (int)v[1], c = n->in_c = (int)v[2];
            have_input = 1;
            continue;
        }
        if (parse_layer(n, tok, ntok, &h, &w, &c, e) < 0) {
            err_prefix(e, "%s: line %d", name, lineno);
            goto fail;
        }
    }
    if (!have_input || n->nlayers == 0 || n->layers[n->nlayers - 1].kind != LK_SOFTMAX) {
        err_set(e, "%s: the network must start with 'input H W C' and end with 'softmax'", name);
        goto fail;
    }
    if (n->nlayers < 2) { /* the loss takes its logits from the layer before softmax */
        err_set(e, "%s: softmax needs a layer before it (e.g. flatten and dense)", name);
        goto fail;
    }
    n->nclass = c;
    if (n->nclass < 2) {
        err_set(e, "%s: the network has %d output, needs at least 2 classes", name, c);
        goto fail;
    }
    /* A ReLU right after a convolution or dense layer is applied in place by
     * that layer: one pass over memory fewer each way, one buffer fewer. */
    for (int i = 1; i < n->nlayers; i++)
        if (n->layers[i].kind == LK_RELU &&
            (n->layers[i - 1].kind == LK_CONV || n->layers[i - 1].kind == LK_DENSE)) {
            n->layers[i - 1].relu_after = 1;
            n->layers[i].fused = 1;
        }
    net_set_conv_algo(n, CONV_AUTO);
    /* lay the parameters out: weights then biases, layer after layer */
    for (int i = 0; i < n->nlayers; i++) {
        layer *l = &n->layers[i];
        l->w_off = n->nparams, n->nparams += l->nw;
        l->b_off = n->nparams, n->nparams += l->nb;
        if (l->kind == LK_BATCHNORM)
            l->s_off = n->nbuffers, n->nbuffers += 2 * (size_t)l->c;
    }
    n->params = calloc(n->nparams ? n->nparams : 1, sizeof(float));
    n->buffers = calloc(n->nbuffers ? n->nbuffers : 1, sizeof(float));
    if (!n->params || !n->buffers) {
        err_set(e, "%s: out of memory for %zu parameters", name, n->nparams);
        goto fail;
    }
    free(copy);
    return n;
fail:
    free(copy);
    net_free(n);
    return NULL;
}

/* ================================================================ conv algorithms */

/* CONV_AUTO's rule, by shape only: Winograd for 3x3 stride-1 layers with at least 32
 * input channels on an input of at least 14x14, im2col otherwise. Measured with
 * build/tests/layer_bench (one thread, one thread's slice of the batch, forward + input
 * gradient + weight gradient; AMD EPYC built for AVX2, OPENBLAS_CORETYPE=Haswell, load
 * 5 to 10; docs/benchmarks.md): Winograd took 1.18x to 1.45x less time on every layer of
 * that kind in the study's and the default network (28x28 and 14x14, 32 to 64 channels
 * in); it tied on 28x28x16 -> 32 (10.57 against 10.38 ms), lost 1.9x on 7x7x64 -> 128
 * (its 2x2 tiles cover 8x8 for 7x7 outputs, and 16 tiles an image make thin GEMMs), and
 * 1.6x to 25x on the first layer (1 input channel: GEMMs with K = 1). */
static conv_algo conv_auto(const conv_shape *s)
{
    return conv_winograd_fits(s) && s->Cin >= 32 && s->H >= 14 && s->W >= 14 ? CONV_WINOGRAD : CONV_IM2COL;
}

void net_set_conv_algo(network *n, conv_algo a)
{
    for (int i = 0; i < n->nlayers; i++) {
        layer *l = &n->layers[i];
        if (l->kind != LK_CONV)
            continue;
        if (a == CONV_AUTO)
            l->algo = conv_auto(&l->conv);
        else
            l->algo = a == CONV_WINOGRAD && conv_winograd_fits(&l->conv) ? CONV_WINOGRAD : CONV_IM2COL;
    }
}

int conv_algo_parse(const char *s, conv_algo *a, err *e)
{
    static const conv_algo all[] = {CONV_IM2COL, CONV_WINOGRAD, CONV_AUTO};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, conv_algo_name(all[i])) == 0)
            return *a = all[i], 0;
    return err_set(e, "unknown convolution algorithm '%s' (im2col, winograd, auto)", s);
}

const char *conv_algo_name(conv_algo a)
{
    return a == CONV_IM2COL ? "im2col" : a == CONV_WINOGRAD ? "winograd" : "auto";
}

/* ================================================================ inference fusions */

/* Batch norm layer l as y = a x + c per channel, from its running statistics. */
static void bn_affine(const network *n, const layer *l, double *a, double *c)
{
    const float *gamma = n->params + l->w_off, *beta = n->params + l->b_off;
    const float *rmean = n->buffers + l->s_off, *rvar = rmean + l->c;
    for (int k = 0; k < l->c; k++) {
        a[k] = gamma[k] / sqrt((double)rvar[k] + l->eps);
        c[k] = beta[k] - rmean[k] * a[k];
    }
}

/* Linear layer t's input x becomes a x + c (per channel, C channels, channel last):
 * w' = w a, b' = b + w c. A conv with padding pads with -c / a, the x whose a x + c is
 * the 0 it padded with; that needs every a nonzero. Returns 0 when it cannot. */
static int fold_into_input(network *n, layer *t, const double *a, const double *c, int C, err *e, int *oom)
{
    const size_t fan = t->nw / t->nb; /* weights per output: K*K*Cin or Din, channel last either way */
    if (t->kind == LK_CONV && t->conv.P > 0) {
        for (int k = 0; k < C; k++)
            if (a[k] == 0)
                return 0;
        if (!t->pad && !(t->pad = malloc((size_t)C * sizeof(float)))) {
            *oom = err_set(e, "out of memory");
            return 0;
        }
        for (int k = 0; k < C; k++)
            t->pad[k] = (float)(-c[k] / a[k]);
        t->conv.pad = t->pad;
    }
    float *w = n->params + t->w_off, *b = n->params + t->b_off;
    for (size_t o = 0; o < t->nb; o++) {
        double shift = 0;
        for (size_t f = 0; f < fan; f++) {
            float *wf = &w[o * fan + f];
            shift += (double)*wf * c[f % (size_t)C];
            *wf = (float)(*wf * a[f % (size_t)C]);
        }
        b[o] = (float)(b[o] + shift);
    }
    return 1;
}

int net_fold_batchnorm(network *n, err *e)
{
    int folded = 0, oom = 0;
    double a[BN_MAX_CHANNELS], c[BN_MAX_CHANNELS];
    /* the input's (x - mean) / std, into a first conv: its zero padding becomes mean */
    if (n->layers[0].kind == LK_CONV && n->in_c <= BN_MAX_CHANNELS &&
        !(n->norm_mean == 0.0f && n->norm_std == 1.0f)) {
        for (int k = 0; k < n->in_c; k++)
            a[k] = 1.0 / n->norm_std, c[k] = -(double)n->norm_mean / n->norm_std;
        if (fold_into_input(n, &n->layers[0], a, c, n->in_c, e, &oom))
            n->norm_mean = 0.0f, n->norm_std = 1.0f;
        if (oom)
            return -1;
    }
    for (int i = 0; i < n->nlayers; i++) {
        layer *l = &n->layers[i];
        if (l->kind != LK_BATCHNORM)
            continue;
        bn_affine(n, l, a, c);
        int positive = 1;
        for (int k = 0; k < l->c; k++)
            positive = positive && a[k] > 0;
        /* forward, to the linear layer it feeds: dropout (an identity here) and flatten
         * pass x through; max pooling commutes with a x + c when every a > 0 */
        int j = i + 1;
        while (j < n->nlayers && (n->layers[j].kind == LK_DROPOUT || n->layers[j].kind == LK_FLATTEN ||
                                  (n->layers[j].kind == LK_MAXPOOL && positive)))
            j++;
        layer *t = j < n->nlayers ? &n->layers[j] : NULL;
        if (t && (t->kind == LK_CONV || t->kind == LK_DENSE) && fold_into_input(n, t, a, c, l->c, e, &oom)) {
            l->folded = 1, folded++;
            continue;
        }
        if (oom)
            return -1;
        /* backward, into a conv or dense layer right before it with no ReLU between */
        layer *p = i > 0 ? &n->layers[i - 1] : NULL;
        if (p && (p->kind == LK_CONV || p->kind == LK_DENSE) && !p->relu_after) {
            const size_t fan = p->nw / p->nb;
            float *w = n->params + p->w_off, *b = n->params + p->b_off;
            for (size_t o = 0; o < p->nb; o++) {
                for (size_t f = 0; f < fan; f++)
                    w[o * fan + f] = (float)(w[o * fan + f] * a[o]);
                b[o] = (float)(b[o] * a[o] + c[o]);
            }
            l->folded = 1, folded++;
        }
    }
    return folded;
}

int net_quantize_int8(network *n, const float *lo, const float *hi, err *e)
{
    for (int i = 1; i < n->nlayers; i++) {
        layer *l = &n->layers[i];
        if (l->kind != LK_CONV || l->q)
            continue;
        float a = lo[i], b = hi[i];
        for (int c = 0; l->pad && c < l->ic; c++) { /* the padding must be representable too */
            a = l->pad[c] < a ? l->pad[c] : a;
            b = l->pad[c] > b ? l->pad[c] : b;
        }
        if (!(l->q = qconv_new(n->params + l->w_off, &l->conv, a, b, e)))
            return -1;
    }
    return 0;
}

void net_free(network *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->nlayers; i++) {
        free(n->layers[i].pad);
        qconv_free(n->layers[i].q);
    }
    free(n->layers);
    free(n->params);
    free(n->buffers);
    free(n->arch);
    free(n);
}

void net_init(network *n, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n->nlayers; i++) {
        layer *l = &n->layers[i];
        float *wt = n->params + l->w_off, *b = n->params + l->b_off;
        if (l->kind == LK_CONV || l->kind == LK_DENSE) {
            double fan_in, fan_out;
            if (l->kind == LK_CONV)
                fan_in = (double)l->conv.K * l->conv.K * l->ic, fan_out = (double)l->conv.K * l->conv.K * l->c;
            else
                fan_in = (double)l->ih * l->iw * l->ic, fan_out = l->c;
            double lim = sqrt(6.0 / (fan_in + fan_out));
            for (size_t k = 0; k < l->nw; k++)
                wt[k] = (float)((2.0 * rng_uniform(&r) - 1.0) * lim);
            memset(b, 0, l->nb * sizeof(float));
        } else if (l->kind == LK_BATCHNORM) {
            for (int k = 0; k < l->c; k++) {
                wt[k] = 1.0f, b[k] = 0.0f;
                n->buffers[l->s_off + k] = 0.0f;
                n->buffers[l->s_off + l->c + k] = 1.0f;
            }
        }
    }
}

size_t net_in_elems(const network *n) { return (size_t)n->in_h * n->in_w * n->in_c; }

double net_flops_per_image(const network *n)
{
    double f = 0;
    for (int i = 0; i < n->nlayers; i++) {
        const layer *l = &n->layers[i];
        if (l->kind == LK_CONV || l->kind == LK_DENSE)
            f += 2.0 * (double)l->nw * (l->kind == LK_CONV ? (double)l->h * l->w : 1.0);
    }
    return f;
}

void net_summary(const network *n, FILE *f)
{
    static const char *names[] = {"conv2d", "dense", "relu", "batch_normalization", "max_pooling2d",
                                  "dropout", "flatten", "softmax"};
    size_t trainable = 0, fixed = 0;
    fprintf(f, "%-28s %-18s %12s\n", "Layer (type)", "Output Shape", "Param #");
    fprintf(f, "%.60s\n", "============================================================");
    fprintf(f, "%-28s %-18s %12d\n", "input", "", 0);
    char shape[64], desc[64];
    snprintf(shape, sizeof shape, "(%d, %d, %d)", n->in_h, n->in_w, n->in_c);
    for (int i = 0; i < n->nlayers; i++) {
        const layer *l = &n->layers[i];
        size_t np = l->nw + l->nb + (l->kind == LK_BATCHNORM ? 2 * (size_t)l->c : 0);
        trainable += l->nw + l->nb;
        fixed += l->kind == LK_BATCHNORM ? 2 * (size_t)l->c : 0;
        if (l->h == 1 && l->w == 1)
            snprintf(shape, sizeof shape, "(%d)", l->c);
        else
            snprintf(shape, sizeof shape, "(%d, %d, %d)", l->h, l->w, l->c);
        if (l->kind == LK_CONV)
            snprintf(desc, sizeof desc, "%s %dx%d/%d %s", names[l->kind], l->conv.K, l->conv.K, l->conv.S,
                     l->q ? "int8" : conv_algo_name(l->algo));
        else if (l->kind == LK_DROPOUT)
            snprintf(desc, sizeof desc, "%s %.2g", names[l->kind], (double)l->p);
        else if (l->folded)
            snprintf(desc, sizeof desc, "%s (folded)", names[l->kind]);
        else
            snprintf(desc, sizeof desc, "%s", names[l->kind]);
        fprintf(f, "%-28s %-18s %12zu\n", desc, shape, np);
    }
    fprintf(f, "%.60s\n", "============================================================");
    fprintf(f, "Total params: %zu\nTrainable params: %zu\nNon-trainable params: %zu\n", trainable + fixed,
            trainable, fixed);
    fprintf(f, "Forward cost: %.1f MFLOP per image\n", net_flops_per_image(n) / 1e6);
}

/* ================================================================ passes */

struct net_work {
    int bmax, nthreads, training, chunk;
    size_t in_elems, max_elems;
    float *input;       /* (bmax, in) */
    float **act;        /* act[i]: output of layer i, (bmax, out_i); may alias act[i-1] */
    uint8_t *owned;     /* owned[i]: act[i] is its own allocation, not an alias */
    float **xhat;       /* batchnorm: normalised input */
    float **bn_mean, **bn_invstd;
    uint8_t **aux;      /* maxpool argmax / dropout mask */
    float *ga, *gb;     /* gradient ping-pong, (bmax, max_elems) each */
    float **cols;       /* per thread im2col buffer */
    float **tgrad;      /* per thread parameter gradients */
    float *grad;
    double *red;        /* per thread reduction slots: 2 * BN_MAX_CHANNELS doubles each */
    int nlayers;
    const net_parts *parts; /* data-parallel: this process's share of every batch; NULL: all of it */
};

int net_default_threads(void) { return omp_get_num_procs(); }

static void *xcalloc(size_t n, size_t size, int *bad)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        *bad = 1;
    return p;
}

/* chunk: images per im2col GEMM. Large GEMMs run nearer the machine's peak than
 * one-image ones, but past a few MiB the column buffer falls out of cache. 4 MiB per
 * thread: a 64 MiB buffer measured slower (CPU time, on a loaded machine); between
 * 1 and 10 MiB the differences were within the noise. FM_COLS_FLOATS overrides. */
int net_conv_chunk(const network *n, int bmax, int nthreads)
{
    size_t worst = 1;
    for (int i = 0; i < n->nlayers; i++)
        if (n->layers[i].kind == LK_CONV) {
            size_t c = conv_cols_floats(&n->layers[i].conv, 1);
            worst = c > worst ? c : worst;
        }
    size_t budget = getenv("FM_COLS_FLOATS") ? (size_t)atol(getenv("FM_COLS_FLOATS")) : (size_t)1 << 20;
    int chunk = (int)(budget / worst);
    int per_thread = (bmax + nthreads - 1) / nthreads;
    chunk = chunk < 1 ? 1 : chunk;
    return chunk > per_thread ? per_thread : chunk;
}

net_work *net_work_new(const network *n, int bmax, int nthreads, int training, err *e)
{
    int bad = 0;
    net_work *w = xcalloc(1, sizeof *w, &bad);
    if (!w)
        return err_set(e, "out of memory"), NULL;
    for (int i = 0; i < n->nlayers; i++)
        if (training && (n->layers[i].folded || n->layers[i].q)) {
            free(w);
            return err_set(e, "a network with folded batch norm or int8 weights is for inference only"), NULL;
        }
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > bmax)
        nthreads = bmax;
    if (nthreads > NET_MAX_THREADS)
        nthreads = NET_MAX_THREADS;
    omp_set_dynamic(0); /* the team asked for, where the system allows it */
    w->bmax = bmax, w->nthreads = nthreads, w->training = training, w->nlayers = n->nlayers;
    w->chunk = net_conv_chunk(n, bmax, nthreads);
    w->in_elems = net_in_elems(n);
    w->max_elems = w->in_elems;
    size_t cols_max = 1;
    for (int i = 0; i < n->nlayers; i++) {
        const layer *l = &n->layers[i];
        size_t el = (size_t)l->h * l->w * l->c;
        w->max_elems = el > w->max_elems ? el : w->max_elems;
        if (l->kind == LK_CONV) {
            /* room for either algorithm, so net_set_conv_algo() may still change its mind */
            size_t c = conv_cols_floats(&l->conv, w->chunk);
            cols_max = c > cols_max ? c : cols_max;
            c = conv_winograd_fits(&l->conv) ? conv_winograd_floats(&l->conv, w->chunk) : 0;
            cols_max = c > cols_max ? c : cols_max;
            c = training ? 0 : conv_int8_bytes(&l->conv, w->chunk) / sizeof(float) + 1; /* net_quantize_int8 */
            cols_max = c > cols_max ? c : cols_max;
        }
    }
    int L = n->nlayers;
    w->input = xcalloc((size_t)bmax * w->in_elems, sizeof(float), &bad);
    w->act = xcalloc((size_t)L, sizeof(float *), &bad);
    w->xhat = xcalloc((size_t)L, sizeof(float *), &bad);
    w->bn_mean = xcalloc((size_t)L, sizeof(float *), &bad);
    w->bn_invstd = xcalloc((size_t)L, sizeof(float *), &bad);
    w->aux = xcalloc((size_t)L, sizeof(uint8_t *), &bad);
    w->owned = xcalloc((size_t)L, 1, &bad);
    if (bad)
        goto oom;
    for (int i = 0; i < L; i++) {
        const layer *l = &n->layers[i];
        size_t el = (size_t)bmax * l->h * l->w * l->c;
        int alias = l->kind == LK_FLATTEN || (l->kind == LK_DROPOUT && !training) || l->fused || l->folded;
        if (!alias) {
            w->act[i] = xcalloc(el, sizeof(float), &bad);
            w->owned[i] = 1;
        }
        if (l->kind == LK_MAXPOOL || (l->kind == LK_DROPOUT && training))
            w->aux[i] = xcalloc(el, 1, &bad);
        if (l->kind == LK_BATCHNORM) {
            w->bn_mean[i] = xcalloc((size_t)l->c, sizeof(float), &bad);
            w->bn_invstd[i] = xcalloc((size_t)l->c, sizeof(float), &bad);
            if (training)
                w->xhat[i] = xcalloc(el, sizeof(float), &bad);
        }
    }
    w->cols = xcalloc((size_t)nthreads, sizeof(float *), &bad);
    w->red = xcalloc((size_t)nthreads * 2 * BN_MAX_CHANNELS, sizeof(double), &bad);
    if (bad)
        goto oom;
    for (int t = 0; t < nthreads; t++)
        w->cols[t] = xcalloc(cols_max, sizeof(float), &bad);
    if (training) {
        w->ga = xcalloc((size_t)bmax * w->max_elems, sizeof(float), &bad);
        w->gb = xcalloc((size_t)bmax * w->max_elems, sizeof(float), &bad);
        w->grad = xcalloc(n->nparams, sizeof(float), &bad);
        w->tgrad = xcalloc((size_t)nthreads, sizeof(float *), &bad);
        for (int t = 0; !bad && t < nthreads; t++)
            w->tgrad[t] = xcalloc(n->nparams, sizeof(float), &bad);
    }
    if (bad)
        goto oom;
    /* Our threads each run single-threaded BLAS on their own slice. */
    openblas_set_num_threads(1);
    return w;
oom:
    net_work_free(w);
    err_set(e, "out of memory for a batch of %d", bmax);
    return NULL;
}

void net_work_free(net_work *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->nlayers; i++) {
        if (w->act && w->owned && w->owned[i])
            free(w->act[i]);
        if (w->xhat)
            free(w->xhat[i]);
        if (w->bn_mean)
            free(w->bn_mean[i]);
        if (w->bn_invstd)
            free(w->bn_invstd[i]);
        if (w->aux)
            free(w->aux[i]);
    }
    for (int t = 0; t < w->nthreads; t++) {
        if (w->cols)
            free(w->cols[t]);
        if (w->tgrad)
            free(w->tgrad[t]);
    }
    free(w->act), free(w->owned), free(w->xhat), free(w->bn_mean), free(w->bn_invstd), free(w->aux);
    free(w->cols), free(w->tgrad), free(w->red);
    free(w->input), free(w->ga), free(w->gb), free(w->grad);
    free(w);
}

float *net_input(net_work *w) { return w->input; }
float *net_grad(net_work *w) { return w->grad; }
const float *net_activation(const net_work *w, int i) { return w->act[i]; }

void net_calibrate(const network *n, const net_work *w, int B, float *lo, float *hi)
{
    for (int i = 1; i < n->nlayers; i++) {
        const layer *l = &n->layers[i];
        if (l->kind != LK_CONV)
            continue;
        const float *x = w->act[i - 1];
        for (size_t k = 0; k < (size_t)B * l->ih * l->iw * l->ic; k++) {
            lo[i] = x[k] < lo[i] ? x[k] : lo[i];
            hi[i] = x[k] > hi[i] ? x[k] : hi[i];
        }
    }
}

void net_parts_rows(const net_parts *p, int B, int *lo, int *hi)
{
    *lo = p ? (int)((long)B * p->part / p->parts) : 0;
    *hi = p ? (int)((long)B * (p->part + 1) / p->parts) : B;
}

void net_work_set_parts(net_work *w, const network *n, const net_parts *p, int bmax)
{
    /* images per GEMM as one process with every process's threads would take them (the sums
     * depend on it); never more than the buffers made for this process's share hold */
    int chunk = net_conv_chunk(n, bmax, w->nthreads * p->parts);
    w->parts = p;
    w->chunk = chunk < w->chunk ? chunk : w->chunk;
}

/* Thread t's slice of a batch of B split over team threads in each process, the
 * threads of all processes in a row: [*g0, *g0 + *nb) of the batch, which is
 * [*b0, *b0 + *nb) of this process's rows. */
static void slice(const net_work *w, int B, int team, int t, int *g0, int *b0, int *nb)
{
    const int P = w->parts ? w->parts->parts : 1, u = (w->parts ? w->parts->part : 0) * team + t;
    int lo, hi;
    net_parts_rows(w->parts, B, &lo, &hi);
    *g0 = (int)((long)B * u / (team * P)), *nb = (int)((long)B * (u + 1) / (team * P)) - *g0, *b0 = *g0 - lo;
}

static size_t elems(const layer *l) { return (size_t)l->h * l->w * l->c; }
static size_t in_elems_of(const layer *l) { return (size_t)l->ih * l->iw * l->ic; }

const float *net_forward(network *n, net_work *w, int B, int training, uint64_t key)
{
    const int T = w->nthreads < B ? w->nthreads : B;
    training = training && w->training;
    /* aliases for layers that pass their input through */
    for (int i = 0; i < n->nlayers; i++) {
        const layer *l = &n->layers[i];
        float *prev = i ? w->act[i - 1] : w->input;
        if (l->kind == LK_FLATTEN || (l->kind == LK_DROPOUT && !w->training) || l->fused || l->folded)
            w->act[i] = prev;
    }
#pragma omp parallel num_threads(T)
    {
        /* the team OpenMP granted, which may be smaller than asked (OMP_THREAD_LIMIT,
         * a nested region): every slice and reduction is over it, never over T */
        const int t = omp_get_thread_num(), team = omp_get_num_threads();
        int g0, b0, nb;
        slice(w, B, team, t, &g0, &b0, &nb);
        /* normalise this slice's input in place */
        float *x = w->input + (size_t)b0 * w->in_elems;
        const float inv = 1.0f / n->norm_std;
        if (n->norm_mean != 0.0f || n->norm_std != 1.0f) /* folded into the first conv: nothing to do */
            for (size_t k = 0; k < (size_t)nb * w->in_elems; k++)
                x[k] = (x[k] - n->norm_mean) * inv;
        for (int i = 0; i < n->nlayers; i++) {
            const layer *l = &n->layers[i];
            const size_t ie = in_elems_of(l), oe = elems(l);
            const float *in = (i ? w->act[i - 1] : w->input) + (size_t)b0 * ie;
            float *out = w->act[i] + (size_t)b0 * oe;
            const float *P = n->params;
            switch (l->kind) {
            case LK_CONV:
                if (l->q)
                    conv2d_int8_forward(out, in, l->q, P + l->b_off, &l->conv, nb, w->cols[t], w->chunk,
                                        l->relu_after);
                else if (l->algo == CONV_WINOGRAD)
                    conv2d_winograd_forward(out, in, P + l->w_off, P + l->b_off, &l->conv, nb, w->cols[t], w->chunk,
                                            l->relu_after);
                else
                    conv2d_forward(out, in, P + l->w_off, P + l->b_off, &l->conv, nb, w->cols[t], w->chunk,
                                   l->relu_after);
                break;
            case LK_DENSE:
                dense_forward(out, in, P + l->w_off, P + l->b_off, nb, (int)ie, l->c);
                if (l->relu_after)
                    relu_forward(out, out, (size_t)nb * oe);
                break;
            case LK_RELU:
                if (!l->fused)
                    relu_forward(out, in, (size_t)nb * oe);
                break;
            case LK_MAXPOOL:
                maxpool_forward(out, w->aux[i] + (size_t)b0 * oe, in, nb, l->ih, l->iw, l->ic, l->pool);
                break;
            case LK_DROPOUT:
                if (training)
                    dropout_forward(out, w->aux[i] + (size_t)b0 * oe, in, (size_t)nb * oe, l->p,
                                    rng_hash(key, (uint64_t)i), (size_t)g0 * oe);
                else if (out != in)
                    memcpy(out, in, (size_t)nb * oe * sizeof(float));
                break;
            case LK_FLATTEN:
                break;
            case LK_SOFTMAX:
                softmax_forward(out, in, nb, l->c);
                break;
            case LK_BATCHNORM: {
                const size_t N = (size_t)nb * l->h * l->w;
                const float *gamma = P + l->w_off, *beta = P + l->b_off;
                float *rmean = n->buffers + l->s_off, *rvar = rmean + l->c;
                if (l->folded) /* inference: a pass-through, its act[i] is its input's */
                    break;
                if (!training) {
                    batchnorm_forward_infer(out, in, rmean, rvar, gamma, beta, l->eps, N, l->c);
                    break;
                }
                double *my = w->red + (size_t)t * 2 * BN_MAX_CHANNELS;
                memset(my, 0, 2 * (size_t)l->c * sizeof(double));
                batchnorm_sums(my, my + l->c, in, N, l->c);
#pragma omp barrier
#pragma omp single
                {
                    double s[2 * BN_MAX_CHANNELS], *sum = s, *sumsq = s + l->c;
                    for (int c = 0; c < l->c; c++) {
                        sum[c] = sumsq[c] = 0;
                        for (int u = 0; u < team; u++) {
                            sum[c] += w->red[(size_t)u * 2 * BN_MAX_CHANNELS + c];
                            sumsq[c] += w->red[(size_t)u * 2 * BN_MAX_CHANNELS + l->c + c];
                        }
                    }
                    if (w->parts) /* then over the processes, in order */
                        w->parts->sum(w->parts->ctx, s, 2 * (size_t)l->c);
                    size_t Ntot = (size_t)B * l->h * l->w;
                    batchnorm_moments(w->bn_mean[i], w->bn_invstd[i], sum, sumsq, Ntot, l->c, l->eps);
                    for (int c = 0; c < l->c; c++) {
                        double m = sum[c] / (double)Ntot, var = sumsq[c] / (double)Ntot - m * m;
                        rmean[c] = l->momentum * rmean[c] + (1 - l->momentum) * (float)m;
                        rvar[c] = l->momentum * rvar[c] + (1 - l->momentum) * (float)(var > 0 ? var : 0);
                    }
                }
                batchnorm_normalise(out, w->xhat[i] + (size_t)b0 * oe, in, w->bn_mean[i], w->bn_invstd[i], gamma,
                                    beta, N, l->c);
                break;
            }
            }
        }
    }
    return w->act[n->nlayers - 1];
}

double net_backward(network *n, net_work *w, const int32_t *labels, int B, float smooth)
{
    const int T = w->nthreads < B ? w->nthreads : B;
    const int L = n->nlayers;
    double loss_part[NET_MAX_THREADS] = {0}, bn[2 * BN_MAX_CHANNELS];
    int granted = T;
#pragma omp parallel num_threads(T)
    {
        /* the team OpenMP granted (see net_forward) */
        const int t = omp_get_thread_num(), team = omp_get_num_threads();
        if (t == 0)
            granted = team;
        int g0, b0, nb;
        slice(w, B, team, t, &g0, &b0, &nb);
        float *tg = w->tgrad[t];
        memset(tg, 0, n->nparams * sizeof(float));
        /* the softmax layer and the loss together: gradient with respect to the logits */
        const layer *sm = &n->layers[L - 1];
        const float *logits = w->act[L - 2] + (size_t)b0 * sm->c;
        float *probs = w->act[L - 1] + (size_t)b0 * sm->c;
        /* Each thread owns a fixed region of the two gradient buffers: layers
         * differ in size, so slices laid out per layer would overlap between
         * a thread that is ahead and one that is behind. */
        float *g = w->ga + (size_t)b0 * w->max_elems, *gnext = w->gb + (size_t)b0 * w->max_elems;
        loss_part[t] = softmax_xent_forward(probs, logits, labels + b0, nb, sm->c, smooth);
        softmax_xent_backward(g, probs, labels + b0, nb, sm->c, smooth, B);
        for (int i = L - 2; i >= 0; i--) {
            const layer *l = &n->layers[i];
            const size_t ie = in_elems_of(l), oe = elems(l);
            const float *in = (i ? w->act[i - 1] : w->input) + (size_t)b0 * ie;
            const float *out = w->act[i] + (size_t)b0 * oe;
            /* layers that pass the gradient through unchanged leave it where it is */
            if (l->kind == LK_FLATTEN || l->fused)
                continue;
            float *dout = g;
            float *din = i ? gnext : NULL; /* the input needs no gradient */
            const float *P = n->params;
            if (l->relu_after) /* the fused ReLU's backward, in place */
                relu_backward(dout, dout, out, (size_t)nb * oe);
            switch (l->kind) {
            case LK_CONV:
                if (l->algo == CONV_WINOGRAD)
                    conv2d_winograd_backward(din, tg + l->w_off, tg + l->b_off, dout, in, P + l->w_off, &l->conv,
                                             nb, w->cols[t], w->chunk);
                else
                    conv2d_backward(din, tg + l->w_off, tg + l->b_off, dout, in, P + l->w_off, &l->conv, nb,
                                    w->cols[t], w->chunk);
                break;
            case LK_DENSE:
                dense_backward(din, tg + l->w_off, tg + l->b_off, dout, in, P + l->w_off, nb, (int)ie, l->c);
                break;
            case LK_RELU:
                if (din)
                    relu_backward(din, dout, out, (size_t)nb * oe);
                break;
            case LK_MAXPOOL:
                if (din)
                    maxpool_backward(din, dout, w->aux[i] + (size_t)b0 * oe, nb, l->ih, l->iw, l->ic, l->pool);
                break;
            case LK_DROPOUT:
                if (din)
                    dropout_backward(din, dout, w->aux[i] + (size_t)b0 * oe, (size_t)nb * oe, l->p);
                break;
            case LK_FLATTEN:
            case LK_SOFTMAX:
                break; /* flatten: skipped above; softmax: only last, handled above */
            case LK_BATCHNORM: {
                const size_t N = (size_t)nb * l->h * l->w;
                const float *xh = w->xhat[i] + (size_t)b0 * oe;
                double *my = w->red + (size_t)t * 2 * BN_MAX_CHANNELS;
                memset(my, 0, 2 * (size_t)l->c * sizeof(double));
                batchnorm_backward_sums(my, my + l->c, dout, xh, N, l->c);
#pragma omp barrier
                double *sdy = bn, *sdyx = bn + l->c;
#pragma omp single
                {
                    for (int c = 0; c < l->c; c++) {
                        sdy[c] = sdyx[c] = 0;
                        for (int u = 0; u < team; u++) {
                            sdy[c] += w->red[(size_t)u * 2 * BN_MAX_CHANNELS + c];
                            sdyx[c] += w->red[(size_t)u * 2 * BN_MAX_CHANNELS + l->c + c];
                        }
                    }
                    if (w->parts)
                        w->parts->sum(w->parts->ctx, bn, 2 * (size_t)l->c);
                }
                if (t == 0 && (!w->parts || w->parts->part == 0)) /* once in the whole sum */
                    for (int c = 0; c < l->c; c++) {
                        tg[l->w_off + c] += (float)sdyx[c];
                        tg[l->b_off + c] += (float)sdy[c];
                    }
                if (din)
                    batchnorm_backward_input(din, dout, xh, w->bn_invstd[i], P + l->w_off, sdy, sdyx,
                                             (size_t)B * l->h * l->w, N, l->c);
                break;
            }
            }
            if (din) { /* this layer's input gradient is the next one's output gradient */
                float *tmp = g;
                g = gnext;
                gnext = tmp;
            }
        }
#pragma omp barrier
        /* sum the per-thread gradients, each thread a range of parameters */
        size_t p0 = n->nparams * (size_t)t / (size_t)team, p1 = n->nparams * (size_t)(t + 1) / (size_t)team;
        for (size_t k = p0; k < p1; k++) {
            float s = 0;
            for (int u = 0; u < team; u++)
                s += w->tgrad[u][k];
            w->grad[k] = s;
        }
    }
    double loss = 0;
    for (int t = 0; t < granted; t++)
        loss += loss_part[t];
    if (w->parts) /* the gradient and loss over every process's rows, summed in process order */
        w->parts->sum_f32(w->parts->ctx, w->grad, n->nparams), w->parts->sum(w->parts->ctx, &loss, 1);
    return loss / B;
}
