/* flag - pick the predictions a person should review, least confident
 * first, as a spreadsheet-ready CSV with thumbnails; or, with --report,
 * say what each review budget is worth (risk-coverage table and AURC). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "cli.h"
#include "confidence.h"
#include "label_issues.h"
#include "png_image.h"
#include "pred_table.h"
#include "review_csv.h"
#include "review_page.h"
#include "review_xlsx.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: flag [OPTION]... [PREDICTIONS]\n"
    "Write the predictions to review as CSV, least confident first: one row per flagged\n"
    "record with the model's guess, the runner-up, the score, a thumbnail path and an empty\n"
    "reviewer_label column for the reviewer. PREDICTIONS is a prediction stream (what predict\n"
    "writes); with no PREDICTIONS, or '-', read stdin.\n"
    "\n"
    "What to flag (exactly one):\n"
    "  -t, --threshold P          records less confident than P (top1 < P, margin < P, entropy > P)\n"
    "  -b, --budget N|N%          the N (or N % of the) least confident records\n"
    "  -a, --target-accuracy A    the fewest records whose removal leaves the rest at accuracy >= A,\n"
    "                             chosen on --calibrate's validation stream, applied as a threshold\n"
    "  -c, --calibrate FILE       labelled validation predictions for --target-accuracy\n"
    "      --label-issues[=RANK]  the records whose given label is probably wrong, by confident\n"
    "                             learning on out-of-fold predictions (pipelines/crossval), worst\n"
    "                             first by RANK: self-confidence or normalized-margin\n"
    "                             [self-confidence]; the estimated noise matrix goes to stderr\n"
    "      --filter-by NAME       which records --label-issues flags (cleanlab's filters): ranked,\n"
    "                             the worst by RANK, as many as are confidently of another class\n"
    "                             than their label; prune-by-noise-rate, per pair of classes as\n"
    "                             many as the calibrated joint estimates; confident-learning, the\n"
    "                             confidently-other records themselves [ranked]\n"
    "  -s, --score KIND           top1, margin or entropy [top1]\n"
    "\n"
    "Output:\n"
    "  -o, --output FILE          write the CSV to FILE (atomically) [stdout]\n"
    "  -n, --class-names FILE     class names, one a line [Fashion-MNIST names for 10 classes]\n"
    "  -i, --images FILE          the image stream the predictions came from (same ids)\n"
    "  -T, --thumbs DIR           write DIR/id-NNNNNN.png for each flagged record (needs --images)\n"
    "      --thumb-scale N        enlarge thumbnails N times [4]\n"
    "      --html FILE            also write a labelling page (needs --images): one self-contained\n"
    "                             HTML file on which a reviewer labels each record in the browser\n"
    "                             and saves this CSV with reviewer_label filled in, for merge\n"
    "      --show-label           show the given (true) label on the page [hidden]\n"
    "      --xlsx FILE            also write the sheet as an .xlsx workbook, pictures in the rows and\n"
    "                             a drop-down of the classes (needs --images; no --thumbs needed)\n"
    "\n"
    "Risk-coverage report (instead of a CSV; needs labelled predictions):\n"
    "  -r, --report               for each review budget: accuracy of the auto-accepted records,\n"
    "                             share of the model's errors caught, system accuracy with a\n"
    "                             perfect reviewer and with one of accuracy R, the same for a\n"
    "                             random selection of the same size; then AURC for every score\n"
    "  -R, --reviewer-accuracy R  the reviewer's accuracy [0.835]\n"
    "      --budgets LIST         review budgets in percent [0,1,2,5,10,20]\n"
    "      --csv                  the budget table as CSV (fractions)\n"
    "      --json                 the whole report as JSON\n"
    "\n"
    "  -h, --help                 show this help and exit\n"
    "  -V, --version              show the version and exit\n"
    "\n"
    "flag says on stderr how many records it flagged and which threshold it used.\n"
    "Example: flag --target-accuracy 0.99 --calibrate val.preds --images test.ts --thumbs thumbs\n"
    "         -o review.csv test.preds   (then fill reviewer_label and run merge)\n";

#define MAX_BUDGETS 32
#define THUMB_NAME "id-%06u.png" /* a thumbnail's file name in --thumbs DIR, from its record id */

typedef struct options {
    int have_threshold, have_budget, have_target;
    double threshold, budget, target;
    int budget_pct;
    const char *calibrate;
    conf_kind kind;
    int label_issues; /* --label-issues, ranking its suspects by li_rank */
    li_rank li_rank;
    li_filter li_filter;
    int have_filter; /* --filter-by given */
    const char *output, *class_names, *images, *thumbs, *html;
    long thumb_scale;
    int show_label; /* --html: show the given label */
    int report, format; /* 0 text, 1 csv, 2 json */
    double reviewer;
    double budgets[MAX_BUDGETS];
    int nbudgets;
    const char *path;
    const char *xlsx;
} options;

enum { OPT_SCALE = 256, OPT_HTML, OPT_BUDGETS, OPT_CSV, OPT_JSON, OPT_SHOW_LABEL, OPT_XLSX, OPT_LABEL_ISSUES, OPT_FILTER_BY };

static void parse_budget(options *o, const char *s)
{
    size_t len = strlen(s);
    if (len > 0 && s[len - 1] == '%') {
        char buf[64];
        if (len >= sizeof buf)
            cli_usage_error("--budget: expected N or N%%, got '%s'", s);
        memcpy(buf, s, len - 1);
        buf[len - 1] = '\0';
        o->budget = cli_double("--budget", buf, 0, 100);
        o->budget_pct = 1;
    } else {
        o->budget = (double)cli_long("--budget", s, 0, LONG_MAX);
    }
}

static void parse_budgets(options *o, const char *s)
{
    char buf[512];
    if (strlen(s) >= sizeof buf)
        cli_usage_error("--budgets: list too long");
    strcpy(buf, s);
    o->nbudgets = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (o->nbudgets == MAX_BUDGETS)
            cli_usage_error("--budgets: at most %d budgets", MAX_BUDGETS);
        o->budgets[o->nbudgets++] = cli_double("--budgets", tok, 0, 100);
    }
    if (o->nbudgets == 0)
        cli_usage_error("--budgets: expected a comma-separated list of percentages");
}

static options parse_command_line(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof o);
    o.kind = CONF_TOP1;
    o.thumb_scale = 4;
    o.reviewer = 0.835;
    const double defaults[] = {0, 1, 2, 5, 10, 20};
    o.nbudgets = 6;
    memcpy(o.budgets, defaults, sizeof defaults);
    static const struct option longs[] = {
        {"threshold", required_argument, 0, 't'},
        {"budget", required_argument, 0, 'b'},
        {"target-accuracy", required_argument, 0, 'a'},
        {"calibrate", required_argument, 0, 'c'},
        {"label-issues", optional_argument, 0, OPT_LABEL_ISSUES},
        {"filter-by", required_argument, 0, OPT_FILTER_BY},
        {"score", required_argument, 0, 's'},
        {"output", required_argument, 0, 'o'},
        {"class-names", required_argument, 0, 'n'},
        {"images", required_argument, 0, 'i'},
        {"thumbs", required_argument, 0, 'T'},
        {"thumb-scale", required_argument, 0, OPT_SCALE},
        {"html", required_argument, 0, OPT_HTML},
        {"show-label", no_argument, 0, OPT_SHOW_LABEL},
        {"xlsx", required_argument, 0, OPT_XLSX},
        {"report", no_argument, 0, 'r'},
        {"reviewer-accuracy", required_argument, 0, 'R'},
        {"budgets", required_argument, 0, OPT_BUDGETS},
        {"csv", no_argument, 0, OPT_CSV},
        {"json", no_argument, 0, OPT_JSON},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int ch, k;
    while ((ch = getopt_long(argc, argv, "t:b:a:c:s:o:n:i:T:rR:hV", longs, NULL)) != -1) {
        switch (ch) {
        case 't': o.have_threshold = 1; o.threshold = cli_double("--threshold", optarg, -1e300, 1e300); break;
        case 'b': o.have_budget = 1; parse_budget(&o, optarg); break;
        case 'a': o.have_target = 1; o.target = cli_double("--target-accuracy", optarg, 0, 1); break;
        case 'c': o.calibrate = optarg; break;
        case OPT_LABEL_ISSUES:
            o.label_issues = 1;
            if (optarg && (k = li_rank_parse(optarg)) < 0)
                cli_usage_error("--label-issues: expected self-confidence or normalized-margin, got '%s'", optarg);
            o.li_rank = optarg ? (li_rank)k : LI_SELF_CONFIDENCE;
            break;
        case OPT_FILTER_BY:
            if ((k = li_filter_parse(optarg)) < 0)
                cli_usage_error("--filter-by: expected ranked, prune-by-noise-rate or confident-learning, got '%s'",
                                optarg);
            o.have_filter = 1;
            o.li_filter = (li_filter)k;
            break;
        case 's':
            if ((k = conf_kind_parse(optarg)) < 0)
                cli_usage_error("--score: expected top1, margin or entropy, got '%s'", optarg);
            o.kind = (conf_kind)k;
            break;
        case 'o': o.output = optarg; break;
        case 'n': o.class_names = optarg; break;
        case 'i': o.images = optarg; break;
        case 'T': o.thumbs = optarg; break;
        case OPT_SCALE: o.thumb_scale = cli_long("--thumb-scale", optarg, 1, 32); break;
        case OPT_HTML: o.html = optarg; break;
        case OPT_SHOW_LABEL: o.show_label = 1; break;
        case OPT_XLSX: o.xlsx = optarg; break;
        case 'r': o.report = 1; break;
        case 'R': o.reviewer = cli_double("--reviewer-accuracy", optarg, 0, 1); break;
        case OPT_BUDGETS: parse_budgets(&o, optarg); break;
        case OPT_CSV:
        case OPT_JSON:
            if (o.format && o.format != (ch == OPT_CSV ? 1 : 2))
                cli_usage_error("--csv and --json exclude each other");
            o.format = ch == OPT_CSV ? 1 : 2;
            break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    if (argc - optind > 1)
        cli_usage_error("too many arguments (one prediction stream at most)");
    o.path = optind < argc ? argv[optind] : NULL;
    int from_stdin = !o.path || strcmp(o.path, "-") == 0;
    from_stdin += o.images && strcmp(o.images, "-") == 0;
    from_stdin += o.calibrate && strcmp(o.calibrate, "-") == 0;
    if (from_stdin > 1)
        cli_usage_error("only one input can come from stdin");
    int nsel = o.have_threshold + o.have_budget + o.have_target;
    if (o.xlsx && (o.report || !o.images))
        cli_usage_error(o.report ? "--report writes no review sheet (no --xlsx)"
                                 : "--xlsx needs --images (the image stream the predictions came from)");
    if (o.label_issues && (nsel || o.report || o.calibrate))
        cli_usage_error("--label-issues takes no --threshold, --budget, --target-accuracy, --calibrate or --report");
    if (o.have_filter && !o.label_issues)
        cli_usage_error("--filter-by goes with --label-issues");
    nsel += o.label_issues; /* it says what to flag */
    if (o.report) {
        if (nsel)
            cli_usage_error("--report takes no --threshold, --budget or --target-accuracy");
        if (o.images || o.thumbs || o.html || o.calibrate)
            cli_usage_error("--report writes no review sheet (no --images, --thumbs, --html, --calibrate)");
        return o;
    }
    if (o.format)
        cli_usage_error("--csv and --json go with --report");
    if (nsel == 0)
        cli_usage_error("say what to flag: --threshold, --budget or --target-accuracy");
    if (nsel > 1)
        cli_usage_error("--threshold, --budget and --target-accuracy exclude each other");
    if (o.have_target && !o.calibrate)
        cli_usage_error("--target-accuracy needs --calibrate FILE (validation predictions; never the test set)");
    if (o.calibrate && !o.have_target)
        cli_usage_error("--calibrate goes with --target-accuracy");
    if (o.thumbs && !o.images)
        cli_usage_error("--thumbs needs --images (the image stream the predictions came from)");
    if (o.html && !o.images)
        cli_usage_error("--html needs --images (the page shows each record's image)");
    if (o.images && !o.thumbs && !o.html && !o.xlsx)
        cli_usage_error("--images goes with --thumbs DIR, --html FILE or --xlsx FILE");
    if (o.show_label && !o.html)
        cli_usage_error("--show-label goes with --html");
    return o;
}

/* ---- scoring ------------------------------------------------------------ */

static conf_item *items_of(const pred_table *t, conf_kind kind)
{
    conf_item *it = malloc(t->n * sizeof *it);
    if (!it)
        cli_die("out of memory");
    for (size_t i = 0; i < t->n; i++) {
        it[i].conf = conf_from_score(t->r[i].score[kind], kind);
        it[i].order = (uint32_t)i;
        it[i].correct = t->r[i].label == t->r[i].c1;
    }
    conf_sort(it, t->n);
    return it;
}

static void load_or_die(pred_table *t, const char *path)
{
    err e;
    if (pred_table_load(t, path, cli_name(path), &e) < 0)
        cli_die_err(&e);
}

static void need_labels(const pred_table *t, const char *path, const char *why)
{
    if (!t->labelled)
        cli_die("%s: no true labels (%s needs labelled predictions)", cli_name(path), why);
}

/* ---- the risk-coverage report ------------------------------------------- */

static void report(const options *o)
{
    pred_table t;
    load_or_die(&t, o->path);
    need_labels(&t, o->path, "--report");
    conf_item *it[CONF_NKIND];
    for (int k = 0; k < CONF_NKIND; k++)
        it[k] = items_of(&t, (conf_kind)k);
    const conf_item *sel = it[o->kind];
    size_t n = t.n, correct = 0;
    for (size_t i = 0; i < n; i++)
        correct += sel[i].correct != 0;
    double acc = (double)correct / (double)n;
    conf_budget b[MAX_BUDGETS];
    for (int i = 0; i < o->nbudgets; i++)
        b[i] = conf_budget_eval(sel, n, conf_budget_count(o->budgets[i], n), o->reviewer);
    double aurc[CONF_NKIND];
    for (int k = 0; k < CONF_NKIND; k++)
        aurc[k] = conf_aurc(it[k], n);
    double aurc_random = conf_aurc_random(sel, n), aurc_oracle = conf_aurc_oracle(sel, n);
    const char *kn = conf_kind_name(o->kind);

    if (o->format == 1) {
        puts("budget_pct,flagged,auto_accuracy,errors_caught,system_perfect,system_reviewer,"
             "random_auto_accuracy,random_errors_caught,random_system_perfect,random_system_reviewer");
        for (int i = 0; i < o->nbudgets; i++)
            printf("%g,%zu,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n", o->budgets[i], b[i].flagged,
                   b[i].auto_accuracy, b[i].errors_caught, b[i].system_perfect, b[i].system_reviewer,
                   b[i].random_auto_accuracy, b[i].random_errors_caught, b[i].random_system_perfect,
                   b[i].random_system_reviewer);
    } else if (o->format == 2) {
        printf("{\"records\": %zu, \"errors\": %zu, \"model_accuracy\": %.6f, \"score\": \"%s\", "
               "\"reviewer_accuracy\": %.6f,\n \"budgets\": [\n",
               n, n - correct, acc, kn, o->reviewer);
        for (int i = 0; i < o->nbudgets; i++)
            printf("  {\"budget_pct\": %g, \"flagged\": %zu, \"auto_accuracy\": %.6f, \"errors_caught\": %.6f, "
                   "\"system_perfect\": %.6f, \"system_reviewer\": %.6f, \"random_auto_accuracy\": %.6f, "
                   "\"random_errors_caught\": %.6f, \"random_system_perfect\": %.6f, "
                   "\"random_system_reviewer\": %.6f}%s\n",
                   o->budgets[i], b[i].flagged, b[i].auto_accuracy, b[i].errors_caught, b[i].system_perfect,
                   b[i].system_reviewer, b[i].random_auto_accuracy, b[i].random_errors_caught,
                   b[i].random_system_perfect, b[i].random_system_reviewer, i + 1 < o->nbudgets ? "," : "");
        printf(" ],\n \"aurc\": {\"top1\": %.6f, \"margin\": %.6f, \"entropy\": %.6f, \"random\": %.6f, "
               "\"oracle\": %.6f}}\n",
               aurc[CONF_TOP1], aurc[CONF_MARGIN], aurc[CONF_ENTROPY], aurc_random, aurc_oracle);
    } else {
        printf("risk-coverage on %s: %zu records, %zu errors, model accuracy %.2f %%\n", cli_name(o->path), n,
               n - correct, 100 * acc);
        printf("flagged: the least confident by %s; random: a random selection of the same size (expected)\n", kn);
        printf("reviewer: flagged records end up right with probability %.3f (perfect: 1)\n\n", o->reviewer);
        printf("%16s%-37s%s\n", "", "-- flagged by score --", "-- random selection --");
        printf("%6s %7s  %8s %7s %8s %8s   %8s %7s %8s %8s\n", "budget", "flagged", "auto-acc", "caught",
               "perfect", "reviewer", "auto-acc", "caught", "perfect", "reviewer");
        for (int i = 0; i < o->nbudgets; i++)
            printf("%4g %% %7zu  %6.2f %% %5.1f %% %6.2f %% %6.2f %%   %6.2f %% %5.1f %% %6.2f %% %6.2f %%\n",
                   o->budgets[i], b[i].flagged, 100 * b[i].auto_accuracy, 100 * b[i].errors_caught,
                   100 * b[i].system_perfect, 100 * b[i].system_reviewer, 100 * b[i].random_auto_accuracy,
                   100 * b[i].random_errors_caught, 100 * b[i].random_system_perfect,
                   100 * b[i].random_system_reviewer);
        printf("\nauto-acc: accuracy of the records not flagged; caught: share of the model's errors flagged;\n"
               "perfect, reviewer: accuracy of all records after review.\n\n");
        printf("AURC, area under the risk-coverage curve (lower is better):\n");
        for (int k = 0; k < CONF_NKIND; k++)
            printf("  %-8s %.6f\n", conf_kind_name((conf_kind)k), aurc[k]);
        printf("  %-8s %.6f (the error rate)\n", "random", aurc_random);
        printf("  %-8s %.6f (every error last: the best possible)\n", "oracle", aurc_oracle);
    }
    for (int k = 0; k < CONF_NKIND; k++)
        free(it[k]);
    pred_table_free(&t);
}

/* ---- thumbnails ----------------------------------------------------------- */

typedef struct flagged_id {
    uint32_t id;
    uint32_t row; /* position in the review sheet */
} flagged_id;

static int cmp_flagged(const void *va, const void *vb)
{
    const flagged_id *a = va, *b = vb;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The flagged images, read and checked before anything is written. */
typedef struct thumb_set {
    flagged_id *want; /* by id; kept[i] is want[i]'s image */
    unsigned char *kept, *found, *big;
    size_t m, payload, S;
    uint32_t H, W, C;
} thumb_set;

/* Reads the whole image stream once, keeping the flagged images: a wrong or
 * truncated image stream is an error before any output exists (and a writer
 * upstream is not cut off by a closed pipe). */
static void read_thumbs(thumb_set *th, const options *o, const pred_table *t, const conf_item *it, size_t m)
{
    flagged_id *want = malloc((m ? m : 1) * sizeof *want);
    unsigned char *found = calloc(m ? m : 1, 1);
    if (!want || !found)
        cli_die("out of memory");
    for (size_t i = 0; i < m; i++) {
        want[i].id = t->r[it[i].order].id;
        want[i].row = (uint32_t)i;
    }
    qsort(want, m, sizeof *want, cmp_flagged);
    err e;
    FILE *f = ts_fopen_in(o->images, &e);
    if (!f)
        cli_die_err(&e);
    const char *name = cli_name(o->images);
    ts_reader *rd = ts_open(f, name, &e);
    if (!rd)
        cli_die_err(&e);
    const ts_header *h = ts_header_of(rd);
    uint32_t H = h->dims[0], W = h->rank >= 2 ? h->dims[1] : 0, C = h->rank == 3 ? h->dims[2] : 1;
    char shape[64];
    if (h->dtype != TS_U8 || h->rank < 2 || (C != 1 && C != 3) || W > 4096 || H > 4096)
        cli_die("%s: not an image stream (%s; expected u8 HxWx1 or HxWx3)", name,
                ts_shape_str(h, shape, sizeof shape));
    size_t S = (size_t)o->thumb_scale, payload = ts_payload_bytes(h);
    /* in *th, which main keeps: still reachable when cli_die exits mid-loop (quiet leak checkers) */
    unsigned char *kept = calloc(m ? m : 1, payload), *big = malloc((size_t)H * W * C * S * S);
    *th = (thumb_set){want, kept, found, big, m, payload, S, H, W, C};
    if (!kept || !big)
        cli_die("out of memory (%zu flagged images of %zu bytes)", m, payload);
    uint32_t id;
    int32_t label;
    long got;
    size_t nfound = 0;
    unsigned char *img = big; /* read into the enlargement buffer: it is at least one image long */
    while ((got = ts_read(rd, 1, &id, &label, img, &e)) == 1) {
        flagged_id key = {id, 0};
        flagged_id *hit = bsearch(&key, want, m, sizeof *want, cmp_flagged);
        if (!hit || found[hit - want])
            continue;
        const pred_rec *r = &t->r[it[hit->row].order];
        if (label >= 0 && r->label >= 0 && label != r->label)
            cli_die("%s: record %llu: id %u has label %d, the predictions say %d (not the same data?)", name,
                    (unsigned long long)ts_records_read(rd), id, (int)label, (int)r->label);
        memcpy(kept + (size_t)(hit - want) * payload, img, payload);
        found[hit - want] = 1;
        nfound++;
    }
    if (got < 0)
        cli_die_err(&e);
    if (nfound < m) {
        for (size_t i = 0; i < m; i++)
            if (!found[i])
                cli_die("%s: no image for flagged id %u", name, want[i].id);
    }
    ts_close(rd);
    if (f != stdin)
        fclose(f);
}

/* Writes the PNGs into o->thumbs. If a write fails (a full disk), the PNGs
 * written so far go, and the directory too if this run created it. */
static void write_thumbs(const thumb_set *th, const options *o, int created)
{
    const flagged_id *want = th->want;
    const unsigned char *kept = th->kept;
    unsigned char *big = th->big;
    const size_t m = th->m, payload = th->payload, S = th->S;
    const uint32_t H = th->H, W = th->W, C = th->C;
    err e;
    char path[FM_PATH_MAX];
    for (size_t i = 0; i < m; i++) {
        const unsigned char *src = kept + i * payload;
        for (size_t y = 0; y < (size_t)H * S; y++)
            for (size_t x = 0; x < (size_t)W * S; x++)
                memcpy(big + (y * W * S + x) * C, src + ((y / S) * W + x / S) * C, C);
        snprintf(path, sizeof path, "%s/" THUMB_NAME, o->thumbs, want[i].id);
        int rc = C == 1 ? png_write_gray(path, W * (uint32_t)S, H * (uint32_t)S, big, &e)
                        : png_write_rgb(path, W * (uint32_t)S, H * (uint32_t)S, big, &e);
        if (rc < 0) {
            for (size_t j = 0; j < i; j++) {
                snprintf(path, sizeof path, "%s/" THUMB_NAME, o->thumbs, want[j].id);
                unlink(path);
            }
            if (created)
                rmdir(o->thumbs);
            cli_die_err(&e);
        }
    }
}

/* "a/b/c" relative to base "a/d" -> "../b/c"; both absolute, canonical. */
static void relative_path(char *out, size_t len, const char *target, const char *base)
{
    size_t i = 0, common = 0;
    while (target[i] && target[i] == base[i]) {
        if (target[i] == '/')
            common = i;
        i++;
    }
    if (!target[i] && (!base[i] || base[i] == '/'))
        common = i;
    else if (!base[i] && target[i] == '/')
        common = i;
    out[0] = '\0';
    for (const char *p = base + common; *p; p++)
        if (*p == '/')
            strncat(out, "../", len - strlen(out) - 1);
    const char *rest = target + common;
    if (*rest == '/')
        rest++;
    strncat(out, *rest ? rest : ".", len - strlen(out) - 1);
}

/* The thumbnails directory as seen from the directory that holds file (or
 * the current directory when file is NULL). */
static void thumbs_from(char *out, size_t len, const char *thumbs, const char *file)
{
    char dir[FM_PATH_MAX], real_thumbs[PATH_MAX], real_dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file ? file : ".");
    if (file) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            strcpy(dir, ".");
        else if (slash == dir)
            dir[1] = '\0';
        else
            *slash = '\0';
    }
    if (!realpath(thumbs, real_thumbs) || !realpath(dir, real_dir)) {
        snprintf(out, len, "%s", thumbs); /* as given */
        return;
    }
    relative_path(out, len, real_thumbs, real_dir);
}

/* ---- the review sheet ----------------------------------------------------- */

static void put_int_field(FILE *f, long v)
{
    fprintf(f, "%ld,", v);
}

static void put_name_field(FILE *f, const char *s)
{
    rc_put_field(f, s);
    putc(',', f);
}

static void write_csv(FILE *f, const options *o, const pred_table *t, const rc_classes *cl, const conf_item *it,
                      size_t m)
{
    char rel[FM_PATH_MAX] = "";
    if (o->thumbs)
        thumbs_from(rel, sizeof rel, o->thumbs, o->output);
    fputs("id,", f);
    if (t->labelled)
        fputs("true_label,true_name,", f);
    fputs("predicted,predicted_name,probability,runner_up,runner_up_name,runner_up_probability,score,image,"
          "reviewer_label\n",
          f);
    for (size_t i = 0; i < m; i++) {
        const pred_rec *r = &t->r[it[i].order];
        fprintf(f, "%u,", r->id);
        if (t->labelled) {
            put_int_field(f, r->label);
            put_name_field(f, cl->names[r->label]);
        }
        put_int_field(f, r->c1);
        put_name_field(f, cl->names[r->c1]);
        fprintf(f, "%.6f,", r->p1);
        put_int_field(f, r->c2);
        put_name_field(f, cl->names[r->c2]);
        fprintf(f, "%.6f,%.6f,", r->p2, r->score[o->kind]);
        if (o->thumbs) {
            char img[FM_PATH_MAX];
            snprintf(img, sizeof img, "%s/" THUMB_NAME, rel, r->id);
            rc_put_field(f, img);
        }
        fputs(",\n", f);
    }
}

/* The labelling page: flag's CSV of the flagged records (without the true
 * labels unless --show-label), each image as a PNG at its own size. */
static void write_page(FILE *f, const options *o, const pred_table *t, const rc_classes *cl, const conf_item *it,
                       size_t m, const thumb_set *th, const char *rule)
{
    pred_table shown = *t;
    shown.labelled = t->labelled && o->show_label;
    char *csv = NULL;
    size_t csv_len = 0;
    FILE *ms = open_memstream(&csv, &csv_len);
    rp_record *rec = calloc(m ? m : 1, sizeof *rec);
    if (!ms || !rec)
        cli_die("out of memory");
    write_csv(ms, o, &shown, cl, it, m);
    if (fclose(ms) != 0)
        cli_die("out of memory");
    err e;
    for (size_t j = 0; j < m; j++) { /* th holds the images by id; want[j].row is the sheet's row */
        rp_record *r = &rec[th->want[j].row];
        const pred_rec *p = &t->r[it[th->want[j].row].order];
        *r = (rp_record){p->id, {p->c1, p->c2}, {p->p1, p->p2}, shown.labelled ? p->label : -1, NULL, 0};
        unsigned char *png;
        if (png_encode(th->W, th->H, (int)th->C, th->kept + j * th->payload, &png, &r->png_len, &e) < 0)
            cli_die("id %u: %s", p->id, e.msg);
        r->png = png;
    }
    rp_sheet sheet = {cli_name(o->path), rule, t->k, cl->names, csv, m, rec};
    if (rp_write(f, &sheet, &e) < 0)
        cli_die_err(&e);
    for (size_t i = 0; i < m; i++)
        free((void *)rec[i].png);
    free(rec);
    free(csv);
}

/* The workbook for a reviewer in a spreadsheet (lib/review_xlsx.h), its
 * pictures from the images read for the thumbnails. On failure the
 * thumbnails' directory goes too if this run created it (still empty). */
static void write_xlsx(const options *o, const pred_table *t, const rc_classes *cl, const conf_item *it, size_t m,
                       const thumb_set *th, int created)
{
    err e;
    const char *outs[] = {o->xlsx, o->output, o->html};
    const char *ins[] = {o->path ? o->path : "-", o->images, o->calibrate, o->class_names};
    if (check_not_inputs(outs, 3, ins, 4, &e) < 0) {
        if (created)
            rmdir(o->thumbs);
        cli_die_err(&e);
    }
    rx_row *rows = malloc((m ? m : 1) * sizeof *rows);
    if (!rows)
        cli_die("out of memory");
    for (size_t i = 0; i < m; i++) /* th->want is by id; its row says where in the sheet */
        rows[th->want[i].row] = (rx_row){&t->r[it[th->want[i].row].order], th->kept + i * th->payload};
    rx_sheet s = {rows, m, cl, o->kind, th->H, th->W, th->C, (unsigned)o->thumb_scale};
    if (review_xlsx_write(o->xlsx, &s, &e) < 0) {
        if (created)
            rmdir(o->thumbs);
        cli_die_err(&e);
    }
    free(rows);
}

/* ---- selection ------------------------------------------------------------ */

/* "top1 < 0.8" / "entropy > 0.3": the flagging rule for confidence < c. */
static void rule_str(char *buf, size_t len, conf_kind kind, double conf, int inclusive)
{
    const char *op = kind == CONF_ENTROPY ? (inclusive ? ">=" : ">") : (inclusive ? "<=" : "<");
    snprintf(buf, len, "%s %s %.6g", conf_kind_name(kind), op, conf_to_score(conf, kind));
}

/* Chooses the threshold on the validation stream for --target-accuracy:
 * returns the confidence below which records are flagged. The validation
 * predictions must have the flagged ones' k classes: a margin or entropy
 * cut-off does not carry over between class counts. */
static double calibrate(const options *o, int k)
{
    pred_table v;
    load_or_die(&v, o->calibrate);
    need_labels(&v, o->calibrate, "--calibrate");
    if (v.k != k)
        cli_die("%s: %d scores per record, but %s has %d (not the same model?)", cli_name(o->calibrate), v.k,
                cli_name(o->path), k);
    conf_item *it = items_of(&v, o->kind);
    long m = conf_cut_for_accuracy(it, v.n, o->target);
    if (m < 0)
        cli_die("%s: accuracy %g cannot be reached without flagging every record", cli_name(o->calibrate),
                o->target);
    size_t correct = 0;
    for (size_t i = (size_t)m; i < v.n; i++)
        correct += it[i].correct != 0;
    double conf = it[m].conf;
    char rule[128];
    rule_str(rule, sizeof rule, o->kind, conf, 0);
    fprintf(stderr,
            "%s: threshold %s chosen on %s: it flags %ld of %zu validation records (%.2f %%) and leaves the "
            "rest at accuracy %.4f >= %g\n",
            cli_prog, rule, cli_name(o->calibrate), m, v.n, 100.0 * (double)m / (double)v.n,
            (double)correct / (double)(v.n - (size_t)m), o->target);
    free(it);
    pred_table_free(&v);
    return conf;
}

static void review_sheet(const options *o)
{
    err e;
    if (o->html && strcmp(o->html, "-") == 0 && (!o->output || strcmp(o->output, "-") == 0))
        cli_usage_error("--html -: stdout gets the CSV; send that to a file with -o FILE");
    const char *outs[] = {o->output, o->html};
    const char *ins[] = {o->path ? o->path : "-", o->images, o->calibrate, o->class_names};
    if (check_not_inputs(outs, 2, ins, 4, &e) < 0)
        cli_die_err(&e);
    pred_table t;
    load_or_die(&t, o->path);
    double conf_cut = 0;
    if (o->have_target)
        conf_cut = calibrate(o, t.k);
    else if (o->have_threshold)
        conf_cut = conf_from_score((float)o->threshold, o->kind); /* probabilities are f32: 0.7 means 0.7f */
    rc_classes cl;
    if (rc_classes_init(&cl, t.k, o->class_names, &e) < 0)
        cli_die_err(&e);
    conf_item *it = items_of(&t, o->kind);
    size_t m = 0;
    char rule[160];
    static li_estimate li; /* static: reachable when an error exits (quiet leak checkers) */
    if (o->label_issues) {
        need_labels(&t, o->path, "--label-issues");
        if (li_flag(&li, &t, o->li_filter, o->li_rank, it, &e) < 0)
            cli_die_err(&e);
        m = li.nissues;
        snprintf(rule, sizeof rule, "label issues by confident learning (%s), worst first by %s",
                 li_filter_name(o->li_filter), li_rank_name(o->li_rank));
    } else if (o->have_budget) {
        m = o->budget_pct ? conf_budget_count(o->budget, t.n) : (o->budget > (double)t.n ? t.n : (size_t)o->budget);
        char last[96] = "";
        if (m > 0)
            rule_str(last, sizeof last, o->kind, it[m - 1].conf, 1);
        snprintf(rule, sizeof rule, "budget %g%s, the %zu least confident by %s%s%s%s", o->budget,
                 o->budget_pct ? "%" : "", m, conf_kind_name(o->kind), m ? " (" : "", last, m ? ")" : "");
    } else {
        while (m < t.n && it[m].conf < conf_cut)
            m++;
        rule_str(rule, sizeof rule, o->kind, conf_cut, 0);
        if (o->have_target)
            snprintf(rule + strlen(rule), sizeof rule - strlen(rule), " (chosen on %s)", cli_name(o->calibrate));
    }
    /* Nothing is written until the images are read and checked and every output
     * can be created: the thumbnails' directory first (with its parents, so that
     * -o and --html may go into it), then the temporary files of -o and --html. */
    static thumb_set th; /* static: reachable when an error exits (quiet leak checkers) */
    if ((o->thumbs || o->html || o->xlsx) && m > 0) {
        read_thumbs(&th, o, &t, it, m);
        for (size_t i = 0; o->thumbs && i < m; i++) { /* an input may sit in DIR under a thumbnail's name */
            char path[FM_PATH_MAX];
            snprintf(path, sizeof path, "%s/" THUMB_NAME, o->thumbs, th.want[i].id);
            const char *thumb[] = {path};
            if (check_not_inputs(thumb, 1, ins, 4, &e) < 0)
                cli_die_err(&e);
        }
    }
    int created = 0;
    if (o->thumbs && make_dirs(o->thumbs, &created, &e) < 0)
        cli_die_err(&e);
    atomic_file html_af, out_af;
    if ((o->html && af_open(&html_af, o->html, &e) < 0) || (o->output && af_open(&out_af, o->output, &e) < 0)) {
        if (created)
            rmdir(o->thumbs);
        cli_die_err(&e);
    }
    if (o->xlsx)
        write_xlsx(o, &t, &cl, it, m, &th, created);
    if (o->thumbs && m > 0)
        write_thumbs(&th, o, created);
    if (o->html) {
        write_page(html_af.f, o, &t, &cl, it, m, &th, rule);
        if (af_commit(&html_af, &e) < 0)
            cli_die_err(&e);
    }
    free(th.want), free(th.kept), free(th.found), free(th.big);
    if (o->output) {
        write_csv(out_af.f, o, &t, &cl, it, m);
        if (af_commit(&out_af, &e) < 0)
            cli_die_err(&e);
    } else {
        write_csv(stdout, o, &t, &cl, it, m);
        /* a write error on stdout is reported now, not after the summary says all went well */
        if (fflush(stdout) != 0 || ferror(stdout))
            cli_die("write error on <stdout>: %s", strerror(errno));
    }
    fprintf(stderr, "%s: flagged %zu of %zu records (%.2f %%): %s\n", cli_prog, m, t.n,
            100.0 * (double)m / (double)t.n, rule);
    if (t.labelled) {
        size_t wrong = 0, caught = 0;
        for (size_t i = 0; i < t.n; i++) {
            wrong += it[i].correct == 0;
            if (i < m)
                caught += it[i].correct == 0;
        }
        fprintf(stderr, "%s: the flagged records hold %zu of the model's %zu errors; the %zu not flagged are "
                        "%.2f %% right\n",
                cli_prog, caught, wrong, t.n - m,
                t.n > m ? 100.0 * (double)(t.n - m - (wrong - caught)) / (double)(t.n - m) : 100.0);
    }
    if (o->label_issues) {
        fputc('\n', stderr);
        li_report(stderr, &li, (const char *const *)cl.names);
        li_estimate_free(&li);
    }
    free(it);
    rc_classes_free(&cl);
    pred_table_free(&t);
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    if (o.report)
        report(&o);
    else
        review_sheet(&o);
    return 0;
}
