/* Unit tests for lib/confidence.c and lib/review_csv.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confidence.h"
#include "review_csv.h"
#include "unit.h"

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static void test_scores(void)
{
    const float p[4] = {0.1f, 0.4f, 0.4f, 0.1f};
    int c1, c2;
    double p1, p2;
    conf_top2(p, 4, &c1, &p1, &c2, &p2);
    CHECK(c1 == 1 && c2 == 2, "top2: a tie goes to the lower index (got %d, %d)", c1, c2);
    CHECK(near(conf_score(p, 4, CONF_MARGIN), 0), "margin of a tie is 0");
    double h = -(2 * 0.1 * log(0.1) + 2 * 0.4 * log(0.4));
    CHECK(fabs(conf_score(p, 4, CONF_ENTROPY) - h) < 1e-6, "entropy in nats");
    const float q[3] = {1, 0, 0};
    CHECK(conf_score(q, 3, CONF_ENTROPY) == 0 && !signbit(conf_score(q, 3, CONF_ENTROPY)),
          "entropy of a one-hot vector is +0 (0 log 0 = 0)");
    CHECK(conf_from_score(0.5, CONF_ENTROPY) == -0.5 && conf_from_score(0.5, CONF_TOP1) == 0.5,
          "entropy confidence is -H");
    CHECK(conf_kind_parse("margin") == CONF_MARGIN && conf_kind_parse("top-1") == -1, "score names");
}

static void test_budgets(void)
{
    CHECK(conf_budget_count(5, 10000) == 500, "5%% of 10000 is 500");
    CHECK(conf_budget_count(5, 10) == 1, "5%% of 10 rounds half up to 1");
    CHECK(conf_budget_count(1, 10) == 0, "1%% of 10 is 0");
    CHECK(conf_budget_count(100, 7) == 7, "100%% is everything");
}

static void test_aurc(void)
{
    /* two tied items, one wrong: expected risk 1/2 at k=1 and 1/2 at k=2 */
    conf_item t[2] = {{0.5, 0, 1}, {0.5, 1, 0}};
    conf_sort(t, 2);
    CHECK(near(conf_aurc(t, 2), 0.5), "ties count in expectation (%.9f)", conf_aurc(t, 2));
    conf_item u[2] = {{0.5, 0, 0}, {0.5, 1, 1}};
    conf_sort(u, 2);
    CHECK(near(conf_aurc(u, 2), 0.5), "same whatever the input order");
    /* right 0.9, wrong 0.8, right 0.7: risks 0, 1/2, 1/3 */
    conf_item v[3] = {{0.9, 0, 1}, {0.8, 1, 0}, {0.7, 2, 1}};
    conf_sort(v, 3);
    CHECK(v[0].order == 2 && v[2].order == 0, "sorted least confident first");
    CHECK(near(conf_aurc(v, 3), (0 + 0.5 + 1.0 / 3) / 3), "aurc by hand");
    CHECK(near(conf_aurc_random(v, 3), 1.0 / 3), "random aurc = error rate");
    CHECK(near(conf_aurc_oracle(v, 3), (1.0 / 3) / 3), "oracle aurc");
    conf_budget b = conf_budget_eval(v, 3, 1, 0.5);
    CHECK(b.flagged == 1 && near(b.auto_accuracy, 0.5) && near(b.errors_caught, 0), "budget 1 of 3: auto acc");
    CHECK(near(b.system_perfect, 2.0 / 3) && near(b.system_reviewer, 1.5 / 3), "budget 1 of 3: system");
    CHECK(near(b.random_system_perfect, (2.0 / 3 * 2 + 1) / 3), "random selection, perfect reviewer");
    CHECK(conf_cut_for_accuracy(v, 3, 1.0) == 2, "accuracy 1 needs 2 flagged");
    CHECK(conf_cut_for_accuracy(v, 3, 0.6) == 0, "accuracy 0.6 needs none");
    conf_item w[2] = {{0.5, 0, 0}, {0.5, 1, 1}};
    conf_sort(w, 2);
    CHECK(conf_cut_for_accuracy(w, 2, 0.9) == -1, "a cut cannot fall inside a tie");
}

static char *put(const char *s)
{
    static char buf[256];
    memset(buf, 0, sizeof buf);
    FILE *f = fmemopen(buf, sizeof buf, "w");
    rc_put_field(f, s);
    fclose(f);
    return buf;
}

static int read_str(const char *csv, seen *s, err *e)
{
    memset(s, 0, sizeof *s);
    FILE *f = fmemopen((void *)(uintptr_t)csv, strlen(csv), "r");
    int rc = rc_read(f, "t.csv", collect_row, s, e);
    fclose(f);
    return rc;
}

static void test_csv(void)
{
    CHECK(strcmp(put("T-shirt/top"), "T-shirt/top") == 0, "plain field unquoted");
    CHECK(strcmp(put("Shirt, \"casual\""), "\"Shirt, \"\"casual\"\"\"") == 0, "comma and quotes: %s",
          put("Shirt, \"casual\""));
    CHECK(strcmp(put("a\nb"), "\"a\nb\"") == 0, "newline quoted");
    CHECK(strcmp(put(" pad"), "\" pad\"") == 0, "leading space quoted");
    CHECK(strcmp(put(""), "") == 0, "empty field stays empty");
    seen s;
    err e;
    int rc = read_str("\xEF\xBB\xBFid,name\r\n1,\"a,\"\"b\"\"\"\r\n\n2,\"x\ny\"\n3,z", &s, &e);
    CHECK(rc == 0, "reads a BOM, CRLF, a blank line, a multi-line field and no final newline");
    CHECK(strcmp(s.text, "0@1:[id][name];1@2:[1][a,\"b\"];2@4:[2][x\ny];3@6:[3][z];") == 0,
          "rows and their first lines: %s", s.text);
    rc = read_str("id,name\n1,\"open\n2,b\n", &s, &e);
    CHECK(rc == -1 && strcmp(e.msg, "t.csv: line 2: unterminated quoted field (runs to the end of the file)") == 0,
          "unterminated quote: %s", e.msg);
    rc = read_str("id,name\n1,a\"b\n", &s, &e);
    CHECK(rc == -1 && strcmp(e.msg, "t.csv: line 2: malformed CSV (stray or unterminated quote)") == 0,
          "stray quote: %s", e.msg);
    rc = read_str("", &s, &e);
    CHECK(rc == -1 && strcmp(e.msg, "t.csv: empty file (no header row)") == 0, "empty file: %s", e.msg);
}

static void test_classes(void)
{
    rc_classes c;
    err e;
    CHECK(rc_classes_init(&c, 10, NULL, &e) == 0 && strcmp(c.names[9], "Ankle boot") == 0, "default names");
    CHECK(rc_classes_lookup(&c, "6") == 6 && rc_classes_lookup(&c, " shirt ") == 6, "index or name");
    CHECK(rc_classes_lookup(&c, "10") == -1 && rc_classes_lookup(&c, "Shrt") == -1 &&
              rc_classes_lookup(&c, "-1") == -1 && rc_classes_lookup(&c, "") == -1,
          "unknown classes");
    rc_classes_free(&c);
    CHECK(rc_classes_init(&c, 3, NULL, &e) == 0 && strcmp(c.names[2], "class 2") == 0, "generic names");
    rc_classes_free(&c);
}

int main(void)
{
    test_scores();
    test_budgets();
    test_aurc();
    test_csv();
    test_classes();
    UNIT_EXIT();
}
