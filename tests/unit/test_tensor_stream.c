/* test_tensor_stream - the FMTS reader and writer: round trips, count
 * patching, and every error a reader reports (see docs/stream-format.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensor_stream.h"
#include "unit.h"

/* ---- helpers -------------------------------------------------------------- */

/* A memory buffer as a FILE: fmemopen on a copy, so tests can hand-craft bytes. */
static FILE *mem_in(const unsigned char *b, size_t n)
{
    static unsigned char store[8][4096];
    static int next;
    unsigned char *s = store[next++ % 8];
    memcpy(s, b, n);
    return n ? fmemopen(s, n, "rb") : fopen("/dev/null", "rb");
}

/* Read everything from f into buf; returns the byte count. */
static size_t slurp(FILE *f, unsigned char *buf, size_t cap)
{
    rewind(f);
    return fread(buf, 1, cap, f);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A valid header for rank-1 u8 records of n elements: the start of many bad ones. */
static void header_bytes(unsigned char *b, uint32_t n, uint32_t nclass, uint64_t count)
{
    memset(b, 0, TS_HEADER_BYTES);
    memcpy(b, "FMTS", 4);
    b[4] = 1;
    b[6] = TS_U8;
    b[7] = 1;
    put32(b + 8, n);
    b[20] = (unsigned char)nclass;
    put32(b + 24, (uint32_t)count);
    put32(b + 28, (uint32_t)(count >> 32));
}

/* Open bytes as a stream; NULL with the message in e. */
static ts_reader *open_bytes(const unsigned char *b, size_t n, err *e, FILE **fp)
{
    *fp = mem_in(b, n);
    return ts_open(*fp, "<stdin>", e);
}

/* Expect ts_open to fail with exactly msg. */
static void open_fails(const unsigned char *b, size_t n, const char *msg, const char *what)
{
    err e = {""};
    FILE *f;
    ts_reader *r = open_bytes(b, n, &e, &f);
    CHECK(r == NULL && strcmp(e.msg, msg) == 0, "%s: got '%s'", what, r ? "(opened)" : e.msg);
    ts_close(r);
    fclose(f);
}

/* Read records one at a time until an error; expect exactly msg after `good` records. */
static void read_fails(const unsigned char *b, size_t n, long good, const char *msg, const char *what)
{
    err e = {""};
    FILE *f;
    ts_reader *r = open_bytes(b, n, &e, &f);
    if (!r) {
        CHECK(0, "%s: open failed: %s", what, e.msg);
        fclose(f);
        return;
    }
    unsigned char data[64];
    long ok = 0, rc;
    while ((rc = ts_read(r, 1, NULL, NULL, data, &e)) == 1)
        ok++;
    CHECK(rc == -1 && ok == good && strcmp(e.msg, msg) == 0, "%s: %ld records then rc %ld '%s'", what, ok, rc,
          rc < 0 ? e.msg : "");
    ts_close(r);
    fclose(f);
}

/* ---- round trips ---------------------------------------------------------- */

static void test_u8_round_trip(void)
{
    err e;
    FILE *f = tmpfile();
    ts_header h = ts_image_header(2, 3, 1, 10);
    ts_writer *w = ts_create(f, "tmp", &h, &e);
    CHECK(w != NULL, "u8: create");
    unsigned char img[3][6];
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < 6; i++)
            img[r][i] = (unsigned char)(r * 100 + i * 31);
    int32_t labs[3] = {9, -1, 0};
    uint32_t ids[3] = {0, 7, 4000000000u};
    for (int r = 0; r < 3; r++)
        CHECK(ts_write(w, ids[r], labs[r], img[r], &e) == 0, "u8: write %d", r);
    CHECK(ts_records_written(w) == 3, "u8: 3 records written");
    CHECK(ts_finish(w, &e) == 0, "u8: finish");

    unsigned char raw[256];
    size_t n = slurp(f, raw, sizeof raw);
    CHECK(n == TS_HEADER_BYTES + 3 * (8 + 6), "u8: file is header + 3 records of 14 bytes (%zu)", n);
    CHECK(memcmp(raw, "FMTS\1\0\1\3\2\0\0\0\3\0\0\0\1\0\0\0\12\0\0\0\3\0\0\0\0\0\0\0", 32) == 0,
          "u8: header bytes, count patched to 3");
    CHECK(memcmp(raw + 32 + 14, "\7\0\0\0\377\377\377\377", 8) == 0, "u8: record 2 prefix: id 7, label -1, LE");

    rewind(f);
    ts_reader *r = ts_open(f, "tmp", &e);
    CHECK(r != NULL, "u8: open");
    const ts_header *rh = ts_header_of(r);
    char shape[64];
    CHECK(ts_same_shape(rh, &h) && rh->nclass == 10 && rh->count == 3, "u8: header %s, nclass %u, count %llu",
          ts_shape_str(rh, shape, sizeof shape), rh->nclass, (unsigned long long)rh->count);
    CHECK(strcmp(shape, "2x3x1 u8") == 0, "u8: shape string '%s'", shape);
    uint32_t rid[4];
    int32_t rlab[4];
    unsigned char data[4][6];
    long got = ts_read(r, 4, rid, rlab, data, &e);
    CHECK(got == 3, "u8: read 3 of 4 asked (%ld)", got);
    CHECK(memcmp(data, img, sizeof img) == 0, "u8: payload intact");
    CHECK(rid[0] == 0 && rid[1] == 7 && rid[2] == 4000000000u, "u8: ids intact");
    CHECK(rlab[0] == 9 && rlab[1] == -1 && rlab[2] == 0, "u8: labels intact");
    CHECK(ts_read(r, 1, rid, rlab, data, &e) == 0, "u8: clean end stays 0");
    CHECK(ts_records_read(r) == 3, "u8: 3 records read");
    ts_close(r);

    /* the same stream read as floats */
    rewind(f);
    r = ts_open(f, "tmp", &e);
    float x[3 * 6];
    got = ts_read_f32(r, 3, NULL, NULL, x, &e);
    CHECK(got == 3 && x[0] == 0.0f && x[1] == 31.0f && x[6 + 5] == 255.0f, "u8: ts_read_f32 converts to 0..255");
    ts_close(r);
    fclose(f);
}

static void test_f32_round_trip(void)
{
    err e;
    FILE *f = tmpfile();
    ts_header h = ts_vector_header(TS_F32, 4, 10);
    ts_writer *w = ts_create(f, "tmp", &h, &e);
    float v[2][4] = {{0.1f, -2.5e-38f, 3.4e38f, 1.0f / 3.0f}, {-0.0f, 1e-45f, 7.0f, 0.25f}};
    CHECK(w && ts_write(w, 3, 2, v[0], &e) == 0 && ts_write(w, 4, -1, v[1], &e) == 0, "f32: write 2");
    CHECK(ts_finish(w, &e) == 0, "f32: finish");
    unsigned char raw[128];
    size_t n = slurp(f, raw, sizeof raw);
    CHECK(n == 32 + 2 * (8 + 16), "f32: size %zu", n);
    CHECK(raw[6] == TS_F32 && raw[7] == 1, "f32: type and rank bytes");
    /* 0.25f = 0x3e800000, stored little-endian */
    CHECK(memcmp(raw + 32 + 24 + 8 + 12, "\0\0\x80\x3e", 4) == 0, "f32: floats are little-endian IEEE 754");
    rewind(f);
    ts_reader *r = ts_open(f, "tmp", &e);
    float back[2][4];
    int32_t lab[2];
    uint32_t id[2];
    CHECK(r && ts_read_f32(r, 2, id, lab, back[0], &e) == 2, "f32: read 2");
    CHECK(memcmp(back, v, sizeof v) == 0, "f32: bit-exact round trip");
    CHECK(id[0] == 3 && id[1] == 4 && lab[0] == 2 && lab[1] == -1, "f32: ids and labels");
    ts_close(r);
    fclose(f);

    /* ts_write_f32 on a u8 stream rounds and clamps */
    f = tmpfile();
    h = ts_vector_header(TS_U8, 5, 0);
    w = ts_create(f, "tmp", &h, &e);
    float in[5] = {-3.0f, 0.49f, 0.5f, 254.6f, 1000.0f};
    CHECK(w && ts_write_f32(w, 0, TS_NO_LABEL, in, &e) == 0 && ts_finish(w, &e) == 0, "u8 from f32: write");
    n = slurp(f, raw, sizeof raw);
    CHECK(n == 32 + 13 && raw[40] == 0 && raw[41] == 0 && raw[43] == 255 && raw[44] == 255,
          "u8 from f32: clamped and rounded (%u %u %u %u %u)", raw[40], raw[41], raw[42], raw[43], raw[44]);
    fclose(f);
}

/* A pipe (not seekable) keeps count unknown; a regular file gets it patched. */
static void test_count(void)
{
    err e;
    int fds[2];
    CHECK(pipe(fds) == 0, "count: pipe");
    FILE *wf = fdopen(fds[1], "wb"), *rf = fdopen(fds[0], "rb");
    ts_header h = ts_vector_header(TS_U8, 1, 2);
    ts_writer *w = ts_create(wf, "<pipe>", &h, &e);
    unsigned char one = 1;
    CHECK(w && ts_write(w, 0, 1, &one, &e) == 0 && ts_finish(w, &e) == 0, "count: write to a pipe");
    fclose(wf);
    unsigned char raw[64];
    size_t n = fread(raw, 1, sizeof raw, rf);
    fclose(rf);
    CHECK(n == 41 && memcmp(raw + 24, "\377\377\377\377\377\377\377\377", 8) == 0,
          "count: unknown (all ones) on a pipe");

    /* a header that promises a count the writer does not keep */
    FILE *f = tmpfile();
    h.count = 2;
    w = ts_create(f, "out", &h, &e);
    CHECK(w && ts_write(w, 0, 0, &one, &e) == 0, "count: promised 2, wrote 1");
    CHECK(ts_finish(w, &e) == -1 && strcmp(e.msg, "out: wrote 1 records, header promised 2") == 0,
          "count: finish fails: '%s'", e.msg);
    fclose(f);

    /* a writer that starts mid-file patches its own header, not byte 0 */
    f = tmpfile();
    fputs("junk", f);
    h.count = TS_COUNT_UNKNOWN;
    w = ts_create(f, "out", &h, &e);
    CHECK(w && ts_write(w, 5, 1, &one, &e) == 0 && ts_finish(w, &e) == 0, "count: write after 4 bytes");
    n = slurp(f, raw, sizeof raw);
    CHECK(n == 45 && memcmp(raw, "junkFMTS", 8) == 0 && raw[4 + 24] == 1 && raw[4 + 25] == 0,
          "count: patched at the writer's own offset");
    fclose(f);
}

/* ts_open_path: a file by name, read and closed in one; a missing one named in the message. */
static void test_open_path(void)
{
    err e;
    char path[] = "/tmp/test_tensor_stream.XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    ts_header h = ts_vector_header(TS_U8, 1, 3);
    ts_writer *w = f ? ts_create(f, path, &h, &e) : NULL;
    unsigned char one = 7, got = 0;
    CHECK(w && ts_write(w, 4, 2, &one, &e) == 0 && ts_finish(w, &e) == 0 && fclose(f) == 0, "open_path: written");
    const int free_fd = dup(0); /* the lowest free descriptor, which the reader's file takes */
    close(free_fd);
    ts_reader *r = ts_open_path(path, &e);
    uint32_t id = 0;
    CHECK(r && ts_read(r, 1, &id, NULL, &got, &e) == 1 && id == 4 && got == 7, "open_path: read back");
    ts_close(r);
    const int after = dup(0);
    close(after);
    CHECK(after == free_fd, "open_path: ts_close closed the file (fd %d free again: %d)", free_fd, after);
    unlink(path);
    CHECK(!ts_open_path(path, &e) && strstr(e.msg, path) == e.msg && strstr(e.msg, "No such file"),
          "open_path: a missing file: '%s'", e.msg);
}

/* ---- reader errors ---------------------------------------------------------- */

static void test_header_errors(void)
{
    unsigned char b[64];
    header_bytes(b, 4, 10, TS_COUNT_UNKNOWN);

    open_fails(b, 0, "<stdin>: empty input (expected a tensor stream)", "empty input");
    open_fails(b, 31, "<stdin>: truncated header (got 31 of 32 bytes)", "truncated header");
    memcpy(b, "label,pi", 8);
    open_fails(b, 32, "<stdin>: not a tensor stream (bad magic; convert CSV with csv2tensor)", "bad magic");
    header_bytes(b, 4, 10, TS_COUNT_UNKNOWN);
    b[4] = 2;
    open_fails(b, 32, "<stdin>: stream format version 2, this program reads version 1", "version");
    header_bytes(b, 4, 10, TS_COUNT_UNKNOWN);
    b[6] = 3;
    open_fails(b, 32, "<stdin>: header: unknown element type 3 (known: 1 = u8, 2 = f32)", "dtype");
    header_bytes(b, 4, 10, TS_COUNT_UNKNOWN);
    b[7] = 0;
    open_fails(b, 32, "<stdin>: header: rank 0 out of range (1..3)", "rank 0");
    b[7] = 4;
    open_fails(b, 32, "<stdin>: header: rank 4 out of range (1..3)", "rank 4");
    header_bytes(b, 0, 10, TS_COUNT_UNKNOWN);
    open_fails(b, 32, "<stdin>: header: dimension 1 is zero", "zero dim");
    header_bytes(b, 4, 10, TS_COUNT_UNKNOWN);
    put32(b + 12, 5);
    open_fails(b, 32, "<stdin>: header: dimension 2 is 5 past rank 1 (must be 0)", "dim past rank");
    header_bytes(b, 0xffffffffu, 10, TS_COUNT_UNKNOWN);
    open_fails(b, 32, "<stdin>: header: dimension 1 is 4294967295 (limit 16777216)", "absurd dim");
    /* 2^24 x 2^24 x 2^24 overflows 64 bits if multiplied blindly; 2^13 x 2^13 x 2 just passes 2^26 */
    header_bytes(b, 1u << 24, 10, TS_COUNT_UNKNOWN);
    b[7] = 3;
    put32(b + 12, 1u << 24);
    put32(b + 16, 1u << 24);
    open_fails(b, 32, "<stdin>: header: record of more than 67108864 elements (limit of this format)",
               "product overflow");
    put32(b + 8, 1u << 13);
    put32(b + 12, 1u << 13);
    put32(b + 16, 2);
    open_fails(b, 32, "<stdin>: header: record of more than 67108864 elements (limit of this format)",
               "product just over the limit");
    header_bytes(b, 4, 10, TS_COUNT_UNKNOWN);
    b[22] = 1;
    open_fails(b, 32, "<stdin>: reserved header field is not zero (damaged stream?)", "reserved");
}

static void test_record_errors(void)
{
    unsigned char b[256];
    /* rank-1 u8 records of 4 elements: 12 bytes each */
    header_bytes(b, 4, 10, TS_COUNT_UNKNOWN);
    memset(b + 32, 0, 3 * 12);
    read_fails(b, 32 + 12 + 5, 1, "<stdin>: record 2: truncated (got 5 of 12 bytes)", "truncated payload");
    read_fails(b, 32 + 12 + 12 + 3, 2, "<stdin>: record 3: truncated (got 3 of 12 bytes)", "truncated prefix");
    put32(b + 32 + 12 + 4, 10);
    read_fails(b, 32 + 36, 1, "<stdin>: record 2: label 10 out of range (0..9, or -1 for none)", "label 10");
    put32(b + 32 + 12 + 4, (uint32_t)-2);
    read_fails(b, 32 + 36, 1, "<stdin>: record 2: label -2 out of range (0..9, or -1 for none)", "label -2");
    put32(b + 32 + 12 + 4, 0);

    header_bytes(b, 4, 10, 3);
    read_fails(b, 32 + 24, 2, "<stdin>: truncated stream: header says 3 records, got 2", "fewer than count");
    header_bytes(b, 4, 10, 2);
    read_fails(b, 32 + 36, 2, "<stdin>: record 3: more records than the header's count of 2", "more than count");
    header_bytes(b, 4, 10, 3);
    err e;
    FILE *f;
    ts_reader *r = open_bytes(b, 32 + 36, &e, &f);
    unsigned char data[3 * 4];
    CHECK(r && ts_read(r, 5, NULL, NULL, data, &e) == 3 && ts_read(r, 1, NULL, NULL, data, &e) == 0,
          "count: exactly as promised reads cleanly");
    ts_close(r);
    fclose(f);

    /* nclass 0: any label >= -1 passes */
    header_bytes(b, 4, 0, TS_COUNT_UNKNOWN);
    put32(b + 32 + 4, 70000);
    r = open_bytes(b, 32 + 12, &e, &f);
    int32_t lab = 0;
    CHECK(r && ts_read(r, 1, NULL, &lab, data, &e) == 1 && lab == 70000, "nclass 0: label 70000 accepted");
    ts_close(r);
    fclose(f);
}

static void test_writer_errors(void)
{
    err e;
    FILE *f = tmpfile();
    ts_header h = ts_vector_header(TS_U8, 2, 3);
    ts_writer *w = ts_create(f, "out", &h, &e);
    unsigned char d[2] = {1, 2};
    CHECK(ts_write(w, 0, 3, d, &e) == -1 && strcmp(e.msg, "out: record 1: label 3 out of range (0..2, or -1 for none)") == 0,
          "writer: label 3 refused: '%s'", e.msg);
    ts_abandon(w);
    fclose(f);
    h = ts_vector_header(TS_U8, 0, 3);
    CHECK(ts_create(stdout, "out", &h, &e) == NULL && strcmp(e.msg, "out: dimension 1 is zero") == 0,
          "writer: zero dim refused before writing: '%s'", e.msg);

    /* /dev/full: the error surfaces at the latest in ts_finish */
    f = fopen("/dev/full", "wb");
    if (f) {
        h = ts_vector_header(TS_U8, 2, 3);
        w = ts_create(f, "/dev/full", &h, &e);
        int rc = w ? ts_finish(w, &e) : -1;
        CHECK(rc == -1 && strcmp(e.msg, "/dev/full: write error: No space left on device") == 0,
              "writer: /dev/full fails: '%s'", e.msg);
        fclose(f);
    }
}

/* ts_fail after some records: the next reader reports a truncated record. */
static void test_fail(void)
{
    err e;
    FILE *f = tmpfile();
    ts_header h = ts_image_header(2, 2, 1, 10);
    ts_writer *w = ts_create(f, "out", &h, &e);
    unsigned char d[4] = {1, 2, 3, 4};
    CHECK(w && ts_write(w, 0, 1, d, &e) == 0 && ts_write(w, 1, 2, d, &e) == 0, "fail: 2 records");
    ts_fail(w);
    unsigned char raw[128];
    size_t n = slurp(f, raw, sizeof raw);
    CHECK(n == 32 + 2 * 12 + 1, "fail: one byte of a third record (%zu bytes)", n);
    CHECK(memcmp(raw + 24, "\377\377\377\377\377\377\377\377", 8) == 0, "fail: count left unknown");
    fclose(f);
    read_fails(raw, n, 2, "<stdin>: record 3: truncated (got 1 of 12 bytes)", "fail: reader sees truncation");

    /* ts_fail(NULL) (no record written yet) does nothing */
    ts_fail(NULL);
    CHECK(1, "fail: NULL is a no-op");
}

/* ts_seek: straight to record i of a stored stream; the file's size checked first. */
static void test_seek(void)
{
    err e;
    FILE *f = tmpfile();
    ts_header h = ts_image_header(2, 2, 1, 10);
    ts_writer *w = ts_create(f, "out", &h, &e);
    unsigned char d[4] = {0};
    for (uint32_t i = 0; i < 5; i++) {
        d[0] = (unsigned char)(10 + i);
        ts_write(w, i, (int32_t)i, d, &e);
    }
    CHECK(ts_finish(w, &e) == 0, "seek: 5 records stored");
    rewind(f);
    ts_reader *r = ts_open(f, "s.ts", &e);
    uint32_t ids[5];
    unsigned char data[5 * 4];
    CHECK(r && ts_seek(r, 3, &e) == 1, "seek: to record 4 of a file");
    CHECK(ts_read(r, 5, ids, NULL, data, &e) == 2 && ids[0] == 3 && ids[1] == 4 && data[0] == 13 &&
              ts_records_read(r) == 5,
          "seek: records 4 and 5 follow, then the end (count met)");
    ts_close(r);
    /* one byte short: refused with the message a full read gives */
    CHECK(ftruncate(fileno(f), 32 + 5 * 12 - 1) == 0, "seek: file cut");
    rewind(f);
    r = ts_open(f, "s.ts", &e);
    CHECK(r && ts_seek(r, 1, &e) == -1 && strcmp(e.msg, "s.ts: record 5: truncated (got 11 of 12 bytes)") == 0,
          "seek: a cut file refused: '%s'", e.msg);
    ts_close(r);
    fclose(f);
    /* not a regular file: 0, read and skip instead */
    unsigned char b[64];
    f = tmpfile();
    w = ts_create(f, "out", &h, &e);
    ts_write(w, 7, 1, d, &e);
    ts_finish(w, &e);
    size_t n = slurp(f, b, sizeof b);
    fclose(f);
    f = mem_in(b, n);
    r = ts_open(f, "<stdin>", &e);
    CHECK(r && ts_seek(r, 1, &e) == 0 && ts_read(r, 1, ids, NULL, data, &e) == 1 && ids[0] == 7,
          "seek: a memory stream cannot seek, and is left as it was");
    ts_close(r);
    fclose(f);
}

static void test_helpers(void)
{
    ts_header h = ts_image_header(28, 28, 1, 10);
    CHECK(ts_elems(&h) == 784 && ts_payload_bytes(&h) == 784 && ts_record_bytes(&h) == 792, "sizes of 28x28x1 u8");
    h = ts_vector_header(TS_F32, 10, 10);
    CHECK(ts_payload_bytes(&h) == 40 && ts_record_bytes(&h) == 48, "sizes of 10 f32");
    CHECK(strcmp(ts_dtype_name(TS_U8), "u8") == 0 && strcmp(ts_dtype_name(TS_F32), "f32") == 0, "dtype names");
    err e;
    CHECK(ts_header_validate(&h, &e) == 0, "vector header validates");
    h.nclass = 70000;
    CHECK(ts_header_validate(&h, &e) == -1 && strcmp(e.msg, "70000 classes (limit 65535)") == 0, "nclass limit: '%s'",
          e.msg);
}

int main(void)
{
    test_u8_round_trip();
    test_f32_round_trip();
    test_count();
    test_open_path();
    test_header_errors();
    test_record_errors();
    test_writer_errors();
    test_fail();
    test_seek();
    test_helpers();
    UNIT_EXIT();
}
