/* review_csv.h - the review spreadsheet: writing RFC 4180 fields, reading a
 * CSV back with libcsv in strict mode (rows with their line numbers), and
 * class-name lists.
 */
#ifndef REVIEW_CSV_H
#define REVIEW_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Write one field, quoted (with "" for ") when it holds a comma, a quote,
 * CR, LF, or leading/trailing space; as is otherwise. */
void rc_put_field(FILE *f, const char *s);
/* Does s need quoting? */
int rc_needs_quotes(const char *s);

/* Called once per CSV row (the header included, row 0) with NUL-terminated
 * fields, valid only during the call; line = the physical line the row
 * starts on (1-based). A non-zero return stops reading; fn sets e. */
typedef int (*rc_row_fn)(void *user, unsigned long row, unsigned long line, size_t nfield, char **fields,
                         err *e);

/* Read all of f (a UTF-8 byte-order mark at the start is skipped; LF or CRLF
 * line ends). Errors name the file and line: "FILE: line N: ...". An empty
 * file is an error. */
int rc_read(FILE *f, const char *name, rc_row_fn fn, void *user, err *e);

/* Class names: the Fashion-MNIST names for k = 10, else "class 0".. unless a
 * file gives them (one a line, UTF-8, no empty names, exactly k lines). */
typedef struct rc_classes {
    int k;
    char **names;
} rc_classes;

int rc_classes_init(rc_classes *c, int k, const char *path, err *e);
void rc_classes_free(rc_classes *c);
/* A class given as an index ("3") or a name (case-insensitive, surrounding
 * spaces ignored). -1 if neither. */
int rc_classes_lookup(const rc_classes *c, const char *s);

#endif
