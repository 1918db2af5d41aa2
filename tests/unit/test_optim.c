/* test_optim.c - the optimisers' update rules against sums done by hand, the
 * schedules' end points, and the two Keras callbacks' counting. */
#include <math.h>
#include <string.h>

#include "optim.h"
#include "unit.h"

static int near(double a, double b, double tol) { return fabs(a - b) <= tol * (1 + fabs(b)); }

static void test_sgd(void)
{
    const uint8_t decay[2] = {1, 0};
    optim o = {0};
    o.momentum = 0.9f, o.weight_decay = 0.1f, o.lr = 0.5f;
    CHECK(optim_init(&o, OPT_SGD, 2, decay) == 0, "sgd: init");
    float p[2] = {1, 1}, g[2] = {0.2f, 0.2f};
    optim_step(&o, p, g);
    /* step 1: velocity = g (+ L2 on the weight only); p -= lr * velocity */
    CHECK(near(p[0], 1 - 0.5 * 0.3, 1e-6) && near(p[1], 1 - 0.5 * 0.2, 1e-6), "sgd: first step %g %g", p[0], p[1]);
    optim_step(&o, p, g);
    double v0 = 0.9 * 0.3 + (0.2 + 0.1 * 0.85), v1 = 0.9 * 0.2 + 0.2;
    CHECK(near(p[0], 0.85 - 0.5 * v0, 1e-6) && near(p[1], 0.9 - 0.5 * v1, 1e-6), "sgd: momentum %g %g", p[0], p[1]);
    optim_free(&o);
}

static void test_adam(optim_kind kind)
{
    const uint8_t decay[1] = {1};
    optim o = {0};
    o.lr = 0.01f, o.weight_decay = 0.05f;
    CHECK(optim_init(&o, kind, 1, decay) == 0, "adam: init");
    float p[1] = {2}, g[1] = {0.5f};
    optim_step(&o, p, g);
    /* step 1: m^ = g, v^ = g^2, so the step is lr * g / (|g| + eps): lr itself; AdamW also
     * shrinks the weight by lr * wd first; Adam's weight_decay is unused */
    double want = kind == OPT_ADAMW ? 2 - 0.01 * 0.05 * 2 - 0.01 : 2 - 0.01;
    CHECK(near(p[0], want, 1e-5), "%s: first step %g (want %g)", kind == OPT_ADAMW ? "adamw" : "adam", p[0], want);
    optim_free(&o);
}

static void test_schedules(void)
{
    CHECK(near(lr_onecycle(0.002f, 0, 100), 0.002 / 25, 1e-6), "onecycle starts at base/25");
    CHECK(near(lr_onecycle(0.002f, 30, 100), 0.002, 1e-6), "onecycle peaks at 30 %% of the steps");
    CHECK(lr_onecycle(0.002f, 99, 100) < 0.002 * 1e-3, "onecycle ends near base/1e4: %g", lr_onecycle(0.002f, 99, 100));
    CHECK(near(lr_cosine(1, 0, 10, 2, 0), 0.5, 1e-6) && near(lr_cosine(1, 2, 10, 2, 0), 1, 1e-6),
          "cosine: linear warm-up, then the base");
    CHECK(near(lr_cosine(1, 6, 10, 2, 0), 0.5, 1e-6), "cosine: half way down at the middle");
}

static void test_plateau(void)
{
    plateau p = {0.1f, 1e-4f, 2, 0, INFINITY};
    float lr = 0.01f;
    lr = plateau_update(&p, 1.0, lr); /* better */
    lr = plateau_update(&p, 1.0, lr); /* wait 1 */
    CHECK(near(lr, 0.01, 1e-7), "plateau: no change before patience");
    lr = plateau_update(&p, 0.99995, lr); /* within min_delta 1e-4: not an improvement; wait 2 */
    CHECK(near(lr, 0.001, 1e-7), "plateau: reduced by factor after patience: %g", lr);
    lr = plateau_update(&p, 1.0, lr), lr = plateau_update(&p, 1.0, lr);
    lr = plateau_update(&p, 1.0, lr), lr = plateau_update(&p, 1.0, lr);
    CHECK(near(lr, 1e-4, 1e-7), "plateau: never below min_lr: %g", lr);
    plateau q = {0.1f, 0.5f, 1, 0, INFINITY};
    float l2 = plateau_update(&q, 1.0, 1e-5f);
    l2 = plateau_update(&q, 2.0, l2);
    CHECK(near(l2, 1e-5, 1e-7), "plateau: a min_lr above lr never raises it: %g", l2);
}

static void test_early_stop(void)
{
    early_stop s = {2, 0, INFINITY};
    int stops[5], k = 0;
    const double m[5] = {1.0, 0.9, 0.95, 0.9, 0.8};
    for (int i = 0; i < 5; i++)
        stops[k++] = early_stop_update(&s, m[i]);
    /* 0.9 again is no improvement (min_delta 0): two epochs without one stop the run */
    CHECK(!stops[0] && !stops[1] && !stops[2] && stops[3], "early stop after patience epochs without improvement");
}

static void test_names(void)
{
    for (int k = OPT_ADAM; k <= OPT_SGD; k++)
        CHECK(optim_kind_parse(optim_kind_name((optim_kind)k)) == k, "optimiser %s: name and parse agree",
              optim_kind_name((optim_kind)k));
    for (int s = SCHED_PLATEAU; s <= SCHED_CONSTANT; s++)
        CHECK(lr_schedule_parse(lr_schedule_name((lr_schedule)s)) == s, "schedule %s: name and parse agree",
              lr_schedule_name((lr_schedule)s));
    CHECK(optim_kind_parse("adamw") == OPT_ADAMW && strcmp(optim_kind_name(OPT_SGD), "sgd") == 0,
          "optimiser names as the command line spells them");
    CHECK(optim_kind_parse("Adam") == -1 && optim_kind_parse("") == -1 && lr_schedule_parse("cos") == -1,
          "unknown names (case counts, no prefixes) are -1");
}

static void test_schedule_at(void)
{
    /* per-step schedules follow their functions; plateau and constant keep the rate they are given */
    CHECK(lr_schedule_at(SCHED_ONECYCLE, 0.002f, 0.5f, 30, 100, 0) == lr_onecycle(0.002f, 30, 100),
          "onecycle: lr_onecycle");
    CHECK(lr_schedule_at(SCHED_COSINE, 1, 0.5f, 6, 10, 2) == lr_cosine(1, 6, 10, 2, 1e-3f),
          "cosine: lr_cosine with a floor of base/1000");
    CHECK(lr_schedule_at(SCHED_PLATEAU, 1, 0.25f, 6, 10, 2) == 0.25f &&
              lr_schedule_at(SCHED_CONSTANT, 1, 0.25f, 6, 10, 2) == 0.25f,
          "plateau and constant: the current rate");
}

int main(void)
{
    test_names();
    test_schedule_at();
    test_sgd();
    test_adam(OPT_ADAM);
    test_adam(OPT_ADAMW);
    test_schedules();
    test_plateau();
    test_early_stop();
    UNIT_EXIT();
}
