/* tensor_stream.c - reader and writer for the FMTS stream (see tensor_stream.h). */
#include "tensor_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"

/* ---- little-endian helpers: the format's byte order, not the host's ---- */
static uint16_t get_u16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static void put_u16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
static void swap_f32(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        u = __builtin_bswap32(u);
        memcpy(&x[i], &u, 4);
    }
}
#else
static void swap_f32(float *x, size_t n) { (void)x; (void)n; }
#endif

ts_header ts_image_header(uint32_t h, uint32_t w, uint32_t c, uint32_t nclass)
{
    ts_header hd = {TS_U8, 3, {h, w, c}, nclass, TS_COUNT_UNKNOWN};
    return hd;
}

ts_header ts_vector_header(ts_dtype t, uint32_t n, uint32_t nclass)
{
    ts_header hd = {t, 1, {n, 0, 0}, nclass, TS_COUNT_UNKNOWN};
    return hd;
}

size_t ts_dtype_size(ts_dtype t) { return t == TS_F32 ? 4 : 1; }
const char *ts_dtype_name(ts_dtype t) { return t == TS_F32 ? "f32" : t == TS_U8 ? "u8" : "?"; }

size_t ts_elems(const ts_header *h)
{
    size_t n = 1;
    for (int i = 0; i < h->rank; i++)
        n *= h->dims[i];
    return n;
}

size_t ts_payload_bytes(const ts_header *h) { return ts_elems(h) * ts_dtype_size(h->dtype); }
size_t ts_record_bytes(const ts_header *h) { return TS_RECORD_PREFIX + ts_payload_bytes(h); }

const char *ts_shape_str(const ts_header *h, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < h->rank && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? "x" : "", h->dims[i]);
    if (o < len)
        snprintf(buf + o, len - o, " %s", ts_dtype_name(h->dtype));
    return buf;
}

int ts_same_shape(const ts_header *a, const ts_header *b)
{
    if (a->rank != b->rank || a->dtype != b->dtype)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

int ts_header_validate(const ts_header *h, err *e)
{
    if (h->dtype != TS_U8 && h->dtype != TS_F32)
        return err_set(e, "unknown element type %d (known: 1 = u8, 2 = f32)", (int)h->dtype);
    if (h->rank < 1 || h->rank > TS_MAX_RANK)
        return err_set(e, "rank %d out of range (1..%d)", h->rank, TS_MAX_RANK);
    uint64_t n = 1;
    for (int i = 0; i < TS_MAX_RANK; i++) {
        if (i >= h->rank) {
            if (h->dims[i] != 0)
                return err_set(e, "dimension %d is %u past rank %d (must be 0)", i + 1, h->dims[i], h->rank);
            continue;
        }
        if (h->dims[i] == 0)
            return err_set(e, "dimension %d is zero", i + 1);
        if (h->dims[i] > TS_MAX_DIM)
            return err_set(e, "dimension %d is %u (limit %u)", i + 1, h->dims[i], TS_MAX_DIM);
        n *= h->dims[i]; /* each factor < 2^24: at most 2^72 would overflow, so check as we go */
        if (n > TS_MAX_ELEMS)
            return err_set(e, "record of more than %u elements (limit of this format)", TS_MAX_ELEMS);
    }
    if (h->nclass > 65535)
        return err_set(e, "%u classes (limit 65535)", h->nclass);
    return 0;
}

/* A label is -1 (none) or a class index below nclass (any index if nclass is 0). */
static int bad_label(const ts_header *h, int32_t label)
{
    return label < -1 || (h->nclass && label >= (int32_t)h->nclass);
}

static int label_error(const char *name, uint64_t recno, const ts_header *h, int32_t label, err *e)
{
    if (h->nclass)
        return err_set(e, "%s: record %llu: label %d out of range (0..%u, or -1 for none)", name,
                       (unsigned long long)recno, (int)label, h->nclass - 1);
    return err_set(e, "%s: record %llu: label %d out of range (-1 for none, or a class index)", name,
                   (unsigned long long)recno, (int)label);
}

/* ---------------------------------------------------------------- reader */
struct ts_reader {
    FILE *f;
    char name[256];
    ts_header h;
    uint64_t nread;
    size_t payload;
    unsigned char *u8buf; /* staging for ts_read_f32 on u8 streams */
    size_t u8cap;
    int done;
    int owns_file; /* opened by ts_open_path: ts_close closes it */
};

FILE *ts_fopen_in(const char *path, err *e)
{
    const int from_stdin = !path || strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        err_set(e, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (check_input_not_stdout(fileno(f), from_stdin ? "<stdin>" : path, e) < 0) {
        if (!from_stdin)
            fclose(f);
        return NULL;
    }
    return f;
}

ts_reader *ts_open(FILE *f, const char *name, err *e)
{
    unsigned char b[TS_HEADER_BYTES];
    size_t got = fread(b, 1, sizeof b, f);
    if (got < sizeof b) {
        if (ferror(f))
            err_set(e, "%s: read error: %s", name, strerror(errno));
        else if (got == 0)
            err_set(e, "%s: empty input (expected a tensor stream)", name);
        else
            err_set(e, "%s: truncated header (got %zu of %d bytes)", name, got, TS_HEADER_BYTES);
        return NULL;
    }
    if (memcmp(b, TS_MAGIC, 4) != 0) {
        err_set(e, "%s: not a tensor stream (bad magic; convert CSV with csv2tensor)", name);
        return NULL;
    }
    unsigned version = get_u16(b + 4);
    if (version != TS_VERSION) {
        err_set(e, "%s: stream format version %u, this program reads version %d", name, version, TS_VERSION);
        return NULL;
    }
    ts_header h;
    h.dtype = (ts_dtype)b[6];
    h.rank = b[7];
    for (int i = 0; i < TS_MAX_RANK; i++)
        h.dims[i] = get_u32(b + 8 + 4 * i);
    h.nclass = get_u16(b + 20);
    h.count = get_u64(b + 24);
    if (get_u16(b + 22) != 0) {
        err_set(e, "%s: reserved header field is not zero (damaged stream?)", name);
        return NULL;
    }
    if (ts_header_validate(&h, e) < 0) {
        err_prefix(e, "%s: header", name);
        return NULL;
    }
    ts_reader *r = calloc(1, sizeof *r);
    if (!r) {
        err_set(e, "%s: out of memory", name);
        return NULL;
    }
    r->f = f;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->h = h;
    r->payload = ts_payload_bytes(&h);
    return r;
}

const ts_header *ts_header_of(const ts_reader *r) { return &r->h; }
uint64_t ts_records_read(const ts_reader *r) { return r->nread; }

int ts_seek(ts_reader *r, uint64_t i, err *e)
{
    struct stat st;
    off_t base = ftello(r->f); /* just past the header, wherever the file began */
    if (r->h.count == TS_COUNT_UNKNOWN || base < 0 || fstat(fileno(r->f), &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    if (r->nread != 0 || r->done || i > r->h.count)
        return err_set(e, "%s: cannot go to record %llu of %llu", r->name, (unsigned long long)i + 1,
                       (unsigned long long)r->h.count);
    uint64_t rec = TS_RECORD_PREFIX + r->payload;
    uint64_t data = st.st_size > base ? (uint64_t)(st.st_size - base) : 0;
    uint64_t full = data / rec, partial = data % rec, count = r->h.count;
    if (full < count && !partial)
        return err_set(e, "%s: truncated stream: header says %llu records, got %llu", r->name,
                       (unsigned long long)count, (unsigned long long)full);
    if (full <= count && partial)
        return err_set(e, "%s: record %llu: truncated (got %llu of %llu bytes)", r->name,
                       (unsigned long long)full + 1, (unsigned long long)partial, (unsigned long long)rec);
    if (full > count)
        return err_set(e, "%s: record %llu: more records than the header's count of %llu", r->name,
                       (unsigned long long)count + 1, (unsigned long long)count);
    /* full == count, so base + i * rec <= st_size cannot overflow off_t */
    if (fseeko(r->f, base + (off_t)(i * rec), SEEK_SET) < 0)
        return err_set(e, "%s: seek to record %llu: %s", r->name, (unsigned long long)i + 1, strerror(errno));
    r->nread = i;
    return 1;
}

ts_reader *ts_open_path(const char *path, err *e)
{
    FILE *f = ts_fopen_in(path, e);
    ts_reader *r = f ? ts_open(f, f == stdin ? "<stdin>" : path, e) : NULL;
    if (r)
        r->owns_file = f != stdin;
    else if (f && f != stdin)
        fclose(f);
    return r;
}

void ts_close(ts_reader *r)
{
    if (!r)
        return;
    if (r->owns_file)
        fclose(r->f);
    free(r->u8buf);
    free(r);
}

/* One record; returns 1, 0 at clean end of stream, -1 on error. */
static int read_one(ts_reader *r, uint32_t *id, int32_t *label, unsigned char *data, err *e)
{
    unsigned char pre[TS_RECORD_PREFIX];
    uint64_t recno = r->nread + 1;
    size_t got = fread(pre, 1, sizeof pre, r->f);
    if (got == 0 && !ferror(r->f)) {
        if (r->h.count != TS_COUNT_UNKNOWN && r->nread != r->h.count)
            return err_set(e, "%s: truncated stream: header says %llu records, got %llu", r->name,
                           (unsigned long long)r->h.count, (unsigned long long)r->nread);
        return 0;
    }
    if (got == sizeof pre)
        got += fread(data, 1, r->payload, r->f);
    if (ferror(r->f))
        return err_set(e, "%s: record %llu: read error: %s", r->name, (unsigned long long)recno, strerror(errno));
    size_t want = TS_RECORD_PREFIX + r->payload;
    if (got < want)
        return err_set(e, "%s: record %llu: truncated (got %zu of %zu bytes)", r->name,
                       (unsigned long long)recno, got, want);
    if (r->h.count != TS_COUNT_UNKNOWN && r->nread >= r->h.count)
        return err_set(e, "%s: record %llu: more records than the header's count of %llu", r->name,
                       (unsigned long long)recno, (unsigned long long)r->h.count);
    int32_t lab = (int32_t)get_u32(pre + 4);
    if (bad_label(&r->h, lab))
        return label_error(r->name, recno, &r->h, lab, e);
    if (id)
        *id = get_u32(pre);
    if (label)
        *label = lab;
    if (r->h.dtype == TS_F32)
        swap_f32((float *)(void *)data, r->payload / 4);
    r->nread++;
    return 1;
}

long ts_read(ts_reader *r, size_t n, uint32_t *ids, int32_t *labels, void *data, err *e)
{
    if (r->done)
        return 0;
    unsigned char *d = data;
    size_t i;
    for (i = 0; i < n; i++) {
        int rc = read_one(r, ids ? &ids[i] : NULL, labels ? &labels[i] : NULL, d + i * r->payload, e);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            r->done = 1;
            break;
        }
    }
    return (long)i;
}

long ts_read_f32(ts_reader *r, size_t n, uint32_t *ids, int32_t *labels, float *data, err *e)
{
    if (r->h.dtype == TS_F32) {
        long got = ts_read(r, n, ids, labels, data, e);
        /* arithmetic on a NaN or an infinity gives nonsense that looks like an answer */
        size_t el = ts_elems(&r->h);
        for (size_t i = 0; got > 0 && i < (size_t)got * el; i++)
            if (!isfinite(data[i]))
                return err_set(e, "%s: record %llu: element %zu is %g, not a finite number", r->name,
                               (unsigned long long)(r->nread - (uint64_t)got + i / el + 1), i % el + 1,
                               (double)data[i]);
        return got;
    }
    size_t elems = r->payload;
    if (r->u8cap < n * elems) {
        unsigned char *nb = realloc(r->u8buf, n * elems);
        if (!nb)
            return err_set(e, "%s: out of memory", r->name);
        r->u8buf = nb;
        r->u8cap = n * elems;
    }
    long got = ts_read(r, n, ids, labels, r->u8buf, e);
    for (size_t i = 0; got > 0 && i < (size_t)got * elems; i++)
        data[i] = r->u8buf[i];
    return got;
}

/* ---------------------------------------------------------------- writer */
struct ts_writer {
    FILE *f;
    char name[256];
    ts_header h;
    uint64_t nwritten;
    long start; /* offset of the header if the file is seekable, else -1 */
    unsigned char *rec;
};

static void encode_header(const ts_header *h, uint64_t count, unsigned char *b)
{
    memset(b, 0, TS_HEADER_BYTES);
    memcpy(b, TS_MAGIC, 4);
    put_u16(b + 4, TS_VERSION);
    b[6] = (unsigned char)h->dtype;
    b[7] = (unsigned char)h->rank;
    for (int i = 0; i < TS_MAX_RANK; i++)
        put_u32(b + 8 + 4 * i, i < h->rank ? h->dims[i] : 0);
    put_u16(b + 20, (uint16_t)h->nclass);
    put_u64(b + 24, count);
}

static int write_failed(ts_writer *w, err *e)
{
    return err_set(e, "%s: write error: %s", w->name, errno ? strerror(errno) : "I/O error");
}

ts_writer *ts_create(FILE *f, const char *name, const ts_header *h, err *e)
{
    /* binary on a terminal is garbage to read and can upset it (as gzip refuses) */
    if (isatty(fileno(f))) {
        err_set(e, "%s: is a terminal; a tensor stream is binary: redirect it to a file or pipe it on", name);
        return NULL;
    }
    if (ts_header_validate(h, e) < 0) {
        err_prefix(e, "%s", name);
        return NULL;
    }
    ts_writer *w = calloc(1, sizeof *w);
    if (w)
        w->rec = malloc(ts_record_bytes(h));
    if (!w || !w->rec) {
        if (w)
            free(w);
        err_set(e, "%s: out of memory", name);
        return NULL;
    }
    w->f = f;
    snprintf(w->name, sizeof w->name, "%s", name);
    w->h = *h;
    w->start = -1;
    struct stat st;
    int fl = fcntl(fileno(f), F_GETFL);
    /* Patching the count needs a seekable file not opened for appending. */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 && !(fl & O_APPEND)) {
        long pos = ftell(f);
        if (pos >= 0)
            w->start = pos;
    }
    unsigned char b[TS_HEADER_BYTES];
    encode_header(h, h->count, b);
    errno = 0;
    if (fwrite(b, 1, sizeof b, f) != sizeof b) {
        write_failed(w, e);
        ts_abandon(w);
        return NULL;
    }
    return w;
}

static int put_record(ts_writer *w, uint32_t id, int32_t label, err *e)
{
    if (bad_label(&w->h, label))
        return label_error(w->name, w->nwritten + 1, &w->h, label, e);
    put_u32(w->rec, id);
    put_u32(w->rec + 4, (uint32_t)label);
    size_t n = ts_record_bytes(&w->h);
    errno = 0;
    if (fwrite(w->rec, 1, n, w->f) != n)
        return write_failed(w, e);
    w->nwritten++;
    return 0;
}

int ts_write(ts_writer *w, uint32_t id, int32_t label, const void *data, err *e)
{
    size_t pb = ts_payload_bytes(&w->h);
    memcpy(w->rec + TS_RECORD_PREFIX, data, pb);
    if (w->h.dtype == TS_F32)
        swap_f32((float *)(void *)(w->rec + TS_RECORD_PREFIX), pb / 4);
    return put_record(w, id, label, e);
}

int ts_write_f32(ts_writer *w, uint32_t id, int32_t label, const float *data, err *e)
{
    if (w->h.dtype == TS_F32)
        return ts_write(w, id, label, data, e);
    size_t n = ts_elems(&w->h);
    unsigned char *p = w->rec + TS_RECORD_PREFIX;
    for (size_t i = 0; i < n; i++) {
        float v = data[i];
        p[i] = v <= 0.0f || isnan(v) ? 0 : v >= 255.0f ? 255 : (unsigned char)lrintf(v);
    }
    return put_record(w, id, label, e);
}

uint64_t ts_records_written(const ts_writer *w) { return w->nwritten; }

int ts_finish(ts_writer *w, err *e)
{
    int rc = 0;
    errno = 0;
    if (fflush(w->f) != 0 || ferror(w->f))
        rc = write_failed(w, e);
    if (rc == 0 && w->start >= 0 && w->h.count == TS_COUNT_UNKNOWN) {
        /* A stored stream states its length: readers then detect truncation. */
        unsigned char b[TS_HEADER_BYTES];
        encode_header(&w->h, w->nwritten, b);
        long end = ftell(w->f);
        if (end >= 0 && fseek(w->f, w->start, SEEK_SET) == 0) {
            if (fwrite(b, 1, sizeof b, w->f) != sizeof b || fseek(w->f, end, SEEK_SET) != 0 ||
                fflush(w->f) != 0)
                rc = write_failed(w, e);
        }
    } else if (rc == 0 && w->h.count != TS_COUNT_UNKNOWN && w->nwritten != w->h.count) {
        rc = err_set(e, "%s: wrote %llu records, header promised %llu", w->name,
                     (unsigned long long)w->nwritten, (unsigned long long)w->h.count);
    }
    ts_abandon(w);
    return rc;
}

void ts_abandon(ts_writer *w)
{
    if (!w)
        return;
    free(w->rec);
    free(w);
}

void ts_fail(ts_writer *w)
{
    if (!w)
        return;
    static const unsigned char broken[1] = {0};
    fwrite(broken, 1, 1, w->f); /* best effort: the stream is already failing */
    fflush(w->f);
    ts_abandon(w);
}
