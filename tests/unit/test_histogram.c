/* Unit tests for lib/histogram: moments (incl. skewness) and bin edges. */
#include <math.h>

#include "histogram.h"
#include "unit.h"

int main(void)
{
    moments m;
    moments_init(&m);
    double x[] = {1, 2, 3, 4, 10};
    for (int i = 0; i < 5; i++)
        moments_add(&m, x[i]);
    /* deviations -3 -2 -1 0 6: m2 = 50/5 = 10, m3 = 180/5 = 36, g1 = 36 / 10^1.5 */
    CHECK(m.n == 5 && fabs(m.mean - 4) < 1e-12, "mean %g", m.mean);
    CHECK(fabs(moments_var(&m) - 10) < 1e-12, "population variance %g", moments_var(&m));
    CHECK(fabs(moments_skew(&m) - 36 / pow(10, 1.5)) < 1e-12, "skewness %.15g", moments_skew(&m));
    CHECK(m.min == 1 && m.max == 10, "min %g max %g", m.min, m.max);

    moments c;
    moments_init(&c);
    CHECK(isnan(moments_var(&c)) && isnan(moments_skew(&c)), "empty: NaN");
    moments_add(&c, 3);
    moments_add(&c, 3);
    CHECK(isnan(moments_skew(&c)) && moments_var(&c) == 0, "constant: variance 0, skewness undefined");

    /* merging groups (n, mean, m2) gives the same mean and variance as one by one */
    moments a, b;
    moments_init(&a);
    moments_init(&b);
    moments_merge2(&a, 2, 1.5, 0.5, 1, 2);  /* {1, 2} */
    moments_merge2(&a, 3, 17.0 / 3, 86.0 / 3, 3, 10); /* {3, 4, 10}: mean 17/3, m2 = 86/3 */
    for (int i = 0; i < 5; i++)
        moments_add(&b, x[i]);
    CHECK(a.n == 5 && fabs(a.mean - b.mean) < 1e-12 && fabs(a.m2 - b.m2) < 1e-9, "merge: mean %g m2 %g", a.mean,
          a.m2);
    CHECK(a.min == 1 && a.max == 10, "merge: min/max");

    /* moments_merge keeps the third moment: {1, 2} + {3, 4, 10} equals the five one by one */
    moments p, q, empty;
    moments_init(&p);
    moments_init(&q);
    moments_init(&empty);
    moments_add(&p, 1);
    moments_add(&p, 2);
    moments_add(&q, 3);
    moments_add(&q, 4);
    moments_add(&q, 10);
    moments_merge(&p, &q);
    CHECK(p.n == 5 && fabs(p.mean - 4) < 1e-12 && fabs(p.m2 - 50) < 1e-9 && fabs(p.m3 - 180) < 1e-9,
          "merge with m3: n %llu mean %g m2 %g m3 %g", (unsigned long long)p.n, p.mean, p.m2, p.m3);
    CHECK(fabs(moments_skew(&p) - moments_skew(&m)) < 1e-12 && p.min == 1 && p.max == 10, "merge: skewness, min, max");
    moments r = q;
    moments_merge(&r, &empty);
    CHECK(r.n == q.n && r.mean == q.mean && r.m2 == q.m2 && r.m3 == q.m3, "merging an empty group changes nothing");
    moments_merge(&empty, &q);
    CHECK(empty.n == q.n && empty.mean == q.mean && empty.m2 == q.m2 && empty.m3 == q.m3 && empty.min == 3,
          "an empty group merged with q is q, exactly");
    /* a skewed group the other way round: {10} + {1, 2, 3, 4} */
    moments s1, s2;
    moments_init(&s1);
    moments_init(&s2);
    moments_add(&s1, 10);
    for (int i = 0; i < 4; i++)
        moments_add(&s2, x[i]);
    moments_merge(&s1, &s2);
    CHECK(fabs(s1.m3 - 180) < 1e-9 && fabs(s1.m2 - 50) < 1e-9, "merge, other order: m2 %g m3 %g", s1.m2, s1.m3);

    histogram h;
    err e;
    CHECK(hist_init(&h, 50, 0, 255, &e) == 0, "hist_init");
    hist_add(&h, 0);
    hist_add(&h, 5.1);  /* an edge belongs to the bin on its right */
    hist_add(&h, 5.09999);
    hist_add(&h, 255);  /* the top edge belongs to the last bin */
    hist_add(&h, 255.5);
    hist_add(&h, -1);
    hist_add(&h, NAN);
    CHECK(h.count[0] == 2 && h.count[1] == 1 && h.count[49] == 1, "bins: %llu %llu %llu",
          (unsigned long long)h.count[0], (unsigned long long)h.count[1], (unsigned long long)h.count[49]);
    CHECK(h.above == 1 && h.below == 2 && h.total == 7, "outside: below %llu above %llu",
          (unsigned long long)h.below, (unsigned long long)h.above);
    int edges_ok = 1;
    for (int k = 0; k <= 50; k++) { /* every value k * 5.1 lands in bin k */
        histogram g;
        hist_init(&g, 50, 0, 255, &e);
        hist_add(&g, hist_edge(&g, k));
        edges_ok &= g.count[k < 50 ? k : 49] == 1;
        hist_free(&g);
    }
    CHECK(edges_ok, "each left edge lands in its own bin");
    CHECK(hist_max_count(&h) == 2, "max count");
    hist_free(&h);
    CHECK(hist_init(&h, 0, 0, 1, &e) < 0, "0 bins refused: %s", e.msg);
    CHECK(hist_init(&h, 5, 1, 1, &e) < 0, "empty range refused: %s", e.msg);
    UNIT_EXIT();
}
