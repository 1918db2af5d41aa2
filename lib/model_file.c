/* model_file.c - save and load models (format in model_file.h). */
#include "model_file.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <zlib.h>

#include "atomic_file.h"
#include "classes.h"

/* ---- writing: into a growing buffer, then CRC, then one atomic file ---- */
typedef struct buf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} buf;

static void put(buf *b, const void *data, size_t n)
{
    if (b->oom || n == 0) /* n == 0: data may be NULL (an empty text), and memcpy must not see it */
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np, b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_u32(buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    put(b, c, 4);
}

static void put_u64(buf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32s(buf *b, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        put_u32(b, u);
    }
}

static void put_text(buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

uint64_t model_file_bound(const network *n, int with_state)
{
    uint64_t arrays = (uint64_t)n->nparams + n->nbuffers;
    if (with_state)
        arrays += 3 * (uint64_t)n->nparams + n->nbuffers;
    /* + the architecture, the class names (model_save writes names of at most 31 bytes:
     * fm_class_name's), and 64 KiB for the meta and state text */
    return 4 * arrays + strlen(n->arch) + (uint64_t)n->nclass * 32 + (1u << 16);
}

int model_save(const char *path, const network *n, const char *meta, const train_state *state, err *e)
{
    buf b = {0};
    put(&b, MODEL_MAGIC "\0", 8);
    put_u32(&b, MODEL_VERSION);
    put_u32(&b, state ? 1u : 0u);
    put_text(&b, n->arch);
    put_u32(&b, (uint32_t)n->nclass);
    for (int k = 0; k < n->nclass; k++) {
        char tmp[32];
        const char *name = n->nclass == FM_NCLASS ? fm_class_names[k] : fm_class_name(k, tmp, sizeof tmp);
        size_t len = strlen(name);
        unsigned char l2[2] = {(unsigned char)len, (unsigned char)(len >> 8)};
        put(&b, l2, 2);
        put(&b, name, len);
    }
    put_f32s(&b, &n->norm_mean, 1);
    put_f32s(&b, &n->norm_std, 1);
    put_u64(&b, n->nparams);
    put_f32s(&b, n->params, n->nparams);
    put_u64(&b, n->nbuffers);
    put_f32s(&b, n->buffers, n->nbuffers);
    put_text(&b, meta);
    if (state) {
        put_text(&b, state->text);
        const float *arrays[4] = {state->m, state->v, state->best_params, state->best_buffers};
        const size_t counts[4] = {n->nparams, n->nparams, n->nparams, n->nbuffers};
        for (int i = 0; i < 4; i++) {
            put_u64(&b, arrays[i] ? counts[i] : 0);
            if (arrays[i])
                put_f32s(&b, arrays[i], counts[i]);
        }
    }
    if (b.oom) {
        free(b.p);
        return err_set(e, "%s: out of memory", path);
    }
    if (b.len + 4 >= MODEL_MAX_BYTES) { /* model_load would refuse it */
        free(b.p);
        return err_set(e, "%s: %zu MiB is more than a model file may hold (%u MiB)", path, (b.len + 4) >> 20,
                       MODEL_MAX_BYTES >> 20);
    }
    put_u32(&b, (uint32_t)crc32(crc32(0L, Z_NULL, 0), b.p, (uInt)b.len));
    atomic_file af;
    if (af_open(&af, path, e) < 0) {
        free(b.p);
        return -1;
    }
    errno = 0;
    if (b.oom || fwrite(b.p, 1, b.len, af.f) != b.len) {
        int saved = errno;
        af_discard(&af);
        free(b.p);
        return err_set(e, "%s: write error: %s", path, saved ? strerror(saved) : "out of memory");
    }
    free(b.p);
    return af_commit(&af, e);
}

/* ---- reading: bounds-checked cursor over the whole file ---- */
typedef struct cur {
    const unsigned char *p;
    size_t len, off;
    const char *path;
    err *e;
    int bad;
} cur;

static int need(cur *c, size_t n, const char *what)
{
    if (c->bad)
        return 0;
    if (n > c->len - c->off) {
        c->bad = 1;
        err_set(c->e, "%s: damaged model file: %s runs past the end (offset %zu)", c->path, what, c->off);
        return 0;
    }
    return 1;
}

static uint32_t get_u32(cur *c, const char *what)
{
    if (!need(c, 4, what))
        return 0;
    const unsigned char *q = c->p + c->off;
    c->off += 4;
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

static uint64_t get_u64(cur *c, const char *what)
{
    uint64_t lo = get_u32(c, what);
    return lo | (uint64_t)get_u32(c, what) << 32;
}

static int get_f32s(cur *c, float *x, size_t n, const char *what)
{
    if (n > (c->len - c->off) / 4 || !need(c, n * 4, what)) {
        if (!c->bad) {
            c->bad = 1;
            err_set(c->e, "%s: damaged model file: %s runs past the end", c->path, what);
        }
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u = get_u32(c, what);
        memcpy(&x[i], &u, 4);
    }
    return 0;
}

static char *get_text(cur *c, const char *what)
{
    uint32_t n = get_u32(c, what);
    if (!need(c, n, what))
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) {
        c->bad = 1;
        err_set(c->e, "%s: out of memory", c->path);
        return NULL;
    }
    memcpy(s, c->p + c->off, n);
    s[n] = '\0';
    c->off += n;
    return s;
}

static float *get_array(cur *c, size_t want, const char *what)
{
    uint64_t n = get_u64(c, what);
    if (c->bad || n == 0)
        return NULL;
    if (n != want) {
        c->bad = 1;
        err_set(c->e, "%s: damaged model file: %s has %llu values, expected %zu", c->path, what,
                (unsigned long long)n, want);
        return NULL;
    }
    float *x = malloc(want * sizeof(float));
    if (!x) {
        c->bad = 1;
        err_set(c->e, "%s: out of memory", c->path);
        return NULL;
    }
    if (get_f32s(c, x, want, what) < 0) {
        free(x);
        return NULL;
    }
    return x;
}

static unsigned char *slurp(const char *path, size_t *len, err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(e, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    unsigned char *p = malloc(cap);
    while (p) {
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        if (cap >= MODEL_MAX_BYTES) {
            free(p);
            fclose(f);
            err_set(e, "%s: larger than %u MiB: not a model file", path, MODEL_MAX_BYTES >> 20);
            return NULL;
        }
        unsigned char *np = realloc(p, cap * 2);
        if (!np) {
            free(p);
            p = NULL;
            break;
        }
        p = np, cap *= 2;
    }
    if (!p) {
        fclose(f);
        err_set(e, "%s: out of memory", path);
        return NULL;
    }
    if (ferror(f)) {
        err_set(e, "%s: read error: %s", path, strerror(errno));
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return p;
}

network *model_load(const char *path, char **meta, train_state *state, int *has_state, err *e)
{
    size_t len;
    unsigned char *p = slurp(path, &len, e);
    if (!p)
        return NULL;
    network *n = NULL;
    char *arch = NULL, *mt = NULL, *st = NULL;
    int state_kept = 0; /* state's arrays were filled: free them if the load fails after all */
    if (meta)
        *meta = NULL;
    if (has_state)
        *has_state = 0;
    if (len < 8 || memcmp(p, MODEL_MAGIC "\0", 8) != 0) {
        err_set(e, "%s: not a model file (bad magic; make one with train)", path);
        goto done;
    }
    if (len < 20) {
        err_set(e, "%s: damaged model file: truncated header (%zu bytes)", path, len);
        goto done;
    }
    cur c = {p, len - 4, 8, path, e, 0};
    uint32_t version = get_u32(&c, "version");
    uint32_t stored = (uint32_t)p[len - 4] | (uint32_t)p[len - 3] << 8 | (uint32_t)p[len - 2] << 16 |
                      (uint32_t)p[len - 1] << 24;
    int crc_ok = (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)(len - 4)) == stored;
    if (!crc_ok) {
        err_set(e, "%s: damaged model file: checksum mismatch (truncated or corrupted copy?)", path);
        goto done;
    }
    if (version != MODEL_VERSION) {
        err_set(e, "%s: model format version %u, this program reads version %d (retrain it with this version's "
                "train, or use the release that wrote it)", path, version, MODEL_VERSION);
        goto done;
    }
    uint32_t flags = get_u32(&c, "flags");
    if (!(arch = get_text(&c, "architecture")))
        goto done;
    n = net_from_arch(arch, path, e);
    if (!n)
        goto done;
    uint32_t K = get_u32(&c, "class count");
    if (!c.bad && K != (uint32_t)n->nclass) {
        err_set(e, "%s: damaged model file: %u class names for %d outputs", path, K, n->nclass);
        goto fail;
    }
    for (uint32_t k = 0; k < K && !c.bad; k++) {
        if (!need(&c, 2, "class name"))
            break;
        size_t l = (size_t)p[c.off] | (size_t)p[c.off + 1] << 8;
        c.off += 2;
        if (need(&c, l, "class name"))
            c.off += l;
    }
    get_f32s(&c, &n->norm_mean, 1, "normalisation");
    get_f32s(&c, &n->norm_std, 1, "normalisation");
    if (!c.bad && !(n->norm_std > 0 && n->norm_std < 1e6 && n->norm_mean > -1e6 && n->norm_mean < 1e6)) {
        err_set(e, "%s: damaged model file: bad normalisation (std %g)", path, (double)n->norm_std);
        goto fail;
    }
    uint64_t np = get_u64(&c, "parameter count");
    if (!c.bad && np != n->nparams) {
        err_set(e, "%s: damaged model file: %llu parameters, the architecture has %zu", path, (unsigned long long)np,
                n->nparams);
        goto fail;
    }
    get_f32s(&c, n->params, n->nparams, "parameters");
    uint64_t nb = get_u64(&c, "buffer count");
    if (!c.bad && nb != n->nbuffers) {
        err_set(e, "%s: damaged model file: %llu statistics, the architecture has %zu", path, (unsigned long long)nb,
                n->nbuffers);
        goto fail;
    }
    get_f32s(&c, n->buffers, n->nbuffers, "statistics");
    mt = get_text(&c, "meta");
    if (!c.bad && (flags & 1) && state) {
        memset(state, 0, sizeof *state);
        st = get_text(&c, "training state");
        if (st)
            snprintf(state->text, sizeof state->text, "%s", st);
        state->m = get_array(&c, n->nparams, "optimiser state");
        state->v = get_array(&c, n->nparams, "optimiser state");
        state->best_params = get_array(&c, n->nparams, "best parameters");
        state->best_buffers = get_array(&c, n->nbuffers, "best statistics");
        if (has_state && !c.bad)
            *has_state = 1;
        if (c.bad)
            train_state_free(state);
        else
            state_kept = 1;
    }
    if (c.bad)
        goto fail;
    for (size_t i = 0; i < n->nparams; i++)
        if (!isfinite(n->params[i])) {
            err_set(e, "%s: damaged model file: parameter %zu is not finite", path, i);
            goto fail;
        }
    /* batch norm's running statistics: finite means, finite non-negative variances */
    for (int i = 0; i < n->nlayers; i++) {
        const layer *l = &n->layers[i];
        if (l->kind != LK_BATCHNORM)
            continue;
        const float *mean = n->buffers + l->s_off, *var = mean + l->c;
        for (int k = 0; k < l->c; k++)
            if (!isfinite(mean[k]) || !isfinite(var[k]) || var[k] < 0) {
                err_set(e, "%s: damaged model file: layer %d's running statistics (channel %d: mean %g, variance %g)",
                        path, i + 1, k, (double)mean[k], (double)var[k]);
                goto fail;
            }
    }
    if (meta) {
        *meta = mt;
        mt = NULL;
    }
    goto done;
fail:
    if (state_kept) { /* e.g. a parameter that is not finite, found after the state was read */
        train_state_free(state);
        if (has_state)
            *has_state = 0;
    }
    net_free(n);
    n = NULL;
done:
    free(p);
    free(arch);
    free(mt);
    free(st);
    return n;
}

void train_state_free(train_state *s)
{
    free(s->m), free(s->v), free(s->best_params), free(s->best_buffers);
    s->m = s->v = s->best_params = s->best_buffers = NULL;
}

int kv_get(const char *text, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
            const char *v = l + kl + 1, *end = strchr(v, '\n');
            size_t n = end ? (size_t)(end - v) : strlen(v);
            if (n >= len)
                n = len - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
    }
    return 0;
}

double kv_get_double(const char *text, const char *key, double dflt)
{
    char v[64];
    if (!kv_get(text, key, v, sizeof v))
        return dflt;
    char *end;
    double d = strtod(v, &end);
    return end == v ? dflt : d;
}
