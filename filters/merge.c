/* merge - read a reviewed sheet from flag back, together with the prediction
 * stream, and write every record's final label and where it came from. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "pred_table.h"
#include "review_csv.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: merge [OPTION]... --reviews REVIEWED.csv [PREDICTIONS]\n"
    "Merge a reviewed sheet (flag's CSV with the reviewer_label column filled in) with the\n"
    "prediction stream it came from, and write CSV: id,final_label,final_name,source for every\n"
    "record of PREDICTIONS, in stream order; source is 'reviewer' where the sheet gives a\n"
    "reviewer label and 'model' elsewhere (a blank reviewer_label accepts the model's answer).\n"
    "With no PREDICTIONS, or '-', read stdin.\n"
    "\n"
    "  -r, --reviews FILE       the reviewed sheet (CSV, UTF-8, header row as flag wrote it;\n"
    "                           columns may be reordered or dropped, except id, predicted and\n"
    "                           reviewer_label; a reviewer label is a class number or name)\n"
    "  -o, --output FILE        write the CSV to FILE (atomically) [stdout]\n"
    "  -n, --class-names FILE   class names, one a line [Fashion-MNIST names for 10 classes]\n"
    "  -h, --help               show this help and exit\n"
    "  -V, --version            show the version and exit\n"
    "\n"
    "The sheet is checked against the predictions: every id must be known and appear once, and\n"
    "each row's predicted (and true_label, runner_up, names) must match, which catches rows\n"
    "moved or sorted apart from their cells. On stderr merge reports how many records were\n"
    "reviewed and corrected, the corrections by class, and, when the predictions carry true\n"
    "labels, the accuracy before and after review.\n";

typedef struct options {
    const char *reviews, *output, *class_names, *path;
} options;

static options parse_command_line(int argc, char **argv)
{
    options o = {NULL, NULL, NULL, NULL};
    static const struct option longs[] = {
        {"reviews", required_argument, 0, 'r'}, {"output", required_argument, 0, 'o'},
        {"class-names", required_argument, 0, 'n'}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},       {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "r:o:n:hV", longs, NULL)) != -1) {
        switch (ch) {
        case 'r': o.reviews = optarg; break;
        case 'o': o.output = optarg; break;
        case 'n': o.class_names = optarg; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    if (argc - optind > 1)
        cli_usage_error("too many arguments (one prediction stream at most)");
    o.path = optind < argc ? argv[optind] : NULL;
    if (!o.reviews)
        cli_usage_error("--reviews FILE is required (the reviewed sheet)");
    if (strcmp(o.reviews, "-") == 0 && (!o.path || strcmp(o.path, "-") == 0))
        cli_usage_error("the reviews and the predictions cannot both come from stdin");
    return o;
}

/* ---- the sheet's columns ------------------------------------------------ */

enum {
    COL_ID, COL_TRUE_LABEL, COL_TRUE_NAME, COL_PREDICTED, COL_PREDICTED_NAME, COL_PROBABILITY,
    COL_RUNNER_UP, COL_RUNNER_UP_NAME, COL_RUNNER_UP_PROBABILITY, COL_SCORE, COL_IMAGE, COL_REVIEWER_LABEL,
    NCOL
};
static const char *const col_names[NCOL] = {
    "id", "true_label", "true_name", "predicted", "predicted_name", "probability", "runner_up",
    "runner_up_name", "runner_up_probability", "score", "image", "reviewer_label",
};

typedef struct sheet {
    const char *name;      /* for messages */
    const pred_table *t;
    const rc_classes *cl;
    int col[NCOL];         /* field index of each known column, -1 if absent */
    size_t ncol;
    unsigned long *line;   /* per record: the sheet line that reviewed it, 0 = none */
    int *review;           /* per record: reviewer's class, -1 = blank or not reviewed */
    size_t rows;
} sheet;

static int header(sheet *s, unsigned long line, size_t nf, char **f, err *e)
{
    for (int c = 0; c < NCOL; c++)
        s->col[c] = -1;
    for (size_t i = 0; i < nf; i++) {
        int c = 0;
        while (c < NCOL && strcmp(f[i], col_names[c]) != 0)
            c++;
        if (c == NCOL)
            return err_set(e, "%s: line %lu: unknown column '%s' (not a review sheet from flag?)", s->name, line,
                           f[i]);
        if (s->col[c] >= 0)
            return err_set(e, "%s: line %lu: column '%s' appears twice", s->name, line, f[i]);
        s->col[c] = (int)i;
    }
    static const int required[] = {COL_ID, COL_PREDICTED, COL_REVIEWER_LABEL};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (s->col[required[i]] < 0)
            return err_set(e, "%s: line %lu: no '%s' column (not a review sheet from flag?)", s->name, line,
                           col_names[required[i]]);
    s->ncol = nf;
    return 0;
}

/* A sheet cell that must equal what the predictions say (class number or name). */
static int check_cell(const sheet *s, unsigned long line, uint32_t id, char **f, int c, int want, int is_name,
                      err *e)
{
    if (s->col[c] < 0)
        return 0;
    const char *cell = f[s->col[c]];
    char said[32];
    const char *expect = "";
    if (want >= 0 && is_name) {
        expect = s->cl->names[want];
    } else if (want >= 0) {
        snprintf(said, sizeof said, "%d", want);
        expect = said;
    }
    if (strcmp(cell, expect) == 0)
        return 0;
    return err_set(e, "%s: line %lu: id %u: %s is '%s' but the predictions say '%s' (row edited or moved?)",
                   s->name, line, id, col_names[c], cell, expect);
}

static int row(void *user, unsigned long rowno, unsigned long line, size_t nf, char **f, err *e)
{
    sheet *s = user;
    if (rowno == 0)
        return header(s, line, nf, f, e);
    if (nf != s->ncol)
        return err_set(e, "%s: line %lu: %zu fields, the header has %zu", s->name, line, nf, s->ncol);
    const char *idf = f[s->col[COL_ID]];
    char *end;
    unsigned long long v = strtoull(idf, &end, 10);
    if (!*idf || *end || idf[0] < '0' || idf[0] > '9' || v > UINT32_MAX)
        return err_set(e, "%s: line %lu: id '%s' is not a record id", s->name, line, idf);
    uint32_t id = (uint32_t)v;
    long i = pred_table_find(s->t, id);
    if (i < 0)
        return err_set(e, "%s: line %lu: unknown id %u (not in the predictions)", s->name, line, id);
    if (s->line[i])
        return err_set(e, "%s: line %lu: duplicate id %u (also on line %lu)", s->name, line, id, s->line[i]);
    s->line[i] = line;
    const pred_rec *r = &s->t->r[i];
    if (check_cell(s, line, id, f, COL_PREDICTED, r->c1, 0, e) || check_cell(s, line, id, f, COL_PREDICTED_NAME, r->c1, 1, e) ||
        check_cell(s, line, id, f, COL_RUNNER_UP, r->c2, 0, e) || check_cell(s, line, id, f, COL_RUNNER_UP_NAME, r->c2, 1, e) ||
        check_cell(s, line, id, f, COL_TRUE_LABEL, r->label, 0, e) || check_cell(s, line, id, f, COL_TRUE_NAME, r->label, 1, e))
        return -1;
    const char *lab = f[s->col[COL_REVIEWER_LABEL]];
    size_t blank = strspn(lab, " \t");
    if (lab[blank]) {
        int k = rc_classes_lookup(s->cl, lab);
        if (k < 0)
            return err_set(e, "%s: line %lu: id %u: reviewer label '%s' is not a class (0..%d or a class name)",
                           s->name, line, id, lab, s->t->k - 1);
        s->review[i] = k;
    }
    s->rows++;
    return 0;
}

/* ---- the report ----------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The summary on stderr. Corrections are kept as a sorted list of
 * (from, to) pairs, not a K x K table: memory grows with the sheet, not with
 * the square of the class count. */
static void report(const sheet *s, size_t *from, size_t *to, uint64_t *pairs)
{
    const pred_table *t = s->t;
    size_t labelled = 0, changed = 0, model_right = 0, final_right = 0, reviewed_right = 0;
    uint64_t k = (uint64_t)t->k;
    for (size_t i = 0; i < t->n; i++) {
        const pred_rec *r = &t->r[i];
        int final = s->review[i] >= 0 ? s->review[i] : r->c1;
        if (s->review[i] >= 0) {
            labelled++;
            if (s->review[i] != r->c1)
                pairs[changed++] = (uint64_t)r->c1 * k + (uint64_t)s->review[i];
        }
        if (s->line[i])
            reviewed_right += final == r->label;
        model_right += r->c1 == r->label;
        final_right += final == r->label;
    }
    fprintf(stderr,
            "%s: %zu of %zu records reviewed: %zu given a reviewer label (%zu changed the model's answer), "
            "%zu left blank (the model's answer kept)\n",
            cli_prog, s->rows, t->n, labelled, changed, s->rows - labelled);
    if (changed) {
        int w = 5;
        for (uint64_t c = 0; c < k; c++)
            if ((int)strlen(s->cl->names[c]) > w)
                w = (int)strlen(s->cl->names[c]);
        qsort(pairs, changed, sizeof *pairs, cmp_u64);
        for (size_t i = 0; i < changed; i++)
            from[pairs[i] / k]++, to[pairs[i] % k]++;
        fprintf(stderr, "%s: corrections by class:  %-*s %6s %6s\n", cli_prog, w, "class", "from", "to");
        for (uint64_t c = 0; c < k; c++)
            if (from[c] || to[c])
                fprintf(stderr, "%s: %23s%-*s %6zu %6zu\n", cli_prog, "", w, s->cl->names[c], from[c], to[c]);
        fprintf(stderr, "%s: most frequent corrections:", cli_prog);
        /* runs of equal pairs in the sorted list; the three longest, ties by class order */
        size_t best_at[3] = {0}, best_len[3] = {0};
        for (size_t i = 0, j; i < changed; i = j) {
            for (j = i; j < changed && pairs[j] == pairs[i]; j++)
                ;
            size_t len = j - i;
            for (int b = 0; b < 3; b++)
                if (len > best_len[b]) {
                    for (int m = 2; m > b; m--)
                        best_len[m] = best_len[m - 1], best_at[m] = best_at[m - 1];
                    best_len[b] = len, best_at[b] = i;
                    break;
                }
        }
        for (int b = 0; b < 3 && best_len[b]; b++)
            fprintf(stderr, "%s %s -> %s (%zu)", b ? "," : "", s->cl->names[pairs[best_at[b]] / k],
                    s->cl->names[pairs[best_at[b]] % k], best_len[b]);
        fputc('\n', stderr);
    }
    if (t->labelled) {
        fprintf(stderr, "%s: accuracy %.2f %% (model) -> %.2f %% (after review) on %zu labelled records", cli_prog,
                100.0 * (double)model_right / (double)t->n, 100.0 * (double)final_right / (double)t->n, t->n);
        if (s->rows)
            fprintf(stderr, "; reviewed records right after review: %zu of %zu (%.2f %%)", reviewed_right, s->rows,
                    100.0 * (double)reviewed_right / (double)s->rows);
        fputc('\n', stderr);
    }
}

static void write_final(FILE *f, const sheet *s)
{
    fputs("id,final_label,final_name,source\n", f);
    for (size_t i = 0; i < s->t->n; i++) {
        const pred_rec *r = &s->t->r[i];
        int final = s->review[i] >= 0 ? s->review[i] : r->c1;
        fprintf(f, "%u,%d,", r->id, final);
        rc_put_field(f, s->cl->names[final]);
        fputs(s->review[i] >= 0 ? ",reviewer\n" : ",model\n", f);
    }
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    err e;
    const char *outs[] = {o.output}, *ins[] = {o.path ? o.path : "-", o.reviews, o.class_names};
    if (check_not_inputs(outs, 1, ins, 3, &e) < 0)
        cli_die_err(&e);
    pred_table t;
    if (pred_table_load(&t, o.path, cli_name(o.path), &e) < 0)
        cli_die_err(&e);
    rc_classes cl;
    if (rc_classes_init(&cl, t.k, o.class_names, &e) < 0)
        cli_die_err(&e);
    sheet s;
    memset(&s, 0, sizeof s);
    s.name = cli_name(o.reviews);
    s.t = &t;
    s.cl = &cl;
    s.line = calloc(t.n, sizeof *s.line);
    s.review = malloc(t.n * sizeof *s.review);
    if (!s.line || !s.review)
        cli_die("out of memory");
    for (size_t i = 0; i < t.n; i++)
        s.review[i] = -1;
    FILE *rf = ts_fopen_in(o.reviews, &e); /* any file or stdin; refuses `merge < f >> f` */
    if (!rf)
        cli_die_err(&e);
    if (rc_read(rf, s.name, row, &s, &e) < 0)
        cli_die_err(&e);
    if (rf != stdin)
        fclose(rf);
    /* the report's memory before any output: nothing fails after the output is written */
    /* static: still reachable when an error exits (quiet leak checkers) */
    static size_t *from, *to;
    static uint64_t *pairs;
    from = calloc((size_t)t.k, sizeof *from), to = calloc((size_t)t.k, sizeof *to);
    pairs = malloc((t.n ? t.n : 1) * sizeof *pairs);
    if (!from || !to || !pairs)
        cli_die("out of memory (%d classes, %zu records)", t.k, t.n);
    if (o.output) {
        atomic_file af;
        if (af_open(&af, o.output, &e) < 0)
            cli_die_err(&e);
        write_final(af.f, &s);
        if (af_commit(&af, &e) < 0)
            cli_die_err(&e);
    } else {
        write_final(stdout, &s);
        /* a write error on stdout is reported now, not after the summary says all went well */
        if (fflush(stdout) != 0 || ferror(stdout))
            cli_die("write error on <stdout>: %s", strerror(errno));
    }
    report(&s, from, to, pairs);
    free(from), free(to), free(pairs);
    free(s.line);
    free(s.review);
    rc_classes_free(&cl);
    pred_table_free(&t);
    return 0;
}
