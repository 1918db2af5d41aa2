/* tensor2csv - a tensor stream back to CSV (the inverse of csv2tensor). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: tensor2csv [OPTION]... [FILE]\n"
    "Write a tensor stream as CSV: label (if the stream has labels), then one column per element.\n"
    "u8 streams print integers; f32 streams print with 9 significant digits (round-trips exactly).\n"
    "\n"
    "  -H, --header        first write a header row: label,pixel1,... (u8) or label,p0,... (f32) [on]\n"
    "  -N, --no-header     no header row\n"
    "  -i, --id            add a first column with the record id\n"
    "  -o, --output FILE   write the CSV to FILE, which appears only if the whole stream was read\n"
    "                      [stdout: a bad stream ends it early with exit status 1]\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "csv2tensor < x.csv | tensor2csv reproduces a canonical (Kaggle-layout, with header) CSV byte for byte.\n";

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

int main(int argc, char **argv)
{
    cli_init(argv);
    int header = 1, with_id = 0;
    const char *output = NULL;
    static const struct option longs[] = {
        {"header", no_argument, 0, 'H'}, {"no-header", no_argument, 0, 'N'}, {"id", no_argument, 0, 'i'},
        {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},   {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "HNio:hV", longs, NULL)) != -1) {
        switch (ch) {
        case 'H': header = 1; break;
        case 'N': header = 0; break;
        case 'i': with_id = 1; break;
        case 'o': output = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    if (argc - optind > 1)
        cli_usage_error("too many arguments (one input file at most)");
    const char *path = optind < argc ? argv[optind] : NULL;
    err e;
    FILE *f = ts_fopen_in(path, &e);
    if (!f)
        cli_die_err(&e);
    ts_reader *r = ts_open(f, cli_name(path), &e);
    if (!r)
        cli_die_err(&e);
    const ts_header *h = ts_header_of(r);
    size_t n = ts_elems(h);
    unsigned char *rec = malloc(ts_payload_bytes(h));
    char *line = malloc(n * 17 + 64);
    if (!rec || !line)
        cli_die("out of memory");
    atomic_file af = {0};
    FILE *out = stdout;
    if (output) {
        const char *outs[] = {output}, *ins[] = {path ? path : "-"};
        if (check_not_inputs(outs, 1, ins, 1, &e) < 0)
            cli_die_err(&e);
        if (af_open(&af, output, &e) < 0)
            cli_die_err(&e);
        out = af.f;
    }
    static char obuf[1 << 16];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);

    uint32_t id;
    int32_t label;
    long got = ts_read(r, 1, &id, &label, rec, &e);
    if (got < 0) { /* before the header: a bad stream writes nothing at all */
        af_discard(&af);
        cli_die_err(&e);
    }
    int labelled = got == 1 && label >= 0;
    if (header) {
        if (with_id)
            fputs("id,", out);
        if (labelled)
            fputs("label,", out);
        const char *col = h->dtype == TS_U8 ? "pixel" : "p";
        for (size_t i = 0; i < n; i++)
            fprintf(out, "%s%s%zu", i ? "," : "", col, h->dtype == TS_U8 ? i + 1 : i);
        fputc('\n', out);
    }
    while (got == 1) {
        if ((label >= 0) != labelled) {
            got = err_set(&e, "%s: record %llu: %s label, unlike the first record", cli_name(path),
                          (unsigned long long)ts_records_read(r), labelled ? "no" : "a");
            break;
        }
        char *p = line;
        if (with_id)
            p += sprintf(p, "%u,", id);
        if (labelled)
            p += sprintf(p, "%d,", label);
        if (h->dtype == TS_U8) {
            for (size_t i = 0; i < n; i++) {
                p = put_uint(p, rec[i]);
                *p++ = ',';
            }
        } else {
            const float *x = (const float *)(const void *)rec;
            for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%.9g,", (double)x[i]);
        }
        p[-1] = '\n';
        fwrite(line, 1, (size_t)(p - line), out);
        got = ts_read(r, 1, &id, &label, rec, &e);
    }
    ts_close(r);
    free(rec);
    free(line);
    if (got < 0) {
        af_discard(&af);
        cli_die_err(&e);
    }
    if (output && af_commit(&af, &e) < 0)
        cli_die_err(&e);
    return 0;
}
