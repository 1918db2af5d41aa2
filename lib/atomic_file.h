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

typedef struct atomic_file {
    FILE *f;
    int is_stdout; /* path "-" */
    char path[4096];
    char tmp[4200];
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

#endif
