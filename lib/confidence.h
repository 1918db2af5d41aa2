/* confidence.h - confidence scores of a probability vector, and the
 * risk-coverage maths that says what a review budget is worth.
 *
 * Scores (a "confidence" is higher for a surer prediction):
 *   top1     p1, the top-1 probability                  confidence = p1
 *   margin   p1 - p2, top-1 minus runner-up             confidence = p1 - p2
 *   entropy  H = -sum p log p (nats), 0 log 0 = 0       confidence = -H
 * Reviewing flags the least confident items first.
 *
 * Reviewer model (expected values, no randomness): every flagged item ends
 * up correct with probability r, whatever the model said, because the
 * reviewer's answer replaces the model's; unflagged items keep the model's
 * answer. r = 1 is a perfect reviewer. A random selection of m of n items
 * holds in expectation m/n of the model's errors.
 */
#ifndef CONFIDENCE_H
#define CONFIDENCE_H

#include <stddef.h>
#include <stdint.h>

typedef enum conf_kind { CONF_TOP1, CONF_MARGIN, CONF_ENTROPY, CONF_NKIND } conf_kind;

/* "top1", "margin", "entropy"; conf_kind_parse returns -1 for an unknown name. */
const char *conf_kind_name(conf_kind k);
int conf_kind_parse(const char *s);

/* The top class of p[k] (k >= 1); ties go to the lower index. */
int conf_argmax(const float *p, int k);
/* Top class and runner-up of p[k] (k >= 2); ties go to the lower index. */
void conf_top2(const float *p, int k, int *c1, double *p1, int *c2, double *p2);
/* The score as printed (p1, p1 - p2, or H in nats). */
double conf_score(const float *p, int k, conf_kind kind);
/* The score turned into a confidence, higher = surer (-H for entropy). */
double conf_from_score(double score, conf_kind kind);
double conf_to_score(double conf, conf_kind kind);

/* One scored prediction, for sorting. */
typedef struct conf_item {
    double conf;   /* confidence, higher = surer */
    uint32_t order; /* position in the input: breaks ties, least confident first keeps input order */
    int correct;    /* 1 if the prediction matches the true label */
} conf_item;

/* Sort least confident first; ties by input order. */
void conf_sort(conf_item *it, size_t n);

/* Records flagged for a budget of pct percent of n: round(pct * n / 100). */
size_t conf_budget_count(double pct, size_t n);

/* What flagging the first m of n sorted items gives (all fractions 0..1). */
typedef struct conf_budget {
    size_t flagged;
    double auto_accuracy;   /* accuracy of the n - m auto-accepted items (1 if none) */
    double errors_caught;   /* share of the model's errors among the flagged (1 if no errors) */
    double system_perfect;  /* final accuracy with a perfect reviewer */
    double system_reviewer; /* expected final accuracy with a reviewer of accuracy r */
    double random_auto_accuracy, random_errors_caught, random_system_perfect, random_system_reviewer;
} conf_budget;

/* it sorted by conf_sort. */
conf_budget conf_budget_eval(const conf_item *it, size_t n, size_t m, double r);

/* Area under the risk-coverage curve: accept the most confident first; at
 * coverage k/n (k = 1..n) the risk is the error rate among the k accepted;
 * AURC is the mean risk over k. Ties in confidence count in expectation over
 * their orderings, so the result does not depend on the input order.
 * it sorted by conf_sort. */
double conf_aurc(const conf_item *it, size_t n);
/* The same for a random order (= the error rate) and for an oracle that
 * accepts every correct item first (the lowest AURC possible). */
double conf_aurc_random(const conf_item *it, size_t n);
double conf_aurc_oracle(const conf_item *it, size_t n);

/* Smallest m such that items m..n-1 of the sorted list have accuracy >= a
 * and the cut falls between two different confidences (so that it can be
 * applied as a threshold); -1 if only flagging everything reaches a. */
long conf_cut_for_accuracy(const conf_item *it, size_t n, double a);

#endif
