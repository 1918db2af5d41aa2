/* err.h - how library functions report failure.
 *
 * Every lib/ function that can fail takes an `err *` and returns -1 (or
 * NULL) after filling it with one human-readable line, lower-case, without
 * the program name: "<stdin>: record 12: truncated (got 300 of 792 bytes)".
 * Only main() turns that into "prog: ..." on stderr and an exit status.
 */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>

typedef struct err {
    char msg[512];
} err;

#if defined(__GNUC__)
#define ERR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ERR_PRINTF(a, b)
#endif

/* Fill e (if not NULL) with a formatted message; always returns -1. */
int err_set(err *e, const char *fmt, ...) ERR_PRINTF(2, 3);
/* Prefix the message already in e with "prefix: ". Returns -1. */
int err_prefix(err *e, const char *fmt, ...) ERR_PRINTF(2, 3);

#endif
