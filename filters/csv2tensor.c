/* csv2tensor - Kaggle-layout image CSV (plain or gzip) to a tensor stream. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "classes.h"
#include "cli.h"
#include "csv_images.h"
#include "gz_input.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: csv2tensor [OPTION]... [FILE]\n"
    "Convert an image CSV (label,pixel1,...,pixelN; plain or gzip) to a tensor stream on stdout.\n"
    "With no FILE, or FILE '-', read stdin. A header row and a UTF-8 BOM are detected.\n"
    "Record ids are 0-based data-row numbers (the header row is not counted).\n"
    "A header row alone gives an empty stream (a header, no records); no rows at all is an error.\n"
    "Pixel columns named pixel1..pixelN (or 0..N-1) are read by name: in another order (as\n"
    "sorted as text: pixel1, pixel10, pixel100, ...) each goes to its pixel, with a warning;\n"
    "an unknown or repeated name is an error. Other names are taken in file order.\n"
    "\n"
    "  -s, --shape HxWxC   image shape [28x28x1]\n"
    "  -k, --classes N     labels must be 0..N-1 [10]\n"
    "  -l, --labels        the first column is a label (default: detect from the field count)\n"
    "  -L, --no-labels     there is no label column\n" CLI_STD_HELP
    "\n"
    "Example: csv2tensor < fashion-mnist_test.csv | predict model.bin | confmat\n";

typedef struct options {
    uint32_t h, w, c, nclass;
    int labels;
    const char *path;
} options;

/* One size of --shape: digits only (sscanf's %u took signs and wrapped past 2^32). */
static int parse_size(const char **p, unsigned long *v)
{
    if (!isdigit((unsigned char)**p))
        return -1;
    char *end;
    errno = 0;
    *v = strtoul(*p, &end, 10);
    *p = end;
    return errno ? -1 : 0;
}

static void parse_shape(const char *s, options *o)
{
    unsigned long h, w, c = 1;
    const char *p = s;
    int ok = parse_size(&p, &h) == 0 && *p++ == 'x' && parse_size(&p, &w) == 0;
    if (ok && *p == 'x')
        p++, ok = parse_size(&p, &c) == 0;
    if (!ok || *p || !h || !w || !c || h > 65536 || w > 65536 || c > 4096 || (uint64_t)h * w * c > TS_MAX_ELEMS)
        cli_usage_error("--shape: expected HxWxC with positive sizes, got '%s'", s);
    o->h = (uint32_t)h, o->w = (uint32_t)w, o->c = (uint32_t)c;
}

static options parse_command_line(int argc, char **argv)
{
    options o = {28, 28, 1, FM_NCLASS, CSV_LABELS_AUTO, NULL};
    static const struct option longs[] = {
        {"shape", required_argument, 0, 's'}, {"classes", required_argument, 0, 'k'},
        {"labels", no_argument, 0, 'l'},      {"no-labels", no_argument, 0, 'L'},
        CLI_STD_LONG,
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "s:k:lL" CLI_STD_SHORT, longs, NULL)) != -1) {
        switch (ch) {
        case 's': parse_shape(optarg, &o); break;
        case 'k': o.nclass = (uint32_t)cli_long("--classes", optarg, 1, 65535); break;
        case 'l': o.labels = CSV_LABELS_YES; break;
        case 'L': o.labels = CSV_LABELS_NO; break;
        default: cli_std_option(ch, usage);
        }
    }
    cli_operands(argc, argv, 0, 1, NULL, "one input file");
    o.path = optind < argc ? argv[optind] : NULL;
    return o;
}

typedef struct sink {
    ts_writer *w;
    ts_header h;
} sink;

static int emit(void *ctx, uint32_t id, int32_t label, const unsigned char *pixels, err *e)
{
    sink *s = ctx;
    if (!s->w) {
        /* Created on the first row: only then do we know whether labels exist. */
        s->w = ts_create(stdout, "<stdout>", &s->h, e);
        if (!s->w)
            return -1;
    }
    return ts_write(s->w, id, label, pixels, e);
}

/* A warning from the reader: one line, and the conversion goes on. */
static void warn(const char *msg)
{
    fprintf(stderr, "%s: warning: %s\n", cli_prog, msg);
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    const char *name = cli_name(o.path);
    err e;
    gzFile in = gz_open_in(o.path, &e);
    if (!in)
        cli_die_err(&e);
    sink s = {NULL, ts_image_header(o.h, o.w, o.c, o.nclass)};
    csv_images_opts co = {o.h * o.w * o.c, o.nclass, o.labels, warn};
    int rc = csv_images_read(in, name, &co, emit, &s, NULL, &e);
    gzclose(in);
    if (rc < 0) {
        ts_fail(s.w);
        cli_die_err(&e);
    }
    if (!s.w && !(s.w = ts_create(stdout, "<stdout>", &s.h, &e))) /* header only: an empty stream */
        cli_die_err(&e);
    if (ts_finish(s.w, &e) < 0)
        cli_die_err(&e);
    return 0;
}
