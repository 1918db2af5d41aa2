/* idx.h - the IDX files of the original (Fashion-)MNIST distribution.
 *
 * Header: two zero bytes, a type byte (0x08 = unsigned byte, the only one
 * these data sets use), a rank byte, then rank big-endian u32 dimensions.
 * Files may be gzip-compressed or plain (zlib reads both).
 */
#ifndef IDX_H
#define IDX_H

#include <stdint.h>
#include <zlib.h>

#include "err.h"

#define IDX_MAX_RANK 4

typedef struct idx_file {
    gzFile gz;
    char name[256];
    int rank;
    uint32_t dims[IDX_MAX_RANK];
    uint64_t items;      /* dims[0] */
    uint64_t item_bytes; /* product of the other dims */
    uint64_t nread;
} idx_file;

/* Opens path and validates its header. */
int idx_open(idx_file *x, const char *path, err *e);
/* Reads n items into buf (n * item_bytes); a short file is an error naming the item. */
int idx_read(idx_file *x, void *buf, uint64_t n, err *e);
/* After the last item: -1 if the file holds more than its header says. */
int idx_check_end(idx_file *x, err *e);
void idx_close(idx_file *x);

#endif
