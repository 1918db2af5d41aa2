/* gz_input.h - open an input file, plain or gzip, through zlib (which passes
 * plain bytes through unchanged); "-" or NULL is stdin. Shared by the
 * readers of CSV, IDX and .npy files. */
#ifndef GZ_INPUT_H
#define GZ_INPUT_H

#include <zlib.h>

#include "err.h"

/* The opened file with a 128 KiB buffer, or NULL with "name: why" in e, where
 * name is path or "<stdin>". */
gzFile gz_open_in(const char *path, err *e);

/* What went wrong in the last gzread, without the "<fd:N>: " zlib puts
 * before it (the caller names the file itself); NULL if nothing did. */
const char *gz_error_text(gzFile gz);

#endif
