/* cli.h - what every filter's main() shares: program name, error exits,
 * --help/--version, opening "-" as stdin/stdout, checking stdout at exit.
 *
 * Exit statuses: 0 success, 1 data or runtime error, 2 usage error.
 * These are the only lib/ functions that exit, and only main() calls them.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

#include "err.h"

#define FM_VERSION "1.0.0"

enum { EXIT_DATA = 1, EXIT_USAGE = 2 };

extern const char *cli_prog; /* basename of argv[0] */

/* Sets cli_prog and argv[0] to the short name (so that getopt's messages read
 * "prog: unrecognized option ..."); leaves SIGPIPE at its default so `| head` ends us quietly;
 * registers an atexit check that stdout was written and closed without error. */
void cli_init(char **argv);

/* "prog: message" on stderr, exit 1. */
void cli_die(const char *fmt, ...) ERR_PRINTF(1, 2) __attribute__((noreturn));
/* "prog: message" + "Try 'prog --help'." on stderr, exit 2. */
void cli_usage_error(const char *fmt, ...) ERR_PRINTF(1, 2) __attribute__((noreturn));
/* For getopt_long's '?': getopt has already said what was wrong, so print
 * only "Try 'prog --help'." and exit 2. */
void cli_try_help(void) __attribute__((noreturn));
/* Report a lib error and exit 1. */
void cli_die_err(const err *e) __attribute__((noreturn));

/* Print help text to stdout, exit 0. */
void cli_help(const char *text) __attribute__((noreturn));
void cli_version(void) __attribute__((noreturn));

/* Numeric option parsing; a bad value is a usage error naming the option. */
long cli_long(const char *opt, const char *s, long lo, long hi);
double cli_double(const char *opt, const char *s, double lo, double hi);

/* The name a path is reported under: "<stdin>" for NULL or "-". */
const char *cli_name(const char *path);

#endif
