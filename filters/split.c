/* split - split a tensor stream in two, deterministically: by a ratio
 * (stratified by label), the first N records, or a random sample of N.
 *
 * The ratio and sample modes read the whole stream into memory first (the
 * 60,000-image training set is 47 MB), so that the split is exact and
 * stratified however the input arrives (pipe or file), and so that no output
 * file is even created before the input has been read without error.
 * --head streams and keeps nothing in memory.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "rng.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: split [OPTION]... [FILE]\n"
    "Split a tensor stream into two streams. Ids, labels and payloads are copied unchanged and\n"
    "each output keeps the input's order. With no FILE, or FILE '-', read stdin.\n"
    "\n"
    "  -o, --output FILE   the kept records: all but the held-out share (--ratio), or the\n"
    "                      selected records (--head, --sample); '-' = stdout [-]\n"
    "  -O, --other FILE    the other records: the held-out share (--ratio), or the records\n"
    "                      not selected (--head, --sample) [not written; needed with --ratio]\n"
    "  -r, --ratio R       share of the records held out to --other, 0..1 [0.1]\n"
    "  -n, --head N        select the first N records (all if fewer)\n"
    "  -m, --sample N      select N records at random (stratified unless --no-stratify)\n"
    "  -s, --seed N        random seed: the same seed gives the same split on any machine [0]\n"
    "  -S, --no-stratify   draw from the whole stream, not class by class\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Held-out count: round(R x records) (halves round up), or exactly N for --sample. Stratified:\n"
    "each label (and the unlabelled records as one more group) gives its share, rounded by the\n"
    "largest-remainder rule, so the total is still exact. Random draws use xoshiro256** seeded by\n"
    "splitmix64 (integer arithmetic only). --ratio and --sample read the whole input into memory\n"
    "before writing; outputs are written to temporary files and renamed into place when complete,\n"
    "so an error leaves no output file behind. The input is never overwritten.\n"
    "\n"
    "Example: csv2tensor < train.csv | split --ratio 0.1 --seed 1 -o train.ts -O val.ts\n";

enum mode { RATIO, HEAD, SAMPLE };

typedef struct options {
    enum mode mode;
    double ratio;
    uint64_t n, seed;
    int stratify;
    const char *out, *other, *path;
} options;

/* ---- command line ---------------------------------------------------- */

static options parse_command_line(int argc, char **argv)
{
    options o = {RATIO, 0.1, 0, 0, 1, "-", NULL, NULL};
    int ratio_given = 0, modes = 0;
    static const struct option longs[] = {
        {"output", required_argument, 0, 'o'}, {"other", required_argument, 0, 'O'},
        {"ratio", required_argument, 0, 'r'},  {"head", required_argument, 0, 'n'},
        {"sample", required_argument, 0, 'm'}, {"seed", required_argument, 0, 's'},
        {"no-stratify", no_argument, 0, 'S'},  {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},      {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "o:O:r:n:m:s:ShV", longs, NULL)) != -1) {
        switch (ch) {
        case 'o': o.out = optarg; break;
        case 'O': o.other = optarg; break;
        case 'r':
            o.ratio = cli_double("--ratio", optarg, 0, 1);
            ratio_given = 1;
            break;
        case 'n':
            o.n = (uint64_t)cli_long("--head", optarg, 0, 0x7fffffffL);
            o.mode = HEAD, modes++;
            break;
        case 'm':
            o.n = (uint64_t)cli_long("--sample", optarg, 0, 0x7fffffffL);
            o.mode = SAMPLE, modes++;
            break;
        case 's': o.seed = (uint64_t)cli_long("--seed", optarg, 0, 0x7fffffffffffffffL); break;
        case 'S': o.stratify = 0; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    if (argc - optind > 1)
        cli_usage_error("too many arguments (one input file at most)");
    o.path = optind < argc ? argv[optind] : NULL;
    if (modes > 1)
        cli_usage_error("--head and --sample exclude each other");
    if (modes && ratio_given)
        cli_usage_error("--ratio does not go with --head or --sample");
    if (o.mode == RATIO && !o.other)
        cli_usage_error(ratio_given ? "--ratio needs -O FILE for the held-out records"
                                    : "the default split (--ratio 0.1) needs -O FILE for the held-out records; "
                                      "--head N or --sample N take the first or a random N");
    if (!*o.out || (o.other && !*o.other))
        cli_usage_error("empty output file name");
    if (o.other && strcmp(o.out, "-") == 0 && strcmp(o.other, "-") == 0)
        cli_usage_error("-o and -O cannot both be stdout (-o is stdout when not given)");
    return o;
}

/* Refuse to write over the input, or both outputs into one file. */
static void check_paths(const options *o)
{
    const char *outs[2] = {o->out, o->other}, *ins[1] = {o->path ? o->path : "-"};
    err e;
    if (check_not_inputs(outs, 2, ins, 1, &e) < 0)
        cli_die_err(&e);
}

/* ---- outputs: atomic files, or stdout --------------------------------- */

typedef struct output {
    const char *path; /* NULL: not written */
    atomic_file af;   /* "-" is stdout (atomic_file.h) */
    ts_writer *w;
} output;

static int output_open(output *out, const char *path, const ts_header *h, err *e)
{
    memset(out, 0, sizeof *out);
    out->path = path;
    if (!path)
        return 0;
    if (af_open(&out->af, path, e) < 0)
        return -1;
    out->w = ts_create(out->af.f, out->af.path, h, e);
    if (!out->w) {
        af_discard(&out->af);
        out->path = NULL;
        return -1;
    }
    return 0;
}

static int output_write(output *out, uint32_t id, int32_t label, const void *data, err *e)
{
    return out->w ? ts_write(out->w, id, label, data, e) : 0;
}

/* Completes the stream; the file is renamed into place by output_commit. */
static int output_finish(output *out, err *e)
{
    if (!out->w)
        return 0;
    int rc = ts_finish(out->w, e);
    out->w = NULL;
    if (rc < 0) {
        af_discard(&out->af);
        out->path = NULL;
    }
    return rc;
}

static int output_commit(output *out, err *e)
{
    if (!out->path)
        return 0;
    out->path = NULL;
    return af_commit(&out->af, e);
}

/* After an error: no file left behind; stdout ends with a partial record. */
static void output_fail(output *out)
{
    if (out->w) {
        if (out->af.is_stdout)
            ts_fail(out->w);
        else
            ts_abandon(out->w);
        out->w = NULL;
    }
    if (out->path)
        af_discard(&out->af);
    out->path = NULL;
}

static void fail(output *a, output *b, const err *e)
{
    output_fail(a);
    output_fail(b);
    cli_die_err(e);
}

/* ---- --head: streaming ------------------------------------------------- */

static void run_head(const options *o, ts_reader *r)
{
    ts_header h = *ts_header_of(r);
    h.count = TS_COUNT_UNKNOWN; /* patched in when the output is a file */
    size_t bytes = ts_payload_bytes(&h);
    unsigned char *rec = malloc(bytes);
    output first, second;
    err e;
    if (!rec)
        cli_die("out of memory");
    if (output_open(&first, o->out, &h, &e) < 0)
        cli_die_err(&e);
    if (output_open(&second, o->other, &h, &e) < 0)
        fail(&first, &second, &e);
    uint32_t id;
    int32_t label;
    long got = 0;
    uint64_t i = 0;
    while ((o->other || i < o->n) && (got = ts_read(r, 1, &id, &label, rec, &e)) == 1) {
        if (output_write(i < o->n ? &first : &second, id, label, rec, &e) < 0)
            fail(&first, &second, &e);
        i++;
    }
    if ((o->other || i < o->n) && got < 0)
        fail(&first, &second, &e);
    if (output_finish(&first, &e) < 0 || output_finish(&second, &e) < 0 || output_commit(&first, &e) < 0 ||
        output_commit(&second, &e) < 0)
        fail(&first, &second, &e);
    free(rec);
}

/* ---- --ratio and --sample: whole stream in memory ----------------------- */

typedef struct records {
    size_t n, cap, bytes; /* bytes: payload per record */
    uint32_t *ids;
    int32_t *labels;
    unsigned char *data;  /* (n, bytes) */
} records;

static int read_all(ts_reader *r, records *rs, err *e)
{
    const ts_header *h = ts_header_of(r);
    memset(rs, 0, sizeof *rs);
    rs->bytes = ts_payload_bytes(h);
    for (;;) {
        if (rs->n == rs->cap) {
            size_t cap = rs->cap ? rs->cap * 2 : 1024;
            /* sized from the header's count, but no further than 65,536 records: a
             * damaged count must not make us allocate what the data does not hold */
            if (rs->cap == 0 && h->count != TS_COUNT_UNKNOWN && h->count < 65536)
                cap = (size_t)h->count + 1; /* +1: the read that finds the end */
            else if (rs->cap == 0 && h->count != TS_COUNT_UNKNOWN)
                cap = 65536;
            if (cap > SIZE_MAX / (rs->bytes + 8))
                return err_set(e, "out of memory");
            uint32_t *ids = realloc(rs->ids, cap * sizeof *ids);
            if (ids)
                rs->ids = ids;
            int32_t *labels = realloc(rs->labels, cap * sizeof *labels);
            if (labels)
                rs->labels = labels;
            unsigned char *data = realloc(rs->data, cap * rs->bytes);
            if (data)
                rs->data = data;
            if (!ids || !labels || !data)
                return err_set(e, "out of memory after %zu records", rs->n);
            rs->cap = cap;
        }
        long got = ts_read(r, rs->cap - rs->n, rs->ids + rs->n, rs->labels + rs->n, rs->data + rs->n * rs->bytes, e);
        if (got < 0)
            return -1;
        if (got == 0)
            return 0;
        rs->n += (size_t)got;
    }
}

/* Groups for stratification: labels 0..k-1 in order, unlabelled last. */
typedef struct group {
    size_t n, take, rem; /* members, how many to select, remainder for rounding */
    size_t *idx;         /* member record indices, input order */
} group;

static int cmp_remainder(const void *a, const void *b)
{
    const group *x = *(group *const *)a, *y = *(group *const *)b;
    if (x->rem != y->rem)
        return x->rem < y->rem ? 1 : -1; /* larger remainder first */
    return x < y ? -1 : x > y;           /* then group order: deterministic */
}

/* Mark `k` of the records selected (sel[i] = 1). */
static int choose(const options *o, const records *rs, size_t k, unsigned char *sel, err *e)
{
    size_t ngroups = 1;
    if (o->stratify)
        for (size_t i = 0; i < rs->n; i++)
            if ((size_t)rs->labels[i] + 2 > ngroups)
                ngroups = (size_t)rs->labels[i] + 2; /* label L -> group L; unlabelled -> last */
    if (ngroups > 65537) /* labels beyond 65535 only when the header states no class count */
        return err_set(e, "%s: labels up to %zu: too many classes to stratify (use --no-stratify)",
                       cli_name(o->path), ngroups - 2);
    group *g = calloc(ngroups, sizeof *g);
    group **order = calloc(ngroups, sizeof *order);
    size_t *idx = malloc((rs->n ? rs->n : 1) * sizeof *idx);
    if (!g || !order || !idx) {
        free(g), free(order), free(idx);
        return err_set(e, "out of memory");
    }
#define GROUP_OF(i) (o->stratify ? (rs->labels[i] < 0 ? ngroups - 1 : (size_t)rs->labels[i]) : 0)
    for (size_t i = 0; i < rs->n; i++)
        g[GROUP_OF(i)].n++;
    size_t off = 0;
    for (size_t c = 0; c < ngroups; c++) {
        g[c].idx = idx + off;
        off += g[c].n;
        g[c].n = 0;
    }
    for (size_t i = 0; i < rs->n; i++) {
        group *gi = &g[GROUP_OF(i)];
        gi->idx[gi->n++] = i;
    }
#undef GROUP_OF
    /* Quotas: floor(k * n_c / N), then the largest remainders get one more. */
    size_t given = 0;
    for (size_t c = 0; c < ngroups; c++) {
        unsigned __int128 q = (unsigned __int128)k * g[c].n;
        g[c].take = rs->n ? (size_t)(q / rs->n) : 0;
        g[c].rem = rs->n ? (size_t)(q % rs->n) : 0;
        given += g[c].take;
        order[c] = &g[c];
    }
    qsort(order, ngroups, sizeof *order, cmp_remainder);
    for (size_t c = 0; given < k && c < ngroups; c++, given++)
        order[c]->take++;
    /* Partial Fisher-Yates within each group, groups in order. */
    rng rg;
    rng_seed(&rg, o->seed);
    memset(sel, 0, rs->n);
    for (size_t c = 0; c < ngroups; c++) {
        size_t *m = g[c].idx;
        for (size_t i = 0; i < g[c].take; i++) {
            size_t j = i + (size_t)rng_below(&rg, g[c].n - i);
            size_t t = m[i];
            m[i] = m[j], m[j] = t;
            sel[m[i]] = 1;
        }
    }
    free(g), free(order), free(idx);
    return 0;
}

static void run_buffered(const options *o, ts_reader *r)
{
    records rs;
    err e;
    if (read_all(r, &rs, &e) < 0)
        cli_die_err(&e);
    size_t k;
    if (o->mode == SAMPLE) {
        if (o->n > rs.n)
            cli_die("--sample %llu: %s has only %zu records", (unsigned long long)o->n, cli_name(o->path), rs.n);
        k = (size_t)o->n;
    } else {
        k = (size_t)(o->ratio * (double)rs.n + 0.5);
        if (k > rs.n)
            k = rs.n;
    }
    static unsigned char *sel; /* static: still reachable when cli_die exits below (quiet leak checkers) */
    sel = malloc(rs.n ? rs.n : 1);
    if (!sel)
        cli_die("out of memory");
    if (choose(o, &rs, k, sel, &e) < 0)
        cli_die_err(&e);
    /* --sample: selected -> -o. --ratio: selected (held out) -> -O. */
    int sel_to_first = o->mode == SAMPLE;
    ts_header h1 = *ts_header_of(r), h2 = h1;
    h1.count = sel_to_first ? k : rs.n - k;
    h2.count = rs.n - h1.count;
    output first, second;
    if (output_open(&first, o->out, &h1, &e) < 0)
        cli_die_err(&e);
    if (output_open(&second, o->other, &h2, &e) < 0)
        fail(&first, &second, &e);
    for (size_t i = 0; i < rs.n; i++) {
        output *to = (sel[i] != 0) == sel_to_first ? &first : &second;
        if (output_write(to, rs.ids[i], rs.labels[i], rs.data + i * rs.bytes, &e) < 0)
            fail(&first, &second, &e);
    }
    if (output_finish(&first, &e) < 0 || output_finish(&second, &e) < 0 || output_commit(&first, &e) < 0 ||
        output_commit(&second, &e) < 0)
        fail(&first, &second, &e);
    free(sel);
    free(rs.ids), free(rs.labels), free(rs.data);
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    check_paths(&o);
    err e;
    FILE *f = ts_fopen_in(o.path, &e);
    if (!f)
        cli_die_err(&e);
    ts_reader *r = ts_open(f, cli_name(o.path), &e);
    if (!r)
        cli_die_err(&e);
    if (o.mode == HEAD)
        run_head(&o, r);
    else
        run_buffered(&o, r);
    ts_close(r);
    if (f != stdin)
        fclose(f);
    return 0;
}
