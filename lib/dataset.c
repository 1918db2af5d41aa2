#include "dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cli.h"
#include "tensor_stream.h"

/* The stream's records, checked to be labelled images that n takes. */
static int read_records(dataset *d, ts_reader *r, const char *name, const network *n, err *e)
{
    const ts_header *h = ts_header_of(r);
    char got[64];
    if (h->rank != 3 || (int)h->dims[0] != n->in_h || (int)h->dims[1] != n->in_w || (int)h->dims[2] != n->in_c)
        return err_set(e, "%s: records are %s, the network takes %dx%dx%d images", name,
                       ts_shape_str(h, got, sizeof got), n->in_h, n->in_w, n->in_c);
    if ((int)h->nclass > n->nclass) /* predict would refuse the stream for this model */
        return err_set(e, "%s: the stream has %u classes, the network %d outputs", name, h->nclass, n->nclass);
    d->elems = ts_elems(h);
    d->h = n->in_h, d->w = n->in_w, d->c = n->in_c;
    /* sized from the header's count up to 65,536 records, then grown as the data comes:
     * a damaged count must not make us allocate what the data does not hold */
    size_t cap = h->count != TS_COUNT_UNKNOWN ? (h->count < 65536 ? (size_t)h->count : 65536) : 4096;
    const int f32 = h->dtype != TS_U8;
    for (;; d->n++) {
        if (d->n == cap || !d->y) {
            cap = d->y ? cap * 2 : cap ? cap : 1;
            void *nx = realloc(f32 ? (void *)d->xf : (void *)d->x, cap * d->elems * ts_dtype_size(h->dtype));
            int32_t *ny = realloc(d->y, cap * sizeof *ny);
            uint32_t *ni = realloc(d->id, cap * sizeof *ni);
            d->x = nx && !f32 ? nx : d->x, d->xf = nx && f32 ? nx : d->xf;
            d->y = ny ? ny : d->y, d->id = ni ? ni : d->id;
            if (!nx || !ny || !ni)
                return err_set(e, "%s: out of memory after %zu records", name, d->n);
        }
        long got1 = f32 ? ts_read_f32(r, 1, &d->id[d->n], &d->y[d->n], d->xf + d->n * d->elems, e) /* finite */
                        : ts_read(r, 1, &d->id[d->n], &d->y[d->n], d->x + d->n * d->elems, e);
        if (got1 <= 0) /* an error, or the end */
            return got1 < 0 ? -1 : d->n ? 0 : err_set(e, "%s: no records", name);
        if (d->y[d->n] < 0)
            return err_set(e, "%s: record %zu: no label (train needs labelled data)", name, d->n + 1);
        if (d->y[d->n] >= n->nclass)
            return err_set(e, "%s: record %zu: label %d, the network has %d classes", name, d->n + 1, d->y[d->n],
                           n->nclass);
    }
}

int dataset_load(dataset *d, const char *path, const network *n, err *e)
{
    memset(d, 0, sizeof *d);
    FILE *f = ts_fopen_in(path, e);
    if (!f)
        return -1;
    ts_reader *r = ts_open(f, cli_name(path), e);
    int rc = r ? read_records(d, r, cli_name(path), n, e) : -1;
    ts_close(r);
    if (f != stdin)
        fclose(f);
    if (rc < 0) {
        dataset_free(d);
        memset(d, 0, sizeof *d);
        return -1;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32_z(crc, (const Bytef *)d->id, d->n * sizeof *d->id);
    crc = crc32_z(crc, (const Bytef *)d->y, d->n * sizeof *d->y);
    crc = d->x ? crc32_z(crc, d->x, d->n * d->elems) : crc32_z(crc, (const Bytef *)d->xf, d->n * d->elems * sizeof *d->xf);
    d->crc = (uint32_t)crc;
    return 0;
}
void dataset_free(dataset *d) { free(d->x), free(d->xf), free(d->y), free(d->id); }

void dataset_image(const dataset *d, size_t i, float *dst)
{
    if (d->x)
        for (size_t k = 0; k < d->elems; k++)
            dst[k] = d->x[i * d->elems + k];
    else
        memcpy(dst, d->xf + i * d->elems, d->elems * sizeof(float));
}

int dataset_moments(const dataset *d, float *mean, float *std, err *e)
{
    double s = 0, ss = 0;
    size_t cnt = d->n * d->elems;
    for (size_t i = 0; i < cnt; i++) {
        double v = d->x ? d->x[i] : d->xf[i];
        s += v, ss += v * v;
    }
    double m = s / (double)cnt, var = ss / (double)cnt - m * m;
    if (!isfinite(m) || !isfinite(var) || fabs(m) > 1e30 || var > 1e60)
        return err_set(e, "pixel values too large to normalise (mean %g, variance %g)", m, var);
    *mean = (float)m, *std = (float)(var > 1e-6 ? sqrt(var) : 1.0);
    return 0;
}
