/* unit.h - a minimal TAP-style harness for the C unit tests (tests/run counts the lines). */
#ifndef UNIT_H
#define UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static int unit_failures;

/* One assertion = one "ok"/"not ok" line. */
#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        if (cond) {                                                               \
            printf("ok - ");                                                      \
        } else {                                                                  \
            printf("not ok - %s:%d: ", __FILE__, __LINE__);                       \
            unit_failures++;                                                      \
        }                                                                         \
        printf(__VA_ARGS__);                                                      \
        putchar('\n');                                                            \
    } while (0)

#define UNIT_EXIT() return unit_failures ? 1 : 0

/* A row callback for the sheet readers (review_csv, xlsx_read): appends "row@line:[f1][f2];"
 * to text, so that one string compare checks every row a reader gave. It refuses row
 * stop_at (1-based; 0: none), to test that a reader passes the callback's error on. */
typedef struct seen {
    char text[2048];
    int stop_at;
} seen;

static inline int collect_row(void *user, unsigned long row, unsigned long line, size_t nf, char **f, err *e)
{
    seen *s = user;
    if (s->stop_at && (int)row + 1 == s->stop_at)
        return err_set(e, "callback refused row %lu", line);
    char *p = s->text + strlen(s->text);
    p += sprintf(p, "%lu@%lu:", row, line);
    for (size_t i = 0; i < nf; i++)
        p += sprintf(p, "[%s]", f[i]);
    strcpy(p, ";");
    return 0;
}

#endif
