/* builtin_arch.h - the shipped architectures (samples/NAME.arch), built into
 * the library so that `train -a study` works from any directory and after
 * `make install`, where samples/ is not at hand.
 *
 * The table is generated from the files at build time (the Makefile writes
 * build/gen/builtin_arch_table.c), so the files in samples/ stay the one source.
 */
#ifndef BUILTIN_ARCH_H
#define BUILTIN_ARCH_H

typedef struct builtin_arch {
    const char *name; /* file name without ".arch" */
    const char *text; /* the file's bytes */
} builtin_arch;

/* Ends with {NULL, NULL}; in file-name order. */
extern const builtin_arch builtin_archs[];

/* The text of the architecture called name, or NULL if there is none. */
const char *builtin_arch_text(const char *name);

/* Whether an -a argument names a built-in rather than a file: a bare word,
 * no '/' and no '.', so "study" is built in and "study.arch" is a file. */
int builtin_arch_is_name(const char *arg);

#endif
