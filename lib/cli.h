/* cli.h - what every filter's main() shares: program name, error exits,
 * --help/--version, opening "-" as stdin/stdout, checking stdout at exit.
 *
 * Exit statuses: 0 success, 1 data or runtime error, 2 usage error.
 * These are the only lib/ functions that exit, and only main() calls them.
 */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <stdio.h>

#include "atomic_file.h" /* FM_PATH_MAX too */
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

/* ---- the options every filter takes, declared once --------------------------
 * (as datamash's GETOPT_HELP_OPTION_DECL). A filter's parse_command_line() ends its
 * short options with CLI_STD_SHORT, its long-option table with CLI_STD_LONG, its
 * usage text's option list with CLI_STD_HELP, and its switch with cli_std_option():
 *     while ((ch = getopt_long(argc, argv, "k:" CLI_STD_SHORT, longs, NULL)) != -1)
 *         switch (ch) {
 *         case 'k': ...; break;
 *         default: cli_std_option(ch, usage);
 *         }
 */
#define CLI_STD_SHORT "hV"
#define CLI_STD_LONG {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}
#define CLI_STD_HELP                                                                                         \
    "  -h, --help          show this help and exit\n"                                                        \
    "  -V, --version       show the version and exit\n"

/* -h: usage on stdout, exit 0. -V: the version, exit 0. Anything else is an option
 * getopt has already complained about: "Try 'prog --help'", exit 2. */
void cli_std_option(int ch, const char *usage) __attribute__((noreturn));

/* The operands after the options, argv[optind..argc): a usage error when there are
 * fewer than min ("missing WHAT", what naming the first one missing), more than max
 * ("too many arguments (MOST at most)"), or "-" (stdin) twice. Returns their number. */
int cli_operands(int argc, char **argv, int min, int max, const char *what, const char *most);

/* An output file that appears whole or not at all (atomic_file.h), or stdout for NULL
 * or "-". Refuses (exit 1) a path that names one of the nin inputs ins[] ("-" is
 * stdin, NULL entries are skipped) before it creates anything. */
FILE *cli_open_output(atomic_file *af, const char *path, const char *const ins[], size_t nin);
/* Puts the output in place (for stdout: flushed and checked); exit 1 on a write error. */
void cli_commit_output(atomic_file *af);

/* Print help text to stdout, exit 0. */
void cli_help(const char *text) __attribute__((noreturn));
void cli_version(void) __attribute__((noreturn));

/* Numeric option parsing; a bad value is a usage error naming the option. */
long cli_long(const char *opt, const char *s, long lo, long hi);
double cli_double(const char *opt, const char *s, double lo, double hi);

/* The name a path is reported under: "<stdin>" for NULL or "-". */
const char *cli_name(const char *path);

#endif
