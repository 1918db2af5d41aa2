/* test_layers.c - finite-difference gradient checks for every layer's backward
 * pass, and for a whole small network (one and two threads). */
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "network.h"
#include "quant.h"
#include "rng.h"
#include "unit.h"

static rng R;

static void fill(float *x, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(scale * rng_normal(&R));
}

static float *alloc_random(size_t n, double scale)
{
    float *x = calloc(n, sizeof *x);
    fill(x, n, scale);
    return x;
}

/* loss = sum(r .* y): its gradient with respect to y is r. */
static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

typedef double (*loss_fn)(void *ctx);

/* Compare analytic[i] with a central difference of f in v[i], for up to 40 i. */
static float fd_step = 1e-3f; /* the central difference's step, unless FD_H says */

static void check_grad(const char *what, float *v, size_t n, const float *analytic, loss_fn f, void *ctx)
{
    const float h = getenv("FD_H") ? (float)atof(getenv("FD_H")) : fd_step;
    double worst = 0;
    size_t worst_i = 0;
    for (int trial = 0; trial < 40 && trial < (int)n; trial++) {
        size_t i = n <= 40 ? (size_t)trial : rng_below(&R, n);
        float keep = v[i];
        v[i] = keep + h;
        double lp = f(ctx);
        v[i] = keep - h;
        double lm = f(ctx);
        v[i] = keep;
        double num = (lp - lm) / (2.0 * h);
        double a = analytic[i];
        double rel = fabs(num - a) / (1e-2 + fmax(fabs(num), fabs(a)));
        if (getenv("FD_DEBUG") && rel > 0.05)
            printf("# %s[%zu]: numeric %.6g analytic %.6g\n", what, i, num, a);
        if (rel > worst)
            worst = rel, worst_i = i;
    }
    CHECK(worst < 2e-2, "%s: gradient matches finite differences (worst relative error %.2e at %zu)", what, worst,
          worst_i);
}

/* ---- conv2d, by either algorithm ---- */
typedef struct conv_ctx {
    conv_shape s;
    int B;
    conv_algo algo;
    float *in, *w, *b, *out, *r, *cols;
} conv_ctx;

static size_t conv_work(const conv_shape *s, conv_algo algo, int chunk)
{
    return algo == CONV_WINOGRAD ? conv_winograd_floats(s, chunk) : conv_cols_floats(s, chunk);
}

static void conv_fwd(conv_ctx *c, int chunk, int relu)
{
    if (c->algo == CONV_WINOGRAD)
        conv2d_winograd_forward(c->out, c->in, c->w, c->b, &c->s, c->B, c->cols, chunk, relu);
    else
        conv2d_forward(c->out, c->in, c->w, c->b, &c->s, c->B, c->cols, chunk, relu);
}

static void conv_bwd(conv_ctx *c, float *din, float *dw, float *db, int chunk)
{
    if (c->algo == CONV_WINOGRAD)
        conv2d_winograd_backward(din, dw, db, c->r, c->in, c->w, &c->s, c->B, c->cols, chunk);
    else
        conv2d_backward(din, dw, db, c->r, c->in, c->w, &c->s, c->B, c->cols, chunk);
}

static double conv_loss(void *p)
{
    conv_ctx *c = p;
    conv_fwd(c, 2, 0);
    return dot(c->out, c->r, (size_t)c->B * c->s.Ho * c->s.Wo * c->s.Cout);
}

static void test_conv(int K, int S, int P, conv_algo algo)
{
    conv_ctx c;
    c.B = 3, c.algo = algo;
    c.s = conv_shape_make(7, 6, 3, 4, K, S, P);
    size_t ni = (size_t)c.B * 7 * 6 * 3, nw = (size_t)4 * K * K * 3, no = (size_t)c.B * c.s.Ho * c.s.Wo * 4;
    c.in = alloc_random(ni, 1), c.w = alloc_random(nw, 0.3), c.b = alloc_random(4, 0.1);
    c.out = calloc(no, sizeof(float)), c.r = alloc_random(no, 1);
    c.cols = calloc(conv_work(&c.s, algo, 2), sizeof(float));
    float *din = calloc(ni, sizeof(float)), *dw = calloc(nw, sizeof(float)), *db = calloc(4, sizeof(float));
    conv_loss(&c);
    conv_bwd(&c, din, dw, db, 2);
    /* The loss is linear in each argument, so the central difference has no truncation
     * error and a larger step only shrinks its rounding; Winograd's transforms add
     * some (sums of up to 9 terms before they cancel), which a step of 1e-3 sees. */
    fd_step = 1e-2f;
    char what[80];
    const char *an = conv_algo_name(algo);
    snprintf(what, sizeof what, "conv2d %s k=%d stride=%d pad=%d input", an, K, S, P);
    check_grad(what, c.in, ni, din, conv_loss, &c);
    snprintf(what, sizeof what, "conv2d %s k=%d stride=%d pad=%d weights", an, K, S, P);
    check_grad(what, c.w, nw, dw, conv_loss, &c);
    snprintf(what, sizeof what, "conv2d %s k=%d stride=%d pad=%d bias", an, K, S, P);
    check_grad(what, c.b, 4, db, conv_loss, &c);
    fd_step = 1e-3f;
    free(c.in), free(c.w), free(c.b), free(c.out), free(c.r), free(c.cols), free(din), free(dw), free(db);
}

/* largest |a - b| over the largest |b|: one scale for the whole array */
static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 1e-30;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}

/* Winograd against im2col on the same data: forward (with and without the fused
 * ReLU), input gradient, weight and bias gradients; chunks that do not divide B. */
static void test_winograd_agrees(int H, int W, int Cin, int Cout, int P, int B)
{
    conv_ctx a, g;
    a.s = g.s = conv_shape_make(H, W, Cin, Cout, 3, 1, P);
    a.B = g.B = B, a.algo = CONV_IM2COL, g.algo = CONV_WINOGRAD;
    const int chunk = B > 1 ? B - 1 : 1;
    size_t ni = (size_t)B * H * W * Cin, nw = (size_t)Cout * 9 * Cin, no = (size_t)B * a.s.Ho * a.s.Wo * Cout;
    a.in = g.in = alloc_random(ni, 1), a.w = g.w = alloc_random(nw, 0.3), a.b = g.b = alloc_random(Cout, 0.1);
    a.r = g.r = alloc_random(no, 1);
    a.out = calloc(no, sizeof(float)), g.out = calloc(no, sizeof(float));
    a.cols = calloc(conv_work(&a.s, CONV_IM2COL, chunk), sizeof(float));
    g.cols = calloc(conv_work(&g.s, CONV_WINOGRAD, chunk), sizeof(float));
    float *din[2], *dw[2], *db[2];
    double worst[5] = {0};
    for (int relu = 0; relu < 2; relu++) {
        conv_fwd(&a, chunk, relu), conv_fwd(&g, chunk, relu);
        worst[relu] = max_rel_diff(g.out, a.out, no);
    }
    for (int k = 0; k < 2; k++) {
        din[k] = calloc(ni, sizeof(float)), dw[k] = calloc(nw, sizeof(float)), db[k] = calloc(Cout, sizeof(float));
        conv_bwd(k ? &g : &a, din[k], dw[k], db[k], chunk);
    }
    worst[2] = max_rel_diff(din[1], din[0], ni);
    worst[3] = max_rel_diff(dw[1], dw[0], nw);
    worst[4] = max_rel_diff(db[1], db[0], (size_t)Cout);
    CHECK(worst[0] < 1e-5 && worst[1] < 1e-5 && worst[2] < 1e-5 && worst[3] < 1e-5 && worst[4] < 1e-5,
          "winograd = im2col, %dx%dx%d -> %d pad %d, batch %d: out %.1e, out+relu %.1e, din %.1e, dw %.1e, db %.1e",
          H, W, Cin, Cout, P, B, worst[0], worst[1], worst[2], worst[3], worst[4]);
    for (int k = 0; k < 2; k++)
        free(din[k]), free(dw[k]), free(db[k]);
    free(a.in), free(a.w), free(a.b), free(a.r), free(a.out), free(g.out), free(a.cols), free(g.cols);
}

static void test_conv_algo_choice(void)
{
    err e = {{0}};
    conv_algo a = CONV_IM2COL;
    CHECK(conv_algo_parse("winograd", &a, &e) == 0 && a == CONV_WINOGRAD, "conv_algo_parse: winograd");
    CHECK(conv_algo_parse("auto", &a, &e) == 0 && a == CONV_AUTO, "conv_algo_parse: auto");
    CHECK(conv_algo_parse("fft", &a, &e) < 0 &&
              strcmp(e.msg, "unknown convolution algorithm 'fft' (im2col, winograd, auto)") == 0,
          "conv_algo_parse: an unknown name is an error (got '%s')", e.msg);
    network *n = net_from_arch("input 28 28 1\nconv 16\nconv 32\nconv 32\nconv 32 stride=2\nconv 32 k=5\n"
                               "maxpool 2\nconv 64\nflatten\ndense 10\nsoftmax\n", "t", &e);
    static const conv_algo want[] = {CONV_IM2COL, CONV_IM2COL, CONV_WINOGRAD, CONV_IM2COL, CONV_IM2COL, 0,
                                     CONV_IM2COL};
    int same = n != NULL;
    for (int i = 0; same && i < 7; i++)
        same = i == 5 || n->layers[i].algo == want[i];
    CHECK(same, "auto: winograd for 3x3/1 with 32 channels in on 28x28; im2col for 1 or 16 channels in, "
                "stride 2, 5x5, and a 7x7 input");
    if (n) {
        net_set_conv_algo(n, CONV_WINOGRAD);
        CHECK(n->layers[0].algo == CONV_WINOGRAD && n->layers[6].algo == CONV_WINOGRAD &&
                  n->layers[3].algo == CONV_IM2COL && n->layers[4].algo == CONV_IM2COL,
              "winograd: wherever the shape allows it, im2col elsewhere");
        net_set_conv_algo(n, CONV_IM2COL);
        CHECK(n->layers[2].algo == CONV_IM2COL, "im2col: everywhere");
    }
    net_free(n);
}

/* ---- dense ---- */
typedef struct dense_ctx {
    int B, Din, Dout;
    float *in, *w, *b, *out, *r;
} dense_ctx;

static double dense_loss(void *p)
{
    dense_ctx *c = p;
    dense_forward(c->out, c->in, c->w, c->b, c->B, c->Din, c->Dout);
    return dot(c->out, c->r, (size_t)c->B * c->Dout);
}

static void test_dense(void)
{
    dense_ctx c = {4, 7, 5, NULL, NULL, NULL, NULL, NULL};
    c.in = alloc_random(28, 1), c.w = alloc_random(35, 0.3), c.b = alloc_random(5, 0.1);
    c.out = calloc(20, sizeof(float)), c.r = alloc_random(20, 1);
    float *din = calloc(28, sizeof(float)), *dw = calloc(35, sizeof(float)), *db = calloc(5, sizeof(float));
    dense_backward(din, dw, db, c.r, c.in, c.w, 4, 7, 5);
    check_grad("dense input", c.in, 28, din, dense_loss, &c);
    check_grad("dense weights", c.w, 35, dw, dense_loss, &c);
    check_grad("dense bias", c.b, 5, db, dense_loss, &c);
    free(c.in), free(c.w), free(c.b), free(c.out), free(c.r), free(din), free(dw), free(db);
}

/* ---- relu, maxpool, dropout: input gradients ---- */
typedef struct simple_ctx {
    int kind, B, H, W, C;
    size_t n, no;
    float *in, *out, *r;
    uint8_t *aux;
} simple_ctx;

static double simple_loss(void *p)
{
    simple_ctx *c = p;
    if (c->kind == 0)
        relu_forward(c->out, c->in, c->n);
    else if (c->kind == 1)
        maxpool_forward(c->out, c->aux, c->in, c->B, c->H, c->W, c->C, 2);
    else
        dropout_forward(c->out, c->aux, c->in, c->n, 0.4f, 1234, 0);
    return dot(c->out, c->r, c->no);
}

static void test_simple(int kind, const char *what)
{
    simple_ctx c = {kind, 2, 6, 5, 3, 2 * 6 * 5 * 3, 0, NULL, NULL, NULL, NULL};
    c.no = kind == 1 ? (size_t)2 * 3 * 2 * 3 : c.n;
    c.in = alloc_random(c.n, 1), c.out = calloc(c.n, sizeof(float)), c.r = alloc_random(c.no, 1);
    c.aux = calloc(c.n, 1);
    float *din = calloc(c.n, sizeof(float));
    simple_loss(&c);
    if (kind == 0)
        relu_backward(din, c.r, c.out, c.n);
    else if (kind == 1)
        maxpool_backward(din, c.r, c.aux, c.B, c.H, c.W, c.C, 2);
    else
        dropout_backward(din, c.r, c.aux, c.n, 0.4f);
    check_grad(what, c.in, c.n, din, simple_loss, &c);
    free(c.in), free(c.out), free(c.r), free(c.aux), free(din);
}

/* ---- batch norm (training mode: the batch statistics depend on the input) ---- */
typedef struct bn_ctx {
    size_t N;
    int C;
    float *in, *gamma, *beta, *out, *xhat, *mean, *invstd, *r;
} bn_ctx;

static double bn_loss(void *p)
{
    bn_ctx *c = p;
    batchnorm_forward_train(c->out, c->xhat, c->mean, c->invstd, c->in, c->gamma, c->beta, 1e-3f, c->N, c->C);
    return dot(c->out, c->r, c->N * c->C);
}

static void test_batchnorm(void)
{
    bn_ctx c = {24, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    size_t n = c.N * c.C;
    c.in = alloc_random(n, 2), c.gamma = alloc_random(3, 1), c.beta = alloc_random(3, 1);
    c.out = calloc(n, sizeof(float)), c.xhat = calloc(n, sizeof(float)), c.r = alloc_random(n, 1);
    c.mean = calloc(3, sizeof(float)), c.invstd = calloc(3, sizeof(float));
    float *din = calloc(n, sizeof(float)), dg[3] = {0}, dbeta[3] = {0};
    bn_loss(&c);
    batchnorm_backward(din, dg, dbeta, c.r, c.xhat, c.invstd, c.gamma, c.N, c.C);
    check_grad("batchnorm input", c.in, n, din, bn_loss, &c);
    check_grad("batchnorm gamma", c.gamma, 3, dg, bn_loss, &c);
    check_grad("batchnorm beta", c.beta, 3, dbeta, bn_loss, &c);
    /* inference with running stats equal to the batch's gives the training output */
    bn_loss(&c); /* the checks above left a perturbed evaluation behind */
    float rvar[3];
    for (int k = 0; k < 3; k++)
        rvar[k] = 1.0f / (c.invstd[k] * c.invstd[k]) - 1e-3f;
    float *inf = calloc(n, sizeof(float));
    batchnorm_forward_infer(inf, c.in, c.mean, rvar, c.gamma, c.beta, 1e-3f, c.N, c.C);
    double md = 0;
    for (size_t i = 0; i < n; i++)
        md = fmax(md, fabs(inf[i] - c.out[i]));
    CHECK(md < 1e-3, "batchnorm inference with the batch's statistics equals training output (%.1e)", md);
    free(c.in), free(c.gamma), free(c.beta), free(c.out), free(c.xhat), free(c.r), free(c.mean), free(c.invstd);
    free(din), free(inf);
}

/* ---- softmax + cross-entropy ---- */
typedef struct sx_ctx {
    int B, K;
    float smooth;
    float *logits, *probs;
    int32_t labels[5];
} sx_ctx;

static double sx_loss(void *p)
{
    sx_ctx *c = p;
    return softmax_xent_forward(c->probs, c->logits, c->labels, c->B, c->K, c->smooth) / c->B;
}

static void test_softmax_xent(float smooth)
{
    sx_ctx c = {5, 4, smooth, NULL, NULL, {0, 3, 1, 2, 3}};
    c.logits = alloc_random(20, 2), c.probs = calloc(20, sizeof(float));
    float d[20];
    sx_loss(&c);
    softmax_xent_backward(d, c.probs, c.labels, 5, 4, smooth, 5);
    char what[64];
    snprintf(what, sizeof what, "softmax cross-entropy (smoothing %.1f) logits", (double)smooth);
    check_grad(what, c.logits, 20, d, sx_loss, &c);
    double s = 0;
    for (int k = 0; k < 4; k++)
        s += c.probs[k];
    CHECK(fabs(s - 1) < 1e-6, "softmax rows sum to 1 (%.9f)", s);
    free(c.logits), free(c.probs);
}

/* ---- whole network ---- */
static const char tiny_arch[] = "input 6 6 2\n"
                                "conv 4 k=3\nrelu\nbatchnorm\nmaxpool 2\ndropout 0.25\n"
                                "conv 3 k=3 pad=valid\nflatten\ndense 5\nrelu\ndense 3\nsoftmax\n";

typedef struct net_ctx {
    network *n;
    net_work *w;
    const float *x;
    int32_t labels[6];
    int B;
} net_ctx;

static double net_loss(void *p)
{
    net_ctx *c = p;
    memcpy(net_input(c->w), c->x, (size_t)c->B * net_in_elems(c->n) * sizeof(float));
    const float *probs = net_forward(c->n, c->w, c->B, 1, 99);
    double l = 0;
    for (int b = 0; b < c->B; b++)
        l -= log(probs[b * 3 + c->labels[b]]);
    return l / c->B;
}

static void test_network(int threads, conv_algo algo)
{
    err e;
    network *n = net_from_arch(tiny_arch, "tiny", &e);
    CHECK(n != NULL, "tiny network parses");
    if (!n)
        return;
    net_set_conv_algo(n, algo);
    net_init(n, 7);
    n->norm_mean = 100, n->norm_std = 60;
    net_ctx c = {n, net_work_new(n, 6, threads, 1, &e), NULL, {0, 1, 2, 1, 0, 2}, 6};
    float *x = alloc_random(6 * net_in_elems(n), 60);
    c.x = x;
    double l = net_loss(&c);
    double lb = net_backward(n, c.w, c.labels, 6, 0.0f);
    CHECK(fabs(l - lb) < 1e-5, "network (%d threads, %s): backward's loss equals forward's (%.6f, %.6f)", threads,
          conv_algo_name(algo), l, lb);
    float *g = malloc(n->nparams * sizeof(float));
    memcpy(g, net_grad(c.w), n->nparams * sizeof(float));
    char what[64];
    snprintf(what, sizeof what, "whole network, %d thread(s), %s, parameters", threads, conv_algo_name(algo));
    check_grad(what, n->params, n->nparams, g, net_loss, &c);
    /* every layer's parameters, checked separately so a small layer is not drowned out */
    for (int i = 0; i < n->nlayers; i++) {
        layer *ly = &n->layers[i];
        if (ly->nw == 0)
            continue;
        snprintf(what, sizeof what, "whole network, %d thread(s), %s, layer %d weights", threads,
                 conv_algo_name(algo), i + 1);
        check_grad(what, n->params + ly->w_off, ly->nw, g + ly->w_off, net_loss, &c);
    }
    free(g), free(x);
    net_work_free(c.w);
    net_free(n);
}

static void test_arch_errors(void)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"conv 3\n", "t: line 1: the first layer must be 'input H W C' (whole numbers 1..4096)"},
        {"input nan 28 1\n", "t: line 1: the first layer must be 'input H W C' (whole numbers 1..4096)"},
        {"input 28.5 28 1\n", "t: line 1: the first layer must be 'input H W C' (whole numbers 1..4096)"},
        {"input 4096 4096 256\n", "t: line 1: an input of 4294967296 values is too large"},
        {"input 1 1 4\nsoftmax\n", "t: softmax needs a layer before it (e.g. flatten and dense)"},
        {"input 28 28 1\ndropout nan\n", "t: line 2: dropout: expected a probability in [0, 1)"},
        {"input 28 28 1\ndropout 0.99999999\n", "t: line 2: dropout: expected a probability in [0, 1)"},
        {"input 28 28 1\nbatchnorm eps=1e-60\n", "t: line 2: batchnorm: bad option 'eps=1e-60' (momentum=, eps=)"},
        {"input 28 28 1\nconv 2 k=3 k=3 k=3 k=3 k=3 k=3 k=3 k=3 k=3 k=3 k=3 k=3 k=3 k=3 bogus=7\n",
         "t: line 2: more than 16 words"},
        {"input 28 28 1\nconv 2 k=\n", "t: line 2: conv: bad kernel size 'k='"},
        {"input 28 28 1\nconv\nsoftmax\n", "t: line 2: conv: expected a filter count, e.g. 'conv 32 k=3'"},
        {"input 28 28 1\nwibble 3\n", "t: line 2: unknown layer 'wibble' (conv, dense, relu, batchnorm, maxpool, dropout, flatten, softmax)"},
        {"input 28 28 1\nflatten\ndense 10\n", "t: the network must start with 'input H W C' and end with 'softmax'"},
        {"input 28 28 1\nconv 8\nsoftmax\n", "t: line 3: softmax needs a vector input (add flatten and dense)"},
        {"input 2 2 1\nmaxpool 4\n", "t: line 2: maxpool: 4x4 window does not fit a 2x2 input"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err e = {{0}};
        network *n = net_from_arch(cases[i].text, "t", &e);
        CHECK(!n && strcmp(e.msg, cases[i].msg) == 0, "arch error: %s (got '%s')", cases[i].msg, e.msg);
        net_free(n);
    }
}

/* Inference: folding batch norm (after ReLU before a padded conv, through max pooling
 * into a dense layer, right after a dense layer) and the input's normalisation changes the
 * probabilities by rounding only, by either conv algorithm. */
static void test_fold(conv_algo algo)
{
    static const char arch[] = "input 6 6 3\nconv 4\nrelu\nbatchnorm\nconv 5\nrelu\nbatchnorm\nmaxpool 2\n"
                               "flatten\ndense 6\nbatchnorm\nrelu\ndense 3\nsoftmax\n";
    err e;
    network *a = net_from_arch(arch, "fold", &e), *b = net_from_arch(arch, "fold", &e);
    if (!a || !b) {
        CHECK(0, "fold: the network parses");
        return;
    }
    net_init(a, 3);
    a->norm_mean = 80, a->norm_std = 50;
    /* running statistics and affine parameters far from their initial 0 and 1 */
    for (int i = 0; i < a->nlayers; i++) {
        layer *l = &a->layers[i];
        if (l->kind != LK_BATCHNORM)
            continue;
        for (int k = 0; k < l->c; k++) {
            a->params[l->w_off + k] = (float)(0.5 + rng_uniform(&R));
            a->params[l->b_off + k] = (float)rng_normal(&R);
            a->buffers[l->s_off + k] = (float)(1 + rng_uniform(&R));
            a->buffers[l->s_off + l->c + k] = (float)(0.2 + rng_uniform(&R));
        }
    }
    memcpy(b->params, a->params, a->nparams * sizeof(float));
    memcpy(b->buffers, a->buffers, a->nbuffers * sizeof(float));
    b->norm_mean = a->norm_mean, b->norm_std = a->norm_std;
    net_set_conv_algo(a, algo), net_set_conv_algo(b, algo);
    int folded = net_fold_batchnorm(b, &e);
    CHECK(folded == 3 && b->norm_mean == 0 && b->norm_std == 1 && b->layers[0].pad && b->layers[3].pad,
          "fold (%s): 3 batch norms and the input folded, both convs pad with a shifted value (%d)",
          conv_algo_name(algo), folded);
    const int B = 4;
    net_work *wa = net_work_new(a, B, 1, 0, &e), *wb = net_work_new(b, B, 1, 0, &e);
    float *x = malloc((size_t)B * net_in_elems(a) * sizeof(float));
    for (size_t k = 0; k < (size_t)B * net_in_elems(a); k++)
        x[k] = (float)(rng_uniform(&R) * 255);
    memcpy(net_input(wa), x, (size_t)B * net_in_elems(a) * sizeof(float));
    memcpy(net_input(wb), x, (size_t)B * net_in_elems(a) * sizeof(float));
    const float *pa = net_forward(a, wa, B, 0, 0), *pb = net_forward(b, wb, B, 0, 0);
    double worst = 0;
    for (int k = 0; k < B * 3; k++)
        worst = fmax(worst, fabs((double)pa[k] - pb[k]));
    CHECK(worst < 1e-5, "fold (%s): probabilities within 1e-5 of the unfolded network's (%.1e)", conv_algo_name(algo),
          worst);
    CHECK(net_work_new(b, B, 1, 1, &e) == NULL &&
              strcmp(e.msg, "a network with folded batch norm or int8 weights is for inference only") == 0,
          "fold: a folded network cannot be trained");
    free(x);
    net_work_free(wa), net_work_free(wb);
    net_free(a), net_free(b);
}

/* int8: the kernel's integers are exact (against a plain triple loop, with remainders
 * in both dimensions), and a quantized conv is within a few percent of the float one,
 * with and without a shifted padding value. */
static void test_int8(void)
{
    const int M = 5, N = 7, kp = 64;
    uint8_t *a = malloc((size_t)M * kp);
    int8_t *b = malloc((size_t)N * kp);
    int32_t *c = malloc((size_t)M * N * sizeof(int32_t));
    for (int k = 0; k < M * kp; k++)
        a[k] = (uint8_t)rng_below(&R, 128);
    for (int k = 0; k < N * kp; k++)
        b[k] = (int8_t)((int)rng_below(&R, 255) - 127);
    for (int k = 0; k < kp; k++) /* the extremes: 127 x -127 and 127 x 127 all along a row */
        a[k] = 127, b[k] = -127, b[kp + k] = 127;
    gemm_u8s8(c, a, b, M, N, kp);
    int wrong = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            int32_t ref = 0;
            for (int k = 0; k < kp; k++)
                ref += (int32_t)a[m * kp + k] * b[n * kp + k];
            wrong += ref != c[m * N + n];
        }
    CHECK(wrong == 0, "int8 kernel (%s): u8 x s8 sums exact, 5x7 outputs, extremes included (%d wrong)",
          int8_kernel_name(), wrong);
    free(a), free(b), free(c);
    for (int shifted = 0; shifted < 2; shifted++) {
        conv_shape s = conv_shape_make(7, 9, 20, 6, 3, 1, 1);
        float pad[20];
        for (int k = 0; k < 20; k++)
            pad[k] = (float)(0.5 + rng_uniform(&R));
        s.pad = shifted ? pad : NULL;
        const int B = 3;
        size_t ni = (size_t)B * 7 * 9 * 20, no = (size_t)B * 7 * 9 * 6, nw = (size_t)6 * 9 * 20;
        float *in = calloc(ni, sizeof(float)), *w = alloc_random(nw, 0.3), *bias = alloc_random(6, 0.1);
        for (size_t k = 0; k < ni; k++) /* ReLU outputs: from 0 up */
            in[k] = (float)(2 * rng_uniform(&R));
        float *o32 = calloc(no, sizeof(float)), *o8 = calloc(no, sizeof(float));
        float *cols = calloc(conv_cols_floats(&s, 2), sizeof(float));
        void *work = calloc(conv_int8_bytes(&s, 2), 1);
        err e;
        qconv *q = qconv_new(w, &s, 0.0f, 2.0f, &e);
        conv2d_forward(o32, in, w, bias, &s, B, cols, 2, 1);
        conv2d_int8_forward(o8, in, q, bias, &s, B, work, 2, 1);
        double worst = max_rel_diff(o8, o32, no);
        CHECK(worst < 0.03, "int8 conv (padding %s): within 3%% of float (%.1e of the largest output)",
              shifted ? "shifted" : "zero", worst);
        qconv_free(q);
        free(in), free(w), free(bias), free(o32), free(o8), free(cols), free(work);
    }
}

int main(void)
{
    rng_seed(&R, 42);
    /* finite differences in float meet a ReLU or max-pool kink now and then: the
     * Winograd checks reuse the random data the im2col ones were tuned on */
    const rng at_conv = R;
    test_conv(3, 1, 1, CONV_IM2COL);
    test_conv(3, 2, 0, CONV_IM2COL);
    test_conv(1, 1, 0, CONV_IM2COL);
    test_dense();
    test_simple(0, "relu input");
    test_simple(1, "maxpool input");
    test_simple(2, "dropout input");
    test_batchnorm();
    test_softmax_xent(0.0f);
    test_softmax_xent(0.1f);
    const rng at_net = R;
    test_network(1, CONV_IM2COL);
    test_network(2, CONV_IM2COL);
    test_arch_errors();
    R = at_conv;
    test_conv(3, 1, 1, CONV_WINOGRAD);
    test_conv(3, 1, 0, CONV_WINOGRAD);
    test_conv(3, 1, 2, CONV_WINOGRAD);
    R = at_net;
    test_network(1, CONV_WINOGRAD);
    test_network(2, CONV_WINOGRAD);
    test_winograd_agrees(7, 6, 3, 4, 1, 3);
    test_winograd_agrees(5, 9, 16, 8, 0, 2);
    test_winograd_agrees(8, 8, 5, 17, 1, 4);
    test_winograd_agrees(6, 7, 32, 32, 2, 3);
    test_winograd_agrees(1, 1, 2, 3, 1, 2);
    test_conv_algo_choice();
    test_fold(CONV_IM2COL);
    test_fold(CONV_WINOGRAD);
    test_int8();
    UNIT_EXIT();
}
