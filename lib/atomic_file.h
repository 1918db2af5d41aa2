/* atomic_file.h - output files that appear whole or not at all.
 *
 * af_open() creates "<path>.tmp.XXXXXX" beside the target; af_commit()
 * flushes, fsyncs and renames it over the target; af_discard() removes it.
 * The path "-" is stdout, written directly and flushed (never closed) by commit,
 * as are devices and FIFOs (/dev/null, a pipe), which a rename would replace.
 * A process killed in between leaves at worst a stray .tmp file, never a
 * half-written target. Temporary names are also removed on exit() and on
 * SIGINT/SIGTERM/SIGHUP by a handler installed on first use.
 */
#ifndef ATOMIC_FILE_H
#define ATOMIC_FILE_H

#include <stdio.h>

#include "err.h"

/* The one bound on a path that a program keeps or builds (NUL included): Linux's
 * PATH_MAX. A longer one is reported ("path too long"), never cut short. */
#define FM_PATH_MAX 4096

typedef struct atomic_file {
    FILE *f;
    int is_stdout; /* path "-" */
    char path[FM_PATH_MAX];
    char tmp[FM_PATH_MAX]; /* path + ".tmp.XXXXXX", or a shorter name beside it */
} atomic_file;

int af_open(atomic_file *af, const char *path, err *e);
int af_commit(atomic_file *af, err *e);
void af_discard(atomic_file *af);

/* mkdir -p: create the directory path and any missing parents. *created
 * (if not NULL) says whether path itself was made by this call, so that a
 * failed run can remove it again. An existing non-directory is an error. */
int make_dirs(const char *path, int *created, err *e);

/* Do paths a and b name the same existing file? (refusing to overwrite input) */
int same_file(const char *a, const char *b);

/* Would paths a and b write the same file? The same existing file, or the
 * same name once their directories are resolved ("x" and "./x"). */
int same_path(const char *a, const char *b);

/* -1 with "name: input file is output file (stdout)" when the open input fd
 * is the regular file stdout writes to: `prog < f >> f` would read its own
 * output (cat refuses it too). */
int check_input_not_stdout(int fd, const char *name, err *e);

/* -1 with "OUT: refusing to overwrite an input" when an output names the same
 * file as an input ("-" as an input is stdin), or "A and B are the same file"
 * when two outputs do. NULL entries, "-" and devices as outputs are skipped. */
int check_not_inputs(const char *const outs[], size_t nout, const char *const ins[], size_t nin, err *e);

#endif
