/* review_page.h - flag's labelling page: one self-contained HTML file (the
 * images as data: URIs, its script and style inline; no server, works from a
 * file:// URL) on which a reviewer labels each flagged record and saves the
 * sheet as the CSV that merge reads, reviewer_label filled in: a class
 * number, "ok" (the model is right), "unsure", or blank (untouched). The
 * work is kept in the browser's localStorage under a key made from the
 * sheet's content, so a reload loses nothing and two sheets do not mix.
 *
 * Every string the page embeds travels in one JSON block that the script
 * reads with JSON.parse and shows as text, never as markup.
 */
#ifndef REVIEW_PAGE_H
#define REVIEW_PAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

typedef struct rp_record {
    uint32_t id;
    int guess[2];         /* the model's class and its runner-up */
    double prob[2];       /* their probabilities */
    int label;            /* the given label to show; -1: none, or hidden from the reviewer */
    const unsigned char *png; /* the image as a PNG file, png_len bytes */
    size_t png_len;
} rp_record;

typedef struct rp_sheet {
    const char *source;   /* where the predictions came from, for the heading */
    const char *rule;     /* how the records were chosen, for the heading */
    int k;
    char *const *names;   /* k class names */
    /* flag's CSV of these records: the header row, then one row per record in
     * order, each ending in the empty reviewer_label cell (",\n") */
    const char *csv;
    size_t n;
    const rp_record *rec;
} rp_sheet;

/* Writes the page to f (errors surface at the file's commit, as any write
 * error does). -1 when the CSV does not hold n rows ending in an empty
 * reviewer_label, or a class is out of range. */
int rp_write(FILE *f, const rp_sheet *s, err *e);

/* s[0..len) as a JSON string literal that is also safe inside an HTML
 * <script> element: <, > and & as \u escapes (no "</script>" or "<!--" can
 * form), control characters escaped; other bytes (UTF-8) as they are. */
void rp_put_json_string(FILE *f, const char *s, size_t len);

/* The data: URI of a PNG file (base64). */
void rp_put_png_uri(FILE *f, const unsigned char *png, size_t len);

#endif
