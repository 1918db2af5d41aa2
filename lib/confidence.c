/* confidence.c - confidence scores and risk-coverage maths (see confidence.h). */
#include "confidence.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[CONF_NKIND] = {"top1", "margin", "entropy"};

const char *conf_kind_name(conf_kind k)
{
    return (unsigned)k < CONF_NKIND ? kind_names[k] : "?";
}

int conf_kind_parse(const char *s)
{
    for (int k = 0; k < CONF_NKIND; k++)
        if (strcmp(s, kind_names[k]) == 0)
            return k;
    return -1;
}

int conf_argmax(const float *p, int k)
{
    int best = 0;
    for (int i = 1; i < k; i++)
        best = p[i] > p[best] ? i : best;
    return best;
}

void conf_top2(const float *p, int k, int *c1, double *p1, int *c2, double *p2)
{
    int a = 0, b = 1;
    if (p[1] > p[0]) {
        a = 1;
        b = 0;
    }
    for (int i = 2; i < k; i++) {
        if (p[i] > p[a]) {
            b = a;
            a = i;
        } else if (p[i] > p[b]) {
            b = i;
        }
    }
    *c1 = a;
    *p1 = p[a];
    *c2 = b;
    *p2 = p[b];
}

double conf_score(const float *p, int k, conf_kind kind)
{
    if (kind == CONF_ENTROPY) {
        double h = 0;
        for (int i = 0; i < k; i++)
            if (p[i] > 0)
                h -= (double)p[i] * log((double)p[i]);
        return h + 0.0; /* no -0 */
    }
    int c1, c2;
    double p1, p2;
    conf_top2(p, k, &c1, &p1, &c2, &p2);
    return kind == CONF_MARGIN ? p1 - p2 : p1;
}

double conf_from_score(double score, conf_kind kind)
{
    return kind == CONF_ENTROPY ? -score : score;
}

double conf_to_score(double conf, conf_kind kind)
{
    return kind == CONF_ENTROPY ? -conf : conf;
}

static int cmp_item(const void *va, const void *vb)
{
    const conf_item *a = va, *b = vb;
    if (a->conf != b->conf)
        return a->conf < b->conf ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

void conf_sort(conf_item *it, size_t n)
{
    qsort(it, n, sizeof *it, cmp_item);
}

size_t conf_budget_count(double pct, size_t n)
{
    double m = floor(pct * (double)n / 100.0 + 0.5);
    if (m < 0)
        return 0;
    return m > (double)n ? n : (size_t)m;
}

conf_budget conf_budget_eval(const conf_item *it, size_t n, size_t m, double r)
{
    conf_budget b;
    memset(&b, 0, sizeof b);
    if (m > n)
        m = n;
    size_t correct = 0, flagged_wrong = 0;
    for (size_t i = 0; i < n; i++) {
        correct += it[i].correct != 0;
        if (i < m)
            flagged_wrong += it[i].correct == 0;
    }
    size_t wrong = n - correct;
    size_t auto_correct = correct - (m - flagged_wrong); /* correct among the unflagged */
    double N = n ? (double)n : 1;
    b.flagged = m;
    b.auto_accuracy = n > m ? (double)auto_correct / (double)(n - m) : 1;
    b.errors_caught = wrong ? (double)flagged_wrong / (double)wrong : 1;
    b.system_perfect = ((double)auto_correct + (double)m) / N;
    b.system_reviewer = ((double)auto_correct + r * (double)m) / N;
    /* random m of n: expected correct among the unflagged = correct * (n - m) / n */
    double acc = (double)correct / N;
    double rnd_auto = acc * (double)(n - m);
    b.random_auto_accuracy = n > m ? acc : 1;
    b.random_errors_caught = wrong ? (double)m / N : 1;
    b.random_system_perfect = (rnd_auto + (double)m) / N;
    b.random_system_reviewer = (rnd_auto + r * (double)m) / N;
    return b;
}

double conf_aurc(const conf_item *it, size_t n)
{
    if (n == 0)
        return 0;
    double sum = 0, errs = 0;
    size_t k = 0, hi = n; /* accept from the most confident end: items [lo, hi) form a tie group */
    while (hi > 0) {
        size_t lo = hi - 1;
        while (lo > 0 && it[lo - 1].conf == it[hi - 1].conf)
            lo--;
        size_t g = hi - lo, w = 0;
        for (size_t i = lo; i < hi; i++)
            w += it[i].correct == 0;
        for (size_t j = 1; j <= g; j++)
            sum += (errs + (double)j * (double)w / (double)g) / (double)(k + j);
        errs += (double)w;
        k += g;
        hi = lo;
    }
    return sum / (double)n;
}

double conf_aurc_random(const conf_item *it, size_t n)
{
    if (n == 0)
        return 0;
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++)
        wrong += it[i].correct == 0;
    return (double)wrong / (double)n;
}

double conf_aurc_oracle(const conf_item *it, size_t n)
{
    if (n == 0)
        return 0;
    size_t correct = 0;
    for (size_t i = 0; i < n; i++)
        correct += it[i].correct != 0;
    double sum = 0;
    for (size_t k = correct + 1; k <= n; k++)
        sum += (double)(k - correct) / (double)k;
    return sum / (double)n;
}

long conf_cut_for_accuracy(const conf_item *it, size_t n, double a)
{
    size_t correct = 0;
    for (size_t i = 0; i < n; i++)
        correct += it[i].correct != 0;
    /* accepted = items m..n-1; walk m upwards, removing item m-1 each step */
    for (size_t m = 0; m < n; m++) {
        if (m > 0)
            correct -= it[m - 1].correct != 0;
        if (m > 0 && it[m - 1].conf == it[m].conf)
            continue; /* a threshold cannot cut inside a tie */
        if ((double)correct / (double)(n - m) + 1e-12 >= a)
            return (long)m;
    }
    return -1;
}
