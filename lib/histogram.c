#include "histogram.h"

#include <math.h>
#include <stdlib.h>

void moments_init(moments *m)
{
    m->n = 0;
    m->mean = m->m2 = m->m3 = 0;
    m->min = INFINITY;
    m->max = -INFINITY;
}

void moments_add(moments *m, double x)
{
    double n1 = (double)m->n;
    m->n++;
    double n = (double)m->n;
    double delta = x - m->mean;
    double delta_n = delta / n;
    double term1 = delta * delta_n * n1;
    m->mean += delta_n;
    m->m3 += term1 * delta_n * (n - 2) - 3 * delta_n * m->m2;
    m->m2 += term1;
    if (x < m->min)
        m->min = x;
    if (x > m->max)
        m->max = x;
}

void moments_merge2(moments *m, uint64_t n, double mean, double m2, double min, double max)
{
    if (n == 0)
        return;
    double na = (double)m->n, nb = (double)n, nx = na + nb;
    double delta = mean - m->mean;
    m->mean += delta * nb / nx;
    m->m2 += m2 + delta * delta * na * nb / nx;
    m->n += n;
    if (min < m->min)
        m->min = min;
    if (max > m->max)
        m->max = max;
}

void moments_merge(moments *a, const moments *b)
{
    if (b->n == 0)
        return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double na = (double)a->n, nb = (double)b->n, n = na + nb;
    double delta = b->mean - a->mean, dn = delta / n;
    /* m3 first: its correction uses both groups' m2 before the merge */
    a->m3 += b->m3 + delta * dn * dn * na * nb * (na - nb) + 3 * dn * (na * b->m2 - nb * a->m2);
    a->m2 += b->m2 + delta * dn * na * nb;
    a->mean += dn * nb;
    a->n += b->n;
    if (b->min < a->min)
        a->min = b->min;
    if (b->max > a->max)
        a->max = b->max;
}

double moments_var(const moments *m)
{
    return m->n ? m->m2 / (double)m->n : NAN;
}

double moments_std(const moments *m)
{
    return sqrt(moments_var(m));
}

double moments_skew(const moments *m)
{
    if (m->n == 0 || m->m2 <= 0)
        return NAN;
    double n = (double)m->n;
    return sqrt(n) * m->m3 / pow(m->m2, 1.5);
}

int hist_init(histogram *h, int nbins, double lo, double hi, err *e)
{
    h->count = NULL;
    if (nbins < 1 || !(lo < hi) || !isfinite(lo) || !isfinite(hi))
        return err_set(e, "bad histogram: %d bins over [%g, %g]", nbins, lo, hi);
    h->count = calloc((size_t)nbins, sizeof *h->count);
    if (!h->count)
        return err_set(e, "out of memory");
    h->lo = lo, h->hi = hi, h->nbins = nbins;
    h->below = h->above = h->total = 0;
    return 0;
}

void hist_add(histogram *h, double x)
{
    h->total++;
    if (!(x >= h->lo)) { /* NaN counts as below */
        h->below++;
        return;
    }
    if (x > h->hi) {
        h->above++;
        return;
    }
    /* Multiply before dividing: edges such as 5.1 * k then land exactly. */
    long i = (long)((x - h->lo) * h->nbins / (h->hi - h->lo));
    if (i >= h->nbins)
        i = h->nbins - 1;
    /* Rounding may put a value just past an edge into the wrong bin: fix it. */
    while (i > 0 && x < hist_edge(h, (int)i))
        i--;
    while (i < h->nbins - 1 && x >= hist_edge(h, (int)i + 1))
        i++;
    h->count[i]++;
}

double hist_edge(const histogram *h, int i)
{
    if (i >= h->nbins)
        return h->hi;
    return h->lo + (h->hi - h->lo) * i / h->nbins;
}

uint64_t hist_max_count(const histogram *h)
{
    uint64_t m = 0;
    for (int i = 0; i < h->nbins; i++)
        if (h->count[i] > m)
            m = h->count[i];
    return m;
}

void hist_free(histogram *h)
{
    free(h->count);
    h->count = NULL;
}
