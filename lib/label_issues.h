/* label_issues.h - find the given labels that are probably wrong, by
 * confident learning (Northcutt, Jiang and Chuang, "Confident Learning:
 * Estimating Uncertainty in Dataset Labels", JAIR 2021), as cleanlab does it.
 *
 * Input: out-of-fold probabilities p (n records x k classes: each from a model
 * that never saw the record) and the given labels y. Steps:
 *   t_j      per-class threshold: the mean of p_j over the records with y = j;
 *   C[i][j]  the confident joint: records with y = i that are confidently j,
 *            i.e. j is the class of highest p among those with p_j >= t_j
 *            (a record above no threshold is not counted);
 *   Q[i][j]  C calibrated: each row scaled to the number of records labelled i,
 *            then rounded to integers keeping the row totals (largest remainder);
 *   noise    P(given i | true j) = Q[i][j] / sum_i Q[i][j];
 *   quality  each record's label quality: self-confidence p_y, or the normalised
 *            margin (p_y - max_{j != y} p_j + 1) / 2;
 *   issues   by one of cleanlab's filters:
 *            ranked (cleanlab's low_self_confidence / low_normalized_margin):
 *              the N records of lowest quality, N = the records off C's diagonal
 *              whose likeliest class is not their label (cleanlab's count,
 *              num_label_issues); the default: it counts only confident
 *              disagreements, where the calibrated Q also scales up the rows
 *              of classes the model is unsure of (docs/label-issues.md measures both);
 *            prune by noise rate: for each given class i and each j != i, the
 *              Q[i][j] records labelled i with the largest margin p_j - p_i (a
 *              record picked for two j counts once), less those the model
 *              predicts as labelled; every class keeps at least one record
 *              (Q[i][i] >= 1);
 *            confident learning: the N records of the count above themselves;
 *   ranking  suspects worst first by label quality; ties by input order.
 * Thresholds are compared with a tolerance of 1e-6, as cleanlab does, so that
 * a record whose p_j equals the class mean is not lost to rounding in the mean.
 */
#ifndef LABEL_ISSUES_H
#define LABEL_ISSUES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "confidence.h"
#include "err.h"
#include "pred_table.h"

typedef enum li_rank { LI_SELF_CONFIDENCE, LI_NORMALIZED_MARGIN } li_rank;
typedef enum li_filter { LI_RANKED, LI_PRUNE_BY_NOISE_RATE, LI_CONFIDENT_LEARNING } li_filter;

/* "self-confidence", "normalized-margin"; li_rank_parse returns -1 for another name. */
const char *li_rank_name(li_rank r);
int li_rank_parse(const char *s);
/* "ranked", "prune-by-noise-rate", "confident-learning"; li_filter_parse returns -1 for another. */
const char *li_filter_name(li_filter f);
int li_filter_parse(const char *s);

typedef struct li_estimate {
    int k;
    size_t n;
    li_rank rank;
    li_filter filter;
    size_t off_diagonal; /* records off C's diagonal whose likeliest class is not their label */
    double *threshold;  /* (k) t_j; NAN where no record is labelled j (then j is never confident) */
    size_t *count;      /* (k) records labelled i */
    size_t *confident;  /* (k,k) C[i][j], before calibration */
    size_t *joint;      /* (k,k) Q[i][j], calibrated: row i sums to count[i] */
    double *noise;      /* (k,k) P(given i | true j); a column with no estimate is 0 */
    size_t *prune;      /* (k,k) suspects to find labelled i that are truly j (Q off the diagonal,
                           after keeping one record per class) */
    size_t *suspects;   /* (k,k) suspects found labelled i whose likeliest other class is j */
    double *quality;    /* (n) label quality of every record: higher = the label is likelier right */
    uint32_t *issues;   /* (nissues) record indices of the suspects, worst first */
    size_t nissues;
} li_estimate;

/* p is (n,k) row-major, labels (n) in 0..k-1. On success fills est (free
 * with li_estimate_free); on error leaves nothing to free. */
int li_estimate_run(li_estimate *est, const float *p, const int32_t *labels, size_t n, int k, li_filter filter,
                    li_rank rank, err *e);
void li_estimate_free(li_estimate *est);

/* The estimate as text: thresholds, the noise matrix, suspects per pair of
 * classes. names[k] are the class names. */
void li_report(FILE *f, const li_estimate *est, const char *const *names);

/* For flag: runs the estimate on a labelled prediction table that holds its
 * probabilities, and orders it[0..t->n) with the suspects first, worst first
 * (conf = label quality), then every other record in input order. */
int li_flag(li_estimate *est, const pred_table *t, li_filter filter, li_rank rank, conf_item *it, err *e);

#endif
