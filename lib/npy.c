#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gz_input.h"

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* ---- the header dict: a tiny reader for the Python literal numpy writes ---- */

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* Skip blanks, then consume ch if it is next. */
static int accept(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

static const char *where(const cursor *c)
{
    return c->p < c->end ? "" : " (header ends early)";
}

/* A quoted string ('...' or "..."), no escapes, into out[cap]. */
static int parse_string(cursor *c, char *out, size_t cap, err *e)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return err_set(e, "header: expected a quoted string%s", where(c));
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || (unsigned char)*c->p < 0x20)
            return err_set(e, "header: unexpected character in a string");
        if (n + 1 >= cap)
            return err_set(e, "header: string too long");
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return err_set(e, "header: unterminated string");
    c->p++;
    out[n] = 0;
    return 0;
}

static int parse_bool(cursor *c, int *v, err *e)
{
    skip_ws(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        c->p += 4, *v = 1;
        return 0;
    }
    if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        c->p += 5, *v = 0;
        return 0;
    }
    return err_set(e, "header: fortran_order is not True or False");
}

static int parse_shape(cursor *c, npy_header *h, err *e)
{
    if (!accept(c, '('))
        return err_set(e, "header: shape is not a tuple");
    h->rank = 0;
    for (;;) {
        if (accept(c, ')'))
            return 0;
        skip_ws(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return err_set(e, "header: shape holds something other than non-negative integers");
        uint64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (UINT64_C(1) << 62) / 10)
                return err_set(e, "header: shape dimension too large");
            v = v * 10 + (uint64_t)(*c->p++ - '0');
        }
        if (c->p < c->end && *c->p == 'L') /* written by Python 2 */
            c->p++;
        if (h->rank == NPY_MAX_RANK)
            return err_set(e, "header: more than %d dimensions", NPY_MAX_RANK);
        h->shape[h->rank++] = v;
        if (accept(c, ')'))
            return 0;
        if (!accept(c, ','))
            return err_set(e, "header: bad shape tuple%s", where(c));
    }
}

static int host_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 0;
}

static int parse_descr(const char *d, npy_header *h, err *e)
{
    snprintf(h->descr, sizeof h->descr, "%s", d);
    const char *s = d;
    h->big_endian = host_big_endian();
    if (*s == '<' || *s == '>' || *s == '|' || *s == '=') {
        if (*s == '<')
            h->big_endian = 0;
        else if (*s == '>')
            h->big_endian = 1;
        s++;
    }
    char kind = s[0];
    char *end;
    long size = (s[0] && s[1] >= '0' && s[1] <= '9') ? strtol(s + 1, &end, 10) : 0;
    int ok = size > 0 && *end == 0;
    switch (ok ? kind : 0) {
    case 'b': h->kind = NPY_BOOL, ok = size == 1; break;
    case 'u': h->kind = NPY_UINT, ok = size == 1 || size == 2 || size == 4 || size == 8; break;
    case 'i': h->kind = NPY_INT, ok = size == 1 || size == 2 || size == 4 || size == 8; break;
    case 'f': h->kind = NPY_FLOAT, ok = size == 4 || size == 8; break;
    default: ok = 0;
    }
    if (!ok)
        return err_set(e, "dtype '%s' not supported (integers, bool, float32 or float64)", d);
    h->itemsize = (int)size;
    return 0;
}

static int parse_dict(const char *text, size_t len, npy_header *h, err *e)
{
    cursor c = {text, text + len};
    int seen_descr = 0, seen_order = 0, seen_shape = 0, fortran = 0;
    if (!accept(&c, '{'))
        return err_set(e, "header: not a dict");
    while (!accept(&c, '}')) {
        char key[32];
        if (parse_string(&c, key, sizeof key, e) < 0)
            return -1;
        if (!accept(&c, ':'))
            return err_set(e, "header: expected ':' after '%s'%s", key, where(&c));
        int *seen;
        if (strcmp(key, "descr") == 0) {
            seen = &seen_descr;
            if (accept(&c, '['))
                return err_set(e, "structured dtypes are not supported (need a plain number array)");
            char d[32];
            if (parse_string(&c, d, sizeof d, e) < 0 || parse_descr(d, h, e) < 0)
                return -1;
        } else if (strcmp(key, "fortran_order") == 0) {
            seen = &seen_order;
            if (parse_bool(&c, &fortran, e) < 0)
                return -1;
        } else if (strcmp(key, "shape") == 0) {
            seen = &seen_shape;
            if (parse_shape(&c, h, e) < 0)
                return -1;
        } else {
            return err_set(e, "header: unexpected key '%s'", key);
        }
        if (*seen)
            return err_set(e, "header: key '%s' given twice", key);
        *seen = 1;
        if (!accept(&c, ',')) {
            if (!accept(&c, '}'))
                return err_set(e, "header: expected ',' or '}'%s", where(&c));
            break;
        }
    }
    skip_ws(&c);
    if (c.p != c.end)
        return err_set(e, "header: unexpected text after the dict");
    if (!seen_descr || !seen_order || !seen_shape)
        return err_set(e, "header: no '%s' key", !seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape");
    if (fortran)
        return err_set(e, "fortran_order True is not supported (save a C-order array: np.save(f, np.ascontiguousarray(a)))");
    return 0;
}

int npy_parse(const unsigned char *buf, size_t len, npy_header *h, err *e)
{
    memset(h, 0, sizeof *h);
    if (len == 0)
        return err_set(e, "empty file (expected a .npy array)");
    if (memcmp(buf, npy_magic, len < 6 ? len : 6) != 0)
        return err_set(e, "not a .npy file (bad magic)");
    if (len < 8)
        return err_set(e, "truncated header (got %zu bytes)", len);
    h->major = buf[6], h->minor = buf[7];
    if (h->major < 1 || h->major > 3 || h->minor != 0)
        return err_set(e, ".npy format version %d.%d not supported (1.0, 2.0, 3.0)", h->major, h->minor);
    size_t pre = h->major == 1 ? NPY_PREAMBLE_V1 : NPY_PREAMBLE_V2;
    if (len < pre)
        return err_set(e, "truncated header (got %zu of %zu bytes)", len, pre);
    uint32_t hlen = h->major == 1 ? (uint32_t)buf[8] | (uint32_t)buf[9] << 8
                                  : (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
    if (hlen > NPY_MAX_HEADER)
        return err_set(e, "header of %u bytes is too long (limit %u)", hlen, NPY_MAX_HEADER);
    if (len - pre < hlen)
        return err_set(e, "truncated header (got %zu of %zu bytes)", len, pre + hlen);
    if (parse_dict((const char *)buf + pre, hlen, h, e) < 0)
        return -1;
    h->count = 1;
    for (int i = 0; i < h->rank; i++) {
        if (h->shape[i] && h->count > (UINT64_C(1) << 62) / (uint64_t)h->itemsize / h->shape[i])
            return err_set(e, "shape too large");
        h->count *= h->shape[i];
    }
    h->data_offset = pre + hlen;
    return 0;
}

void npy_to_double(const npy_header *h, const void *raw, size_t n, double *out)
{
    const unsigned char *p = raw;
    int sz = h->itemsize;
    for (size_t i = 0; i < n; i++, p += sz) {
        uint64_t u = 0;
        for (int b = 0; b < sz; b++)
            u |= (uint64_t)p[h->big_endian ? sz - 1 - b : b] << (8 * b);
        switch (h->kind) {
        case NPY_BOOL: out[i] = u != 0; break;
        case NPY_UINT: out[i] = (double)u; break;
        case NPY_INT:
            if (sz < 8 && (u >> (8 * sz - 1)))
                u |= ~UINT64_C(0) << (8 * sz);
            out[i] = (double)(int64_t)u;
            break;
        case NPY_FLOAT:
            if (sz == 4) {
                uint32_t u32 = (uint32_t)u;
                float f;
                memcpy(&f, &u32, 4);
                out[i] = f;
            } else {
                double d;
                memcpy(&d, &u, 8);
                out[i] = d;
            }
            break;
        }
    }
}

const char *npy_shape_str(const npy_header *h, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < h->rank && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%llu", i ? ", " : "", (unsigned long long)h->shape[i]);
    if (n < len)
        snprintf(buf + n, len - n, h->rank == 1 ? ",)" : ")");
    return buf;
}

/* ---- files ---- */

static int gz_fail(npy_file *f, err *e)
{
    const char *msg = gz_error_text(f->gz);
    return err_set(e, "%s: read error: %s", f->name, msg ? msg : "I/O error");
}

int npy_open(npy_file *f, const char *path, err *e)
{
    memset(f, 0, sizeof *f);
    const int from_stdin = strcmp(path, "-") == 0;
    snprintf(f->name, sizeof f->name, "%s", from_stdin ? "<stdin>" : path);
    if (!(f->gz = gz_open_in(path, e)))
        return -1;
    unsigned char pre[NPY_PREAMBLE_V2];
    int got = gzread(f->gz, pre, NPY_PREAMBLE_V1);
    if (got < 0)
        goto fail_gz;
    size_t have = (size_t)got;
    if (have == NPY_PREAMBLE_V1 && memcmp(pre, npy_magic, 6) == 0 && pre[6] >= 2) {
        got = gzread(f->gz, pre + have, NPY_PREAMBLE_V2 - NPY_PREAMBLE_V1);
        if (got < 0)
            goto fail_gz;
        have += (size_t)got;
    }
    npy_header h;
    if (npy_parse(pre, have, &h, e) == 0) /* only a header of length 0 gets here */
        goto parsed;
    if (!strstr(e->msg, "truncated header") || have < NPY_PREAMBLE_V1 ||
        (pre[6] >= 2 && have < NPY_PREAMBLE_V2))
        goto fail_msg;
    size_t hlen = pre[6] == 1 ? (size_t)pre[8] | (size_t)pre[9] << 8
                              : (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    unsigned char *buf = malloc(have + hlen);
    if (!buf) {
        err_set(e, "out of memory");
        goto fail_msg;
    }
    memcpy(buf, pre, have);
    got = gzread(f->gz, buf + have, (unsigned)hlen);
    if (got < 0) {
        free(buf);
        goto fail_gz;
    }
    int rc = npy_parse(buf, have + (size_t)got, &h, e);
    free(buf);
    if (rc < 0)
        goto fail_msg;
parsed:
    f->h = h;
    return 0;
fail_gz:
    gz_fail(f, e);
    npy_close(f);
    return -1;
fail_msg:
    err_prefix(e, "%s", f->name);
    npy_close(f);
    return -1;
}

int npy_read(npy_file *f, double *out, size_t n, const char *what, size_t per, err *e)
{
    size_t bytes = n * (size_t)f->h.itemsize;
    if (bytes > f->cap) {
        unsigned char *b = realloc(f->buf, bytes);
        if (!b)
            return err_set(e, "%s: out of memory", f->name);
        f->buf = b, f->cap = bytes;
    }
    size_t have = 0;
    while (have < bytes) {
        unsigned chunk = bytes - have > (1u << 30) ? 1u << 30 : (unsigned)(bytes - have);
        int got = gzread(f->gz, f->buf + have, chunk);
        if (got < 0)
            return gz_fail(f, e);
        if (got == 0)
            break;
        have += (size_t)got;
    }
    if (have < bytes) {
        char s[128];
        return err_set(e, "%s: %s %llu: truncated (got %zu of %zu bytes; shape %s)", f->name, what,
                       (unsigned long long)(f->nread / (per ? per : 1) + 1), have, bytes,
                       npy_shape_str(&f->h, s, sizeof s));
    }
    npy_to_double(&f->h, f->buf, n, out);
    f->nread += n;
    return 0;
}

int npy_check_end(npy_file *f, err *e)
{
    unsigned char b;
    int got = gzread(f->gz, &b, 1);
    if (got < 0)
        return gz_fail(f, e);
    if (got > 0) {
        char s[128];
        return err_set(e, "%s: data after the last element (shape %s)", f->name, npy_shape_str(&f->h, s, sizeof s));
    }
    return 0;
}

void npy_close(npy_file *f)
{
    if (f->gz)
        gzclose(f->gz);
    f->gz = NULL;
    free(f->buf);
    f->buf = NULL;
    f->cap = 0;
}
