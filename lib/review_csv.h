/* review_csv.h - the review spreadsheet: writing RFC 4180 fields, reading a
 * CSV back with libcsv in strict mode (rows with their line numbers), what a
 * reviewer may write in a reviewer_label cell, and class-name lists.
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
 * line ends). The separator is the one of ',', ';' and tab that the first
 * line holds most of outside quotes (',' on a tie), as spreadsheets in other
 * locales write. Errors name the file and line: "FILE: line N: ...". An empty
 * file is an error, and so is text that is not UTF-8: UTF-16 (a byte-order
 * mark, or NUL bytes on the first line) and Windows-1252 are named as such,
 * with "save as CSV UTF-8". */
int rc_read(FILE *f, const char *name, rc_row_fn fn, void *user, err *e);

/* Class names: the Fashion-MNIST names for k = 10, else "class 0".. unless a
 * file gives them (one a line, UTF-8, no empty names, exactly k lines). */
typedef struct rc_classes {
    int k;
    char **names;
} rc_classes;

int rc_classes_init(rc_classes *c, int k, const char *path, err *e);
void rc_classes_free(rc_classes *c);
/* A class given as an index ("3", or "3.0" as pandas and spreadsheets write
 * numbers) or a name: case, spaces and punctuation ignored ("ankle-boot"), a
 * plural 's' too ("Sneakers"), and one part of a name with '/' when no other
 * class has that part ("T-shirt" for "T-shirt/top"). -1 if none. */
int rc_classes_lookup(const rc_classes *c, const char *s);

/* What a reviewer_label cell says. */
typedef enum rc_review {
    RC_BLANK,   /* empty or spaces: not reviewed, the model's answer stays */
    RC_CONFIRM, /* "ok" or "=": reviewed, the model is right */
    RC_UNSURE,  /* "?" or "unsure": looked at, not decided; the model's answer stays */
    RC_CLASS,   /* a class (number or name, as rc_classes_lookup): *cls */
    RC_BAD      /* none of these */
} rc_review;

/* The tokens are matched without regard to case or surrounding spaces. */
rc_review rc_review_parse(const rc_classes *c, const char *cell, int *cls);

/* A whole number written as "12", "12.0" or "12,00" (surrounding spaces
 * ignored); -1 if the text is not one or exceeds max. */
long rc_parse_count(const char *s, long max);

#endif
