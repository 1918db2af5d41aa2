/* unit.h - a minimal TAP-style harness for the C unit tests (tests/run counts the lines). */
#ifndef UNIT_H
#define UNIT_H

#include <math.h>
#include <stdio.h>

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

#endif
