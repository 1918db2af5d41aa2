/* average - the mean of several prediction streams, record by record (a model ensemble).
 *
 * Every input must hold the same records in the same order: predictions of the
 * same data by different models. A record whose id or label differs between
 * inputs, a shape or class count that differs, or one input ending before the
 * others is an error, never a silent misalignment.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: average [OPTION]... FILE FILE...\n"
    "Write the mean of several prediction streams (predict's output), record by record: an\n"
    "ensemble of models. The inputs must be predictions of the same records in the same order\n"
    "(ids and labels are checked); FILE may be - for standard input, once.\n"
    "\n" CLI_STD_HELP
    "\n"
    "Example: average <(predict a.bin test.ts) <(predict b.bin test.ts) | confmat\n";

enum { BATCH = 256 };

typedef struct input {
    const char *name;
    ts_reader *r;
    uint32_t *ids;
    int32_t *labels;
    float *x;
} input;

typedef struct options {
    int n;              /* inputs */
    char *const *paths; /* n of them */
} options;

static options parse_command_line(int argc, char **argv)
{
    static const struct option longs[] = {CLI_STD_LONG};
    int ch;
    while ((ch = getopt_long(argc, argv, CLI_STD_SHORT, longs, NULL)) != -1)
        cli_std_option(ch, usage);
    if (argc - optind < 2)
        cli_usage_error("expected at least two prediction streams, got %d", argc - optind);
    options o = {cli_operands(argc, argv, 2, argc, NULL, NULL), argv + optind};
    return o;
}

/* Opens input i and checks it against the first: predictions of the same shape. */
static void open_input(input *in, int i, const char *path)
{
    err e;
    in[i].name = cli_name(path);
    if (!(in[i].r = ts_open_path(path, &e)))
        cli_die_err(&e);
    const ts_header *h = ts_header_of(in[i].r), *h0 = ts_header_of(in[0].r);
    if (h->dtype != TS_F32 || h->rank != 1)
        cli_die("%s: a %s stream is not predictions (expected f32 class scores, rank 1: run predict first)",
                in[i].name, ts_dtype_name(h->dtype));
    if (h->dims[0] != h0->dims[0] || h->nclass != h0->nclass)
        cli_die("%s: %u scores per record (%u classes), but %s has %u (%u classes)", in[i].name, h->dims[0],
                h->nclass, in[0].name, h0->dims[0], h0->nclass);
    if (h->count != TS_COUNT_UNKNOWN && h0->count != TS_COUNT_UNKNOWN && h->count != h0->count)
        cli_die("%s: %llu records, but %s has %llu", in[i].name, (unsigned long long)h->count, in[0].name,
                (unsigned long long)h0->count);
    in[i].ids = malloc(BATCH * sizeof *in[i].ids);
    in[i].labels = malloc(BATCH * sizeof *in[i].labels);
    in[i].x = malloc((size_t)BATCH * h0->dims[0] * sizeof(float));
    if (!in[i].ids || !in[i].labels || !in[i].x)
        cli_die("out of memory");
}

/* Reads the next batch from every input: how many records each gave (the same for all). */
static long read_batch(input *in, int n, ts_writer *out, uint64_t done)
{
    err e;
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
    return got0;
}

/* Record r of the batch: the inputs' mean, into in[0].x (after checking id and label). */
static const float *mean_of(input *in, int n, long r, size_t k, ts_writer *out, uint64_t done)
{
    float *sum = in[0].x + (size_t)r * k;
    for (int i = 1; i < n; i++) {
        if (in[i].ids[r] != in[0].ids[r] || in[i].labels[r] != in[0].labels[r]) {
            ts_fail(out);
            cli_die("%s: record %llu is id %u label %d, but in %s id %u label %d (not the same records)", in[i].name,
                    (unsigned long long)(done + (uint64_t)r + 1), in[i].ids[r], in[i].labels[r], in[0].name,
                    in[0].ids[r], in[0].labels[r]);
        }
        const float *p = in[i].x + (size_t)r * k;
        for (size_t c = 0; c < k; c++)
            sum[c] += p[c];
    }
    for (size_t c = 0; c < k; c++)
        sum[c] /= (float)n;
    return sum;
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    input *in = calloc((size_t)o.n, sizeof *in);
    if (!in)
        cli_die("out of memory");
    for (int i = 0; i < o.n; i++)
        open_input(in, i, o.paths[i]);
    ts_header oh = *ts_header_of(in[0].r);
    for (int i = 1; i < o.n; i++)
        if (ts_header_of(in[i].r)->count != oh.count)
            oh.count = TS_COUNT_UNKNOWN;
    err e;
    ts_writer *out = ts_create(stdout, "<stdout>", &oh, &e);
    if (!out)
        cli_die_err(&e);
    uint64_t done = 0;
    for (long got; (got = read_batch(in, o.n, out, done)) > 0; done += (uint64_t)got)
        for (long r = 0; r < got; r++)
            if (ts_write(out, in[0].ids[r], in[0].labels[r], mean_of(in, o.n, r, oh.dims[0], out, done), &e) < 0)
                cli_die_err(&e);
    if (ts_finish(out, &e) < 0)
        cli_die_err(&e);
    for (int i = 0; i < o.n; i++) {
        ts_close(in[i].r);
        free(in[i].ids), free(in[i].labels), free(in[i].x);
    }
    free(in);
    return 0;
}
