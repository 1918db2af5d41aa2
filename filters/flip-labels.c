/* flip-labels - make labels wrong on purpose, reproducibly: synthetic label
 * noise for measuring how well wrong labels are found (flag --label-issues).
 *
 * Whether a record is flipped, and to what, depends only on the seed and its
 * id (a counter-based hash, lib/rng.h), so the filter streams, and a record
 * gets the same fate whatever else is in the stream or in which order.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "cli.h"
#include "rng.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: flip-labels [OPTION]... [FILE]\n"
    "Copy a labelled tensor stream with some labels changed to another class, and say which.\n"
    "With no FILE, or FILE '-', read stdin.\n"
    "\n"
    "  -r, --rate R        chance that a record's label is flipped, 0..1 (required)\n"
    "  -s, --seed N        random seed: the same seed flips the same records on any machine [0]\n"
    "  -p, --pairs LIST    class-conditional noise: FROM:TO pairs, e.g. 6:0,0:6 (Shirt <-> T-shirt);\n"
    "                      only records labelled FROM are flipped, each to its TO\n"
    "                      [uniform: any record, to one of the other classes at random]\n"
    "  -k, --classes N     number of classes for uniform noise [the stream's header]\n"
    "  -o, --output FILE   the stream with the flipped labels (written atomically) [stdout]\n"
    "  -f, --flipped FILE  write the ids of the flipped records to FILE, one a line, in stream\n"
    "                      order (written atomically) [not written]\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Each record is flipped with probability R, decided by a hash of (seed, id), so the count is\n"
    "about R x records (binomial), not exact. Ids and images are copied unchanged. flip-labels\n"
    "says on stderr how many labels it flipped.\n"
    "Example: flip-labels --rate 0.05 --seed 1 --flipped flipped.txt < train.ts > noisy.ts\n";

#define MAX_CLASSES 65535

typedef struct options {
    double rate;
    int have_rate;
    uint64_t seed;
    long classes;
    int npairs;
    int32_t pair_to[MAX_CLASSES + 1]; /* -1: not a source */
    const char *output, *flipped, *path;
} options;

static void parse_pairs(options *o, const char *s)
{
    char buf[1024];
    if (strlen(s) >= sizeof buf)
        cli_usage_error("--pairs: list too long");
    strcpy(buf, s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *colon = strchr(tok, ':');
        if (!colon)
            cli_usage_error("--pairs: expected FROM:TO, got '%s'", tok);
        *colon = '\0';
        long from = cli_long("--pairs", tok, 0, MAX_CLASSES - 1), to = cli_long("--pairs", colon + 1, 0, MAX_CLASSES - 1);
        if (from == to)
            cli_usage_error("--pairs: %ld:%ld flips a class to itself", from, to);
        if (o->pair_to[from] >= 0)
            cli_usage_error("--pairs: class %ld is flipped twice", from);
        o->pair_to[from] = (int32_t)to;
        o->npairs++;
    }
    if (o->npairs == 0)
        cli_usage_error("--pairs: expected FROM:TO pairs, e.g. 6:0,0:6");
}

static void parse_command_line(options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i <= MAX_CLASSES; i++)
        o->pair_to[i] = -1;
    o->output = "-";
    static const struct option longs[] = {
        {"rate", required_argument, 0, 'r'},    {"seed", required_argument, 0, 's'},
        {"pairs", required_argument, 0, 'p'},   {"classes", required_argument, 0, 'k'},
        {"output", required_argument, 0, 'o'},  {"flipped", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},          {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "r:s:p:k:o:f:hV", longs, NULL)) != -1) {
        switch (ch) {
        case 'r': o->rate = cli_double("--rate", optarg, 0, 1); o->have_rate = 1; break;
        case 's': o->seed = (uint64_t)cli_long("--seed", optarg, 0, 0x7fffffffffffffffL); break;
        case 'p': parse_pairs(o, optarg); break;
        case 'k': o->classes = cli_long("--classes", optarg, 2, MAX_CLASSES); break;
        case 'o': o->output = optarg; break;
        case 'f': o->flipped = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    if (argc - optind > 1)
        cli_usage_error("too many arguments (one input file at most)");
    o->path = optind < argc ? argv[optind] : NULL;
    if (!o->have_rate)
        cli_usage_error("say how many labels to flip: --rate R");
    if (!*o->output || (o->flipped && !*o->flipped))
        cli_usage_error("empty output file name");
    if (o->flipped && strcmp(o->flipped, "-") == 0 && strcmp(o->output, "-") == 0)
        cli_usage_error("--flipped -: stdout gets the stream; send that to a file with -o FILE");
}

/* The new label of record id, or its own label if it is not flipped. */
static int32_t flip(const options *o, uint32_t id, int32_t label, long k)
{
    if (label < 0)
        return label;
    if (o->npairs && o->pair_to[label] < 0)
        return label;
    /* rate 1 must flip every record: compare 53 random bits with R */
    double u = (double)(rng_hash(o->seed, id) >> 11) / 9007199254740992.0;
    if (!(u < o->rate))
        return label;
    if (o->npairs)
        return o->pair_to[label];
    int32_t to = (int32_t)(rng_hash(o->seed ^ 0x5bd1e995ULL, id) % (uint64_t)(k - 1)); /* one of the k-1 others */
    return to >= label ? to + 1 : to;
}

/* The class count to flip among; --classes and --pairs checked against the header. */
static long class_count(const options *o, const ts_header *h, const char *name)
{
    long k = o->classes ? o->classes : h->nclass;
    if (!o->npairs && k < 2)
        cli_die("%s: the header states no class count (%u): give --classes N", name, h->nclass);
    if (o->classes && h->nclass && o->classes != h->nclass)
        cli_die("%s: --classes %ld, but the header says %u classes", name, o->classes, h->nclass);
    for (long c = 0; h->nclass && c <= MAX_CLASSES; c++)
        if (o->pair_to[c] >= (int32_t)h->nclass || (o->pair_to[c] >= 0 && c >= h->nclass))
            cli_die("%s: --pairs %ld:%d: the stream has %u classes (0..%u)", name, c, (int)o->pair_to[c], h->nclass,
                    h->nclass - 1);
    return k;
}

/* Copies rd to w with the labels flipped, each flipped id a line of ids (NULL: none);
 * counts the records in *n and the flips in *flipped. -1 with e on a bad record or write. */
static int flip_records(const options *o, ts_reader *rd, ts_writer *w, FILE *ids, long k, unsigned char *rec,
                        size_t *n, size_t *flipped, err *e)
{
    uint32_t id;
    int32_t label;
    long got;
    while ((got = ts_read(rd, 1, &id, &label, rec, e)) == 1) {
        ++*n;
        if (label >= k && !o->npairs)
            return err_set(e, "%s: record %zu: label %d out of range (0..%ld)", cli_name(o->path), *n, (int)label,
                           k - 1);
        int32_t to = flip(o, id, label, k);
        if (to != label) {
            ++*flipped;
            if (ids)
                fprintf(ids, "%u\n", id);
        }
        if (ts_write(w, id, to, rec, e) < 0)
            return -1;
    }
    return got < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    cli_init(argv);
    static options o; /* static: the pair table is 256 KB */
    parse_command_line(&o, argc, argv);
    err e;
    const char *outs[] = {o.output, o.flipped}, *ins[] = {o.path ? o.path : "-"};
    if (check_not_inputs(outs, 2, ins, 1, &e) < 0)
        cli_die_err(&e);
    static ts_reader *rd; /* static, as rec below: reachable when cli_die exits (quiet leak checkers) */
    if (!(rd = ts_open_path(o.path, &e)))
        cli_die_err(&e);
    ts_header h = *ts_header_of(rd);
    long k = class_count(&o, &h, cli_name(o.path));
    static unsigned char *rec;
    if (!(rec = malloc(ts_payload_bytes(&h))))
        cli_die("out of memory");
    atomic_file out, ids;
    if (af_open(&out, o.output, &e) < 0)
        cli_die_err(&e);
    if (o.flipped && af_open(&ids, o.flipped, &e) < 0) {
        af_discard(&out);
        cli_die_err(&e);
    }
    ts_writer *w = ts_create(out.f, out.path, &h, &e);
    if (!w)
        goto fail;
    size_t n = 0, flipped = 0;
    if (flip_records(&o, rd, w, o.flipped ? ids.f : NULL, k, rec, &n, &flipped, &e) < 0) {
        if (out.is_stdout)
            ts_fail(w); /* the records so far must not pass for a whole stream */
        else
            ts_abandon(w);
        goto fail;
    }
    if (ts_finish(w, &e) < 0 || (o.flipped && af_commit(&ids, &e) < 0))
        goto fail;
    if (af_commit(&out, &e) < 0) {
        if (o.flipped && !ids.is_stdout)
            unlink(o.flipped); /* no list of flips without the stream they describe */
        cli_die_err(&e);
    }
    ts_close(rd);
    free(rec);
    fprintf(stderr, "%s: flipped %zu of %zu labels (%.2f %%)\n", cli_prog, flipped, n,
            n ? 100.0 * (double)flipped / (double)n : 0.0);
    return 0;
fail:
    if (o.flipped)
        af_discard(&ids);
    af_discard(&out);
    cli_die_err(&e);
}
