/* npy.h - NumPy .npy arrays (format versions 1.0, 2.0 and 3.0).
 *
 * Layout: magic "\x93NUMPY", major and minor version bytes, the header
 * length (u16 LE in 1.0, u32 LE in 2.0/3.0), then a Python dict literal
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (10, 784), }
 * padded with spaces and a newline, then the raw elements in C order.
 *
 * Supported: descr of one plain number type, b1 u1 i1 u2 i2 u4 i4 u8 i8
 * f4 f8, little- or big-endian ('<', '>', '|' for one-byte types); rank
 * 0..NPY_MAX_RANK; fortran_order False. Everything else is refused with a
 * message saying why (structured dtypes, fortran_order True, ...).
 *
 * npy_parse() works on a memory buffer (a fuzz harness calls it directly);
 * npy_open() reads the header from a file (gzip or plain, through zlib).
 * Messages name no file: callers prefix the file name.
 */
#ifndef NPY_H
#define NPY_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "err.h"

#define NPY_MAX_RANK 8
#define NPY_MAX_HEADER (1u << 20) /* header dict bytes we accept (numpy writes < 200) */
#define NPY_PREAMBLE_V1 10        /* magic 6 + version 2 + u16 length */
#define NPY_PREAMBLE_V2 12        /* magic 6 + version 2 + u32 length */

typedef enum npy_kind { NPY_BOOL, NPY_UINT, NPY_INT, NPY_FLOAT } npy_kind;

typedef struct npy_header {
    int major, minor;
    char descr[32];       /* as written, e.g. "<f4" */
    npy_kind kind;
    int itemsize;         /* 1, 2, 4 or 8 */
    int big_endian;
    int rank;
    uint64_t shape[NPY_MAX_RANK];
    uint64_t count;       /* product of shape (1 for rank 0) */
    size_t data_offset;   /* bytes before the first element */
} npy_header;

/* Parse the preamble and header dict at the start of buf[0..len).
 * Returns 0, or -1 with a message ("truncated header (...)" when len is
 * shorter than the header says). Checks that count * itemsize fits in
 * 63 bits; does not look at the data. */
int npy_parse(const unsigned char *buf, size_t len, npy_header *h, err *e);

/* Convert n elements in file layout at raw to doubles. */
void npy_to_double(const npy_header *h, const void *raw, size_t n, double *out);

/* "(10, 784)" into buf. */
const char *npy_shape_str(const npy_header *h, char *buf, size_t len);

/* ---- files ---- */
typedef struct npy_file {
    gzFile gz;
    char name[256];
    npy_header h;
    uint64_t nread;       /* elements read so far */
    unsigned char *buf;   /* scratch for raw elements */
    size_t cap;
} npy_file;

/* Opens path (gzip or plain), reads and checks the header. Messages start
 * with the path. */
int npy_open(npy_file *f, const char *path, err *e);
/* Reads n elements as doubles into out. A short file is an error naming the
 * element count expected; what says what an element group is called in the
 * message ("image", "label") and per says how many elements make one. */
int npy_read(npy_file *f, double *out, size_t n, const char *what, size_t per, err *e);
/* After the last element: is there trailing data? -1 with a message if so. */
int npy_check_end(npy_file *f, err *e);
void npy_close(npy_file *f);

#endif
