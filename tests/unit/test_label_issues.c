/* Unit tests for lib/label_issues.c: confident learning on small cases
 * computed by hand (the working is in the comments). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "label_issues.h"
#include "unit.h"

static int near(double a, double b)
{
    return fabs(a - b) < 1e-6;
}

static int same_sizes(const size_t *got, const size_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            return 0;
    return 1;
}

/* Two classes, one record labelled 0 that is plainly a 1.
 *   t0 = (0.9 + 0.8 + 0.2) / 3 = 0.6333, t1 = (0.8 + 0.9 + 0.6) / 3 = 0.7667
 *   r0, r1 -> 0; r2 (p1 0.8) -> 1; r3, r4 -> 1; r5 above neither threshold
 *   C = [[2,1],[0,2]]; rows scaled to the counts 3, 3: Q = [[2,1],[0,3]]
 *   noise columns: true 0 = [1, 0], true 1 = [1/4, 3/4]
 *   prune 1 record of given 0 towards 1: the largest p1 - p0 is r2's */
static void test_two_classes(void)
{
    const float p[] = {0.9f, 0.1f, 0.8f, 0.2f, 0.2f, 0.8f, 0.2f, 0.8f, 0.1f, 0.9f, 0.4f, 0.6f};
    const int32_t y[] = {0, 0, 0, 1, 1, 1};
    li_estimate est;
    err e;
    int rc = li_estimate_run(&est, p, y, 6, 2, LI_PRUNE_BY_NOISE_RATE, LI_SELF_CONFIDENCE, &e);
    CHECK(rc == 0, "two classes: runs");
    if (rc)
        return;
    CHECK(near(est.threshold[0], 1.9 / 3) && near(est.threshold[1], 2.3 / 3), "thresholds are class means (%g, %g)",
          est.threshold[0], est.threshold[1]);
    const size_t c[] = {2, 1, 0, 2}, q[] = {2, 1, 0, 3};
    CHECK(same_sizes(est.confident, c, 4), "confident joint [[2,1],[0,2]] (r5 above no threshold is not counted)");
    CHECK(same_sizes(est.joint, q, 4), "calibrated joint [[2,1],[0,3]]: rows sum to the class counts");
    CHECK(near(est.noise[0], 1) && near(est.noise[2], 0) && near(est.noise[1], 0.25) && near(est.noise[3], 0.75),
          "noise matrix P(given | true) normalises the columns");
    CHECK(est.nissues == 1 && est.issues[0] == 2, "the one issue is record 2 (got %zu issues)", est.nissues);
    CHECK(near(est.quality[2], 0.2f), "its self-confidence is p0 = 0.2");
    CHECK(est.suspects[0 * 2 + 1] == 1 && est.suspects[1 * 2 + 0] == 0, "one suspect given 0, likely 1");
    li_estimate_free(&est);
}

/* Three classes: two confident classes, a record above no threshold, rounding.
 *   y=0: r0 (.7,.2,.1) r1 (.5,.4,.1) r2 (.1,.6,.3) r3 (.1,.3,.6)
 *   y=1: r4 (.1,.8,.1) r5 (.2,.6,.2) r6 (.3,.4,.3) r10 (.55,.45,0)
 *   y=2: r7 (.1,.1,.8) r8 (.2,.2,.6) r9 (.38,.62,0)
 *   t0 = 1.4/4 = .35, t1 = 2.25/4 = .5625, t2 = 1.4/3 = .4667
 *   r2: p1 = .6 -> 1; r3: p2 -> 2; r6: none; r10: p0 = .55 -> 0;
 *   r9: p0 = .38 and p1 = .62 both confident -> 1, the higher
 *   C = [[2,1,1],[1,2,0],[0,1,2]]; row 1 scaled by 4/3 = [1.33,2.67,0] -> [1,3,0]
 *   Q = [[2,1,1],[1,3,0],[0,1,2]]; noise column 1 = [1,3,1]/5
 *   prune: given 0 -> 1: largest p1-p0 is r2; given 0 -> 2: largest p2-p0 is r3;
 *   given 1 -> 0: r10; given 2 -> 1: r9
 *   self-confidence: r9 0, r2 .1, r3 .1 (tie: input order), r10 .45 */
static const float p3[] = {
    0.7f, 0.2f,  0.1f, 0.5f, 0.4f,  0.1f, 0.1f,  0.6f,  0.3f, 0.1f, 0.3f, 0.6f, 0.1f, 0.8f, 0.1f,
    0.2f, 0.6f,  0.2f, 0.3f, 0.4f,  0.3f, 0.1f,  0.1f,  0.8f, 0.2f, 0.2f, 0.6f, 0.38f, 0.62f, 0.0f,
    0.55f, 0.45f, 0.0f,
};
static const int32_t y3[] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 1};

static void test_three_classes(void)
{
    li_estimate est;
    err e;
    int rc = li_estimate_run(&est, p3, y3, 11, 3, LI_PRUNE_BY_NOISE_RATE, LI_SELF_CONFIDENCE, &e);
    CHECK(rc == 0, "three classes: runs");
    if (rc)
        return;
    const size_t c[] = {2, 1, 1, 1, 2, 0, 0, 1, 2}, q[] = {2, 1, 1, 1, 3, 0, 0, 1, 2};
    CHECK(same_sizes(est.confident, c, 9), "confident joint: the higher of two confident classes (r9)");
    CHECK(same_sizes(est.joint, q, 9), "calibration rounds [1.33, 2.67, 0] to [1, 3, 0] (largest remainder)");
    CHECK(near(est.noise[0 * 3 + 1], 0.2) && near(est.noise[1 * 3 + 1], 0.6) && near(est.noise[2 * 3 + 1], 0.2),
          "noise column 1 is [1,3,1]/5");
    const uint32_t want[] = {9, 2, 3, 10};
    CHECK(est.nissues == 4 && memcmp(est.issues, want, sizeof want) == 0,
          "issues 9, 2, 3, 10 by self-confidence (got %zu)", est.nissues);
    CHECK(est.suspects[0 * 3 + 1] == 1 && est.suspects[0 * 3 + 2] == 1 && est.suspects[1 * 3 + 0] == 1 &&
              est.suspects[2 * 3 + 1] == 1,
          "suspects per pair: (0,1) (0,2) (1,0) (2,1)");
    li_estimate_free(&est);

    rc = li_estimate_run(&est, p3, y3, 11, 3, LI_PRUNE_BY_NOISE_RATE, LI_NORMALIZED_MARGIN, &e);
    CHECK(rc == 0, "normalised margin: runs");
    if (rc)
        return;
    /* r9: (0 - .62 + 1) / 2 = .19; r2, r3: (.1 - .6 + 1) / 2 = .25; r10: (.45 - .55 + 1) / 2 = .45 */
    CHECK(near(est.quality[9], 0.19) && near(est.quality[2], 0.25) && near(est.quality[10], 0.45),
          "normalised margin (p_y - max other + 1) / 2");
    CHECK(near(est.quality[0], (0.7 - 0.2 + 1) / 2), "a clean record's margin is high");
    li_estimate_free(&est);
}

/* A class whose every record is confidently another keeps one record:
 *   y=0: r0, r1 (.3,.7); y=1: r2, r3 (.4,.6); t0 = .3, t1 = .6
 *   every record is confident in both classes -> 1: Q = [[0,2],[0,2]]
 *   prune given 0 -> 1: 2, less the one kept = 1: r0 (the margins tie: input order) */
static void test_keep_one(void)
{
    const float p[] = {0.3f, 0.7f, 0.3f, 0.7f, 0.4f, 0.6f, 0.4f, 0.6f};
    const int32_t y[] = {0, 0, 1, 1};
    li_estimate est;
    err e;
    int rc = li_estimate_run(&est, p, y, 4, 2, LI_PRUNE_BY_NOISE_RATE, LI_SELF_CONFIDENCE, &e);
    CHECK(rc == 0, "keep one: runs");
    if (rc)
        return;
    CHECK(est.joint[0] == 0 && est.joint[1] == 2, "Q row 0 is [0, 2]");
    CHECK(est.prune[1] == 1, "but only 1 is pruned: the class keeps a record");
    CHECK(est.nissues == 1 && est.issues[0] == 0, "the issue is record 0");
    li_estimate_free(&est);
}

/* A class nobody is labelled has no threshold and is never confident. */
static void test_empty_class(void)
{
    const float p[] = {0.8f, 0.1f, 0.1f, 0.7f, 0.1f, 0.2f, 0.1f, 0.8f, 0.1f};
    const int32_t y[] = {0, 0, 1};
    li_estimate est;
    err e;
    int rc = li_estimate_run(&est, p, y, 3, 3, LI_PRUNE_BY_NOISE_RATE, LI_SELF_CONFIDENCE, &e);
    CHECK(rc == 0, "empty class: runs");
    if (rc)
        return;
    CHECK(isnan(est.threshold[2]), "no threshold for class 2");
    CHECK(est.joint[0 * 3 + 2] == 0 && est.joint[1 * 3 + 2] == 0, "nothing counted as class 2");
    CHECK(est.nissues == 0, "no issues (got %zu)", est.nissues);
    li_estimate_free(&est);
}

/* The filters on the three-class case above. Off the confident joint's
 * diagonal, and not predicted as labelled: r2, r3, r10, r9, so N = 4.
 *   confident learning: those four, worst first: 9 (0), 2 (.1), 3 (.1), 10 (.45)
 *   ranked: the four lowest self-confidences of all: 9, 2, 3, then r6 (.4), which
 *   is above no threshold, before r10 (.45) */
static void test_filters_three(void)
{
    li_estimate est;
    err e;
    int rc = li_estimate_run(&est, p3, y3, 11, 3, LI_CONFIDENT_LEARNING, LI_SELF_CONFIDENCE, &e);
    CHECK(rc == 0, "confident-learning filter: runs");
    if (rc)
        return;
    const uint32_t cl[] = {9, 2, 3, 10}, ranked[] = {9, 2, 3, 6};
    CHECK(est.off_diagonal == 4, "four records confidently of another class (got %zu)", est.off_diagonal);
    CHECK(est.nissues == 4 && memcmp(est.issues, cl, sizeof cl) == 0, "confident learning: 9, 2, 3, 10");
    li_estimate_free(&est);
    rc = li_estimate_run(&est, p3, y3, 11, 3, LI_RANKED, LI_SELF_CONFIDENCE, &e);
    CHECK(rc == 0, "ranked filter: runs");
    if (rc)
        return;
    CHECK(est.nissues == 4 && memcmp(est.issues, ranked, sizeof ranked) == 0,
          "ranked: the 4 lowest self-confidences, 9, 2, 3, 6");
    li_estimate_free(&est);
}

/* A record confident only in another class, yet predicted as labelled, is not
 * a suspect, whatever the filter (as cleanlab):
 *   y=0: r0, r1 (.95,.05), r2 (.52,.48); y=1: r3 (.2,.8), r4 (.9,.1)
 *   t0 = 2.42/3 = .8067, t1 = .9/2 = .45
 *   r2: p0 < t0, p1 >= t1 -> C[0][1], but its likeliest class is 0: not counted
 *   r4: p0 >= t0 -> C[1][0], likeliest 0: counted; N = 1
 *   C = Q = [[2,1],[1,1]]: prune by noise rate picks r2 (given 0 -> 1) and r4,
 *   then drops r2 */
static void test_filters_predicted_as_given(void)
{
    const float p[] = {0.95f, 0.05f, 0.95f, 0.05f, 0.52f, 0.48f, 0.2f, 0.8f, 0.9f, 0.1f};
    const int32_t y[] = {0, 0, 0, 1, 1};
    const li_filter filters[] = {LI_RANKED, LI_CONFIDENT_LEARNING, LI_PRUNE_BY_NOISE_RATE};
    for (int f = 0; f < 3; f++) {
        li_estimate est;
        err e;
        int rc = li_estimate_run(&est, p, y, 5, 2, filters[f], LI_SELF_CONFIDENCE, &e);
        CHECK(rc == 0, "%s: runs", li_filter_name(filters[f]));
        if (rc)
            continue;
        CHECK(est.off_diagonal == 1 && est.confident[1] == 1 && est.joint[1] == 1,
              "%s: C[0][1] = Q[0][1] = 1, but N = 1 (got %zu)", li_filter_name(filters[f]), est.off_diagonal);
        CHECK(est.nissues == 1 && est.issues[0] == 4, "%s: the one issue is r4 (got %zu issues)",
              li_filter_name(filters[f]), est.nissues);
        li_estimate_free(&est);
    }
}

static void test_errors(void)
{
    const float p[] = {0.5f, 0.5f};
    const int32_t bad[] = {2};
    li_estimate est;
    err e;
    CHECK(li_estimate_run(&est, p, bad, 1, 2, LI_PRUNE_BY_NOISE_RATE, LI_SELF_CONFIDENCE, &e) == -1 &&
              strcmp(e.msg, "record 1: label 2 is not a class (0..1)") == 0,
          "a label out of range is an error (%s)", e.msg);
    CHECK(li_estimate_run(&est, p, bad, 0, 2, LI_PRUNE_BY_NOISE_RATE, LI_SELF_CONFIDENCE, &e) == -1, "no records is an error");
    CHECK(li_estimate_run(&est, p, bad, 1, 1, LI_PRUNE_BY_NOISE_RATE, LI_SELF_CONFIDENCE, &e) == -1, "one class is an error");
    CHECK(li_rank_parse("normalized-margin") == LI_NORMALIZED_MARGIN && li_rank_parse("margin") == -1,
          "ranking names");
    CHECK(li_filter_parse("ranked") == LI_RANKED && li_filter_parse("confident-learning") == LI_CONFIDENT_LEARNING &&
              li_filter_parse("prune-by-noise-rate") == LI_PRUNE_BY_NOISE_RATE && li_filter_parse("both") == -1,
          "filter names");
}

int main(void)
{
    test_two_classes();
    test_three_classes();
    test_keep_one();
    test_empty_class();
    test_filters_three();
    test_filters_predicted_as_given();
    test_errors();
    UNIT_EXIT();
}
