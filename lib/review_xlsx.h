/* review_xlsx.h - the review sheet as an .xlsx workbook (libxlsxwriter), for
 * a reviewer who works in Excel or LibreOffice: one row per flagged record
 * with its picture in the row, the model's guesses, and a reviewer_label
 * column whose drop-down lists the classes, "ok" and "unsure" (unless a
 * class name holds ',' or '"', which Excel's list cannot); a second sheet,
 * "classes", lists them with the instructions. merge reads it back
 * (lib/xlsx_read.h); its columns are a subset of flag's CSV, so that the same
 * checks apply. The true labels are left out: the reviewer must not see them.
 */
#ifndef REVIEW_XLSX_H
#define REVIEW_XLSX_H

#include <stddef.h>
#include <stdint.h>

#include "confidence.h"
#include "err.h"
#include "pred_table.h"
#include "review_csv.h"

typedef struct rx_row {
    const pred_rec *r;
    const unsigned char *image; /* H x W x C bytes, or NULL: no picture */
} rx_row;

typedef struct rx_sheet {
    const rx_row *rows; /* in review order, least confident first */
    size_t n;
    const rc_classes *cl;
    conf_kind kind;     /* the score column */
    uint32_t H, W, C;   /* the images; C is 1 (gray) or 3 (RGB) */
    unsigned scale;     /* pictures enlarged this many times, 1..32 */
} rx_sheet;

/* Writes the workbook to path through a temporary file renamed into place:
 * a failure leaves no workbook. path must be a regular file (not "-"). */
int review_xlsx_write(const char *path, const rx_sheet *s, err *e);

#endif
