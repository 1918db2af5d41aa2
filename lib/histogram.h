/* histogram.h - one-pass summary statistics: moments and fixed-range histograms.
 *
 * moments: count, mean, population variance, skewness, min, max, updated one
 * value at a time (Welford's update extended to the third moment, Terriberry
 * 2007), so memory does not grow with the data and there is no catastrophic
 * cancellation. Skewness is the Fisher-Pearson coefficient
 *     g1 = m3 / m2^1.5,  mk = (1/n) sum (x - mean)^k
 * (the biased form, scipy.stats.skew's default).
 *
 * histogram: nbins equal bins over [lo, hi]; bin i is [lo+i*w, lo+(i+1)*w),
 * the last bin also takes hi (numpy.histogram's rule). Values outside the
 * range are counted in below/above, never dropped silently.
 */
#ifndef HISTOGRAM_H
#define HISTOGRAM_H

#include <stdint.h>

#include "err.h"

typedef struct moments {
    uint64_t n;
    double mean, m2, m3; /* m2, m3: sums of squared / cubed deviations */
    double min, max;
} moments;

void moments_init(moments *m);
void moments_add(moments *m, double x);
/* Merge a group summarised by n values of mean `mean` and sum of squared
 * deviations `m2` (Chan et al.'s pairwise update; the third moment is not
 * kept by this path), with its min and max. */
void moments_merge2(moments *m, uint64_t n, double mean, double m2, double min, double max);
/* Merge the summary b of another group into a, third moment included (Chan
 * et al.'s update with Pebay's term for m3): what the values of both groups
 * give, up to rounding. An empty a becomes b exactly. For merging the reports
 * of shards (stats --merge). */
void moments_merge(moments *a, const moments *b);
double moments_var(const moments *m);  /* population variance, m2 / n; NAN if n == 0 */
double moments_std(const moments *m);
double moments_skew(const moments *m); /* g1; NAN if n == 0 or variance 0 */

typedef struct histogram {
    double lo, hi;
    int nbins;
    uint64_t *count;
    uint64_t below, above, total; /* total includes below and above */
} histogram;

int hist_init(histogram *h, int nbins, double lo, double hi, err *e);
void hist_add(histogram *h, double x);
double hist_edge(const histogram *h, int i); /* left edge of bin i; hist_edge(h, nbins) == hi */
uint64_t hist_max_count(const histogram *h);
void hist_free(histogram *h);

#endif
