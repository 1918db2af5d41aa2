#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cli_prog = "fmnist";
static const char *invoked = "fmnist"; /* the name it was run by, for "Try 'NAME --help'" */

/* Runs at exit: a write error that stdio buffered (a full disk, a closed
 * pipe when SIGPIPE is ignored) must not pass silently. */
static int dying; /* an error was already reported: say nothing more */

static void check_stdout(void)
{
    if (dying)
        return;
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
        int saved = errno;
        fprintf(stderr, "%s: write error on <stdout>: %s\n", cli_prog,
                saved ? strerror(saved) : "I/O error");
        _exit(EXIT_DATA);
    }
}

void cli_init(char **argv)
{
    const char *argv0 = argv[0];
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
    cli_prog = slash ? slash + 1 : (argv0 ? argv0 : "fmnist");
    invoked = cli_prog;
    /* Installed names carry an "fm-" prefix; messages use the short name. */
    if (strncmp(cli_prog, "fm-", 3) == 0)
        cli_prog += 3;
    /* getopt names the program by argv[0] in its own messages */
    if (argv0)
        argv[0] = (char *)cli_prog;
    signal(SIGPIPE, SIG_DFL);
    atexit(check_stdout);
}

static void vsay(const char *fmt, va_list ap)
{
    dying = 1;
    fflush(stdout);
    fprintf(stderr, "%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    exit(EXIT_DATA);
}

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help' for more information.\n", invoked);
    exit(EXIT_USAGE);
}

void cli_try_help(void)
{
    fprintf(stderr, "Try '%s --help' for more information.\n", invoked);
    exit(EXIT_USAGE);
}

void cli_die_err(const err *e)
{
    cli_die("%s", e->msg);
}

void cli_help(const char *text)
{
    fputs(text, stdout);
    exit(0);
}

void cli_version(void)
{
    printf("%s (fashion-mnist filters) %s\n", cli_prog, FM_VERSION);
    exit(0);
}

long cli_long(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0')
        cli_usage_error("%s: not an integer: '%s'", opt, s);
    if (v < lo || v > hi)
        cli_usage_error("%s: %ld is out of range (%ld..%ld)", opt, v, lo, hi);
    return v;
}

double cli_double(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v))
        cli_usage_error("%s: not a number: '%s'", opt, s);
    if (v < lo || v > hi)
        cli_usage_error("%s: %g is out of range (%g..%g)", opt, v, lo, hi);
    return v;
}

const char *cli_name(const char *path)
{
    return (!path || strcmp(path, "-") == 0) ? "<stdin>" : path;
}

void cli_std_option(int ch, const char *usage)
{
    if (ch == 'h')
        cli_help(usage);
    if (ch == 'V')
        cli_version();
    cli_try_help(); /* getopt said what was wrong */
}

int cli_operands(int argc, char **argv, int min, int max, const char *what, const char *most)
{
    const int n = argc - optind;
    if (n < min)
        cli_usage_error("missing %s", what);
    if (n > max)
        cli_usage_error("too many arguments (%s at most)", most);
    int stdin_used = 0;
    for (int i = optind; i < argc; i++)
        if (strcmp(argv[i], "-") == 0 && stdin_used++)
            cli_usage_error("standard input (-) given more than once");
    return n;
}

FILE *cli_open_output(atomic_file *af, const char *path, const char *const ins[], size_t nin)
{
    err e;
    if (!path || strcmp(path, "-") == 0) { /* checked at exit, as all of stdout is (cli_init) */
        memset(af, 0, sizeof *af);
        af->f = stdout;
        af->is_stdout = 1;
        return stdout;
    }
    if (check_not_inputs(&path, 1, ins, nin, &e) < 0 || af_open(af, path, &e) < 0)
        cli_die_err(&e);
    return af->f;
}

void cli_commit_output(atomic_file *af)
{
    err e;
    if (af->is_stdout) { /* a write error is reported now, not after a summary that says all went well */
        if (fflush(stdout) != 0 || ferror(stdout))
            cli_die("write error on <stdout>: %s", errno ? strerror(errno) : "I/O error");
    } else if (af_commit(af, &e) < 0) {
        cli_die_err(&e);
    }
}
