/* confmat - confusion matrix, accuracy and classification report of a prediction stream.
 *
 * Definitions follow scikit-learn's classification_report (zero_division
 * default): precision = tp / predicted, 0 for a class never predicted;
 * recall = tp / support, 0 for a class absent from the truth; F1 =
 * 2tp / (2tp + fp + fn), 0 when both are 0. Like sklearn, the report lists
 * the classes that occur in the truth or the predictions, and the macro and
 * weighted averages run over those. The confusion matrix shows all K.
 * The predicted class is the argmax; ties go to the lowest class index.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classes.h"
#include "cli.h"
#include "atomic_file.h"
#include "canvas.h"
#include "confidence.h"
#include "tensor_stream.h"

#define MAX_CLASSES 1024
#define LOG_EPS 1e-15 /* sklearn's log_loss clipping (its eps default up to 1.2) */

static const char usage[] =
    "Usage: confmat [OPTION]... [FILE]\n"
    "Evaluate a prediction stream (f32 class probabilities with true labels, as predict writes it):\n"
    "accuracy, confusion matrix (rows: true class, columns: predicted), classification report\n"
    "(precision, recall, F1, support as scikit-learn's classification_report defines them),\n"
    "log-loss and the most-confused pairs. The predicted class is the argmax (ties: lowest index).\n"
    "With no FILE, or FILE '-', read stdin.\n"
    "\n"
    "  -p, --pairs N       list the N most-confused pairs [5]\n"
    "  -t, --top-k K       also report top-K accuracy [off]\n"
    "  -d, --digits D      digits in the classification report [2]\n"
    "  -c, --csv           print the confusion matrix as CSV instead of the text report\n"
    "  -j, --json          print every figure as JSON instead of the text report\n"
    "  -P, --png FILE      also draw the confusion matrix as a heatmap (row-normalised) into FILE\n" CLI_STD_HELP
    "\n"
    "Example: csv2tensor < fashion-mnist_test.csv | predict model.bin | confmat\n";

typedef enum outfmt { OUT_TEXT, OUT_CSV, OUT_JSON } outfmt;

typedef struct options {
    long pairs, topk;
    int digits;
    outfmt fmt;
    const char *png, *path;
} options;

static options parse_command_line(int argc, char **argv)
{
    options o = {5, 0, 2, OUT_TEXT, NULL, NULL};
    static const struct option longs[] = {
        {"pairs", required_argument, 0, 'p'}, {"top-k", required_argument, 0, 't'},
        {"digits", required_argument, 0, 'd'}, {"csv", no_argument, 0, 'c'},
        {"json", no_argument, 0, 'j'},         {"png", required_argument, 0, 'P'},
        CLI_STD_LONG,
    };
    int ch, nfmt = 0;
    while ((ch = getopt_long(argc, argv, "p:t:d:cjP:" CLI_STD_SHORT, longs, NULL)) != -1) {
        switch (ch) {
        case 'p': o.pairs = cli_long("--pairs", optarg, 0, 1000000); break;
        case 't': o.topk = cli_long("--top-k", optarg, 1, MAX_CLASSES); break;
        case 'd': o.digits = (int)cli_long("--digits", optarg, 0, 10); break;
        case 'c': o.fmt = OUT_CSV, nfmt++; break;
        case 'j': o.fmt = OUT_JSON, nfmt++; break;
        case 'P':
            if (strcmp(optarg, "-") == 0)
                cli_usage_error("--png: give a file name (stdout gets the report)");
            o.png = optarg;
            break;
        default: cli_std_option(ch, usage);
        }
    }
    if (nfmt > 1)
        cli_usage_error("--csv and --json exclude each other");
    o.path = cli_operands(argc, argv, 0, 1, NULL, "one input file") ? argv[optind] : NULL;
    return o;
}

/* ---- counting ---------------------------------------------------------- */

typedef struct tally {
    int k;
    uint64_t n, correct, topk_hits;
    uint64_t *cm;       /* (k, k): rows true, columns predicted */
    double logloss;     /* sum of -ln(clipped p_true) */
    int probabilities;  /* every row is a probability vector so far */
} tally;

/* Adds one record; returns -1 with a message for a record we cannot count. */
static int tally_add(tally *t, const float *x, int32_t label, long topk, err *e)
{
    int k = t->k;
    if (label < 0)
        return err_set(e, "no true label (confmat needs labelled predictions)");
    if (label >= k)
        return err_set(e, "true label %d out of range for %d classes", label, k);
    double sum = 0;
    for (int j = 0; j < k; j++) {
        if (!isfinite(x[j]))
            return err_set(e, "score of class %d is %g", j, (double)x[j]);
        if (x[j] < 0 || x[j] > 1)
            t->probabilities = 0;
        sum += x[j];
    }
    if (fabs(sum - 1) > 1e-3)
        t->probabilities = 0;
    if (topk) {
        long rank = 0; /* classes ranked above the true one; ties: lower index first */
        for (int j = 0; j < k; j++)
            rank += x[j] > x[label] || (x[j] == x[label] && j < label);
        t->topk_hits += rank < topk;
    }
    double p = x[label];
    p = p < LOG_EPS ? LOG_EPS : p > 1 - LOG_EPS ? 1 - LOG_EPS : p;
    t->logloss -= log(p);
    const int best = conf_argmax(x, k);
    t->cm[(size_t)label * k + best]++;
    t->correct += best == label;
    t->n++;
    return 0;
}

/* ---- the report -------------------------------------------------------- */

typedef struct metrics {
    uint64_t tp, predicted, support;
    double precision, recall, f1;
    int in_report; /* occurs in the truth or the predictions */
} metrics;

typedef struct summary {
    metrics *m;
    int nreport;
    double macro[3], weighted[3];
} summary;

static summary summarise(const tally *t)
{
    int k = t->k;
    summary s = {calloc((size_t)k, sizeof(metrics)), 0, {0, 0, 0}, {0, 0, 0}};
    if (!s.m)
        cli_die("out of memory");
    for (int i = 0; i < k; i++) {
        metrics *m = &s.m[i];
        m->tp = t->cm[(size_t)i * k + i];
        for (int j = 0; j < k; j++) {
            m->support += t->cm[(size_t)i * k + j];
            m->predicted += t->cm[(size_t)j * k + i];
        }
        uint64_t fp = m->predicted - m->tp, fn = m->support - m->tp;
        m->precision = m->predicted ? (double)m->tp / (double)m->predicted : 0;
        m->recall = m->support ? (double)m->tp / (double)m->support : 0;
        m->f1 = 2 * m->tp + fp + fn ? 2.0 * (double)m->tp / (double)(2 * m->tp + fp + fn) : 0;
        m->in_report = m->support || m->predicted;
        if (!m->in_report)
            continue;
        s.nreport++;
        double v[3] = {m->precision, m->recall, m->f1};
        for (int q = 0; q < 3; q++) {
            s.macro[q] += v[q];
            s.weighted[q] += v[q] * (double)m->support;
        }
    }
    for (int q = 0; q < 3; q++) {
        s.macro[q] /= s.nreport;
        s.weighted[q] /= (double)t->n;
    }
    return s;
}

static const char *class_name(int k, int i, char *buf, unsigned len)
{
    if (k == FM_NCLASS)
        return fm_class_names[i];
    snprintf(buf, len, "class %d", i);
    return buf;
}

typedef struct pair {
    int t, p;
    uint64_t count;
} pair;

static int pair_cmp(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->p > y->p) - (x->p < y->p);
}

/* Off-diagonal cells with a count, most first (ties: by true, then predicted class). */
static pair *confused_pairs(const tally *t, size_t *n)
{
    int k = t->k;
    size_t cap = 0;
    for (size_t c = 0; c < (size_t)k * k; c++)
        cap += c / k != c % k && t->cm[c];
    pair *v = malloc((cap ? cap : 1) * sizeof *v);
    if (!v)
        cli_die("out of memory");
    *n = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            if (i != j && t->cm[(size_t)i * k + j])
                v[(*n)++] = (pair){i, j, t->cm[(size_t)i * k + j]};
    qsort(v, *n, sizeof *v, pair_cmp);
    return v;
}

static int ndigits(uint64_t v)
{
    int d = 1;
    while (v >= 10)
        v /= 10, d++;
    return d;
}

static void print_matrix(const tally *t)
{
    int k = t->k;
    char buf[32];
    uint64_t max = (uint64_t)(k - 1);
    int lw = 0;
    for (size_t c = 0; c < (size_t)k * k; c++)
        max = t->cm[c] > max ? t->cm[c] : max;
    for (int i = 0; i < k; i++) {
        int w = ndigits((uint64_t)i) + 1 + (int)strlen(class_name(k, i, buf, sizeof buf));
        lw = w > lw ? w : lw;
    }
    int cw = ndigits(max) + 2;
    cw = cw < 5 ? 5 : cw;
    printf("confusion matrix (rows: true class, columns: predicted class)\n%*s", lw, "");
    for (int j = 0; j < k; j++)
        printf("%*d", cw, j);
    putchar('\n');
    for (int i = 0; i < k; i++) {
        int w = printf("%d %s", i, class_name(k, i, buf, sizeof buf));
        printf("%*s", lw - w, "");
        for (int j = 0; j < k; j++)
            printf("%*llu", cw, (unsigned long long)t->cm[(size_t)i * k + j]);
        putchar('\n');
    }
}

/* Laid out exactly as sklearn.metrics.classification_report(digits=D) prints. */
static void print_report(const tally *t, const summary *s, int digits)
{
    int k = t->k;
    char buf[32];
    int width = (int)strlen("weighted avg");
    width = digits > width ? digits : width;
    for (int i = 0; i < k; i++) {
        int w = (int)strlen(class_name(k, i, buf, sizeof buf));
        if (s->m[i].in_report && w > width)
            width = w;
    }
    printf("%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score", "support");
    for (int i = 0; i < k; i++) {
        const metrics *m = &s->m[i];
        if (m->in_report)
            printf("%*s  %9.*f %9.*f %9.*f %9llu\n", width, class_name(k, i, buf, sizeof buf), digits, m->precision,
                   digits, m->recall, digits, m->f1, (unsigned long long)m->support);
    }
    unsigned long long n = (unsigned long long)t->n;
    printf("\n%*s  %9s %9s %9.*f %9llu\n", width, "accuracy", "", "", digits, (double)t->correct / (double)t->n, n);
    printf("%*s  %9.*f %9.*f %9.*f %9llu\n", width, "macro avg", digits, s->macro[0], digits, s->macro[1], digits,
           s->macro[2], n);
    printf("%*s  %9.*f %9.*f %9.*f %9llu\n", width, "weighted avg", digits, s->weighted[0], digits, s->weighted[1],
           digits, s->weighted[2], n);
    /* sklearn says these with an UndefinedMetricWarning. */
    const char *what[2] = {"precision set to 0 for classes never predicted (as sklearn's zero_division)",
                           "recall set to 0 for classes absent from the truth (as sklearn's zero_division)"};
    for (int q = 0; q < 2; q++) {
        int first = 1;
        for (int i = 0; i < k; i++) {
            const metrics *m = &s->m[i];
            if (m->in_report && (q == 0 ? !m->predicted : !m->support)) {
                printf("%s%s", first ? "note: " : ", ", class_name(k, i, buf, sizeof buf));
                first = 0;
            }
        }
        if (!first)
            printf(": %s\n", what[q]);
    }
}

static void print_text(const tally *t, const summary *s, const options *o)
{
    char b1[32], b2[32];
    unsigned long long n = (unsigned long long)t->n, ok = (unsigned long long)t->correct;
    printf("records: %llu\n", n);
    printf("accuracy: %.4f (%llu of %llu correct; %llu error%s)\n", (double)ok / (double)n, ok, n, n - ok,
           n - ok == 1 ? "" : "s");
    if (o->topk)
        printf("top-%ld accuracy: %.4f (%llu of %llu)\n", o->topk, (double)t->topk_hits / (double)n,
               (unsigned long long)t->topk_hits, n);
    if (t->probabilities)
        printf("log-loss: %.4f (mean -ln p(true class), p clipped to [1e-15, 1 - 1e-15])\n", t->logloss / (double)n);
    else
        printf("log-loss: n/a (the scores are not probabilities)\n");
    putchar('\n');
    print_matrix(t);
    printf("\nclassification report\n");
    print_report(t, s, o->digits);
    if (o->pairs) {
        size_t np;
        pair *v = confused_pairs(t, &np);
        printf("\nmost-confused pairs (true -> predicted: count, share of the true class)\n");
        if (!np)
            printf("  none: every prediction is right\n");
        for (size_t i = 0; i < np && i < (size_t)o->pairs; i++)
            printf("  %s -> %s: %llu (%.1f%%)\n", class_name(t->k, v[i].t, b1, sizeof b1),
                   class_name(t->k, v[i].p, b2, sizeof b2), (unsigned long long)v[i].count,
                   100.0 * (double)v[i].count / (double)s->m[v[i].t].support);
        free(v);
    }
}

static void print_csv(const tally *t)
{
    int k = t->k;
    char buf[32];
    printf("class,name");
    for (int j = 0; j < k; j++)
        printf(",%s", class_name(k, j, buf, sizeof buf));
    putchar('\n');
    for (int i = 0; i < k; i++) {
        printf("%d,%s", i, class_name(k, i, buf, sizeof buf));
        for (int j = 0; j < k; j++)
            printf(",%llu", (unsigned long long)t->cm[(size_t)i * k + j]);
        putchar('\n');
    }
}

static void json_metrics(const char *key, const double *v, uint64_t support)
{
    printf("\"%s\": {\"precision\": %.10g, \"recall\": %.10g, \"f1\": %.10g, \"support\": %llu}", key, v[0], v[1],
           v[2], (unsigned long long)support);
}

static void print_json(const tally *t, const summary *s, const options *o)
{
    int k = t->k;
    char buf[32];
    double n = (double)t->n;
    printf("{\n  \"records\": %llu,\n  \"classes\": %d,\n", (unsigned long long)t->n, k);
    printf("  \"accuracy\": %.10g,\n  \"errors\": %llu,\n", (double)t->correct / n,
           (unsigned long long)(t->n - t->correct));
    if (o->topk)
        printf("  \"top_k\": {\"k\": %ld, \"accuracy\": %.10g},\n", o->topk, (double)t->topk_hits / n);
    if (t->probabilities)
        printf("  \"log_loss\": %.10g,\n", t->logloss / n);
    else
        printf("  \"log_loss\": null,\n");
    printf("  \"names\": [");
    for (int i = 0; i < k; i++)
        printf("%s\"%s\"", i ? ", " : "", class_name(k, i, buf, sizeof buf));
    printf("],\n  \"matrix\": [\n");
    for (int i = 0; i < k; i++) {
        printf("    [");
        for (int j = 0; j < k; j++)
            printf("%s%llu", j ? ", " : "", (unsigned long long)t->cm[(size_t)i * k + j]);
        printf("]%s\n", i + 1 < k ? "," : "");
    }
    printf("  ],\n  \"report\": [\n");
    int left = s->nreport;
    for (int i = 0; i < k; i++) {
        const metrics *m = &s->m[i];
        if (!m->in_report)
            continue;
        printf("    {\"class\": %d, \"name\": \"%s\", \"precision\": %.10g, \"recall\": %.10g, \"f1\": %.10g, "
               "\"support\": %llu, \"predicted\": %llu}%s\n",
               i, class_name(k, i, buf, sizeof buf), m->precision, m->recall, m->f1, (unsigned long long)m->support,
               (unsigned long long)m->predicted, --left ? "," : "");
    }
    printf("  ],\n  ");
    json_metrics("macro_avg", s->macro, t->n);
    printf(",\n  ");
    json_metrics("weighted_avg", s->weighted, t->n);
    printf(",\n  \"confused_pairs\": [");
    size_t np;
    pair *v = confused_pairs(t, &np);
    for (size_t i = 0; i < np && i < (size_t)o->pairs; i++)
        printf("%s\n    {\"true\": %d, \"predicted\": %d, \"count\": %llu}", i ? "," : "", v[i].t, v[i].p,
               (unsigned long long)v[i].count);
    printf("%s]\n}\n", np && o->pairs ? "\n  " : "");
    free(v);
}

/* ---- heatmap ----------------------------------------------------------- */

static const colour white = {255, 255, 255}, ink = {31, 41, 51}, grey = {123, 135, 148};

/* v centred in the box (x0, y0, w, h) at the largest scale (2 or 1) that fits; nothing if none does. */
static void draw_count(canvas *c, uint64_t v, int x0, int y0, int w, int h, colour col)
{
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    for (int sc = 2; sc >= 1; sc--) {
        int tw = canvas_text_width(s, sc), th = 7 * sc; /* digits have no descender */
        if (tw <= w - 2 && th <= h - 2) {
            canvas_text(c, x0 + (w - tw) / 2, y0 + (h - th) / 2, s, sc, col);
            return;
        }
    }
}

/* Cells coloured by the share of the true class (white to dark blue, like
 * matplotlib's "Blues"), counts written in the cells; "true label" and
 * "predicted label" as axis titles, each class's number and name beside its
 * row and above its column (turned upwards), when the cells are large enough
 * for text. */
static void write_png(const tally *t, const char *path)
{
    int k = t->k;
    int cell = k <= 20 ? 40 : 800 / k < 4 ? 4 : 800 / k;
    int named = cell >= 12, ns = cell >= 24 ? 2 : 1; /* names and their scale */
    int pad = 10, ts = 2, title_h = named ? canvas_text_height(ts) : 0, name_w = 0;
    char label[48], buf[32];
    for (int i = 0; named && i < k; i++) {
        snprintf(label, sizeof label, "%d %s", i, class_name(k, i, buf, sizeof buf));
        int w = canvas_text_width(label, ns);
        name_w = w > name_w ? w : name_w;
    }
    int left = named ? pad + title_h + pad + name_w + pad : 0, top = left;
    int grid = k * cell;
    canvas c;
    err e;
    if (canvas_init(&c, left + grid + (named ? pad : 0), top + grid + (named ? pad : 0), white, &e) < 0)
        cli_die("%s: %s", path, e.msg);
    if (named) {
        const char *tx = "predicted label", *ty = "true label";
        canvas_text(&c, left + (grid - canvas_text_width(tx, ts)) / 2, pad, tx, ts, ink);
        canvas_text_up(&c, pad, top + (grid - canvas_text_width(ty, ts)) / 2, ty, ts, ink);
    }
    for (int i = 0; i < k; i++) {
        uint64_t support = 0;
        for (int j = 0; j < k; j++)
            support += t->cm[(size_t)i * k + j];
        if (named) {
            snprintf(label, sizeof label, "%d %s", i, class_name(k, i, buf, sizeof buf));
            int w = canvas_text_width(label, ns), off = (cell - 7 * ns) / 2;
            canvas_text(&c, left - pad - w, top + i * cell + off, label, ns, ink);
            canvas_text_up(&c, left + i * cell + off, top - pad - w, label, ns, ink);
        }
        for (int j = 0; j < k; j++) {
            uint64_t v = t->cm[(size_t)i * k + j];
            double f = support ? (double)v / (double)support : 0;
            colour col = {(unsigned char)lround(255 - f * (255 - 8)), (unsigned char)lround(255 - f * (255 - 48)),
                          (unsigned char)lround(255 - f * (255 - 107))};
            canvas_fill(&c, left + j * cell, top + i * cell, cell, cell, col);
            if (v)
                draw_count(&c, v, left + j * cell, top + i * cell, cell, cell, f > 0.5 ? white : ink);
        }
    }
    if (named) { /* a frame round the cells */
        int x1 = left + grid, y1 = top + grid;
        canvas_line(&c, left - 1, top - 1, x1, top - 1, grey);
        canvas_line(&c, left - 1, y1, x1, y1, grey);
        canvas_line(&c, left - 1, top - 1, left - 1, y1, grey);
        canvas_line(&c, x1, top - 1, x1, y1, grey);
    }
    if (canvas_write_png(&c, path, &e) < 0)
        cli_die_err(&e);
    canvas_free(&c);
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    const char *name = cli_name(o.path);
    err e;
    const char *outs[] = {o.png}, *ins[] = {o.path ? o.path : "-"};
    if (check_not_inputs(outs, 1, ins, 1, &e) < 0)
        cli_die_err(&e);
    ts_reader *r = ts_open_path(o.path, &e);
    if (!r)
        cli_die_err(&e);
    const ts_header *h = ts_header_of(r);
    char shape[64];
    if (h->dtype != TS_F32 || h->rank != 1)
        cli_die("%s: a %s stream is not predictions (expected f32 class scores, rank 1: run predict first)", name,
                ts_shape_str(h, shape, sizeof shape));
    if (h->dims[0] > MAX_CLASSES)
        cli_die("%s: %u classes (confmat handles up to %d)", name, h->dims[0], MAX_CLASSES);
    if (h->nclass && h->nclass != h->dims[0])
        cli_die("%s: the header says %u classes but each record has %u scores", name, h->nclass, h->dims[0]);
    if (o.topk > (long)h->dims[0])
        cli_usage_error("--top-k %ld: the stream has only %u classes", o.topk, h->dims[0]);

    tally t = {(int)h->dims[0], 0, 0, 0, NULL, 0, 1};
    t.cm = calloc((size_t)t.k * t.k, sizeof *t.cm);
    enum { BATCH = 256 };
    float *x = malloc((size_t)BATCH * t.k * sizeof *x);
    int32_t labels[BATCH];
    if (!t.cm || !x)
        cli_die("out of memory");
    long got;
    while ((got = ts_read(r, BATCH, NULL, labels, x, &e)) > 0) {
        for (long i = 0; i < got; i++)
            if (tally_add(&t, x + (size_t)i * t.k, labels[i], o.topk, &e) < 0)
                cli_die("%s: record %llu: %s", name, (unsigned long long)(t.n + 1), e.msg);
    }
    if (got < 0)
        cli_die_err(&e);
    if (!t.n)
        cli_die("%s: no records (nothing to evaluate)", name);
    ts_close(r);

    if (o.png) /* first: a picture that cannot be written fails before any report is printed */
        write_png(&t, o.png);
    summary s = summarise(&t);
    switch (o.fmt) {
    case OUT_TEXT: print_text(&t, &s, &o); break;
    case OUT_CSV: print_csv(&t); break;
    case OUT_JSON: print_json(&t, &s, &o); break;
    }
    free(s.m);
    free(t.cm);
    free(x);
    return 0;
}
