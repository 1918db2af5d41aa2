/* merge - read a reviewed sheet from flag back (CSV or .xlsx), together with
 * the prediction stream, and write every record's final label and where it
 * came from; optionally the reviewed images as a labelled stream, to train on. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "atomic_file.h"
#include "cli.h"
#include "pred_table.h"
#include "review_csv.h"
#include "tensor_stream.h"
#include "xlsx_read.h"

static const char usage[] =
    "Usage: merge [OPTION]... --reviews REVIEWED [PREDICTIONS]\n"
    "Merge a reviewed sheet (flag's CSV or .xlsx with the reviewer_label column filled in)\n"
    "with the prediction stream it came from, and write CSV: id,final_label,final_name,source\n"
    "for every record of PREDICTIONS, in stream order; source is 'reviewer' where the sheet\n"
    "gives a class or confirms the model's answer, 'model' elsewhere.\n"
    "With no PREDICTIONS, or '-', read stdin.\n"
    "\n"
    "  -r, --reviews FILE       the reviewed sheet: CSV (UTF-8; ',' ';' or tab between fields)\n"
    "                           or an .xlsx workbook (its sheet 'review', else the first);\n"
    "                           needs the columns id, predicted and reviewer_label, in any\n"
    "                           order and case; columns flag did not write are ignored\n"
    "  -o, --output FILE        write the CSV to FILE (atomically) [stdout]\n"
    "  -n, --class-names FILE   class names, one a line [Fashion-MNIST names for 10 classes]\n"
    "  -i, --images FILE        the image stream the predictions came from (for --emit-stream)\n"
    "  -e, --emit-stream FILE   write the reviewed records' images, labelled with the reviewer's\n"
    "                           final label, as a tensor stream (to add to a training set)\n"
    "  -h, --help               show this help and exit\n"
    "  -V, --version            show the version and exit\n"
    "\n"
    "A reviewer_label cell is one of:\n"
    "  a class                  a number (3, or 3.0) or a name (Dress, t-shirt, ankle boots):\n"
    "                           reviewed, the final label\n"
    "  ok, =                    reviewed: the model is right\n"
    "  ?, unsure                looked at, not decided: the model's answer stays\n"
    "  blank                    not reviewed: the model's answer stays\n"
    "Rows with nothing in them are skipped.\n"
    "\n"
    "The sheet is checked against the predictions: every id must be known and appear once, and\n"
    "each row's predicted, probability (within the cell's rounding), runner_up, true_label and\n"
    "names must match, which catches rows moved or sorted apart from their cells, and sheets\n"
    "made from other predictions. On stderr merge counts the rows of each kind, the\n"
    "corrections by class, and, when the predictions carry true labels, the accuracy before\n"
    "and after review.\n";

typedef struct options {
    const char *reviews, *output, *class_names, *path, *images, *emit;
} options;

static options parse_command_line(int argc, char **argv)
{
    options o = {NULL, NULL, NULL, NULL, NULL, NULL};
    static const struct option longs[] = {
        {"reviews", required_argument, 0, 'r'},     {"output", required_argument, 0, 'o'},
        {"class-names", required_argument, 0, 'n'}, {"images", required_argument, 0, 'i'},
        {"emit-stream", required_argument, 0, 'e'}, CLI_STD_LONG,
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "r:o:n:i:e:" CLI_STD_SHORT, longs, NULL)) != -1) {
        switch (ch) {
        case 'r': o.reviews = optarg; break;
        case 'o': o.output = optarg; break;
        case 'n': o.class_names = optarg; break;
        case 'i': o.images = optarg; break;
        case 'e': o.emit = optarg; break;
        default: cli_std_option(ch, usage);
        }
    }
    o.path = cli_operands(argc, argv, 0, 1, NULL, "one prediction stream") ? argv[optind] : NULL;
    if (!o.reviews)
        cli_usage_error("--reviews FILE is required (the reviewed sheet)");
    int from_stdin = strcmp(o.reviews, "-") == 0;
    from_stdin += !o.path || strcmp(o.path, "-") == 0;
    from_stdin += o.images && strcmp(o.images, "-") == 0;
    if (from_stdin > 1)
        cli_usage_error("only one of the reviews, the predictions and the images can come from stdin");
    if (!o.emit != !o.images)
        cli_usage_error("--emit-stream FILE and --images FILE go together");
    if (o.emit && strcmp(o.emit, "-") == 0 && (!o.output || strcmp(o.output, "-") == 0))
        cli_usage_error("--emit-stream -: stdout gets the CSV; send that to a file with -o FILE");
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

/* How many leading rows must all disagree with the predictions before merge
 * blames the predictions rather than the rows. */
#define LEAD_ROWS 3

typedef struct sheet {
    const char *name;      /* for messages */
    const char *unit;      /* "line" in a CSV, "row" in a workbook */
    int padded;            /* a workbook: rows may run past the header's width */
    const pred_table *t;
    const rc_classes *cl;
    int have_header;
    int col[NCOL];         /* field index of each known column, -1 if absent */
    size_t ncol;
    unsigned long *line;   /* per record: the sheet line that holds it, 0 = none */
    int *review;           /* per record: the reviewer's class, -1 = none given */
    unsigned char *said;   /* per record on the sheet: its rc_review */
    size_t rows, blank, unsure, confirmed, labelled;
    /* rows from the top that disagree with the predictions, of those checked */
    size_t checked, lead_bad;
    unsigned long first_bad_line;
    char first_bad[400];
    char ignored[400];     /* the warning about columns not from flag, said once the sheet has been read */
} sheet;

/* "  Id " matches "id": spreadsheets and people add case and spaces. */
static int column_of(const char *field)
{
    while (*field == ' ' || *field == '\t')
        field++;
    size_t len = strlen(field);
    while (len > 0 && (field[len - 1] == ' ' || field[len - 1] == '\t'))
        len--;
    for (int c = 0; c < NCOL; c++)
        if (strlen(col_names[c]) == len && strncasecmp(field, col_names[c], len) == 0)
            return c;
    return -1;
}

static int blank_row(size_t nf, char **f)
{
    for (size_t i = 0; i < nf; i++)
        if (f[i][strspn(f[i], " \t")])
            return 0;
    return 1;
}

static int header(sheet *s, unsigned long line, size_t nf, char **f, err *e)
{
    for (int c = 0; c < NCOL; c++)
        s->col[c] = -1;
    size_t nignored = 0;
    char ignored[200] = "";
    for (size_t i = 0; i < nf; i++) {
        int c = column_of(f[i]);
        if (c < 0) { /* a reviewer's notes, pandas' index, a trailing empty column */
            if (nignored++ < 4) {
                size_t used = strlen(ignored);
                snprintf(ignored + used, sizeof ignored - used, "%s'%.40s'", used ? ", " : "", f[i]);
            }
            continue;
        }
        if (s->col[c] >= 0)
            return err_set(e, "%s: %s %lu: column '%s' appears twice", s->name, s->unit, line, col_names[c]);
        s->col[c] = (int)i;
    }
    static const int required[] = {COL_ID, COL_PREDICTED, COL_REVIEWER_LABEL};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (s->col[required[i]] < 0)
            return err_set(e, "%s: %s %lu: no '%s' column (not a review sheet from flag?)", s->name, s->unit, line,
                           col_names[required[i]]);
    if (nignored)
        snprintf(s->ignored, sizeof s->ignored, "%s: %s %lu: ignoring %zu column%s that flag did not write: %s%s",
                 s->name, s->unit, line, nignored, nignored == 1 ? "" : "s", ignored, nignored > 4 ? ", ..." : "");
    s->ncol = nf;
    s->have_header = 1;
    return 0;
}

/* A number as a spreadsheet may have saved it: "0.5", "0,5"; *decimals gets
 * the digits after the point, which say how much it was rounded. */
static int parse_decimal(const char *cell, double *v, int *decimals)
{
    char buf[64];
    size_t len = strlen(cell);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, cell, len + 1);
    char *comma = strchr(buf, ',');
    if (comma && !strchr(buf, '.'))
        *comma = '.';
    char *end;
    errno = 0;
    *v = strtod(buf, &end);
    while (*end == ' ')
        end++;
    if (end == buf || *end || errno)
        return -1;
    const char *point = strchr(buf, '.');
    *decimals = 0;
    if (point)
        for (point++; point[*decimals] >= '0' && point[*decimals] <= '9'; ++*decimals)
            ;
    return 0;
}

/* A cell that must say what the predictions say: a class number (want -1:
 * empty), or a probability (want_p >= 0), equal within the cell's rounding.
 * 1 with what, 0 if it agrees. */
static int disagrees(const sheet *s, char **f, int c, int want, double want_p, char *what, size_t len)
{
    if (s->col[c] < 0)
        return 0;
    const char *cell = f[s->col[c]];
    if (want_p >= 0) {
        double v;
        int d;
        if (parse_decimal(cell, &v, &d) == 0 && fabs(v - want_p) <= 0.5 * pow(10, -d) + 1e-9)
            return 0;
        snprintf(what, len, "%s is '%.40s' but the predictions say '%.6f'", col_names[c], cell, want_p);
        return 1;
    }
    long v = rc_parse_count(cell, INT32_MAX);
    if (want < 0 ? cell[strspn(cell, " ")] == '\0' : v == want)
        return 0;
    char expect[32] = "";
    if (want >= 0)
        snprintf(expect, sizeof expect, "%d", want);
    snprintf(what, len, "%s is '%.40s' but the predictions say '%s'", col_names[c], cell, expect);
    return 1;
}

/* A name cell must match the class names merge was given. */
static int check_name(const sheet *s, unsigned long line, uint32_t id, char **f, int c, int want, err *e)
{
    if (s->col[c] < 0)
        return 0;
    const char *cell = f[s->col[c]], *expect = want >= 0 ? s->cl->names[want] : "";
    size_t skip = strspn(cell, " "), len = strlen(cell + skip);
    while (len > 0 && cell[skip + len - 1] == ' ')
        len--;
    if (strlen(expect) == len && strncasecmp(cell + skip, expect, len) == 0)
        return 0;
    return err_set(e, "%s: %s %lu: id %u: %s is '%s' but the class names say '%s' (flag had other class names: "
                      "see --class-names)",
                   s->name, s->unit, line, id, col_names[c], cell, expect);
}

static int not_these_predictions(const sheet *s, err *e)
{
    return err_set(e, "%s: these are not the predictions the sheet was made from (another model, or --tta?): the "
                      "first %zu rows all disagree (%s %lu: %s)",
                   s->name, s->lead_bad, s->unit, s->first_bad_line, s->first_bad);
}

static int edited_or_moved(const sheet *s, unsigned long line, const char *what, err *e)
{
    return err_set(e, "%s: %s %lu: %s (row edited or moved?)", s->name, s->unit, line, what);
}

static int row(void *user, unsigned long rowno, unsigned long line, size_t nf, char **f, err *e)
{
    sheet *s = user;
    (void)rowno;
    if (blank_row(nf, f)) /* a row of nothing but separators, or an empty first row */
        return 0;
    if (!s->have_header)
        return header(s, line, nf, f, e);
    if (nf != s->ncol && !(s->padded && nf > s->ncol))
        return err_set(e, "%s: %s %lu: %zu fields, the header has %zu", s->name, s->unit, line, nf, s->ncol);
    const char *idf = f[s->col[COL_ID]];
    long v = rc_parse_count(idf, UINT32_MAX);
    if (v < 0)
        return err_set(e, "%s: %s %lu: id '%s' is not a record id", s->name, s->unit, line, idf);
    uint32_t id = (uint32_t)v;
    long i = pred_table_find(s->t, id);
    if (i < 0)
        return err_set(e, "%s: %s %lu: unknown id %u (not in the predictions)", s->name, s->unit, line, id);
    if (s->line[i])
        return err_set(e, "%s: %s %lu: duplicate id %u (also on %s %lu)", s->name, s->unit, line, id, s->unit,
                       s->line[i]);
    s->line[i] = line;
    const pred_rec *r = &s->t->r[i];
    char what[300];
    snprintf(what, sizeof what, "id %u: ", id);
    size_t at = strlen(what);
    if (disagrees(s, f, COL_PREDICTED, r->c1, -1, what + at, sizeof what - at) ||
        disagrees(s, f, COL_PROBABILITY, 0, r->p1, what + at, sizeof what - at) ||
        disagrees(s, f, COL_RUNNER_UP, r->c2, -1, what + at, sizeof what - at) ||
        disagrees(s, f, COL_TRUE_LABEL, r->label, -1, what + at, sizeof what - at)) {
        /* other predictions disagree from the first row on; an edited or moved row is one among agreeing ones */
        if (s->lead_bad < s->checked)
            return edited_or_moved(s, line, what, e);
        if (s->lead_bad++ == 0) {
            s->first_bad_line = line;
            snprintf(s->first_bad, sizeof s->first_bad, "%s", what);
        }
        s->checked++;
        if (s->lead_bad == LEAD_ROWS)
            return not_these_predictions(s, e);
        s->rows++;
        return 0;
    }
    if (s->lead_bad > 0)
        return edited_or_moved(s, s->first_bad_line, s->first_bad, e);
    s->checked++;
    if (check_name(s, line, id, f, COL_PREDICTED_NAME, r->c1, e) ||
        check_name(s, line, id, f, COL_RUNNER_UP_NAME, r->c2, e) ||
        check_name(s, line, id, f, COL_TRUE_NAME, r->label, e))
        return -1;
    const char *lab = f[s->col[COL_REVIEWER_LABEL]];
    int k = -1;
    rc_review said = rc_review_parse(s->cl, lab, &k);
    switch (said) {
    case RC_BAD:
        return err_set(e, "%s: %s %lu: id %u: reviewer label '%s' is not a class (0..%d or a class name), 'ok' or "
                          "'unsure'",
                       s->name, s->unit, line, id, lab, s->t->k - 1);
    case RC_BLANK: s->blank++; break;
    case RC_UNSURE: s->unsure++; break;
    case RC_CONFIRM: s->confirmed++; break;
    case RC_CLASS:
        s->labelled++;
        s->review[i] = k;
        break;
    }
    s->said[i] = (unsigned char)said;
    s->rows++;
    return 0;
}

/* After the last row: leading disagreements that no agreeing row followed. */
static int sheet_end(const sheet *s, err *e)
{
    if (!s->have_header)
        return err_set(e, "%s: no header row (every row is empty)", s->name);
    if (s->lead_bad >= 2)
        return not_these_predictions(s, e);
    if (s->lead_bad == 1)
        return edited_or_moved(s, s->first_bad_line, s->first_bad, e);
    return 0;
}

/* A record's final label, and whether a reviewer decided it. */
static int final_of(const sheet *s, size_t i, int *by_reviewer)
{
    *by_reviewer = s->review[i] >= 0 || (s->line[i] && s->said[i] == RC_CONFIRM);
    return s->review[i] >= 0 ? s->review[i] : s->t->r[i].c1;
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
    size_t changed = 0, model_right = 0, final_right = 0, reviewed = 0, reviewed_right = 0;
    uint64_t k = (uint64_t)t->k;
    for (size_t i = 0; i < t->n; i++) {
        const pred_rec *r = &t->r[i];
        int by_reviewer, final = final_of(s, i, &by_reviewer);
        if (s->review[i] >= 0 && s->review[i] != r->c1)
            pairs[changed++] = (uint64_t)r->c1 * k + (uint64_t)s->review[i];
        if (by_reviewer)
            reviewed++, reviewed_right += final == r->label;
        model_right += r->c1 == r->label;
        final_right += final == r->label;
    }
    fprintf(stderr,
            "%s: %zu of %zu records on the sheet: %zu reviewed (%zu agreed with the model, %zu changed its answer), "
            "%zu left blank and %zu marked unsure (not reviewed: the model's answer kept)\n",
            cli_prog, s->rows, t->n, reviewed, reviewed - changed, changed, s->blank, s->unsure);
    if (s->rows && !reviewed)
        fprintf(stderr, "%s: no row has a reviewer label: blank means not reviewed (write ok where the model is "
                        "right, else the right class)\n",
                cli_prog);
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
        if (reviewed)
            fprintf(stderr, "; reviewed records right after review: %zu of %zu (%.2f %%)", reviewed_right, reviewed,
                    100.0 * (double)reviewed_right / (double)reviewed);
        fputc('\n', stderr);
    }
}

static void write_final(FILE *f, const sheet *s)
{
    fputs("id,final_label,final_name,source\n", f);
    for (size_t i = 0; i < s->t->n; i++) {
        int by_reviewer, final = final_of(s, i, &by_reviewer);
        fprintf(f, "%u,%d,", s->t->r[i].id, final);
        rc_put_field(f, s->cl->names[final]);
        fputs(by_reviewer ? ",reviewer\n" : ",model\n", f);
    }
}

/* ---- reading the sheet ---------------------------------------------------- */

#define MAX_SHEET_BYTES (1ul << 30)

/* All of f: a workbook must be whole before it can be unzipped. */
static int read_all(FILE *f, const char *name, unsigned char **data, size_t *len, err *e)
{
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return err_set(e, "%s: out of memory", name);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *bigger = cap >= MAX_SHEET_BYTES ? NULL : realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return err_set(e, "%s: %s", name, cap >= MAX_SHEET_BYTES ? "larger than 1 GiB" : "out of memory");
            }
            buf = bigger, cap *= 2;
        }
    }
    if (ferror(f)) {
        free(buf);
        return err_set(e, "%s: read error: %s", name, strerror(errno ? errno : EIO));
    }
    *data = buf, *len = n;
    return 0;
}

static int read_sheet(sheet *s, const char *path, err *e)
{
    FILE *rf = ts_fopen_in(path, e); /* any file or stdin; refuses `merge < f >> f` */
    if (!rf)
        return -1;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = read_all(rf, s->name, &data, &len, e);
    if (rf != stdin)
        fclose(rf);
    if (rc < 0)
        return -1;
    if (len >= 8 && memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0) {
        rc = err_set(e, "%s: an Excel 97-2003 workbook (.xls): save as .xlsx or CSV UTF-8", s->name);
    } else if (xlsx_is_zip(data, len)) {
        s->unit = "row";
        s->padded = 1;
        rc = xlsx_read_mem(data, len, s->name, "review", row, s, NULL, 0, e);
    } else {
        FILE *mf = len ? fmemopen(data, len, "r") : NULL;
        if (len && !mf)
            rc = err_set(e, "%s: %s", s->name, strerror(errno));
        else if (!len)
            rc = err_set(e, "%s: empty file (no header row)", s->name);
        else {
            s->unit = "line";
            rc = rc_read(mf, s->name, row, s, e);
            fclose(mf);
        }
    }
    free(data);
    return rc < 0 ? -1 : sheet_end(s, e);
}

/* ---- the reviewed images as a training stream ------------------------------ */

/* Every image the reviewer decided, labelled with the final label, in the
 * image stream's order; the output appears only when all of it was written. */
static void emit_stream(const options *o, const sheet *s)
{
    err e;
    const char *name = cli_name(o->images);
    ts_reader *rd = ts_open_path(o->images, &e);
    if (!rd)
        cli_die_err(&e);
    ts_header h = *ts_header_of(rd);
    char shape[64];
    if (h.dtype != TS_U8 || h.rank < 2)
        cli_die("%s: not an image stream (%s; expected u8 HxW or HxWxC)", name, ts_shape_str(&h, shape, sizeof shape));
    if (h.nclass && h.nclass != (uint32_t)s->t->k)
        cli_die("%s: %u classes, the predictions have %d (not the same data?)", name, h.nclass, s->t->k);
    size_t want = 0;
    for (size_t i = 0; i < s->t->n; i++) {
        int by_reviewer;
        final_of(s, i, &by_reviewer);
        want += by_reviewer;
    }
    static unsigned char *img, *done; /* static: reachable when an error exits (quiet leak checkers) */
    img = malloc(ts_payload_bytes(&h));
    done = calloc(s->t->n ? s->t->n : 1, 1);
    if (!img || !done)
        cli_die("out of memory");
    h.nclass = (uint32_t)s->t->k;
    h.count = TS_COUNT_UNKNOWN;
    atomic_file af;
    ts_writer *w = ts_create(cli_open_output(&af, o->emit, NULL, 0), cli_name(o->emit), &h, &e);
    if (!w)
        cli_die_err(&e);
    uint32_t id;
    int32_t label;
    long got;
    size_t written = 0;
    while ((got = ts_read(rd, 1, &id, &label, img, &e)) == 1) {
        long i = pred_table_find(s->t, id);
        int by_reviewer;
        if (i < 0 || done[i])
            continue;
        int final = final_of(s, (size_t)i, &by_reviewer);
        if (label >= 0 && s->t->r[i].label >= 0 && label != s->t->r[i].label)
            cli_die("%s: record %llu: id %u has label %d, the predictions say %d (not the same data?)", name,
                    (unsigned long long)ts_records_read(rd), id, (int)label, (int)s->t->r[i].label);
        done[i] = 1;
        if (!by_reviewer)
            continue;
        if (ts_write(w, id, final, img, &e) < 0)
            cli_die_err(&e);
        written++;
    }
    if (got < 0)
        cli_die_err(&e);
    if (written < want)
        for (size_t i = 0; i < s->t->n; i++) {
            int by_reviewer;
            final_of(s, i, &by_reviewer);
            if (by_reviewer && !done[i])
                cli_die("%s: no image for reviewed id %u (not the image stream the predictions came from?)", name,
                        s->t->r[i].id);
        }
    if (ts_finish(w, &e) < 0)
        cli_die_err(&e);
    cli_commit_output(&af);
    ts_close(rd);
    free(img), free(done);
    fprintf(stderr, "%s: %s: %zu reviewed images with their final labels\n", cli_prog, cli_name(o->emit), written);
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    err e;
    const char *outs[] = {o.output, o.emit}, *ins[] = {o.path ? o.path : "-", o.reviews, o.class_names, o.images};
    if (check_not_inputs(outs, 2, ins, 4, &e) < 0)
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
    s.line = calloc(t.n ? t.n : 1, sizeof *s.line);
    s.review = malloc((t.n ? t.n : 1) * sizeof *s.review);
    s.said = calloc(t.n ? t.n : 1, 1);
    if (!s.line || !s.review || !s.said)
        cli_die("out of memory");
    for (size_t i = 0; i < t.n; i++)
        s.review[i] = -1;
    if (read_sheet(&s, o.reviews, &e) < 0)
        cli_die_err(&e);
    if (s.ignored[0])
        fprintf(stderr, "%s: %s\n", cli_prog, s.ignored);
    /* the report's memory before any output: nothing fails after the output is written */
    /* static: still reachable when an error exits (quiet leak checkers) */
    static size_t *from, *to;
    static uint64_t *pairs;
    from = calloc((size_t)t.k, sizeof *from), to = calloc((size_t)t.k, sizeof *to);
    pairs = malloc((t.n ? t.n : 1) * sizeof *pairs);
    if (!from || !to || !pairs)
        cli_die("out of memory (%d classes, %zu records)", t.k, t.n);
    if (o.emit)
        emit_stream(&o, &s);
    atomic_file af;
    write_final(cli_open_output(&af, o.output, NULL, 0), &s); /* inputs checked above, with --emit-stream */
    cli_commit_output(&af);
    report(&s, from, to, pairs);
    free(from), free(to), free(pairs);
    free(s.line);
    free(s.review);
    free(s.said);
    rc_classes_free(&cl);
    pred_table_free(&t);
    return 0;
}
