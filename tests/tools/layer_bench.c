/* layer_bench - where the time goes: each convolution of a network timed by each
 * algorithm, forward, input gradient and weight gradient (`make bench-layers`).
 *
 * Usage: layer_bench [-j THREADS] [-b BATCH] [-t SECONDS] ARCH
 *
 * Train gives each of THREADS threads a slice of ceil(BATCH / THREADS) images, with
 * single-threaded BLAS; this times one such slice on one thread, with the chunk
 * lib/network.c picks. Columns, in milliseconds per slice: fwd (forward with bias and
 * the fused ReLU where the network has one), din (input gradient: the whole backward
 * less the weight-only one), dw (weight and bias gradients); then the sum, and which
 * algorithm CONV_AUTO picks; then the int8 forward (lib/quant.c, predict --int8). The
 * first layer has no din (train skips it). The rule
 * in lib/network.c (conv_auto) was read off this table.
 */
#include <cblas.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "network.h"
#include "quant.h"
#include "recipe.h"
#include "rng.h"

static const char usage[] =
    "Usage: layer_bench [OPTION]... ARCH\n"
    "Time each convolution of ARCH by each algorithm: forward, input and weight gradients.\n"
    "\n"
    "  -j, --threads N     threads the batch is split over (one slice is timed) [2]\n"
    "  -b, --batch N       training batch [64]\n"
    "  -t, --time S        seconds per measurement, at least [0.2]\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct job {
    const conv_shape *s;
    conv_algo algo;
    int nb, chunk, relu, pass; /* pass 0 forward, 1 weights only, 2 weights and input */
    const qconv *q;            /* int8 forward (inference) */
    float *in, *out, *dout, *din, *w, *b, *dw, *db, *work;
} job;

static void run_once(const job *j)
{
    const int wino = j->algo == CONV_WINOGRAD;
    float *din = j->pass == 2 ? j->din : NULL;
    if (j->q)
        conv2d_int8_forward(j->out, j->in, j->q, j->b, j->s, j->nb, j->work, j->chunk, j->relu);
    else if (j->pass == 0 && wino)
        conv2d_winograd_forward(j->out, j->in, j->w, j->b, j->s, j->nb, j->work, j->chunk, j->relu);
    else if (j->pass == 0)
        conv2d_forward(j->out, j->in, j->w, j->b, j->s, j->nb, j->work, j->chunk, j->relu);
    else if (wino)
        conv2d_winograd_backward(din, j->dw, j->db, j->dout, j->in, j->w, j->s, j->nb, j->work, j->chunk);
    else
        conv2d_backward(din, j->dw, j->db, j->dout, j->in, j->w, j->s, j->nb, j->work, j->chunk);
}

/* milliseconds per run, the best of the rounds in secs (a shared machine only adds) */
static double time_ms(const job *j, double secs)
{
    run_once(j);
    double best = 1e30, t0 = now();
    do {
        double t1 = now();
        run_once(j);
        double dt = now() - t1;
        best = dt < best ? dt : best;
    } while (now() - t0 < secs);
    return best * 1e3;
}

static float *randoms(size_t n, rng *r)
{
    float *x = malloc((n ? n : 1) * sizeof(float));
    if (!x)
        cli_die("out of memory for %zu floats", n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rng_normal(r);
    return x;
}

int main(int argc, char **argv)
{
    cli_init(argv);
    int threads = 2, batch = 64;
    double secs = 0.2;
    static const struct option longs[] = {
        {"threads", required_argument, 0, 'j'}, {"batch", required_argument, 0, 'b'},
        {"time", required_argument, 0, 't'},    {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},       {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "j:b:t:hV", longs, NULL)) != -1) {
        switch (ch) {
        case 'j': threads = (int)cli_long("--threads", optarg, 1, 256); break;
        case 'b': batch = (int)cli_long("--batch", optarg, 1, 65536); break;
        case 't': secs = cli_double("--time", optarg, 0.01, 60); break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help();
        }
    }
    if (argc - optind != 1)
        cli_usage_error("expected one ARCH file");
    err e;
    char *text = recipe_arch_text(argv[optind], &e); /* a built-in name or an .arch file */
    network *n = text ? net_from_arch(text, argv[optind], &e) : NULL;
    free(text);
    if (!n)
        cli_die_err(&e);
    openblas_set_num_threads(1);
    const int nb = (batch + threads - 1) / threads, chunk = net_conv_chunk(n, batch, threads);
    rng r;
    rng_seed(&r, 1);
    printf("%s: %d images a slice (batch %d over %d threads), chunk %d, ms per slice, best of %.2f s\n", argv[optind],
           nb, batch, threads, chunk, secs);
    printf("%-6s %-22s %-9s %8s %8s %8s %8s  %s\n", "layer", "shape", "algo", "fwd", "din", "dw", "total", "auto");
    double sum[2] = {0, 0}, sum_auto = 0, sum_int8 = 0, fwd_int8_ref = 0;
    for (int i = 0; i < n->nlayers; i++) {
        const layer *l = &n->layers[i];
        if (l->kind != LK_CONV)
            continue;
        const conv_shape *s = &l->conv;
        const size_t ni = (size_t)nb * s->H * s->W * s->Cin, no = (size_t)nb * s->Ho * s->Wo * s->Cout;
        const size_t nw = (size_t)s->Cout * s->K * s->K * s->Cin;
        size_t nwork = conv_cols_floats(s, chunk);
        if (conv_int8_bytes(s, chunk) / sizeof(float) + 1 > nwork)
            nwork = conv_int8_bytes(s, chunk) / sizeof(float) + 1;
        if (conv_winograd_fits(s) && conv_winograd_floats(s, chunk) > nwork)
            nwork = conv_winograd_floats(s, chunk);
        job j = {s, CONV_IM2COL, nb, chunk, l->relu_after, 0, NULL, randoms(ni, &r), randoms(no, &r), randoms(no, &r),
                 randoms(ni, &r), randoms(nw, &r), randoms((size_t)s->Cout, &r), randoms(nw, &r),
                 randoms((size_t)s->Cout, &r), randoms(nwork, &r)};
        char shape[64];
        snprintf(shape, sizeof shape, "%dx%dx%d->%d %dx%d/%d", s->H, s->W, s->Cin, s->Cout, s->K, s->K, s->S);
        double best = 1e30, fwd_chosen = 0;
        for (int a = 0; a < 2; a++) {
            j.algo = a ? CONV_WINOGRAD : CONV_IM2COL;
            if (a && !conv_winograd_fits(s))
                continue;
            double t[3];
            for (j.pass = 0; j.pass < 3; j.pass++)
                t[j.pass] = i == 0 && j.pass == 2 ? t[1] : time_ms(&j, secs);
            const double fwd = t[0], dw = t[1], din = t[2] - t[1] > 0 ? t[2] - t[1] : 0, tot = fwd + din + dw;
            sum[a] += tot;
            if (j.algo == l->algo)
                sum_auto += tot, fwd_chosen = fwd;
            best = tot < best ? tot : best;
            printf("%-6d %-22s %-9s %8.2f %8.2f %8.2f %8.2f  %s\n", i + 1, shape, conv_algo_name(j.algo), fwd, din,
                   dw, tot, j.algo == l->algo ? "<-" : "");
        }
        if (!conv_winograd_fits(s))
            sum[1] += best;
        /* int8 inference: forward only, inputs calibrated to the random data's range; the
         * first layer stays in float (as net_quantize_int8 leaves it) */
        qconv *q = i > 0 ? qconv_new(j.w, s, -4.0f, 4.0f, &e) : NULL;
        if (q) {
            j.q = q, j.pass = 0;
            const double t8 = time_ms(&j, secs);
            sum_int8 += t8, fwd_int8_ref += fwd_chosen;
            printf("%-6d %-22s %-9s %8.2f %8s %8s %8s  %s kernel\n", i + 1, shape, "int8", t8, "-", "-", "-",
                   int8_kernel_name());
            qconv_free(q);
        } else if (i > 0) {
            cli_die_err(&e);
        }
        free(j.in), free(j.out), free(j.dout), free(j.din), free(j.w), free(j.b), free(j.dw), free(j.db);
        free(j.work);
    }
    printf("all convolutions, training: im2col %.2f ms, winograd where it fits %.2f ms, auto %.2f ms (%.2fx im2col)\n",
           sum[0], sum[1], sum_auto, sum[0] / sum_auto);
    printf("convolutions after the first, forward: auto %.2f ms, int8 %.2f ms (%.2fx)\n", fwd_int8_ref, sum_int8,
           fwd_int8_ref / sum_int8);
    net_free(n);
    return 0;
}
