/* tcat - concatenate tensor streams: the shards of a parallel run, joined in order.
 *
 * Two streams cannot simply be cat'ed: the second header would be read as a
 * record. tcat checks that every input has the same record shape, element
 * type and class count before it writes anything, then writes one header
 * (the sum of the counts when every input states its count) and the records
 * of each input in turn, unchanged: ids and labels are kept (or, with
 * --offset-ids, shifted past the records before them, for chunks of one CSV
 * converted separately).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: tcat [OPTION]... [FILE]...\n"
    "Concatenate tensor streams: write the records of each FILE in turn, as one stream (the\n"
    "outputs of split --shard 1/K .. K/K, processed in parallel, joined back in order). Ids,\n"
    "labels and payloads are copied unchanged. With no FILE, read stdin; FILE '-' is stdin, once.\n"
    "\n"
    "  -o, --output FILE   write the joined stream to FILE ('-' = stdout) [-]\n"
    "  -i, --offset-ids    add to each input's ids the number of records before it: streams\n"
    "                      made separately from consecutive chunks of one CSV (ids from 0 in\n"
    "                      each) get the ids one csv2tensor run over the whole CSV gives [off]\n" CLI_STD_HELP
    "\n"
    "Every input must have the same shape, element type and class count (nclass), or nothing is\n"
    "written. The output header states the total count when every input states its own;\n"
    "otherwise it is patched in when the output is a regular file. Each input's records are\n"
    "checked as they are read (truncation, labels, the count), as every reader does. An output\n"
    "file appears only when the whole stream was good, and never replaces an input.\n"
    "\n"
    "Example: tcat part1.ts part2.ts part3.ts | confmat\n";

typedef struct options {
    const char *out;
    int offset_ids;
    const char *const *paths; /* [npaths]; "-" once at most */
    int npaths;
} options;

static const char *const stdin_only[] = {"-"};

static options parse_command_line(int argc, char **argv)
{
    options o = {"-", 0, stdin_only, 1};
    static const struct option longs[] = {
        {"output", required_argument, 0, 'o'},
        {"offset-ids", no_argument, 0, 'i'},
        CLI_STD_LONG,
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "o:i" CLI_STD_SHORT, longs, NULL)) != -1)
        switch (ch) {
        case 'o': o.out = optarg; break;
        case 'i': o.offset_ids = 1; break;
        default: cli_std_option(ch, usage);
        }
    if (!*o.out)
        cli_usage_error("empty output file name");
    if (cli_operands(argc, argv, 0, argc, NULL, NULL) > 0) {
        o.paths = (const char *const *)argv + optind;
        o.npaths = argc - optind;
    }
    return o;
}

typedef struct input {
    const char *name;
    ts_reader *r;
} input;

/* Open every input and check its header against the first; the output's
 * header is the first's, with the total count if every count is known. */
static input *open_inputs(const options *o, ts_header *out, err *e)
{
    input *in = calloc((size_t)o->npaths, sizeof *in);
    if (!in) {
        err_set(e, "out of memory");
        return NULL;
    }
    char want[64], got[64];
    for (int i = 0; i < o->npaths; i++) {
        in[i].name = cli_name(o->paths[i]);
        if (!(in[i].r = ts_open_path(o->paths[i], e)))
            return NULL; /* main exits: the other inputs need no closing */
        const ts_header *h = ts_header_of(in[i].r);
        if (i == 0) {
            *out = *h;
            continue;
        }
        if (!ts_same_shape(h, out)) {
            err_set(e, "%s: records of %s, but %s has %s (one stream holds one shape)", in[i].name,
                    ts_shape_str(h, got, sizeof got), in[0].name, ts_shape_str(out, want, sizeof want));
            return NULL;
        }
        if (h->nclass != out->nclass) {
            err_set(e, "%s: nclass %u, but %s has %u (not streams of the same classes)", in[i].name, h->nclass,
                    in[0].name, out->nclass);
            return NULL;
        }
        if (h->count == TS_COUNT_UNKNOWN || out->count == TS_COUNT_UNKNOWN || h->count > UINT64_MAX - 1 - out->count)
            out->count = TS_COUNT_UNKNOWN;
        else
            out->count += h->count;
    }
    return in;
}

/* Copy every record of input `in` to w, its ids plus `offset` (0: kept). */
static int copy_stream(const input *in, uint64_t offset, ts_writer *w, unsigned char *buf, size_t batch, err *e)
{
    static uint32_t ids[256];
    static int32_t labels[256];
    const size_t bytes = ts_payload_bytes(ts_header_of(in->r));
    long got;
    while ((got = ts_read(in->r, batch, ids, labels, buf, e)) > 0)
        for (long i = 0; i < got; i++) {
            if (ids[i] + offset > UINT32_MAX)
                return err_set(e, "%s: record %llu: id %u + %llu records before it is past the largest id (%u)",
                               in->name, (unsigned long long)(ts_records_read(in->r) - (uint64_t)(got - i) + 1),
                               ids[i], (unsigned long long)offset, UINT32_MAX);
            if (ts_write(w, (uint32_t)(ids[i] + offset), labels[i], buf + (size_t)i * bytes, e) < 0)
                return -1;
        }
    return got < 0 ? -1 : 0;
}

/* After an error: no file left behind; stdout ends with a partial record. */
static void fail(atomic_file *af, ts_writer *w, const err *e)
{
    if (af->is_stdout) {
        ts_fail(w);
    } else {
        ts_abandon(w);
        af_discard(af);
    }
    cli_die_err(e);
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    err e;
    ts_header h;
    input *in = open_inputs(&o, &h, &e);
    if (!in)
        cli_die_err(&e);
    /* 256 records a batch, but no more than 16 MiB of payload */
    const size_t bytes = ts_payload_bytes(&h);
    size_t batch = bytes > (16u << 20) / 256 ? ((16u << 20) / bytes ? (16u << 20) / bytes : 1) : 256;
    unsigned char *buf = malloc(batch * bytes);
    if (!buf)
        cli_die("out of memory");
    atomic_file af;
    cli_open_output(&af, o.out, o.paths, (size_t)o.npaths);
    ts_writer *w = ts_create(af.f, af.is_stdout ? "<stdout>" : o.out, &h, &e);
    if (!w) {
        af_discard(&af);
        cli_die_err(&e);
    }
    for (int i = 0; i < o.npaths; i++) {
        if (copy_stream(&in[i], o.offset_ids ? ts_records_written(w) : 0, w, buf, batch, &e) < 0)
            fail(&af, w, &e);
        ts_close(in[i].r);
    }
    if (ts_finish(w, &e) < 0) {
        if (!af.is_stdout)
            af_discard(&af);
        cli_die_err(&e);
    }
    cli_commit_output(&af);
    free(buf);
    free(in);
    return 0;
}
