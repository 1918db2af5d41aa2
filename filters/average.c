/* average - the mean of several prediction streams, record by record (a model ensemble).
 *
 * Every input must hold the same records in the same order: predictions of the
 * same data by different models. A record whose id or label differs between
 * inputs, a shape or class count that differs, or one input ending before the
 * others is an error, never a silent misalignment.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: average [OPTION]... FILE FILE...\n"
    "Write the mean of several prediction streams (predict's output), record by record: an\n"
    "ensemble of models. The inputs must be predictions of the same records in the same order\n"
    "(ids and labels are checked); FILE may be - for standard input, once.\n"
    "\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Example: average <(predict a.bin test.ts) <(predict b.bin test.ts) | confmat\n";

enum { BATCH = 256 };

typedef struct input {
    const char *name;
    FILE *f;
    ts_reader *r;
    uint32_t *ids;
    int32_t *labels;
    float *x;
} input;

int main(int argc, char **argv)
{
    cli_init(argv);
    static const struct option longs[] = {
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "hV", longs, NULL)) != -1) {
        switch (ch) {
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    const int n = argc - optind;
    if (n < 2)
        cli_usage_error("expected at least two prediction streams, got %d", n);
    int stdin_used = 0;
    for (int i = optind; i < argc; i++)
        if (strcmp(argv[i], "-") == 0 && stdin_used++)
            cli_usage_error("standard input (-) given more than once");
    input *in = calloc((size_t)n, sizeof *in);
    if (!in)
        cli_die("out of memory");
    err e;
    const ts_header *h0 = NULL;
    for (int i = 0; i < n; i++) {
        const char *path = argv[optind + i];
        in[i].name = cli_name(path);
        if (!(in[i].f = ts_fopen_in(path, &e)) || !(in[i].r = ts_open(in[i].f, in[i].name, &e)))
            cli_die_err(&e);
        const ts_header *h = ts_header_of(in[i].r);
        if (h->dtype != TS_F32 || h->rank != 1)
            cli_die("%s: a %s stream is not predictions (expected f32 class scores, rank 1: run predict first)",
                    in[i].name, ts_dtype_name(h->dtype));
        if (!h0) {
            h0 = h;
        } else if (h->dims[0] != h0->dims[0] || h->nclass != h0->nclass) {
            cli_die("%s: %u scores per record (%u classes), but %s has %u (%u classes)", in[i].name, h->dims[0],
                    h->nclass, in[0].name, h0->dims[0], h0->nclass);
        } else if (h->count != TS_COUNT_UNKNOWN && h0->count != TS_COUNT_UNKNOWN && h->count != h0->count) {
            cli_die("%s: %llu records, but %s has %llu", in[i].name, (unsigned long long)h->count, in[0].name,
                    (unsigned long long)h0->count);
        }
        in[i].ids = malloc(BATCH * sizeof *in[i].ids);
        in[i].labels = malloc(BATCH * sizeof *in[i].labels);
        in[i].x = malloc((size_t)BATCH * h0->dims[0] * sizeof(float));
        if (!in[i].ids || !in[i].labels || !in[i].x)
            cli_die("out of memory");
    }
    const size_t k = h0->dims[0];
    ts_header oh = *h0;
    for (int i = 1; i < n; i++)
        if (ts_header_of(in[i].r)->count != oh.count)
            oh.count = TS_COUNT_UNKNOWN;
    ts_writer *out = ts_create(stdout, "<stdout>", &oh, &e);
    if (!out)
        cli_die_err(&e);
    uint64_t done = 0;
    for (;;) {
        long got0 = 0;
        for (int i = 0; i < n; i++) {
            long got = ts_read_f32(in[i].r, BATCH, in[i].ids, in[i].labels, in[i].x, &e);
            if (got < 0) {
                ts_fail(out);
                cli_die_err(&e);
            }
            if (i == 0) {
                got0 = got;
            } else if (got != got0) {
                ts_fail(out);
                const int shorter = got < got0 ? i : 0;
                cli_die("%s: ends after %llu records, before %s", in[shorter].name,
                        (unsigned long long)(done + (uint64_t)(got < got0 ? got : got0)), in[shorter ? 0 : i].name);
            }
        }
        if (got0 == 0)
            break;
        for (long r = 0; r < got0; r++) {
            float *sum = in[0].x + (size_t)r * k;
            for (int i = 1; i < n; i++) {
                if (in[i].ids[r] != in[0].ids[r] || in[i].labels[r] != in[0].labels[r]) {
                    ts_fail(out);
                    cli_die("%s: record %llu is id %u label %d, but in %s id %u label %d (not the same records)",
                            in[i].name, (unsigned long long)(done + (uint64_t)r + 1), in[i].ids[r], in[i].labels[r],
                            in[0].name, in[0].ids[r], in[0].labels[r]);
                }
                const float *p = in[i].x + (size_t)r * k;
                for (size_t c = 0; c < k; c++)
                    sum[c] += p[c];
            }
            for (size_t c = 0; c < k; c++)
                sum[c] /= (float)n;
            if (ts_write(out, in[0].ids[r], in[0].labels[r], sum, &e) < 0)
                cli_die_err(&e);
        }
        done += (uint64_t)got0;
    }
    if (ts_finish(out, &e) < 0)
        cli_die_err(&e);
    for (int i = 0; i < n; i++) {
        ts_close(in[i].r);
        if (in[i].f != stdin)
            fclose(in[i].f);
        free(in[i].ids), free(in[i].labels), free(in[i].x);
    }
    free(in);
    return 0;
}
