/* split - split a tensor stream in two, deterministically: by a ratio
 * (stratified by label), the first N records, a random sample of N, one
 * fold of K (stratified, for cross-validation), or one shard of K (a
 * contiguous range, for parallel jobs).
 *
 * The ratio, sample and fold modes read the whole stream into memory first (the
 * 60,000-image training set is 47 MB), so that the split is exact and
 * stratified however the input arrives (pipe or file), and so that no output
 * file is even created before the input has been read without error.
 * --head streams and keeps nothing in memory; so does --shard when the header
 * states the count (it seeks in a file, reads and skips on a pipe).
 */
#include <errno.h>
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
    "                      selected records (--head, --sample, --fold, --shard); '-' = stdout [-]\n"
    "  -O, --other FILE    the other records: the held-out share (--ratio), or the records\n"
    "                      not selected (--head, --sample, --fold) [not written; needed with\n"
    "                      --ratio]\n"
    "  -r, --ratio R       share of the records held out to --other, 0..1 [0.1]\n"
    "  -n, --head N        select the first N records (all if fewer)\n"
    "  -m, --sample N      select N records at random (stratified unless --no-stratify)\n"
    "  -f, --fold I/K      select fold I (1..K) of K folds that together hold every record\n"
    "                      once (stratified unless --no-stratify); -O gets the other K-1\n"
    "  -k, --shard I/K     select the I-th (1..K) of K contiguous ranges of records; no -O\n"
    "  -s, --seed N        random seed: the same seed gives the same split on any machine [0]\n"
    "  -S, --no-stratify   draw from the whole stream, not class by class\n" CLI_STD_HELP
    "\n"
    "Held-out count: round(R x records) (halves round up), or exactly N for --sample. Stratified:\n"
    "each label (and the unlabelled records as one more group) gives its share, rounded by the\n"
    "largest-remainder rule, so the total is still exact. Folds: each label's records (and the\n"
    "unlabelled ones), in a seeded random order, are dealt to folds 1, 2, .., K in turn, the deal\n"
    "going on from one label to the next; so each label is spread over the folds as evenly as it\n"
    "can be (its counts differ by at most one), and fold I holds floor(N/K) records, one more\n"
    "when I <= N mod K. The same seed and K give the same folds whatever I is. Shards: shard I\n"
    "holds records (I-1)q + min(I-1, r) + 1 onwards, q + 1 of them when I <= r, else q, where\n"
    "q = floor(N/K) and r = N mod K: so shards 1..K, joined in order (tcat), are the input. In a\n"
    "stored stream (a file whose header states the count) the shard is found by seeking, after\n"
    "the file's size is checked against the count; on a pipe the records before it are read and\n"
    "skipped; a stream of unknown length is read into memory first. Random draws use\n"
    "xoshiro256** seeded by splitmix64 (integer arithmetic only). --ratio, --sample and --fold\n"
    "read the whole input into memory before writing; outputs are written to temporary files\n"
    "and renamed into place when complete, so an error leaves no output file behind. The input\n"
    "is never overwritten.\n"
    "\n"
    "Example: csv2tensor < train.csv | split --ratio 0.1 --seed 1 -o train.ts -O val.ts\n"
    "         split --fold 2/5 --seed 1 -o val2.ts -O train2.ts train.ts\n"
    "         split --shard 3/8 -o part3.ts test.ts\n";

enum mode { RATIO, HEAD, SAMPLE, FOLD, SHARD };

typedef struct options {
    enum mode mode;
    double ratio;
    uint64_t n, seed;
    uint64_t part, parts; /* --fold or --shard I/K: part = I (1-based), parts = K */
    int stratify;
    const char *out, *other, *path;
} options;

/* ---- command line ---------------------------------------------------- */

/* "I/K" with 1 <= I <= K <= 2^31-1; anything else is a usage error naming opt. */
static void parse_part(const char *opt, const char *s, uint64_t *part, uint64_t *parts)
{
    char *slash = NULL, *end = NULL;
    unsigned long long i = 0, k = 0;
    errno = 0;
    int ok = *s >= '0' && *s <= '9';
    if (ok) {
        i = strtoull(s, &slash, 10);
        ok = *slash == '/' && slash[1] >= '0' && slash[1] <= '9';
    }
    if (ok) {
        k = strtoull(slash + 1, &end, 10);
        ok = *end == '\0' && errno == 0;
    }
    if (!ok)
        cli_usage_error("%s: expected I/K (part I of K, e.g. 2/5), got '%s'", opt, s);
    if (k < 1 || k > 0x7fffffffULL || i < 1 || i > k)
        cli_usage_error("%s: %s: need 1 <= I <= K <= 2147483647", opt, s);
    *part = i, *parts = k;
}

/* A second mode option names both: "--fold and --sample exclude each other". */
static void set_mode(options *o, enum mode m, const char *opt, const char **mode_opt)
{
    if (*mode_opt && strcmp(*mode_opt, opt) != 0)
        cli_usage_error("%s and %s exclude each other", *mode_opt, opt);
    *mode_opt = opt;
    o->mode = m;
}

static options parse_command_line(int argc, char **argv)
{
    options o = {RATIO, 0.1, 0, 0, 0, 0, 1, "-", NULL, NULL};
    int ratio_given = 0;
    const char *mode_opt = NULL; /* the mode option given, if any */
    static const struct option longs[] = {
        {"output", required_argument, 0, 'o'}, {"other", required_argument, 0, 'O'},
        {"ratio", required_argument, 0, 'r'},  {"head", required_argument, 0, 'n'},
        {"sample", required_argument, 0, 'm'}, {"fold", required_argument, 0, 'f'},
        {"shard", required_argument, 0, 'k'},  {"seed", required_argument, 0, 's'},
        {"no-stratify", no_argument, 0, 'S'},  CLI_STD_LONG,
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "o:O:r:n:m:f:k:s:S" CLI_STD_SHORT, longs, NULL)) != -1) {
        switch (ch) {
        case 'o': o.out = optarg; break;
        case 'O': o.other = optarg; break;
        case 'r':
            o.ratio = cli_double("--ratio", optarg, 0, 1);
            ratio_given = 1;
            break;
        case 'n':
            o.n = (uint64_t)cli_long("--head", optarg, 0, 0x7fffffffL);
            set_mode(&o, HEAD, "--head", &mode_opt);
            break;
        case 'm':
            o.n = (uint64_t)cli_long("--sample", optarg, 0, 0x7fffffffL);
            set_mode(&o, SAMPLE, "--sample", &mode_opt);
            break;
        case 'f':
            parse_part("--fold", optarg, &o.part, &o.parts);
            set_mode(&o, FOLD, "--fold", &mode_opt);
            break;
        case 'k':
            parse_part("--shard", optarg, &o.part, &o.parts);
            set_mode(&o, SHARD, "--shard", &mode_opt);
            break;
        case 's': o.seed = (uint64_t)cli_long("--seed", optarg, 0, 0x7fffffffffffffffL); break;
        case 'S': o.stratify = 0; break;
        default: cli_std_option(ch, usage);
        }
    }
    o.path = cli_operands(argc, argv, 0, 1, NULL, "one input file") ? argv[optind] : NULL;
    if (mode_opt && ratio_given)
        cli_usage_error("--ratio does not go with %s", mode_opt);
    if (o.mode == SHARD && o.other)
        cli_usage_error("--shard writes one output (-o); the other shards are other runs, not -O");
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

/* Shard part of parts over n records: [*start, *start + *len), floor(n/parts)
 * records each, one more for the first n mod parts shards. */
static void shard_range(uint64_t n, uint64_t part, uint64_t parts, uint64_t *start, uint64_t *len)
{
    uint64_t q = n / parts, r = n % parts, i = part - 1;
    *start = i * q + (i < r ? i : r);
    *len = q + (i < r);
}

/* ---- --head and --shard: streaming ---------------------------------------- */

/* Copy n records (or to the end, for n = UINT64_MAX) from r to out. */
static int copy_records(ts_reader *r, output *out, uint64_t n, unsigned char *rec, err *e)
{
    uint32_t id;
    int32_t label;
    long got = 1;
    for (uint64_t i = 0; i < n && (got = ts_read(r, 1, &id, &label, rec, e)) == 1; i++)
        if (output_write(out, id, label, rec, e) < 0)
            return -1;
    return got < 0 ? -1 : 0;
}

/* The header states the count: seek to the shard in a file, or read and skip
 * the records before it on a pipe; then copy it and stop reading. */
static void run_shard(const options *o, ts_reader *r)
{
    ts_header h = *ts_header_of(r);
    uint64_t start, len;
    shard_range(h.count, o->part, o->parts, &start, &len);
    h.count = len;
    unsigned char *rec = malloc(ts_payload_bytes(&h));
    output out, none = {0};
    err e;
    if (!rec)
        cli_die("out of memory");
    int sought = ts_seek(r, start, &e);
    if (sought < 0)
        cli_die_err(&e);
    if (!sought) { /* a pipe: the records before the shard are read (and checked), not kept */
        output skip = {0};
        if (copy_records(r, &skip, start, rec, &e) < 0)
            cli_die_err(&e);
    }
    if (output_open(&out, o->out, &h, &e) < 0)
        cli_die_err(&e);
    if (copy_records(r, &out, len, rec, &e) < 0 || output_finish(&out, &e) < 0 || output_commit(&out, &e) < 0)
        fail(&out, &none, &e);
    free(rec);
}

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

/* The records by group, each group's members in input order: labels 0..k-1,
 * then the unlabelled; one group of all records when not stratifying. */
typedef struct groups {
    size_t n;   /* number of groups */
    group *g;   /* [n] */
    size_t *idx; /* storage for every group's member indices */
} groups;

static void groups_free(groups *gs)
{
    free(gs->g), free(gs->idx);
    gs->g = NULL, gs->idx = NULL;
}

static int groups_make(const options *o, const records *rs, groups *gs, err *e)
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
    size_t *idx = malloc((rs->n ? rs->n : 1) * sizeof *idx);
    if (!g || !idx) {
        free(g), free(idx);
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
    gs->n = ngroups, gs->g = g, gs->idx = idx;
    return 0;
}

/* Mark `k` of the records selected (sel[i] = 1). */
static int choose(const options *o, const records *rs, size_t k, unsigned char *sel, err *e)
{
    groups gs;
    if (groups_make(o, rs, &gs, e) < 0)
        return -1;
    size_t ngroups = gs.n;
    group *g = gs.g;
    group **order = calloc(ngroups, sizeof *order);
    if (!order) {
        groups_free(&gs);
        return err_set(e, "out of memory");
    }
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
    free(order);
    groups_free(&gs);
    return 0;
}

/* Mark the records of fold o->part of o->parts selected. Each group is
 * shuffled (Fisher-Yates, groups in order) and dealt to folds 0, 1, .., K-1
 * in turn, the deal carrying on from one group to the next: every group is
 * spread as evenly as it can be, and the folds' sizes differ by at most one. */
static int choose_fold(const options *o, const records *rs, unsigned char *sel, size_t *nsel, err *e)
{
    groups gs;
    if (groups_make(o, rs, &gs, e) < 0)
        return -1;
    rng rg;
    rng_seed(&rg, o->seed);
    uint64_t fold = 0, want = o->part - 1;
    *nsel = 0;
    for (size_t c = 0; c < gs.n; c++) {
        size_t *m = gs.g[c].idx, n = gs.g[c].n;
        for (size_t i = 0; i < n; i++) {
            size_t j = i + (size_t)rng_below(&rg, n - i);
            size_t t = m[i];
            m[i] = m[j], m[j] = t;
            sel[m[i]] = fold == want;
            *nsel += fold == want;
            fold = fold + 1 == o->parts ? 0 : fold + 1;
        }
    }
    groups_free(&gs);
    return 0;
}

static void run_buffered(const options *o, ts_reader *r)
{
    records rs;
    err e;
    if (read_all(r, &rs, &e) < 0)
        cli_die_err(&e);
    static unsigned char *sel; /* static: still reachable when cli_die exits below (quiet leak checkers) */
    sel = malloc(rs.n ? rs.n : 1);
    if (!sel)
        cli_die("out of memory");
    size_t k = 0; /* how many are selected */
    if (o->mode == SHARD) { /* here only when the header did not state the count */
        uint64_t start, len;
        shard_range(rs.n, o->part, o->parts, &start, &len);
        for (size_t i = 0; i < rs.n; i++)
            sel[i] = i >= start && i - start < len;
        k = (size_t)len;
    } else if (o->mode == FOLD) {
        if (choose_fold(o, &rs, sel, &k, &e) < 0)
            cli_die_err(&e);
    } else {
        if (o->mode == SAMPLE && o->n > rs.n)
            cli_die("--sample %llu: %s has only %zu records", (unsigned long long)o->n, cli_name(o->path), rs.n);
        k = o->mode == SAMPLE ? (size_t)o->n : (size_t)(o->ratio * (double)rs.n + 0.5);
        if (k > rs.n)
            k = rs.n;
        if (choose(o, &rs, k, sel, &e) < 0)
            cli_die_err(&e);
    }
    /* --sample, --fold, --shard: selected -> -o. --ratio: selected (held out) -> -O. */
    int sel_to_first = o->mode != RATIO;
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
    ts_reader *r = ts_open_path(o.path, &e);
    if (!r)
        cli_die_err(&e);
    if (o.mode == HEAD)
        run_head(&o, r);
    else if (o.mode == SHARD && ts_header_of(r)->count != TS_COUNT_UNKNOWN)
        run_shard(&o, r);
    else
        run_buffered(&o, r);
    ts_close(r);
    return 0;
}
