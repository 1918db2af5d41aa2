/* csv_images.h - Kaggle-layout image CSV ("label,pixel1,...,pixelN") read with libcsv.
 *
 * Input may be plain or gzip (read through zlib, which passes plain text
 * through). A header row is detected (its first field is not a number), as
 * is a UTF-8 BOM; CRLF line ends are accepted. Each data row becomes one
 * record whose id is its 0-based data-row number. Errors name the line
 * (physical, 1-based) and field (1-based).
 *
 * The header's pixel columns are read by name when they are named as Kaggle
 * names them (pixel1..pixelN, any case) or as pandas does (0..N-1): columns in
 * another order (sorted as text: pixel1, pixel10, pixel100, ...) go to the
 * pixels their names say, with a warning; a name outside the scheme, or one
 * given twice, is an error. Other names (a, b, c) are taken in file order.
 *
 * libcsv (strict) parses the header, the first data row, and every line
 * that is not plain digits and commas; plain rows after the first are
 * converted directly (same result, three times faster), and any line
 * that path doubts goes to libcsv, which words every error.
 */
#ifndef CSV_IMAGES_H
#define CSV_IMAGES_H

#include <stdint.h>
#include <zlib.h>

#include "err.h"

enum { CSV_LABELS_AUTO = -1, CSV_LABELS_NO = 0, CSV_LABELS_YES = 1 };

typedef struct csv_images_opts {
    uint32_t elems;  /* pixels per row (H*W*C) */
    uint32_t nclass; /* labels must be 0..nclass-1 */
    int labels;      /* CSV_LABELS_* */
    /* Told, once, of something read in a way the user should know of (pixel columns
     * put back in order); NULL: not told. The message has no program name. */
    void (*warn)(const char *msg);
} csv_images_opts;

/* Called once per data row; label is -1 when the CSV has no label column.
 * A non-zero return stops reading (with e already set). */
typedef int (*csv_image_fn)(void *ctx, uint32_t id, int32_t label, const unsigned char *pixels, err *e);

/* Reads all of in. Returns 0, or -1 with e set. *labelled (may be NULL)
 * says what was found. */
int csv_images_read(gzFile in, const char *name, const csv_images_opts *o, csv_image_fn fn, void *ctx,
                    int *labelled, err *e);

/* Reads all of a memory buffer the same way (for fuzzing and tests). */
int csv_images_read_mem(const void *buf, size_t len, const char *name, const csv_images_opts *o,
                        csv_image_fn fn, void *ctx, int *labelled, err *e);

#endif
