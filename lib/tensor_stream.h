/* tensor_stream.h - the one binary stream every filter reads and writes.
 *
 * The format is specified in docs/stream-format.md (summary here):
 *
 *   header, 32 bytes, all integers little-endian:
 *     0  4  magic "FMTS"
 *     4  2  version (1)
 *     6  1  element type: 1 = u8, 2 = f32 (IEEE 754, little-endian)
 *     7  1  rank, 1..3
 *     8 12  dims[3] (u32); dims past rank are 0. An image is H,W,C.
 *    20  2  nclass (u16): labels index 0..nclass-1; 0 = not stated
 *    22  2  reserved, 0
 *    24  8  record count (u64); all ones = unknown (still streaming)
 *   then fixed-size records:
 *     0  4  id (u32): the record's row number in the original data, kept by every filter
 *     4  4  label (i32): class index, or -1 = no label
 *     8  .  payload: prod(dims) elements of the element type
 *
 * Readers check everything before they allocate and name the record at
 * fault. Writers patch the count into the header when the output is a
 * regular file, so a stored stream says how long it is.
 */
#ifndef TENSOR_STREAM_H
#define TENSOR_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define TS_MAGIC "FMTS"
#define TS_VERSION 1
#define TS_HEADER_BYTES 32
#define TS_RECORD_PREFIX 8
#define TS_MAX_RANK 3
#define TS_MAX_DIM (1u << 24)
#define TS_MAX_ELEMS (1u << 26)      /* 64 Mi elements = 256 MiB of f32 per record */
#define TS_NO_LABEL (-1)
#define TS_COUNT_UNKNOWN UINT64_MAX

typedef enum ts_dtype { TS_U8 = 1, TS_F32 = 2 } ts_dtype;

typedef struct ts_header {
    ts_dtype dtype;
    int rank;
    uint32_t dims[TS_MAX_RANK]; /* 0 past rank */
    uint32_t nclass;            /* 0 = not stated */
    uint64_t count;             /* TS_COUNT_UNKNOWN when not known */
} ts_header;

/* A header for one H x W x C image of u8, or a vector of n f32. */
ts_header ts_image_header(uint32_t h, uint32_t w, uint32_t c, uint32_t nclass);
ts_header ts_vector_header(ts_dtype t, uint32_t n, uint32_t nclass);

size_t ts_elems(const ts_header *h);          /* prod(dims) */
size_t ts_dtype_size(ts_dtype t);
size_t ts_payload_bytes(const ts_header *h);
size_t ts_record_bytes(const ts_header *h);   /* prefix + payload */
const char *ts_dtype_name(ts_dtype t);        /* "u8", "f32" */
/* "28x28x1 u8" into buf. */
const char *ts_shape_str(const ts_header *h, char *buf, size_t len);
/* Same rank, dims and type? */
int ts_same_shape(const ts_header *a, const ts_header *b);
/* Check a header is one we would write: -1 with a message if not. */
int ts_header_validate(const ts_header *h, err *e);

/* ---- reading ---- */
typedef struct ts_reader ts_reader;

/* Reads and validates the header. name is used in messages ("<stdin>"). */
ts_reader *ts_open(FILE *f, const char *name, err *e);
/* ts_fopen_in and ts_open in one: the stream at path (NULL or "-": stdin, named "<stdin>");
 * ts_close then closes the file too. */
ts_reader *ts_open_path(const char *path, err *e);
const ts_header *ts_header_of(const ts_reader *r);
/* Read up to n records into ids[n], labels[n] (either may be NULL) and
 * data[n * elems] in the stream's element type. Returns the number read,
 * 0 at a clean end, -1 on error (truncation, bad label, count mismatch). */
long ts_read(ts_reader *r, size_t n, uint32_t *ids, int32_t *labels, void *data, err *e);
/* As ts_read, converting the payload to float (u8 0..255 -> 0.0..255.0);
 * an f32 element that is NaN or infinite is an error. */
long ts_read_f32(ts_reader *r, size_t n, uint32_t *ids, int32_t *labels, float *data, err *e);
uint64_t ts_records_read(const ts_reader *r);
/* Go to record i (0-based) of a stored stream, straight after ts_open: a
 * shard is read without reading what comes before it. Only when the header
 * states the count and f is a regular file; the file's size is checked
 * against the count first, with the messages a full read would give, so a
 * damaged file is refused whichever shard is read. Later messages number
 * records from the start of the stream. Returns 1 after seeking, 0 when it
 * cannot seek (a pipe, or an unknown count: read and skip instead), -1 on error. */
int ts_seek(ts_reader *r, uint64_t i, err *e);
void ts_close(ts_reader *r); /* fcloses only a file ts_open_path opened */

/* ---- writing ---- */
typedef struct ts_writer ts_writer;

/* Writes the header (count unknown unless h->count says otherwise). */
ts_writer *ts_create(FILE *f, const char *name, const ts_header *h, err *e);
int ts_write(ts_writer *w, uint32_t id, int32_t label, const void *data, err *e);
/* For u8 streams, floats are rounded and clamped to 0..255. */
int ts_write_f32(ts_writer *w, uint32_t id, int32_t label, const float *data, err *e);
uint64_t ts_records_written(const ts_writer *w);
/* Flushes, patches the count if the file is seekable, checks for write
 * errors, frees w. Does not fclose. */
int ts_finish(ts_writer *w, err *e);
/* Frees w without checking. */
void ts_abandon(ts_writer *w);
/* After an error mid-stream: ends the output with a partial record, so that
 * no reader downstream takes the records so far for a complete stream, and
 * frees w. */
void ts_fail(ts_writer *w);

/* Open path for reading ("-" or NULL = stdin). Returns NULL with a message,
 * also when the input is the regular file stdout writes to (prog < f >> f). */
FILE *ts_fopen_in(const char *path, err *e);

#endif
