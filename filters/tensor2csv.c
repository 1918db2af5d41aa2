/* tensor2csv - a tensor stream back to CSV (the inverse of csv2tensor). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "confidence.h"
#include "review_csv.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: tensor2csv [OPTION]... [FILE]\n"
    "Write a tensor stream as CSV: label (if the stream has labels), then one column per element.\n"
    "u8 streams print integers; f32 streams print with 9 significant digits (round-trips exactly).\n"
    "A prediction stream (predict's output: one f32 score per class) prints one row per record:\n"
    "id,label,predicted,name,probability,p0,...: the true label (empty when unknown), the\n"
    "predicted class, its name and its probability, then every class's probability.\n"
    "\n"
    "  -H, --header        first write a header row: label,pixel1,... (u8) or label,p0,... (f32) [on]\n"
    "  -N, --no-header     no header row\n"
    "  -i, --id            add a first column with the record id (always there for predictions)\n"
    "  -n, --class-names FILE  class names of a prediction stream, one a line\n"
    "                      [Fashion-MNIST names for 10 classes, else 'class K']\n"
    "  -r, --raw           a prediction stream as any f32 stream: [id,]label,p0,...\n"
    "  -o, --output FILE   write the CSV to FILE, which appears only if the whole stream was read\n"
    "                      [stdout: a bad stream ends it early with exit status 1]\n" CLI_STD_HELP
    "\n"
    "csv2tensor < x.csv | tensor2csv reproduces a canonical (Kaggle-layout, with header) CSV byte for byte.\n"
    "Example: csv2tensor test.csv | predict model.bin | tensor2csv -o predictions.csv\n";

typedef struct options {
    int header, with_id, raw;
    const char *class_names, *output, *path;
} options;

static options parse_command_line(int argc, char **argv)
{
    options o = {1, 0, 0, NULL, NULL, NULL};
    static const struct option longs[] = {
        {"header", no_argument, 0, 'H'},         {"no-header", no_argument, 0, 'N'},
        {"id", no_argument, 0, 'i'},             {"class-names", required_argument, 0, 'n'},
        {"raw", no_argument, 0, 'r'},            {"output", required_argument, 0, 'o'},
        CLI_STD_LONG,
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "HNin:ro:" CLI_STD_SHORT, longs, NULL)) != -1) {
        switch (ch) {
        case 'H': o.header = 1; break;
        case 'N': o.header = 0; break;
        case 'i': o.with_id = 1; break;
        case 'n': o.class_names = optarg; break;
        case 'r': o.raw = 1; break;
        case 'o': o.output = optarg; break;
        default: cli_std_option(ch, usage);
        }
    }
    if (o.raw && o.class_names)
        cli_usage_error("--raw prints no class names: give --class-names or --raw, not both");
    cli_operands(argc, argv, 0, 1, NULL, "one input file");
    o.path = optind < argc ? argv[optind] : NULL;
    return o;
}

/* predict's output: one f32 score per class, the class count in the header. */
static int is_prediction_stream(const ts_header *h)
{
    return h->dtype == TS_F32 && h->rank == 1 && h->nclass > 0 && h->dims[0] == h->nclass;
}

/* Fast u8 formatting: this filter writes 60,000 x 785 numbers for the data set. */
static char *put_uint(char *p, unsigned v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

/* A field as CSV writes it: quoted, quotes doubled, when it holds , " or a line end. */
static char *put_field(char *p, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return p + sprintf(p, "%s", s);
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    *p++ = '"';
    return p;
}

static void write_header(FILE *out, const ts_header *h, const options *o, int labelled, int predictions)
{
    if (predictions)
        fputs("id,label,predicted,name,probability,", out);
    else
        fprintf(out, "%s%s", o->with_id ? "id," : "", labelled ? "label," : "");
    const char *col = h->dtype == TS_U8 ? "pixel" : "p";
    for (size_t i = 0, n = ts_elems(h); i < n; i++)
        fprintf(out, "%s%s%zu", i ? "," : "", col, h->dtype == TS_U8 ? i + 1 : i);
    fputc('\n', out);
}

/* One record as a CSV line (with its '\n') into line; returns its end. */
static char *format_record(char *p, const ts_header *h, const options *o, const rc_classes *names, uint32_t id,
                           int32_t label, const unsigned char *rec)
{
    const size_t n = ts_elems(h);
    const float *x = (const float *)(const void *)rec;
    if (names) {
        int top = 0, second;
        double p1 = x[0], p2;
        if (n > 1)
            conf_top2(x, (int)n, &top, &p1, &second, &p2);
        p += label >= 0 ? sprintf(p, "%u,%d,%d,", id, label, top) : sprintf(p, "%u,,%d,", id, top);
        p = put_field(p, names->names[top]);
        p += sprintf(p, ",%.9g,", p1);
    } else {
        if (o->with_id)
            p += sprintf(p, "%u,", id);
        if (label >= 0)
            p += sprintf(p, "%d,", label);
    }
    for (size_t i = 0; i < n; i++) {
        if (h->dtype == TS_U8)
            p = put_uint(p, rec[i]);
        else
            p += sprintf(p, "%.9g", (double)x[i]);
        *p++ = ',';
    }
    p[-1] = '\n';
    return p;
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    err e;
    ts_reader *r = ts_open_path(o.path, &e);
    if (!r)
        cli_die_err(&e);
    const ts_header *h = ts_header_of(r);
    const int predictions = is_prediction_stream(h) && !o.raw;
    if (o.class_names && !predictions)
        cli_die("%s: --class-names: not a prediction stream (one f32 score per class)", cli_name(o.path));
    static rc_classes names; /* static: still reachable when cli_die exits (quiet leak checkers) */
    if (predictions && rc_classes_init(&names, (int)h->nclass, o.class_names, &e) < 0)
        cli_die_err(&e);
    static unsigned char *rec;
    static char *line;
    size_t longest_name = 0;
    for (int k = 0; predictions && k < names.k; k++)
        longest_name = strlen(names.names[k]) > longest_name ? strlen(names.names[k]) : longest_name;
    rec = malloc(ts_payload_bytes(h));
    line = malloc(ts_elems(h) * 17 + 2 * longest_name + 128);
    if (!rec || !line)
        cli_die("out of memory");
    atomic_file af;
    const char *ins[] = {o.path ? o.path : "-", o.class_names};
    FILE *out = cli_open_output(&af, o.output, ins, 2);
    static char obuf[1 << 16];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);

    uint32_t id;
    int32_t label;
    long got = ts_read(r, 1, &id, &label, rec, &e);
    const int labelled = got == 1 && label >= 0;
    if (got >= 0 && o.header) /* a bad stream before its first record writes nothing at all */
        write_header(out, h, &o, labelled, predictions);
    for (; got == 1; got = ts_read(r, 1, &id, &label, rec, &e)) {
        if (!predictions && (label >= 0) != labelled) {
            got = err_set(&e, "%s: record %llu: %s label, unlike the first record", cli_name(o.path),
                          (unsigned long long)ts_records_read(r), labelled ? "no" : "a");
            break;
        }
        char *end = format_record(line, h, &o, predictions ? &names : NULL, id, label, rec);
        fwrite(line, 1, (size_t)(end - line), out);
    }
    ts_close(r);
    if (got < 0) {
        af_discard(&af);
        cli_die_err(&e);
    }
    cli_commit_output(&af);
    rc_classes_free(&names);
    free(rec), free(line);
    return 0;
}
