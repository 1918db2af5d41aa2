/* fuzz_stream.c - lib/tensor_stream: ts_open and ts_read / ts_read_f32 over a
 * memory FILE (fmemopen). Records that read back are written out again with
 * ts_create/ts_write and must read back the same. */
#include "fuzz.h"

#include <string.h>

#include "tensor_stream.h"

#define MAX_RECORD_BYTES (1u << 22) /* larger records: only the header is checked */

static void roundtrip(const ts_header *h, uint32_t id, int32_t label, const void *data)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    err e;
    ts_header h1 = *h;
    h1.count = 1;
    ts_writer *w = ts_create(f, "<memory>", &h1, &e);
    if (!w || ts_write(w, id, label, data, &e) < 0 || ts_finish(w, &e) < 0)
        abort(); /* a record the reader accepted must be writable */
    fclose(f);
    FILE *g = fmemopen(buf, len, "rb");
    ts_reader *r = ts_open(g, "<memory>", &e);
    if (!r)
        abort();
    size_t pb = ts_payload_bytes(h);
    unsigned char *back = malloc(pb ? pb : 1);
    uint32_t id2;
    int32_t label2;
    if (ts_read(r, 1, &id2, &label2, back, &e) != 1 || id2 != id || label2 != label || memcmp(back, data, pb) != 0)
        abort();
    free(back);
    ts_close(r);
    fclose(g);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0; /* fmemopen refuses an empty buffer */
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    err e;
    ts_reader *r = ts_open(f, "<fuzz>", &e);
    if (!r) {
        fclose(f);
        return 0;
    }
    const ts_header *h = ts_header_of(r);
    size_t elems = ts_elems(h), pb = ts_payload_bytes(h);
    if (pb <= MAX_RECORD_BYTES) {
        enum { NMAX = 4 };
        const size_t N = pb * NMAX <= (1u << 16) ? NMAX : 1; /* keep big records cheap */
        uint32_t ids[NMAX];
        int32_t labels[NMAX];
        void *raw = malloc(N * (pb ? pb : 1));
        float *fl = malloc(N * (elems ? elems : 1) * sizeof(float));
        int turn = 0, first = 1;
        for (;;) {
            size_t n = (size_t)(turn % N) + 1;
            long got = turn & 1 ? ts_read_f32(r, n, ids, labels, fl, &e) : ts_read(r, n, ids, labels, raw, &e);
            if (got <= 0)
                break;
            if (first && !(turn & 1)) {
                roundtrip(h, ids[0], labels[0], raw);
                first = 0;
            }
            turn++;
        }
        free(raw);
        free(fl);
    }
    ts_close(r);
    fclose(f);
    return 0;
}
