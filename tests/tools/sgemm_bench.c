/* sgemm_bench - the practical ceiling for `make bench`: cblas_sgemm GFLOP/s on
 * a square product and on the products a network's convolutions issue.
 *
 * Usage: sgemm_bench [-j THREADS] [-b BATCH] [-t SECONDS] [ARCH]
 *
 * For each conv layer of ARCH (e.g. samples/study.arch) at batch BATCH split
 * over THREADS threads, the three products of lib/layer_conv2d.c, with
 * M = chunk * Ho * Wo rows (chunk: images per im2col GEMM, as lib/network.c's
 * conv_chunk picks it, FM_COLS_FLOATS included), N = Cout, K = k * k * Cin:
 *   fwd   out (M, N)    = cols (M, K) . w^T
 *   dw    dw (N, K)    += dout^T (N, M) . cols (M, K)
 *   dx    dcols (M, K)  = dout (M, N) . w (N, K)
 * Two columns per product: one sgemm with OpenBLAS using THREADS threads, and
 * THREADS single-threaded sgemms at once on separate data (what train does:
 * each thread its slice of the batch), counted together.
 * Output: tab-separated lines "name M N K gflops_blas gflops_split", then a
 * "conv-all" line: all the products weighted by how often train issues them
 * (total FLOP / total time).
 */
#include <cblas.h>
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "network.h"
#include "recipe.h"

static const char usage[] =
    "Usage: sgemm_bench [OPTION]... [ARCH]\n"
    "cblas_sgemm GFLOP/s on a square 2048 product and on the conv products of ARCH.\n"
    "\n"
    "  -j, --threads N     threads [2]\n"
    "  -b, --batch N       training batch, for the conv chunk size [64]\n"
    "  -t, --time S        seconds per measurement, at least [0.3]\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { FWD, DW, DX };

typedef struct bufs {
    float *a, *b, *c;
} bufs;

/* One product of kind k on (M, N, K) with operands in p. */
static void gemm(int k, int M, int N, int K, const bufs *p)
{
    if (k == FWD)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, p->a, K, p->b, K, 1.0f, p->c, N);
    else if (k == DW)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, p->c, N, p->a, K, 1.0f, p->b, K);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1.0f, p->c, N, p->b, K, 0.0f, p->a, K);
}

static bufs bufs_new(int M, int N, int K)
{
    bufs p = {malloc((size_t)M * K * sizeof(float)), malloc((size_t)N * K * sizeof(float)),
              malloc((size_t)M * N * sizeof(float))};
    if (!p.a || !p.b || !p.c)
        cli_die("out of memory for a %dx%dx%d product", M, N, K);
    for (size_t i = 0; i < (size_t)M * K; i++)
        p.a[i] = (float)(i % 7) * 0.01f;
    for (size_t i = 0; i < (size_t)N * K; i++)
        p.b[i] = (float)(i % 5) * 0.01f;
    memset(p.c, 0, (size_t)M * N * sizeof(float));
    return p;
}

static void bufs_free(bufs *p) { free(p->a), free(p->b), free(p->c); }

/* GFLOP/s of product k: split = 0: one call, OpenBLAS with T threads;
 * split = 1: T threads each calling single-threaded OpenBLAS on its own data. */
static double measure(int k, int M, int N, int K, int T, int split, double secs)
{
    const double flop = 2.0 * M * N * K;
    double rate = 0;
    if (!split) {
        openblas_set_num_threads(T);
        bufs p = bufs_new(M, N, K);
        gemm(k, M, N, K, &p); /* warm-up */
        long reps = 0;
        double t0 = now(), t;
        do {
            gemm(k, M, N, K, &p);
            reps++;
        } while ((t = now() - t0) < secs);
        rate = flop * (double)reps / t / 1e9;
        bufs_free(&p);
    } else {
        openblas_set_num_threads(1);
        long total = 0;
        double t = 0;
#pragma omp parallel num_threads(T) reduction(+ : total) reduction(max : t)
        {
            bufs p = bufs_new(M, N, K);
            gemm(k, M, N, K, &p);
#pragma omp barrier
            long reps = 0;
            double t0 = now(), dt;
            do {
                gemm(k, M, N, K, &p);
                reps++;
            } while ((dt = now() - t0) < secs);
            total = reps, t = dt;
            bufs_free(&p);
        }
        rate = flop * (double)total / t / 1e9;
    }
    return rate;
}

int main(int argc, char **argv)
{
    cli_init(argv);
    int threads = 2, batch = 64;
    double secs = 0.3;
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
    if (argc - optind > 1)
        cli_usage_error("too many arguments");
    printf("name\tM\tN\tK\tgflops_blas\tgflops_split\n");
    printf("square\t2048\t2048\t2048\t%.1f\t%.1f\n", measure(FWD, 2048, 2048, 2048, threads, 0, secs),
           measure(FWD, 2048, 2048, 2048, threads, 1, secs));
    fflush(stdout);
    if (optind == argc)
        return 0;
    err e;
    char *text = recipe_arch_text(argv[optind], &e); /* a built-in name or an .arch file */
    network *n = text ? net_from_arch(text, argv[optind], &e) : NULL;
    free(text);
    if (!n)
        cli_die_err(&e);
    const int chunk = net_conv_chunk(n, batch, threads);
    const int per_thread = (batch + threads - 1) / threads;
    double flop_all = 0, t_blas = 0, t_split = 0;
    static const char *kinds[] = {"fwd", "dw", "dx"};
    for (int i = 0; i < n->nlayers; i++) {
        const layer *l = &n->layers[i];
        if (l->kind != LK_CONV)
            continue;
        const conv_shape *s = &l->conv;
        const int M = chunk * s->Ho * s->Wo, N = s->Cout, K = s->K * s->K * s->Cin;
        /* train issues per_thread / chunk of each per thread and batch; the first layer has no dx */
        for (int k = FWD; k <= DX; k++) {
            if (k == DX && i == 0)
                continue;
            double gb = measure(k, M, N, K, threads, 0, secs), gs = measure(k, M, N, K, threads, 1, secs);
            printf("conv%d-%s\t%d\t%d\t%d\t%.1f\t%.1f\n", i, kinds[k], M, N, K, gb, gs);
            fflush(stdout);
            const double f = 2.0 * M * N * K * ((double)per_thread / chunk);
            flop_all += f, t_blas += f / gb, t_split += f / gs;
        }
    }
    printf("conv-all\t-\t-\t-\t%.1f\t%.1f\n", flop_all / t_blas, flop_all / t_split);
    net_free(n);
    return 0;
}
