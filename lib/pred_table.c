/* pred_table.c - load a prediction stream into a small table (see pred_table.h). */
#include "pred_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_stream.h"

static const pred_table *sort_table; /* qsort has no context argument */

static int cmp_by_id(const void *va, const void *vb)
{
    uint32_t a = sort_table->r[*(const uint32_t *)va].id, b = sort_table->r[*(const uint32_t *)vb].id;
    return a < b ? -1 : a > b;
}

static int load(pred_table *t, const char *path, const char *name, err *e)
{
    ts_reader *rd = ts_open_path(path, e);
    if (!rd)
        return -1;
    const ts_header *h = ts_header_of(rd);
    char shape[64];
    if (h->dtype != TS_F32 || h->rank != 1 || h->dims[0] < 2 || h->dims[0] > 65535 ||
        (h->nclass != 0 && h->nclass != h->dims[0])) {
        err_set(e, "%s: not a prediction stream (%s; expected f32 class probabilities, as predict writes)",
                name, ts_shape_str(h, shape, sizeof shape));
        ts_close(rd);
        return -1;
    }
    int k = (int)h->dims[0];
    t->k = k;
    float *p = malloc((size_t)k * sizeof *p);
    size_t cap = 1024;
    t->r = malloc(cap * sizeof *t->r);
    t->p = malloc(cap * (size_t)k * sizeof *t->p);
    if (!p || !t->r || !t->p) {
        free(p);
        ts_close(rd);
        return err_set(e, "out of memory");
    }
    uint32_t id;
    int32_t label;
    long got;
    int rc = 0;
    while ((got = ts_read(rd, 1, &id, &label, p, e)) == 1) {
        unsigned long long recno = (unsigned long long)t->n + 1;
        if (t->n == 0)
            t->labelled = label >= 0;
        if ((label >= 0) != t->labelled) {
            rc = err_set(e, "%s: record %llu: %s label, unlike the first record", name, recno,
                         t->labelled ? "no" : "a");
            break;
        }
        if (label >= k) {
            rc = err_set(e, "%s: record %llu: label %d out of range (0..%d)", name, recno, (int)label, k - 1);
            break;
        }
        double sum = 0;
        int bad = 0;
        for (int i = 0; i < k; i++) {
            bad |= !isfinite(p[i]) || p[i] < 0 || p[i] > 1;
            sum += p[i];
        }
        if (bad || fabs(sum - 1) > 1e-3) {
            rc = err_set(e, "%s: record %llu: not probabilities (%s; sum %.6g)", name, recno,
                         bad ? "a value outside 0..1" : "values in 0..1", sum);
            break;
        }
        if (t->n == cap) {
            cap *= 2;
            pred_rec *nr = realloc(t->r, cap * sizeof *nr);
            if (!nr) {
                rc = err_set(e, "out of memory");
                break;
            }
            t->r = nr;
            float *np = realloc(t->p, cap * (size_t)k * sizeof *np);
            if (!np) {
                rc = err_set(e, "out of memory");
                break;
            }
            t->p = np;
        }
        memcpy(t->p + t->n * (size_t)k, p, (size_t)k * sizeof *p);
        pred_rec *r = &t->r[t->n++];
        r->id = id;
        r->label = label;
        conf_top2(p, k, &r->c1, &r->p1, &r->c2, &r->p2);
        for (int s = 0; s < CONF_NKIND; s++)
            r->score[s] = conf_score(p, k, (conf_kind)s);
    }
    free(p);
    ts_close(rd);
    if (got < 0)
        rc = -1;
    if (rc == 0 && t->n == 0)
        rc = err_set(e, "%s: no records", name);
    if (rc)
        return -1;
    t->by_id = malloc(t->n * sizeof *t->by_id);
    if (!t->by_id)
        return err_set(e, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        t->by_id[i] = (uint32_t)i;
    sort_table = t;
    qsort(t->by_id, t->n, sizeof *t->by_id, cmp_by_id);
    for (size_t i = 1; i < t->n; i++) {
        const pred_rec *a = &t->r[t->by_id[i - 1]], *b = &t->r[t->by_id[i]];
        if (a->id == b->id) {
            uint32_t first = t->by_id[i - 1] < t->by_id[i] ? t->by_id[i - 1] : t->by_id[i];
            uint32_t second = t->by_id[i - 1] ^ t->by_id[i] ^ first;
            return err_set(e, "%s: record %lu: duplicate id %u (also record %lu)", name,
                           (unsigned long)second + 1, a->id, (unsigned long)first + 1);
        }
    }
    return 0;
}

int pred_table_load(pred_table *t, const char *path, const char *name, err *e)
{
    memset(t, 0, sizeof *t);
    int rc = load(t, path, name, e);
    if (rc)
        pred_table_free(t);
    return rc;
}

long pred_table_find(const pred_table *t, uint32_t id)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t v = t->r[t->by_id[mid]].id;
        if (v == id)
            return (long)t->by_id[mid];
        if (v < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void pred_table_free(pred_table *t)
{
    free(t->r);
    free(t->p);
    free(t->by_id);
    memset(t, 0, sizeof *t);
}
