/* tmerge - merge tensor streams that are each in id order into one stream
 * in id order: the K held-out folds of a cross-validation (each a
 * subsequence of an input sorted by id) joined back in the input's order.
 *
 * It streams: one record of each input in memory at a time.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: tmerge [OPTION]... FILE...\n"
    "Merge tensor streams whose records are each in increasing id order into one stream in\n"
    "increasing id order (the held-out folds of pipelines/crossval, joined back). Ids, labels\n"
    "and payloads are copied unchanged. FILE '-' is stdin, once at most.\n"
    "\n"
    "  -o, --output FILE   write the merged stream to FILE (atomically) ('-' = stdout) [-]\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Every input must have the same shape, element type and class count, or nothing is written.\n"
    "An input whose ids go down, or an id found in two inputs, is an error: the stream written\n"
    "so far then ends with a partial record (a file output is removed), so no reader takes it\n"
    "for a whole stream.\n"
    "\n"
    "Example: tmerge fold1.preds fold2.preds fold3.preds > all.preds\n";

typedef struct input {
    const char *name;
    ts_reader *rd;
    uint32_t id;
    int32_t label;
    unsigned char *rec;
    int live;            /* a record is waiting in id/label/rec */
    unsigned long long n; /* records read */
} input;

static void parse_command_line(int argc, char **argv, const char **out)
{
    static const struct option longs[] = {
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int ch;
    *out = "-";
    while ((ch = getopt_long(argc, argv, "o:hV", longs, NULL)) != -1) {
        switch (ch) {
        case 'o': *out = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    if (optind == argc)
        cli_usage_error("no input files (give the streams to merge)");
    int nstdin = 0;
    for (int i = optind; i < argc; i++)
        nstdin += strcmp(argv[i], "-") == 0;
    if (nstdin > 1)
        cli_usage_error("stdin ('-') can be read once only");
    if (!**out)
        cli_usage_error("empty output file name");
}

/* Reads the next record of in; -1 with e set on a read error or an id out of order. */
static int advance(input *in, err *e)
{
    uint32_t prev = in->id;
    long got = ts_read(in->rd, 1, &in->id, &in->label, in->rec, e);
    if (got < 0)
        return -1;
    in->live = got == 1;
    if (in->live && in->n++ > 0 && in->id <= prev)
        return err_set(e, "%s: record %llu: id %u after id %u (not in increasing id order)", in->name, in->n,
                       in->id, prev);
    return 0;
}

/* Opens the m inputs; their common header, with the summed count, is *h. */
static void open_inputs(input *in, int m, char **paths, ts_header *h)
{
    err e;
    uint64_t total = 0;
    for (int i = 0; i < m; i++) {
        in[i].name = cli_name(paths[i]);
        if (!(in[i].rd = ts_open_path(paths[i], &e)))
            cli_die_err(&e);
        const ts_header *hi = ts_header_of(in[i].rd);
        char a[64], b[64];
        if (i == 0)
            *h = *hi;
        else if (!ts_same_shape(h, hi) || h->nclass != hi->nclass)
            cli_die("%s: %s with %u classes, but %s is %s with %u classes", in[i].name,
                    ts_shape_str(hi, a, sizeof a), hi->nclass, in[0].name, ts_shape_str(h, b, sizeof b), h->nclass);
        total = total == TS_COUNT_UNKNOWN || hi->count == TS_COUNT_UNKNOWN ? TS_COUNT_UNKNOWN : total + hi->count;
        if (!(in[i].rec = malloc(ts_payload_bytes(hi))))
            cli_die("out of memory");
    }
    h->count = total;
}

/* Writes the records of every input to w, the lowest id first; an id twice is an error. */
static int merge_by_id(input *in, int m, ts_writer *w, err *e)
{
    int rc = 0;
    for (int i = 0; i < m && rc == 0; i++)
        rc = advance(&in[i], e);
    uint32_t last = 0;
    int any = 0, last_from = -1;
    while (rc == 0) {
        int best = -1;
        for (int i = 0; i < m; i++)
            if (in[i].live && (best < 0 || in[i].id < in[best].id))
                best = i;
        if (best < 0)
            break;
        if (any && in[best].id == last)
            return err_set(e, "%s: record %llu: id %u is also in %s", in[best].name, in[best].n, last,
                           in[last_from].name);
        if ((rc = ts_write(w, in[best].id, in[best].label, in[best].rec, e)) < 0)
            break;
        any = 1, last = in[best].id, last_from = best;
        rc = advance(&in[best], e);
    }
    return rc;
}

int main(int argc, char **argv)
{
    cli_init(argv);
    const char *out;
    parse_command_line(argc, argv, &out);
    int m = argc - optind;
    static input *in; /* static: reachable when cli_die exits (quiet leak checkers) */
    in = calloc((size_t)m, sizeof *in);
    if (!in)
        cli_die("out of memory");
    err e;
    const char *outs[] = {out};
    if (check_not_inputs(outs, 1, (const char *const *)argv + optind, (size_t)m, &e) < 0)
        cli_die_err(&e);
    ts_header h;
    open_inputs(in, m, argv + optind, &h);
    atomic_file af;
    if (af_open(&af, out, &e) < 0)
        cli_die_err(&e);
    ts_writer *w = ts_create(af.f, af.path, &h, &e);
    if (!w) {
        af_discard(&af);
        cli_die_err(&e);
    }
    if (merge_by_id(in, m, w, &e) < 0) {
        if (af.is_stdout)
            ts_fail(w);
        else
            ts_abandon(w);
        af_discard(&af);
        cli_die_err(&e);
    }
    if (ts_finish(w, &e) < 0 || af_commit(&af, &e) < 0) {
        af_discard(&af);
        cli_die_err(&e);
    }
    for (int i = 0; i < m; i++) {
        ts_close(in[i].rd);
        free(in[i].rec);
    }
    free(in);
    return 0;
}
