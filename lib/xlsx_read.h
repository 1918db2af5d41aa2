/* xlsx_read.h - the cells of one worksheet of an .xlsx workbook (Office Open
 * XML, as Excel, LibreOffice, openpyxl and flag --xlsx write it), read with
 * libzip and expat, as rows of text for the same callback as CSV rows.
 *
 * Cell values come as text: shared strings, inline strings and formula
 * strings as they are; numbers in the shortest form that reads back as the
 * same double (%.15g, or %.17g where that is needed: 3, 0.25, 1e-07);
 * booleans as TRUE/FALSE. Rows with no cells are not passed on. Every row is
 * padded with empty fields to the width of the first one passed (the
 * header), since a spreadsheet stores no cells for trailing blanks.
 *
 * Limits: 4096 columns, 65536 bytes a cell, 256 MiB a part uncompressed,
 * 16 Mi shared strings. Errors name the file, the part and, where there is
 * one, the cell: "review.xlsx: sheet 'review': cell C3: ...".
 */
#ifndef XLSX_READ_H
#define XLSX_READ_H

#include <stddef.h>

#include "err.h"
#include "review_csv.h"

/* Does the data start like a zip archive (an .xlsx, or an .ods)? */
int xlsx_is_zip(const void *data, size_t len);

/* Reads the worksheet named prefer (if given and present; names compared
 * without regard to case), else the first one, from an .xlsx held in memory.
 * fn gets row = 0 for the first row passed, line = the sheet's row number
 * (1-based). The sheet's name goes into sheet_name (cap bytes) when it is
 * not NULL. name is the file's name for messages. */
int xlsx_read_mem(const void *data, size_t len, const char *name, const char *prefer, rc_row_fn fn, void *user,
                  char *sheet_name, size_t cap, err *e);

#endif
