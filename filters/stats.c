/* stats - one-pass summary of a tensor stream: counts, classes, pixel
 * moments, histograms of per-image mean and std, per-class mean images.
 *
 * Memory is bounded by the histograms and the per-class accumulators
 * (a mean image per class, and the first N images per class for the grid),
 * never by the length of the stream.
 *
 * The JSON report also carries the accumulators themselves ("merge_state",
 * exact hex floats), so that --merge can combine the reports of a stream's
 * shards into the report of the whole stream.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "canvas.h"
#include "classes.h"
#include "cli.h"
#include "histogram.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: stats [OPTION]... [FILE]\n"
    "  or:  stats --merge [OPTION]... REPORT.json...\n"
    "Summarise a tensor stream in one pass: record count, shape, class distribution, pixel mean,\n"
    "std, min and max, histograms of per-image mean and per-image std with their skewness,\n"
    "per-class mean intensity and mean image. With no FILE, or FILE '-', read stdin.\n"
    "\n"
    "  -c, --csv[=FILE]     CSV on stdout instead of the text report; --csv=FILE writes the CSV\n"
    "                       to FILE and keeps the text report on stdout\n"
    "  -j, --json[=FILE]    the same for JSON\n"
    "  -b, --bins N         histogram bins [50]\n"
    "  -r, --range LO,HI    element value range: histogram ranges and picture scaling [0,255]\n"
    "  -p, --png-dir DIR    write DIR/mean-images.png and DIR/grid.png (created if missing)\n"
    "  -g, --grid N         images per class in grid.png, the first N of each class [10]\n"
    "  -s, --scale N        each pixel drawn as NxN in the pictures [3]\n"
    "  -m, --merge          combine JSON reports (--json) of parts of one stream, such as the\n"
    "                       shards of split --shard, into the report of the whole stream\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "Means and standard deviations are population figures (divide by n). Per-image mean is\n"
    "histogrammed over [LO,HI], per-image std over [0,(HI-LO)/2] (its largest possible value).\n"
    "Skewness is Fisher-Pearson g1 = m3/m2^1.5 (scipy.stats.skew's default), of the exact values.\n"
    "Pictures: one row per class in label order (unlabelled records last).\n"
    "\n"
    "--merge reads each report's merge_state (the accumulators, as exact hex floats), so the\n"
    "reports must come from the same kind of stream with the same --bins and --range. Counts,\n"
    "histograms, minima, maxima and (for u8 streams) the class mean images come out exactly as\n"
    "one run over the whole stream gives them; means, standard deviations and skewness are\n"
    "merged with Chan's pairwise update (the one used image by image) and agree with the\n"
    "one-run figures to rounding (about 1e-15 relative). Pictures need the images: --png-dir,\n"
    "--grid, --scale, --bins and --range do not go with --merge.\n"
    "\n"
    "Example: csv2tensor < fashion-mnist_train.csv | stats --json=stats.json --png-dir pics\n"
    "         stats --merge part1.json part2.json part3.json\n";

#define MEAN_PNG "mean-images.png" /* --png-dir's two pictures */
#define GRID_PNG "grid.png"
#define MAX_CLASSES 65536 /* labels per stream at most (when the header states no class count) */

typedef struct options {
    int format; /* 't', 'c', 'j': what goes to stdout */
    const char *csv_path, *json_path, *png_dir, *path;
    int bins, grid, scale;
    double lo, hi;
    int merge;                  /* --merge: inputs are JSON reports */
    const char *const *reports; /* [nreports] with --merge */
    int nreports;
} options;

/* ---- command line ---------------------------------------------------- */

static void parse_range(const char *s, options *o)
{
    char *end;
    errno = 0;
    double lo = strtod(s, &end);
    if (errno || end == s || *end != ',')
        cli_usage_error("--range: expected LO,HI, got '%s'", s);
    const char *t = end + 1;
    double hi = strtod(t, &end);
    if (errno || end == t || *end != '\0' || !isfinite(lo) || !isfinite(hi) || !(lo < hi) || !isfinite(hi - lo))
        cli_usage_error("--range: expected LO,HI with LO < HI, got '%s'", s);
    o->lo = lo, o->hi = hi;
}

static options parse_command_line(int argc, char **argv)
{
    options o = {'t', NULL, NULL, NULL, NULL, 50, 10, 3, 0, 255, 0, NULL, 0};
    const char *picture_opt = NULL; /* the last option given that --merge cannot take */
    static const struct option longs[] = {
        {"csv", optional_argument, 0, 'c'},   {"json", optional_argument, 0, 'j'},
        {"bins", required_argument, 0, 'b'},  {"range", required_argument, 0, 'r'},
        {"png-dir", required_argument, 0, 'p'}, {"grid", required_argument, 0, 'g'},
        {"scale", required_argument, 0, 's'}, {"merge", no_argument, 0, 'm'},
        CLI_STD_LONG,
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "c::j::b:r:p:g:s:m" CLI_STD_SHORT, longs, NULL)) != -1) {
        switch (ch) {
        case 'c': /* --csv=- is stdout: the same as --csv */
            if (optarg && strcmp(optarg, "-") != 0)
                o.csv_path = optarg;
            else if (o.format == 'j')
                cli_usage_error("--csv and --json cannot both go to stdout (give one of them =FILE)");
            else
                o.format = 'c';
            break;
        case 'j':
            if (optarg && strcmp(optarg, "-") != 0)
                o.json_path = optarg;
            else if (o.format == 'c')
                cli_usage_error("--csv and --json cannot both go to stdout (give one of them =FILE)");
            else
                o.format = 'j';
            break;
        case 'b':
            o.bins = (int)cli_long("--bins", optarg, 1, 100000);
            picture_opt = "--bins";
            break;
        case 'r':
            parse_range(optarg, &o);
            picture_opt = "--range";
            break;
        case 'p':
            o.png_dir = optarg;
            picture_opt = "--png-dir";
            break;
        case 'g':
            o.grid = (int)cli_long("--grid", optarg, 1, 1000);
            picture_opt = "--grid";
            break;
        case 's':
            o.scale = (int)cli_long("--scale", optarg, 1, 64);
            picture_opt = "--scale";
            break;
        case 'm': o.merge = 1; break;
        default: cli_std_option(ch, usage);
        }
    }
    if (o.merge) {
        if (picture_opt)
            cli_usage_error("%s does not go with --merge (bins and range come from the reports; "
                            "pictures need the images)", picture_opt);
        if (optind == argc)
            cli_usage_error("--merge needs the JSON reports to merge (stats --json of each part)");
        o.reports = (const char *const *)argv + optind;
        o.nreports = cli_operands(argc, argv, 1, argc, NULL, NULL);
        return o;
    }
    if (argc - optind > 1)
        cli_usage_error("too many arguments (one input file at most; --csv and --json take a file as --json=FILE)");
    o.path = optind < argc ? argv[optind] : NULL;
    if (o.png_dir && !*o.png_dir)
        cli_usage_error("--png-dir: empty directory name");
    return o;
}

/* ---- accumulators ---------------------------------------------------- */

/* Everything kept for one class (or for the unlabelled records). */
typedef struct class_acc {
    uint64_t n;
    double pixel_sum;       /* sum of every element of every image */
    double image_std_sum;   /* sum of per-image std */
    double *image_sum;      /* (elems) element-wise sum: the mean image * n */
    unsigned char *grid;    /* (grid, H, W, disp) the first images, ready to draw */
    int ngrid;
} class_acc;

typedef struct stats {
    const options *o;
    const char *input; /* what the report names as its input */
    ts_header h;
    size_t elems, height, width, channels, disp; /* disp: 3 = RGB pictures, 1 = gray */
    int pictures;
    class_acc *cls[MAX_CLASSES + 1]; /* [k] label k; [MAX_CLASSES] unlabelled */
    int nclass;                      /* labels seen or stated: 0..nclass-1 */
    uint64_t records, labelled, unlabelled;
    uint64_t dark;                   /* images whose mean is below the middle of --range */
    moments pixel;                   /* every element, merged image by image */
    moments image_mean, image_std;   /* one value per image */
    histogram hist_mean, hist_std;
} stats;

static class_acc *class_of(stats *s, int32_t label, uint64_t recno, err *e)
{
    int k = label < 0 ? MAX_CLASSES : label;
    if (label >= MAX_CLASSES) {
        err_set(e, "%s: record %llu: label %d: the header states no class count and stats handles at most %d classes",
                cli_name(s->o->path), (unsigned long long)recno, label, MAX_CLASSES);
        return NULL;
    }
    if (!s->cls[k]) {
        class_acc *c = calloc(1, sizeof *c);
        if (!c || !(c->image_sum = calloc(s->elems, sizeof *c->image_sum)) ||
            (s->pictures && !(c->grid = malloc((size_t)s->o->grid * s->height * s->width * s->disp)))) {
            if (c)
                free(c->image_sum);
            free(c);
            err_set(e, "out of memory");
            return NULL;
        }
        s->cls[k] = c;
    }
    if (label >= s->nclass)
        s->nclass = label + 1;
    return s->cls[k];
}

/* Element value -> 0..255 for pictures, by the --range mapping. */
static unsigned char to_byte(double v, double lo, double hi)
{
    double x = (v - lo) / (hi - lo) * 255.0 + 0.5;
    return x <= 0 ? 0 : x >= 255 ? 255 : (unsigned char)x;
}

static double elem(const stats *s, const void *data, size_t i)
{
    return s->h.dtype == TS_U8 ? ((const unsigned char *)data)[i] : (double)((const float *)data)[i];
}

static int add_image(stats *s, int32_t label, const void *data, err *e)
{
    size_t n = s->elems;
    class_acc *c = class_of(s, label, s->records + 1, e);
    if (!c)
        return -1;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    if (s->h.dtype == TS_U8) {
        const unsigned char *p = data;
        uint64_t isum = 0;
        unsigned char bmin = 255, bmax = 0;
        for (size_t i = 0; i < n; i++) {
            isum += p[i];
            bmin = p[i] < bmin ? p[i] : bmin;
            bmax = p[i] > bmax ? p[i] : bmax;
            c->image_sum[i] += p[i];
        }
        sum = (double)isum, lo = bmin, hi = bmax;
    } else {
        const float *p = data;
        for (size_t i = 0; i < n; i++) {
            double v = p[i];
            sum += v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            c->image_sum[i] += v;
        }
    }
    double mean = sum / (double)n, m2 = 0;
    for (size_t i = 0; i < n; i++) { /* second pass over the image: exact deviations */
        double d = elem(s, data, i) - mean;
        m2 += d * d;
    }
    double sd = sqrt(m2 / (double)n);
    moments_merge2(&s->pixel, n, mean, m2, lo, hi);
    moments_add(&s->image_mean, mean);
    if (mean < (s->o->lo + s->o->hi) / 2)
        s->dark++;
    moments_add(&s->image_std, sd);
    hist_add(&s->hist_mean, mean);
    hist_add(&s->hist_std, sd);
    c->n++;
    c->pixel_sum += sum;
    c->image_std_sum += sd;
    if (s->pictures && c->ngrid < s->o->grid) {
        unsigned char *g = c->grid + (size_t)c->ngrid++ * s->height * s->width * s->disp;
        for (size_t px = 0; px < s->height * s->width; px++)
            for (size_t ch = 0; ch < s->disp; ch++)
                g[px * s->disp + ch] = to_byte(elem(s, data, px * s->channels + ch), s->o->lo, s->o->hi);
    }
    s->records++;
    if (label >= 0)
        s->labelled++;
    else
        s->unlabelled++;
    return 0;
}

static int stats_init(stats *s, const options *o, const ts_header *h, err *e)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->h = *h;
    s->elems = ts_elems(h);
    s->nclass = (int)h->nclass;
    if (h->rank >= 2) {
        s->height = h->dims[0], s->width = h->dims[1];
        s->channels = h->rank == 3 ? h->dims[2] : 1;
        s->disp = s->channels == 3 ? 3 : 1;
    }
    if (o->png_dir) {
        if (h->rank < 2) {
            char buf[64];
            return err_set(e, "%s: pictures need images (rank 2 or 3), not %s records", cli_name(o->path),
                           ts_shape_str(h, buf, sizeof buf));
        }
        s->pictures = 1;
    }
    moments_init(&s->pixel);
    moments_init(&s->image_mean);
    moments_init(&s->image_std);
    if (hist_init(&s->hist_mean, o->bins, o->lo, o->hi, e) < 0 ||
        hist_init(&s->hist_std, o->bins, 0, (o->hi - o->lo) / 2, e) < 0)
        return -1;
    return 0;
}

static void stats_free(stats *s)
{
    for (int k = 0; k <= MAX_CLASSES; k++)
        if (s->cls[k]) {
            free(s->cls[k]->image_sum);
            free(s->cls[k]->grid);
            free(s->cls[k]);
        }
    hist_free(&s->hist_mean);
    hist_free(&s->hist_std);
}

/* Rows of the class table: 0..nclass-1, then the unlabelled records if any. */
static int class_rows(const stats *s)
{
    return s->nclass + (s->unlabelled ? 1 : 0);
}

static int row_label(const stats *s, int row)
{
    return row < s->nclass ? row : -1;
}

static const class_acc *row_acc(const stats *s, int row)
{
    return s->cls[row < s->nclass ? row : MAX_CLASSES];
}

static const char *row_name(const stats *s, int row, char *buf, unsigned len)
{
    if (row >= s->nclass) {
        snprintf(buf, len, "(no label)");
        return buf;
    }
    if (s->nclass == FM_NCLASS) /* Fashion-MNIST's names only for a 10-class stream */
        return fm_class_name(row, buf, len);
    snprintf(buf, len, "class %d", row);
    return buf;
}

static uint64_t row_count(const stats *s, int row)
{
    const class_acc *c = row_acc(s, row);
    return c ? c->n : 0;
}

static double row_mean_intensity(const stats *s, int row)
{
    const class_acc *c = row_acc(s, row);
    return c && c->n ? c->pixel_sum / ((double)c->n * (double)s->elems) : NAN;
}

static double row_mean_image_std(const stats *s, int row)
{
    const class_acc *c = row_acc(s, row);
    return c && c->n ? c->image_std_sum / (double)c->n : NAN;
}

/* The sign says which side the long tail is on; the size is graded by
 * Bulmer's rule of thumb (|g1| < 0.5 about symmetric, 0.5..1 moderate, > 1 high). */
static const char *skew_words(double g1)
{
    if (isnan(g1))
        return "undefined";
    double a = fabs(g1);
    if (a < 0.05)
        return "symmetric";
    static char buf[128];
    const char *side = g1 > 0 ? "right" : "left";
    if (a < 0.5)
        snprintf(buf, sizeof buf, "about symmetric (|g1| < 0.5), a slightly longer tail to the %s", side);
    else
        snprintf(buf, sizeof buf, "%s %s-skewed, longer tail to the %s", a < 1 ? "moderately" : "highly", side, side);
    return buf;
}

/* ---- text report ------------------------------------------------------ */

static void text_num(FILE *f, const char *label, double v)
{
    if (isnan(v) || isinf(v))
        fprintf(f, "  %-8s -\n", label);
    else
        fprintf(f, "  %-8s %.4f\n", label, v);
}

static void text_hist(FILE *f, const char *title, const moments *m, const histogram *h, const char *extra)
{
    fprintf(f, "\n%s: %llu images, %d bins over [%g, %g]\n", title, (unsigned long long)m->n, h->nbins,
            h->lo, h->hi);
    if (m->n == 0) {
        fprintf(f, "  no images\n");
        return;
    }
    double sd = moments_std(m);
    fprintf(f, "  mean %.4f  std %.4f  min %.4f  max %.4f  coefficient of variation %.3f\n", m->mean, sd,
            m->min, m->max, m->mean != 0 ? sd / fabs(m->mean) : NAN);
    double g1 = moments_skew(m);
    fprintf(f, "  skewness g1 = %.4f: %s\n", g1, skew_words(g1));
    if (extra)
        fprintf(f, "  %s\n", extra);
    if (h->below || h->above)
        fprintf(f, "  outside the range: %llu below, %llu above\n", (unsigned long long)h->below,
                (unsigned long long)h->above);
    uint64_t top = hist_max_count(h);
    fprintf(f, "  %10s %10s %8s\n", "from", "to", "images");
    for (int i = 0; i < h->nbins; i++) {
        int bar = top ? (int)((h->count[i] * 50 + top - 1) / top) : 0;
        fprintf(f, "  %10.3f %10.3f %8llu%s%.*s\n", hist_edge(h, i), hist_edge(h, i + 1),
                (unsigned long long)h->count[i], bar ? " " : "", bar,
                "##################################################");
    }
}

static void report_text(FILE *f, const stats *s)
{
    char buf[64];
    fprintf(f, "input         %s\n", s->input);
    fprintf(f, "records       %llu\n", (unsigned long long)s->records);
    fprintf(f, "record shape  %s\n", ts_shape_str(&s->h, buf, sizeof buf));
    if (s->labelled == 0)
        fprintf(f, "labelled      no\n");
    else
        fprintf(f, "labelled      %s, %d classes%s\n", s->unlabelled ? "partly" : "yes", s->nclass,
                s->h.nclass ? " (stated in the header)" : " (labels seen; the header states none)");

    if (s->labelled) {
        fprintf(f, "\nclass distribution\n");
        fprintf(f, "  %5s  %-12s %8s %8s %15s %19s\n", "label", "name", "count", "share", "mean intensity",
                "mean per-image std");
        for (int r = 0; r < class_rows(s); r++) {
            uint64_t n = row_count(s, r);
            fprintf(f, "  %5d  %-12s %8llu %7.2f%%", row_label(s, r), row_name(s, r, buf, sizeof buf),
                    (unsigned long long)n, s->records ? 100.0 * (double)n / (double)s->records : 0.0);
            if (n)
                fprintf(f, " %15.4f %19.4f\n", row_mean_intensity(s, r), row_mean_image_std(s, r));
            else
                fprintf(f, " %15s %19s\n", "-", "-");
        }
        fprintf(f, "  %5s  %-12s %8llu %7.2f%%\n", "", "total", (unsigned long long)s->records,
                s->records ? 100.0 : 0.0);
    }

    fprintf(f, "\nelement values: %llu (population figures over every element of every image)\n",
            (unsigned long long)s->pixel.n);
    text_num(f, "mean", s->pixel.n ? s->pixel.mean : NAN);
    text_num(f, "std", moments_std(&s->pixel));
    text_num(f, "min", s->pixel.n ? s->pixel.min : NAN);
    text_num(f, "max", s->pixel.n ? s->pixel.max : NAN);

    char dark[128];
    snprintf(dark, sizeof dark, "images darker than the middle of the range (mean < %g): %llu = %.2f%%",
             (s->o->lo + s->o->hi) / 2, (unsigned long long)s->dark,
             s->records ? 100.0 * (double)s->dark / (double)s->records : 0.0);
    text_hist(f, "per-image mean intensity", &s->image_mean, &s->hist_mean, dark);
    text_hist(f, "per-image standard deviation", &s->image_std, &s->hist_std, NULL);
}

/* ---- CSV: one long table, columns table,index,key,lo,hi,count,value --- */

static void csv_num(FILE *f, double v)
{
    if (!isnan(v) && !isinf(v))
        fprintf(f, "%.10g", v);
}

static void csv_row(FILE *f, const char *table, long index, const char *key, double lo, double hi,
                    long long count, double value, const char *text)
{
    fprintf(f, "%s,", table);
    if (index >= -1)
        fprintf(f, "%ld", index);
    fprintf(f, ",%s,", key ? key : "");
    csv_num(f, lo);
    fputc(',', f);
    csv_num(f, hi);
    fputc(',', f);
    if (count >= 0)
        fprintf(f, "%lld", count);
    fputc(',', f);
    if (text)
        fputs(text, f);
    else
        csv_num(f, value);
    fputc('\n', f);
}

#define NOIDX (-2L)

static void csv_moments(FILE *f, const char *table, const moments *m, const histogram *h, const char *hist_table)
{
    csv_row(f, table, NOIDX, "count", NAN, NAN, -1, (double)m->n, NULL);
    csv_row(f, table, NOIDX, "mean", NAN, NAN, -1, m->n ? m->mean : NAN, NULL);
    csv_row(f, table, NOIDX, "std", NAN, NAN, -1, moments_std(m), NULL);
    csv_row(f, table, NOIDX, "min", NAN, NAN, -1, m->n ? m->min : NAN, NULL);
    csv_row(f, table, NOIDX, "max", NAN, NAN, -1, m->n ? m->max : NAN, NULL);
    csv_row(f, table, NOIDX, "skewness", NAN, NAN, -1, moments_skew(m), NULL);
    csv_row(f, table, NOIDX, "below", h->lo, NAN, -1, (double)h->below, NULL);
    csv_row(f, table, NOIDX, "above", NAN, h->hi, -1, (double)h->above, NULL);
    for (int i = 0; i < h->nbins; i++)
        csv_row(f, hist_table, i, NULL, hist_edge(h, i), hist_edge(h, i + 1), (long long)h->count[i], NAN, NULL);
}

static void report_csv(FILE *f, const stats *s)
{
    char buf[64];
    fputs("table,index,key,lo,hi,count,value\n", f);
    csv_row(f, "summary", NOIDX, "records", NAN, NAN, -1, (double)s->records, NULL);
    csv_row(f, "summary", NOIDX, "shape", NAN, NAN, -1, NAN, ts_shape_str(&s->h, buf, sizeof buf));
    csv_row(f, "summary", NOIDX, "dtype", NAN, NAN, -1, NAN, ts_dtype_name(s->h.dtype));
    csv_row(f, "summary", NOIDX, "labelled", NAN, NAN, -1, (double)s->labelled, NULL);
    csv_row(f, "summary", NOIDX, "unlabelled", NAN, NAN, -1, (double)s->unlabelled, NULL);
    csv_row(f, "summary", NOIDX, "nclass", NAN, NAN, -1, s->labelled ? s->nclass : 0, NULL);
    csv_moments(f, "image_mean", &s->image_mean, &s->hist_mean, "image_mean_hist");
    csv_row(f, "image_mean", NOIDX, "dark", NAN, (s->o->lo + s->o->hi) / 2, (long long)s->dark,
            s->records ? (double)s->dark / (double)s->records : NAN, NULL);
    csv_moments(f, "image_std", &s->image_std, &s->hist_std, "image_std_hist");
    csv_row(f, "pixel", NOIDX, "count", NAN, NAN, -1, (double)s->pixel.n, NULL);
    csv_row(f, "pixel", NOIDX, "mean", NAN, NAN, -1, s->pixel.n ? s->pixel.mean : NAN, NULL);
    csv_row(f, "pixel", NOIDX, "std", NAN, NAN, -1, moments_std(&s->pixel), NULL);
    csv_row(f, "pixel", NOIDX, "min", NAN, NAN, -1, s->pixel.n ? s->pixel.min : NAN, NULL);
    csv_row(f, "pixel", NOIDX, "max", NAN, NAN, -1, s->pixel.n ? s->pixel.max : NAN, NULL);
    if (!s->labelled)
        return;
    for (int r = 0; r < class_rows(s); r++) {
        const char *name = row_name(s, r, buf, sizeof buf);
        long long n = (long long)row_count(s, r);
        csv_row(f, "class", row_label(s, r), name, NAN, NAN, n, s->records ? (double)n / (double)s->records : NAN,
                NULL);
        csv_row(f, "class_mean_intensity", row_label(s, r), name, NAN, NAN, n, row_mean_intensity(s, r), NULL);
        csv_row(f, "class_mean_image_std", row_label(s, r), name, NAN, NAN, n, row_mean_image_std(s, r), NULL);
    }
    for (int r = 0; r < class_rows(s); r++) { /* key = element index within the record */
        const class_acc *c = row_acc(s, r);
        if (!c || !c->n)
            continue;
        for (size_t i = 0; i < s->elems; i++) {
            char key[32];
            snprintf(key, sizeof key, "%zu", i);
            csv_row(f, "class_mean_image", row_label(s, r), key, NAN, NAN, -1, c->image_sum[i] / (double)c->n,
                    NULL);
        }
    }
}

/* ---- JSON ------------------------------------------------------------ */

static void json_num(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.10g", v);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void json_moments(FILE *f, const char *key, const moments *m, const histogram *h)
{
    fprintf(f, "  \"%s\": {\"count\": %llu, \"mean\": ", key, (unsigned long long)m->n);
    json_num(f, m->n ? m->mean : NAN);
    fputs(", \"std\": ", f);
    json_num(f, moments_std(m));
    fputs(", \"min\": ", f);
    json_num(f, m->n ? m->min : NAN);
    fputs(", \"max\": ", f);
    json_num(f, m->n ? m->max : NAN);
    fputs(", \"skewness\": ", f);
    json_num(f, moments_skew(m));
    fprintf(f, ",\n    \"histogram\": {\"bins\": %d, \"lo\": ", h->nbins);
    json_num(f, h->lo);
    fputs(", \"hi\": ", f);
    json_num(f, h->hi);
    fprintf(f, ", \"below\": %llu, \"above\": %llu, \"counts\": [", (unsigned long long)h->below,
            (unsigned long long)h->above);
    for (int i = 0; i < h->nbins; i++)
        fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)h->count[i]);
    fputs("]}}", f);
}

/* ---- merge state: the accumulators, exactly, for --merge ----------------- */

/* One line of space-separated tokens (a JSON string needing no escapes):
 *   fm-stats-1 dtype rank dim0 dim1 dim2 header-nclass bins lo hi
 *   records labelled unlabelled dark nclass
 *   pixel: n mean m2 m3 min max
 *   image_mean: n mean m2 m3 min max below above total count[bins], then image_std alike
 *   classes: k, then k times: label n pixel_sum image_std_sum image_sum[elems]
 * Doubles are C99 hex floats (%a): strtod reads back the very same value. */
#define STATE_MAGIC "fm-stats-1"

static void state_moments(FILE *f, const moments *m)
{
    fprintf(f, " %llu %a %a %a %a %a", (unsigned long long)m->n, m->mean, m->m2, m->m3, m->min, m->max);
}

static void state_hist(FILE *f, const histogram *h)
{
    fprintf(f, " %llu %llu %llu", (unsigned long long)h->below, (unsigned long long)h->above,
            (unsigned long long)h->total);
    for (int i = 0; i < h->nbins; i++)
        fprintf(f, " %llu", (unsigned long long)h->count[i]);
}

static void json_state(FILE *f, const stats *s)
{
    fprintf(f, STATE_MAGIC " %d %d %u %u %u %u %d %a %a", (int)s->h.dtype, s->h.rank, s->h.dims[0], s->h.dims[1],
            s->h.dims[2], s->h.nclass, s->o->bins, s->o->lo, s->o->hi);
    fprintf(f, " %llu %llu %llu %llu %d", (unsigned long long)s->records, (unsigned long long)s->labelled,
            (unsigned long long)s->unlabelled, (unsigned long long)s->dark, s->nclass);
    state_moments(f, &s->pixel);
    state_moments(f, &s->image_mean);
    state_hist(f, &s->hist_mean);
    state_moments(f, &s->image_std);
    state_hist(f, &s->hist_std);
    int k = 0;
    for (int c = 0; c <= MAX_CLASSES; c++)
        k += s->cls[c] != NULL;
    fprintf(f, " %d", k);
    for (int c = 0; c <= MAX_CLASSES; c++) {
        const class_acc *a = s->cls[c];
        if (!a)
            continue;
        fprintf(f, " %d %llu %a %a", c == MAX_CLASSES ? -1 : c, (unsigned long long)a->n, a->pixel_sum,
                a->image_std_sum);
        for (size_t i = 0; i < s->elems; i++)
            fprintf(f, " %a", a->image_sum[i]);
    }
}

static void report_json(FILE *f, const stats *s)
{
    char buf[64];
    fputs("{\n  \"input\": ", f);
    json_str(f, s->input);
    fprintf(f, ",\n  \"records\": %llu,\n  \"shape\": [", (unsigned long long)s->records);
    for (int i = 0; i < s->h.rank; i++)
        fprintf(f, "%s%u", i ? ", " : "", s->h.dims[i]);
    fprintf(f, "],\n  \"dtype\": \"%s\",\n  \"labelled\": %llu,\n  \"unlabelled\": %llu,\n  \"nclass\": %d,\n",
            ts_dtype_name(s->h.dtype), (unsigned long long)s->labelled, (unsigned long long)s->unlabelled,
            s->labelled ? s->nclass : 0);
    fprintf(f, "  \"pixel\": {\"count\": %llu, \"mean\": ", (unsigned long long)s->pixel.n);
    json_num(f, s->pixel.n ? s->pixel.mean : NAN);
    fputs(", \"std\": ", f);
    json_num(f, moments_std(&s->pixel));
    fputs(", \"min\": ", f);
    json_num(f, s->pixel.n ? s->pixel.min : NAN);
    fputs(", \"max\": ", f);
    json_num(f, s->pixel.n ? s->pixel.max : NAN);
    fputs("},\n", f);
    json_moments(f, "image_mean", &s->image_mean, &s->hist_mean);
    fprintf(f, ",\n  \"dark\": {\"below\": ");
    json_num(f, (s->o->lo + s->o->hi) / 2);
    fprintf(f, ", \"count\": %llu, \"share\": ", (unsigned long long)s->dark);
    json_num(f, s->records ? (double)s->dark / (double)s->records : NAN);
    fputs("},\n", f);
    json_moments(f, "image_std", &s->image_std, &s->hist_std);
    fputs(",\n  \"classes\": [", f);
    for (int r = 0; s->labelled && r < class_rows(s); r++) {
        uint64_t n = row_count(s, r);
        fprintf(f, "%s\n    {\"label\": %d, \"name\": ", r ? "," : "", row_label(s, r));
        json_str(f, row_name(s, r, buf, sizeof buf));
        fprintf(f, ", \"count\": %llu, \"share\": ", (unsigned long long)n);
        json_num(f, s->records ? (double)n / (double)s->records : NAN);
        fputs(", \"mean_intensity\": ", f);
        json_num(f, row_mean_intensity(s, r));
        fputs(", \"mean_image_std\": ", f);
        json_num(f, row_mean_image_std(s, r));
        fputs(",\n     \"mean_image\": [", f);
        const class_acc *c = row_acc(s, r);
        for (size_t i = 0; i < s->elems; i++) {
            fputs(i ? "," : "", f);
            json_num(f, c && c->n ? c->image_sum[i] / (double)c->n : NAN);
        }
        fputs("]}", f);
    }
    fputs("\n  ],\n  \"merge_state\": \"", f);
    json_state(f, s);
    fputs("\"\n}\n", f);
}

typedef void report_fn(FILE *f, const stats *s);

static void report_to_file(const char *path, report_fn *fn, const stats *s)
{
    atomic_file af;
    fn(cli_open_output(&af, path, NULL, 0), s); /* inputs checked in main, with the pictures */
    cli_commit_output(&af);
}

/* ---- --merge: the reports of a stream's parts, added up ------------------ */

/* The whole of a report, NUL-terminated ("-" is stdin). */
static char *read_text(const char *path, err *e)
{
    const char *name = cli_name(path);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        err_set(e, "%s: %s", name, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 1 << 16;
    char *text = malloc(cap);
    for (size_t got = 1; text && got;) {
        if (len + 1 == cap) {
            char *t = cap < (1u << 30) ? realloc(text, cap *= 2) : NULL;
            if (!t) {
                free(text);
                text = NULL;
                break;
            }
            text = t;
        }
        got = fread(text + len, 1, cap - 1 - len, f);
        len += got;
    }
    int failed = !text || ferror(f);
    if (!text)
        err_set(e, "%s: out of memory (a report of over 1 GiB?)", name);
    else if (ferror(f))
        err_set(e, "%s: read error: %s", name, strerror(errno));
    if (f != stdin)
        fclose(f);
    if (failed) {
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* The string value of the top-level key "merge_state", terminated in place.
 * Strings are skipped whole, so a key inside one, or in a nested object, is
 * not taken for it. */
static char *find_state(char *json, const char *name, err *e)
{
    int depth = 0;
    for (char *p = json; *p; p++) {
        if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        } else if (*p == '"') {
            char *key = p + 1;
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (!*p)
                break;
            if (depth != 1 || p - key != 11 || memcmp(key, "merge_state", 11) != 0)
                continue;
            char *q = p + 1;
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
                q++;
            if (*q++ != ':')
                continue; /* "merge_state" as a value, not a key */
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
                q++;
            char *end = *q == '"' ? strpbrk(q + 1, "\"\\") : NULL;
            if (!end || *end != '"')
                break;
            *end = '\0';
            return q + 1;
        }
    }
    err_set(e, "%s: no merge_state: not a JSON report of stats (stats --json writes one)", name);
    return NULL;
}

typedef struct tokens {
    const char *name; /* the report, for messages */
    const char *p;    /* the next token */
} tokens;

static int bad_state(const tokens *t, err *e)
{
    return err_set(e, "%s: merge_state is damaged at '%.20s' (not a report of this version of stats?)", t->name,
                   t->p);
}

static int next_i64(tokens *t, long long lo, long long hi, long long *v, err *e)
{
    char *end;
    errno = 0;
    long long x = strtoll(t->p, &end, 10);
    if (end == t->p || errno || (*end != ' ' && *end != '\0') || x < lo || x > hi)
        return bad_state(t, e);
    t->p = *end ? end + 1 : end;
    *v = x;
    return 0;
}

static int next_u64(tokens *t, uint64_t *v, err *e)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(t->p, &end, 10);
    if (end == t->p || *t->p == '-' || errno || (*end != ' ' && *end != '\0'))
        return bad_state(t, e);
    t->p = *end ? end + 1 : end;
    *v = x;
    return 0;
}

static int next_f64(tokens *t, double *v, err *e)
{
    char *end;
    double x = strtod(t->p, &end);
    if (end == t->p || isnan(x) || (*end != ' ' && *end != '\0'))
        return bad_state(t, e);
    t->p = *end ? end + 1 : end;
    *v = x;
    return 0;
}

static int next_moments(tokens *t, moments *m, err *e)
{
    return next_u64(t, &m->n, e) < 0 || next_f64(t, &m->mean, e) < 0 || next_f64(t, &m->m2, e) < 0 ||
                   next_f64(t, &m->m3, e) < 0 || next_f64(t, &m->min, e) < 0 || next_f64(t, &m->max, e) < 0
               ? -1
               : 0;
}

/* Add a report's histogram counts to h. */
static int add_hist(tokens *t, histogram *h, err *e)
{
    uint64_t below = 0, above = 0, total = 0, c = 0;
    if (next_u64(t, &below, e) < 0 || next_u64(t, &above, e) < 0 || next_u64(t, &total, e) < 0)
        return -1;
    h->below += below, h->above += above, h->total += total;
    for (int i = 0; i < h->nbins; i++) {
        if (next_u64(t, &c, e) < 0)
            return -1;
        h->count[i] += c;
    }
    return 0;
}

/* The report's stream header, bins and range: the first report's start s;
 * every other must agree with them. */
static int state_head(tokens *t, stats *s, options *o, int first, const char *first_name, err *e)
{
    long long v[7] = {0};
    double lo = 0, hi = 0;
    size_t magic = strlen(STATE_MAGIC);
    if (strncmp(t->p, STATE_MAGIC, magic) != 0 || t->p[magic] != ' ')
        return bad_state(t, e);
    t->p += magic + 1;
    static const long long vmax[7] = {255, 255, UINT32_MAX, UINT32_MAX, UINT32_MAX, 65535, 100000};
    for (int i = 0; i < 7; i++)
        if (next_i64(t, 0, vmax[i], &v[i], e) < 0)
            return -1;
    if (next_f64(t, &lo, e) < 0 || next_f64(t, &hi, e) < 0)
        return -1;
    ts_header h = {(ts_dtype)v[0], (int)v[1], {(uint32_t)v[2], (uint32_t)v[3], (uint32_t)v[4]}, (uint32_t)v[5],
                   TS_COUNT_UNKNOWN};
    char a[64], b[64];
    if (first) {
        if (ts_header_validate(&h, e) < 0 || v[6] < 1)
            return v[6] < 1 ? bad_state(t, e) : err_prefix(e, "%s: merge_state", t->name);
        o->bins = (int)v[6], o->lo = lo, o->hi = hi;
        return stats_init(s, o, &h, e) < 0 ? err_prefix(e, "%s: merge_state", t->name) : 0;
    }
    if (!ts_same_shape(&h, &s->h) || h.nclass != s->h.nclass)
        return err_set(e, "%s: a report on %s records (nclass %u), but %s is on %s (nclass %u)", t->name,
                       ts_shape_str(&h, a, sizeof a), h.nclass, first_name, ts_shape_str(&s->h, b, sizeof b),
                       s->h.nclass);
    if (v[6] != o->bins || lo != o->lo || hi != o->hi)
        return err_set(e, "%s: %lld bins over [%g, %g], but %s has %d over [%g, %g] (give every part the same --bins "
                       "and --range)", t->name, v[6], lo, hi, first_name, o->bins, o->lo, o->hi);
    return 0;
}

/* Add one report (its merge_state, at t) to s. */
static int merge_state(tokens *t, stats *s, options *o, int first, const char *first_name, err *e)
{
    uint64_t records = 0, labelled = 0, unlabelled = 0, dark = 0;
    long long nclass = 0, k = 0, label = 0;
    moments m = {0};
    if (state_head(t, s, o, first, first_name, e) < 0 || next_u64(t, &records, e) < 0 ||
        next_u64(t, &labelled, e) < 0 || next_u64(t, &unlabelled, e) < 0 || next_u64(t, &dark, e) < 0 ||
        next_i64(t, 0, MAX_CLASSES, &nclass, e) < 0)
        return -1;
    s->records += records, s->labelled += labelled, s->unlabelled += unlabelled, s->dark += dark;
    if (nclass > s->nclass)
        s->nclass = (int)nclass;
    if (next_moments(t, &m, e) < 0)
        return -1;
    if (s->pixel.n == 0) /* the pixel moments have no m3: merged as stats merges each image's */
        s->pixel = m;
    else
        moments_merge2(&s->pixel, m.n, m.mean, m.m2, m.min, m.max);
    if (next_moments(t, &m, e) < 0 || add_hist(t, &s->hist_mean, e) < 0)
        return -1;
    moments_merge(&s->image_mean, &m);
    if (next_moments(t, &m, e) < 0 || add_hist(t, &s->hist_std, e) < 0)
        return -1;
    moments_merge(&s->image_std, &m);
    if (next_i64(t, 0, MAX_CLASSES + 1, &k, e) < 0)
        return -1;
    for (long long j = 0; j < k; j++) {
        uint64_t n = 0;
        double pixel_sum = 0, std_sum = 0, x = 0;
        if (next_i64(t, -1, s->h.nclass ? (long long)s->h.nclass - 1 : MAX_CLASSES - 1, &label, e) < 0 ||
            next_u64(t, &n, e) < 0 || next_f64(t, &pixel_sum, e) < 0 || next_f64(t, &std_sum, e) < 0)
            return -1;
        class_acc *c = class_of(s, (int32_t)label, 0, e);
        if (!c)
            return -1;
        c->n += n, c->pixel_sum += pixel_sum, c->image_std_sum += std_sum;
        for (size_t i = 0; i < s->elems; i++) {
            if (next_f64(t, &x, e) < 0)
                return -1;
            c->image_sum[i] += x;
        }
    }
    return *t->p ? bad_state(t, e) : 0;
}

static int merge_reports(stats *s, options *o, err *e)
{
    for (int i = 0; i < o->nreports; i++) {
        char *text = read_text(o->reports[i], e);
        if (!text)
            return -1;
        tokens t = {cli_name(o->reports[i]), find_state(text, cli_name(o->reports[i]), e)};
        int rc = t.p ? merge_state(&t, s, o, i == 0, cli_name(o->reports[0]), e) : -1;
        free(text);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- reading a stream ------------------------------------------------------ */

static int read_stream(stats *s, const options *o, err *e)
{
    ts_reader *r = ts_open_path(o->path, e);
    if (!r || stats_init(s, o, ts_header_of(r), e) < 0)
        return -1; /* main exits: nothing to close */
    enum { CHUNK = 256 };
    int32_t labels[CHUNK];
    size_t rec_bytes = ts_payload_bytes(&s->h);
    unsigned char *buf = malloc(CHUNK * rec_bytes);
    if (!buf)
        return err_set(e, "out of memory");
    long got;
    /* f32 through ts_read_f32, which refuses NaN and infinities (floats fit: buf is malloc'd) */
    while ((got = s->h.dtype == TS_F32 ? ts_read_f32(r, CHUNK, NULL, labels, (float *)(void *)buf, e)
                                       : ts_read(r, CHUNK, NULL, labels, buf, e)) > 0)
        for (long i = 0; i < got; i++)
            if (add_image(s, labels[i], buf + (size_t)i * rec_bytes, e) < 0)
                return -1;
    free(buf);
    ts_close(r);
    return got < 0 ? -1 : 0;
}

/* ---- pictures ---------------------------------------------------------- */

static const colour page_bg = {255, 255, 255}, ink = {31, 41, 51};

enum { PIC_PAD = 10, PIC_GAP = 4, PIC_TITLE_SCALE = 2 };

/* The name of picture row r: the class's number and name, or "all records"
 * when no record has a label. */
static void picture_label(const stats *s, int r, char *out, unsigned len)
{
    char buf[32];
    if (!s->labelled)
        snprintf(out, len, "all records");
    else if (row_label(s, r) < 0)
        snprintf(out, len, "%s", row_name(s, r, buf, sizeof buf));
    else
        snprintf(out, len, "%d %s", r, row_name(s, r, buf, sizeof buf));
}

static const class_acc *picture_acc(const stats *s, int r)
{
    return s->labelled ? row_acc(s, r) : s->cls[MAX_CLASSES];
}

/* A white canvas of w x h, refused (as the old tiles were) past what a
 * picture can reasonably hold. */
static int picture_init(canvas *cv, size_t w, size_t h, err *e)
{
    if (w > 1u << 15 || h > 1u << 15)
        return err_set(e, "picture too large (%zux%zu); lower --scale or --grid", w, h);
    return canvas_init(cv, (int)w, (int)h, page_bg, e);
}

static int picture_write(canvas *cv, const char *dir, const char *name, err *e)
{
    char path[FM_PATH_MAX];
    int rc = (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path
                 ? err_set(e, "%s: path too long", dir)
                 : canvas_write_png(cv, path, e);
    canvas_free(cv);
    return rc;
}

/* mean-images.png: a title, then one tile per class in a row, each named below. */
static int draw_means(const stats *s, int rows, unsigned char *img, err *e)
{
    int sc = s->o->scale, tw = (int)s->width * sc, th = (int)s->height * sc, col_w = tw;
    char label[64], title[96];
    for (int r = 0; r < rows; r++) {
        picture_label(s, r, label, sizeof label);
        int w = canvas_text_width(label, 1);
        col_w = w > col_w ? w : col_w;
    }
    snprintf(title, sizeof title, "mean image of each class (%llu records)", (unsigned long long)s->records);
    if (!s->labelled)
        snprintf(title, sizeof title, "mean image (%llu records, no labels)", (unsigned long long)s->records);
    size_t width = 2 * PIC_PAD + (size_t)rows * (size_t)(col_w + PIC_GAP) - PIC_GAP;
    size_t title_w = 2 * PIC_PAD + (size_t)canvas_text_width(title, PIC_TITLE_SCALE);
    int top = PIC_PAD + canvas_text_height(PIC_TITLE_SCALE) + PIC_PAD;
    canvas cv;
    if (picture_init(&cv, width > title_w ? width : title_w,
                     (size_t)top + (size_t)th + PIC_GAP + (size_t)canvas_text_height(1) + PIC_PAD, e) < 0)
        return -1;
    canvas_text(&cv, PIC_PAD, PIC_PAD, title, PIC_TITLE_SCALE, ink);
    for (int r = 0; r < rows; r++) {
        int x = PIC_PAD + r * (col_w + PIC_GAP);
        const class_acc *c = picture_acc(s, r);
        if (c && c->n) {
            for (size_t px = 0; px < s->height * s->width; px++)
                for (size_t ch = 0; ch < s->disp; ch++)
                    img[px * s->disp + ch] =
                        to_byte(c->image_sum[px * s->channels + ch] / (double)c->n, s->o->lo, s->o->hi);
            canvas_image(&cv, x + (col_w - tw) / 2, top, img, (int)s->width, (int)s->height, (int)s->disp, sc);
        } else {
            canvas_fill(&cv, x + (col_w - tw) / 2, top, tw, th, (colour){0, 0, 0});
        }
        picture_label(s, r, label, sizeof label);
        canvas_text(&cv, x + (col_w - canvas_text_width(label, 1)) / 2, top + th + PIC_GAP, label, 1, ink);
    }
    return picture_write(&cv, s->o->png_dir, MEAN_PNG, e);
}

/* grid.png: a title, then the first N images of each class, one class per
 * row, named on the left. */
static int draw_grid(const stats *s, int rows, err *e)
{
    int sc = s->o->scale, tw = (int)s->width * sc, th = (int)s->height * sc, n = s->o->grid;
    int ls = th >= 4 * CANVAS_CHAR_H ? 2 : 1, name_w = 0; /* names at scale 2 beside large tiles */
    char label[64], title[96];
    for (int r = 0; r < rows; r++) {
        picture_label(s, r, label, sizeof label);
        int w = canvas_text_width(label, ls);
        name_w = w > name_w ? w : name_w;
    }
    snprintf(title, sizeof title, "the first %d images of each class", n);
    if (!s->labelled)
        snprintf(title, sizeof title, "the first %d images", n);
    int left = PIC_PAD + name_w + PIC_PAD, top = PIC_PAD + canvas_text_height(PIC_TITLE_SCALE) + PIC_PAD;
    size_t width = (size_t)left + (size_t)n * (size_t)(tw + PIC_GAP) - PIC_GAP + PIC_PAD;
    size_t title_w = 2 * PIC_PAD + (size_t)canvas_text_width(title, PIC_TITLE_SCALE);
    canvas cv;
    if (picture_init(&cv, width > title_w ? width : title_w,
                     (size_t)top + (size_t)rows * (size_t)(th + PIC_GAP) - PIC_GAP + PIC_PAD, e) < 0)
        return -1;
    canvas_text(&cv, PIC_PAD, PIC_PAD, title, PIC_TITLE_SCALE, ink);
    size_t npx = s->height * s->width * s->disp;
    for (int r = 0; r < rows; r++) {
        int y = top + r * (th + PIC_GAP);
        picture_label(s, r, label, sizeof label);
        canvas_text(&cv, left - PIC_PAD - canvas_text_width(label, ls), y + (th - 7 * ls) / 2, label, ls, ink);
        const class_acc *c = picture_acc(s, r);
        for (int i = 0; i < n; i++) {
            int x = left + i * (tw + PIC_GAP);
            if (c && i < c->ngrid)
                canvas_image(&cv, x, y, c->grid + (size_t)i * npx, (int)s->width, (int)s->height, (int)s->disp, sc);
            else
                canvas_fill(&cv, x, y, tw, th, (colour){0, 0, 0});
        }
    }
    return picture_write(&cv, s->o->png_dir, GRID_PNG, e);
}

static int write_pictures(const stats *s, err *e)
{
    const char *dir = s->o->png_dir;
    if (make_dirs(dir, NULL, e) < 0)
        return -1;
    int rows = s->labelled ? class_rows(s) : 1;
    if (rows == 0 || s->records == 0)
        return err_set(e, "%s: no records to draw", cli_name(s->o->path));
    unsigned char *img = malloc(s->height * s->width * s->disp);
    if (!img)
        return err_set(e, "out of memory");
    int rc = draw_means(s, rows, img, e) < 0 || draw_grid(s, rows, e) < 0 ? -1 : 0;
    free(img);
    return rc;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    err e;
    char mean_png[FM_PATH_MAX] = "", grid_png[FM_PATH_MAX] = "", merged[64];
    if (o.png_dir) {
        snprintf(mean_png, sizeof mean_png, "%s/" MEAN_PNG, o.png_dir);
        snprintf(grid_png, sizeof grid_png, "%s/" GRID_PNG, o.png_dir);
    }
    const char *outs[] = {o.csv_path, o.json_path, o.png_dir ? mean_png : NULL, o.png_dir ? grid_png : NULL};
    const char *stream[] = {o.path ? o.path : "-"};
    const char *const *ins = o.merge ? o.reports : stream;
    if (check_not_inputs(outs, 4, ins, o.merge ? (size_t)o.nreports : 1, &e) < 0)
        cli_die_err(&e);
    static stats s; /* large (class pointer table): not on the stack */
    if ((o.merge ? merge_reports(&s, &o, &e) : read_stream(&s, &o, &e)) < 0)
        cli_die_err(&e);
    snprintf(merged, sizeof merged, "%d report%s merged", o.nreports, o.nreports == 1 ? "" : "s");
    s.input = o.merge ? merged : cli_name(o.path);

    if (s.pictures && write_pictures(&s, &e) < 0)
        cli_die_err(&e);
    if (o.json_path)
        report_to_file(o.json_path, report_json, &s);
    if (o.csv_path)
        report_to_file(o.csv_path, report_csv, &s);
    if (o.format == 'j')
        report_json(stdout, &s);
    else if (o.format == 'c')
        report_csv(stdout, &s);
    else
        report_text(stdout, &s);
    stats_free(&s);
    return 0;
}
