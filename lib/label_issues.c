/* label_issues.c - confident learning: which given labels are probably wrong
 * (see label_issues.h for the method). */
#include "label_issues.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_PAIRS 20       /* pairs listed in the report; the rest are summed up in one line */
#define THRESHOLD_TOLERANCE 1e-6 /* as cleanlab: p_j equal to the class mean is confident */

static const char *const rank_names[] = {"self-confidence", "normalized-margin"};
static const char *const filter_names[] = {"ranked", "prune-by-noise-rate", "confident-learning"};

static int name_index(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *li_rank_name(li_rank r)
{
    return rank_names[r];
}

int li_rank_parse(const char *s)
{
    return name_index(rank_names, 2, s);
}

const char *li_filter_name(li_filter f)
{
    return filter_names[f];
}

int li_filter_parse(const char *s)
{
    return name_index(filter_names, 3, s);
}

void li_estimate_free(li_estimate *est)
{
    free(est->threshold);
    free(est->count);
    free(est->confident);
    free(est->joint);
    free(est->noise);
    free(est->prune);
    free(est->suspects);
    free(est->quality);
    free(est->issues);
    memset(est, 0, sizeof *est);
}

/* ---- the confident joint ------------------------------------------------- */

static void thresholds(li_estimate *est, const float *p, const int32_t *y)
{
    const int k = est->k;
    for (int j = 0; j < k; j++)
        est->threshold[j] = 0;
    for (size_t r = 0; r < est->n; r++)
        est->threshold[y[r]] += p[r * (size_t)k + (size_t)y[r]];
    for (int j = 0; j < k; j++)
        est->threshold[j] = est->count[j] ? est->threshold[j] / (double)est->count[j] : NAN;
}

/* The class a record is confidently in: the highest p_j among the classes at
 * or above their threshold; -1 if none. */
static int confident_class(const float *pr, const double *t, int k)
{
    int best = -1;
    for (int j = 0; j < k; j++)
        if (!isnan(t[j]) && pr[j] >= t[j] - THRESHOLD_TOLERANCE && (best < 0 || pr[j] > pr[best]))
            best = j;
    return best;
}

/* Round row (k doubles summing to total, an integer) to integers with the
 * same sum: floors first, then one more to the largest remainders (ties to
 * the lower index). */
static void round_keeping_total(const double *row, size_t *out, int k, size_t total)
{
    size_t sum = 0;
    for (int j = 0; j < k; j++) {
        out[j] = (size_t)floor(row[j]);
        sum += out[j];
    }
    while (sum < total) {
        int best = -1;
        double best_rem = -1;
        for (int j = 0; j < k; j++) {
            double rem = row[j] - (double)out[j];
            if (rem > best_rem) {
                best_rem = rem;
                best = j;
            }
        }
        out[best]++;
        sum++;
    }
}

/* Q: each row of C scaled to the class count, rounded keeping the count.
 * Every row with a record has a confident record (the one with the largest
 * p_i is at or above the mean t_i), so no row is left empty. */
static void calibrate(li_estimate *est, double *scaled)
{
    const size_t k = (size_t)est->k;
    for (size_t i = 0; i < k; i++) {
        const size_t *c = est->confident + i * k;
        size_t rsum = 0;
        for (size_t j = 0; j < k; j++)
            rsum += c[j];
        for (size_t j = 0; j < k; j++)
            scaled[j] = rsum ? (double)c[j] * (double)est->count[i] / (double)rsum : 0;
        round_keeping_total(scaled, est->joint + i * k, (int)k, rsum ? est->count[i] : 0);
    }
}

static void noise_matrix(li_estimate *est)
{
    const size_t k = (size_t)est->k;
    for (size_t j = 0; j < k; j++) {
        size_t col = 0;
        for (size_t i = 0; i < k; i++)
            col += est->joint[i * k + j];
        for (size_t i = 0; i < k; i++)
            est->noise[i * k + j] = col ? (double)est->joint[i * k + j] / (double)col : 0;
    }
}

/* How many to prune per (given i, true j): Q off the diagonal, but a class
 * with Q[i][i] = 0 keeps one record: the largest count of its row gives one up. */
static void prune_counts(li_estimate *est)
{
    const size_t k = (size_t)est->k;
    for (size_t i = 0; i < k; i++) {
        size_t *row = est->prune + i * k, biggest = 0;
        for (size_t j = 0; j < k; j++) {
            row[j] = j == i ? 0 : est->joint[i * k + j];
            if (row[j] > row[biggest])
                biggest = j;
        }
        if (est->count[i] > 0 && est->joint[i * k + i] == 0 && row[biggest] > 0)
            row[biggest]--;
    }
}

/* ---- picking and ranking the suspects ------------------------------------ */

typedef struct keyed {
    double key;
    uint32_t row;
} keyed;

/* Largest key first; ties by record order. */
static int cmp_key_desc(const void *va, const void *vb)
{
    const keyed *a = va, *b = vb;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

/* Smallest key first; ties by record order. */
static int cmp_key_asc(const void *va, const void *vb)
{
    const keyed *a = va, *b = vb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

static double quality(const float *pr, int y, int k, li_rank rank)
{
    if (rank == LI_SELF_CONFIDENCE)
        return pr[y];
    double other = -1;
    for (int j = 0; j < k; j++)
        if (j != y && pr[j] > other)
            other = pr[j];
    return (pr[y] - other + 1) / 2;
}

/* The likeliest class other than y. */
static int likeliest_other(const float *pr, int y, int k)
{
    int best = -1;
    for (int j = 0; j < k; j++)
        if (j != y && (best < 0 || pr[j] > pr[best]))
            best = j;
    return best;
}

/* Whether the likeliest class is y itself; a tie with another class goes to
 * y (cleanlab's count keeps such a record out, with a tolerance of 1e-6). */
static int predicted_as_given(const float *pr, int y, int k)
{
    for (int j = 0; j < k; j++)
        if (j != y && pr[j] > pr[y] + THRESHOLD_TOLERANCE)
            return 0;
    return 1;
}

/* Marks the n_mark records of lowest quality (the ranked filter). */
static void mark_lowest(const double *q, size_t n, size_t n_mark, keyed *scratch, unsigned char *suspect)
{
    for (size_t r = 0; r < n; r++)
        scratch[r] = (keyed){q[r], (uint32_t)r};
    qsort(scratch, n, sizeof *scratch, cmp_key_asc);
    for (size_t s = 0; s < n_mark && s < n; s++)
        suspect[scratch[s].row] = 1;
}

/* Marks the suspects of every given class (prune by noise rate). by_class
 * holds the record indices grouped by label (start[i] .. start[i+1]). */
static void mark_suspects(const li_estimate *est, const float *p, const uint32_t *by_class, const size_t *start,
                          keyed *scratch, unsigned char *suspect)
{
    const size_t k = (size_t)est->k;
    for (size_t i = 0; i < k; i++) {
        size_t m = start[i + 1] - start[i];
        for (size_t j = 0; j < k; j++) {
            size_t want = est->prune[i * k + j];
            if (j == i || want == 0)
                continue;
            for (size_t s = 0; s < m; s++) {
                uint32_t r = by_class[start[i] + s];
                scratch[s] = (keyed){(double)p[r * k + j] - (double)p[r * k + i], r};
            }
            qsort(scratch, m, sizeof *scratch, cmp_key_desc);
            for (size_t s = 0; s < want && s < m; s++)
                suspect[scratch[s].row] = 1;
        }
    }
}

int li_estimate_run(li_estimate *est, const float *p, const int32_t *labels, size_t n, int k, li_filter filter,
                    li_rank rank, err *e)
{
    memset(est, 0, sizeof *est);
    if (k < 2)
        return err_set(e, "confident learning needs at least 2 classes (got %d)", k);
    if (n == 0)
        return err_set(e, "confident learning needs at least one record");
    for (size_t r = 0; r < n; r++)
        if (labels[r] < 0 || labels[r] >= k)
            return err_set(e, "record %zu: label %d is not a class (0..%d)", r + 1, (int)labels[r], k - 1);
    const size_t K = (size_t)k;
    est->k = k;
    est->n = n;
    est->rank = rank;
    est->filter = filter;
    est->threshold = malloc(K * sizeof *est->threshold);
    est->count = calloc(K, sizeof *est->count);
    est->confident = calloc(K * K, sizeof *est->confident);
    est->joint = calloc(K * K, sizeof *est->joint);
    est->noise = calloc(K * K, sizeof *est->noise);
    est->prune = calloc(K * K, sizeof *est->prune);
    est->suspects = calloc(K * K, sizeof *est->suspects);
    est->quality = malloc(n * sizeof *est->quality);
    est->issues = malloc(n * sizeof *est->issues);
    double *scaled = malloc(K * sizeof *scaled);
    size_t *start = calloc(K + 1, sizeof *start);
    uint32_t *by_class = malloc(n * sizeof *by_class);
    keyed *scratch = malloc(n * sizeof *scratch);
    unsigned char *suspect = calloc(n, 1), *off = calloc(n, 1);
    if (!off || !est->threshold || !est->count || !est->confident || !est->joint || !est->noise || !est->prune ||
        !est->suspects || !est->quality || !est->issues || !scaled || !start || !by_class || !scratch || !suspect) {
        free(scaled), free(start), free(by_class), free(scratch), free(suspect), free(off);
        li_estimate_free(est);
        return err_set(e, "out of memory (confident learning on %zu records)", n);
    }

    for (size_t r = 0; r < n; r++)
        est->count[labels[r]]++;
    thresholds(est, p, labels);
    for (size_t r = 0; r < n; r++) {
        int j = confident_class(p + r * K, est->threshold, k);
        if (j >= 0)
            est->confident[(size_t)labels[r] * K + (size_t)j]++;
        off[r] = j >= 0 && j != labels[r] && !predicted_as_given(p + r * K, labels[r], k);
        est->off_diagonal += off[r];
    }
    calibrate(est, scaled);
    noise_matrix(est);
    prune_counts(est);

    for (size_t i = 0; i < K; i++) /* counting sort by label, record order kept */
        start[i + 1] = start[i] + est->count[i];
    size_t *fill = est->suspects; /* borrowed as K cursors, cleared below */
    for (size_t r = 0; r < n; r++)
        by_class[start[labels[r]] + fill[labels[r]]++] = (uint32_t)r;
    memset(fill, 0, K * sizeof *fill);
    for (size_t r = 0; r < n; r++)
        est->quality[r] = quality(p + r * K, labels[r], k, rank);
    if (filter == LI_PRUNE_BY_NOISE_RATE) {
        mark_suspects(est, p, by_class, start, scratch, suspect);
        for (size_t r = 0; r < n; r++) /* as cleanlab: not a record the model predicts as labelled */
            suspect[r] = suspect[r] && !predicted_as_given(p + r * K, labels[r], k);
    } else if (filter == LI_CONFIDENT_LEARNING) {
        memcpy(suspect, off, n);
    } else {
        mark_lowest(est->quality, n, est->off_diagonal, scratch, suspect);
    }

    size_t m = 0;
    for (size_t r = 0; r < n; r++) {
        if (suspect[r]) {
            scratch[m++] = (keyed){est->quality[r], (uint32_t)r};
            int j = likeliest_other(p + r * K, labels[r], k);
            est->suspects[(size_t)labels[r] * K + (size_t)j]++;
        }
    }
    qsort(scratch, m, sizeof *scratch, cmp_key_asc);
    for (size_t s = 0; s < m; s++)
        est->issues[s] = scratch[s].row;
    est->nissues = m;
    free(scaled), free(start), free(by_class), free(scratch), free(suspect), free(off);
    return 0;
}

/* ---- for flag -------------------------------------------------------------- */

int li_flag(li_estimate *est, const pred_table *t, li_filter filter, li_rank rank, conf_item *it, err *e)
{
    int32_t *labels = malloc((t->n ? t->n : 1) * sizeof *labels);
    if (!labels)
        return err_set(e, "out of memory");
    for (size_t r = 0; r < t->n; r++)
        labels[r] = t->r[r].label;
    int rc = li_estimate_run(est, t->p, labels, t->n, t->k, filter, rank, e);
    free(labels);
    if (rc < 0)
        return -1;
    unsigned char *taken = calloc(t->n, 1);
    if (!taken) {
        li_estimate_free(est);
        return err_set(e, "out of memory");
    }
    size_t m = 0;
    for (size_t s = 0; s < est->nissues; s++)
        taken[est->issues[s]] = 1;
    for (size_t s = 0; s < est->nissues; s++) {
        uint32_t r = est->issues[s];
        it[m++] = (conf_item){est->quality[r], r, t->r[r].label == t->r[r].c1};
    }
    for (size_t r = 0; r < t->n; r++)
        if (!taken[r])
            it[m++] = (conf_item){est->quality[r], (uint32_t)r, t->r[r].label == t->r[r].c1};
    free(taken);
    return 0;
}

/* ---- the report ------------------------------------------------------------ */

void li_report(FILE *f, const li_estimate *est, const char *const *names)
{
    const size_t k = (size_t)est->k;
    size_t off = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            off += j != i ? est->joint[i * k + j] : 0;
    size_t est_n = est->filter == LI_PRUNE_BY_NOISE_RATE ? off : est->off_diagonal;
    fprintf(f, "confident learning on %zu records, %zu classes: estimated %zu wrong labels (%.2f %%), "
               "%zu suspects flagged (filter %s, ranked by %s)\n",
            est->n, k, est_n, 100.0 * (double)est_n / (double)est->n, est->nissues, li_filter_name(est->filter),
            li_rank_name(est->rank));
    fprintf(f, "the two estimates: %zu records confidently of another class than their label (the confident\n"
               "joint off its diagonal, less those predicted as labelled); %zu by the calibrated joint\n\n",
            est->off_diagonal, off);
    fprintf(f, "%-4s %-14s %8s %10s %10s %9s\n", "", "given class", "records", "threshold", "est. wrong", "flagged");
    for (size_t i = 0; i < k; i++) {
        size_t wrong = 0, flagged = 0;
        for (size_t j = 0; j < k; j++) {
            wrong += j != i ? est->joint[i * k + j] : 0;
            flagged += est->suspects[i * k + j];
        }
        fprintf(f, "%-4zu %-14.14s %8zu %10.4f %10zu %9zu\n", i, names[i], est->count[i], est->threshold[i], wrong,
                flagged);
    }
    fputs("\nestimated noise matrix P(given label | true label), in %: rows given, columns true\n     ", f);
    for (size_t j = 0; j < k; j++)
        fprintf(f, " %6zu", j);
    fputc('\n', f);
    for (size_t i = 0; i < k; i++) {
        fprintf(f, "%4zu ", i);
        for (size_t j = 0; j < k; j++)
            fprintf(f, " %6.2f", 100 * est->noise[i * k + j]);
        fputc('\n', f);
    }
    fputs("\nsuspected errors per pair of classes (estimated: calibrated confident joint; flagged: by the\n"
          "likeliest other class), the largest first:\n",
          f);
    fprintf(f, "  %-22s %-22s %10s %8s\n", "given", "likely true", "estimated", "flagged");
    /* pairs in order of the estimate, then of the flagged count; at most k*k lines */
    size_t npairs = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            npairs += j != i && (est->joint[i * k + j] || est->suspects[i * k + j]);
    keyed *pairs = malloc((npairs ? npairs : 1) * sizeof *pairs);
    if (!pairs) {
        fputs("  (out of memory listing the pairs)\n", f);
        return;
    }
    size_t np = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            if (j != i && (est->joint[i * k + j] || est->suspects[i * k + j]))
                pairs[np++] = (keyed){(double)est->joint[i * k + j] + 1e-6 * (double)est->suspects[i * k + j],
                                      (uint32_t)(i * k + j)};
    qsort(pairs, np, sizeof *pairs, cmp_key_desc);
    for (size_t s = 0; s < np && s < REPORT_PAIRS; s++) {
        size_t i = pairs[s].row / k, j = pairs[s].row % k;
        char gi[40], tj[40];
        snprintf(gi, sizeof gi, "%zu %s", i, names[i]);
        snprintf(tj, sizeof tj, "%zu %s", j, names[j]);
        fprintf(f, "  %-22s %-22s %10zu %8zu\n", gi, tj, est->joint[i * k + j], est->suspects[i * k + j]);
    }
    if (np == 0)
        fputs("  (none)\n", f);
    else if (np > REPORT_PAIRS)
        fprintf(f, "  ... and %zu more pairs with fewer\n", np - REPORT_PAIRS);
    free(pairs);
}
