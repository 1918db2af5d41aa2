/* csv_images.c - libcsv in strict mode, fed one physical line at a time so
 * that every error can name its line. libcsv cannot stop from a callback:
 * callbacks record the first error in the context, and the feeding loop
 * checks it after each csv_parse(). Plain rows (digits and commas) after the
 * first skip libcsv: see plain_row(). */
#include "csv_images.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gz_input.h"

typedef struct parse_ctx {
    const char *name;
    const csv_images_opts *o;
    csv_image_fn fn;
    void *user;
    err *e;
    int failed;
    uint64_t line;      /* physical line being fed, 1-based */
    uint64_t row;       /* rows seen (header included) */
    uint32_t field;     /* fields in the current row so far */
    uint32_t id;        /* next record id */
    int labelled;       /* -1 until known */
    int header_checked; /* first row inspected */
    int header_row;     /* current row is the header */
    int32_t label;
    int fast;           /* steady state: label column known, past the first row */
    uint32_t lab;       /* 1 if the label column is known to exist, else 0 */
    uint64_t quote_line; /* line where a quoted field still open began, 0 if none */
    unsigned char *pixels;
    char first[64];     /* first field of the first row, for header detection */
    uint32_t label_col; /* 1-based header column named "label" after the first, or 0 */
    int first_numeric;
    /* The header's column names (see csv_images.h), one code per field for the first
     * elems + 1 fields: NAME_PIXEL | k-1 for "pixelk", NAME_NUMBER | k for "k" (k in
     * range), NAME_OTHER for anything else. The first field after the first that is
     * not a good pixel (number) name is kept as text for the message. */
    uint32_t *names;
    int any_pixel_name, any_number_name; /* among the fields after the first */
    uint32_t odd_pixel_field, odd_number_field; /* 1-based, 0 = none */
    char odd_pixel[40], odd_number[40];
    uint32_t *perm;         /* pixel i of a row goes to perm[i]: NULL when the header is in order */
    unsigned char *ordered; /* a row's pixels put in order (with perm) */
} parse_ctx;

enum { NAME_PIXEL = 1u << 30, NAME_NUMBER = 2u << 30, NAME_OTHER = 3u << 30, NAME_KIND = 3u << 30 };

/* Strict unsigned decimal: digits only, no sign, no point. -1 if not. */
static long parse_uint(const char *s, size_t len)
{
    if (len == 0 || len > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Is s a Kaggle pixel column name, "pixelK" (any case)? */
static int is_pixel_name(const char *s, size_t len)
{
    return len > 5 && strncasecmp(s, "pixel", 5) == 0 && parse_uint(s + 5, len - 5) >= 0;
}

/* A row's record to the caller, its pixels put in order when the header said so. */
static int emit_row(parse_ctx *c, int32_t label)
{
    const unsigned char *px = c->pixels;
    if (c->perm) {
        for (uint32_t i = 0; i < c->o->elems; i++)
            c->ordered[c->perm[i]] = c->pixels[i];
        px = c->ordered;
    }
    return c->fn(c->user, c->id, label, px, c->e);
}

/* Show a field in a message: it may hold NULs or control bytes. */
static const char *shown(const char *field, size_t len, char *buf)
{
    size_t n = len < 32 ? len : 32;
    for (size_t i = 0; i < n; i++)
        buf[i] = (field[i] >= 32 && field[i] < 127) ? field[i] : '?';
    strcpy(buf + n, len > 32 ? "..." : "");
    return buf;
}

static void fail(parse_ctx *c, const char *what)
{
    if (c->failed)
        return;
    c->failed = 1;
    c->fast = 0;
    err_set(c->e, "%s: line %llu, field %u: %s", c->name, (unsigned long long)c->line, c->field, what);
}

static void fail_label(parse_ctx *c, long v)
{
    char what[80];
    snprintf(what, sizeof what, "label %ld out of range (0..%u)", v, c->o->nclass - 1);
    fail(c, what);
}

static void fail_value(parse_ctx *c, const char *s, size_t len, long v)
{
    char what[120], b[40];
    if (v < 0)
        snprintf(what, sizeof what, "'%s' is not an integer", shown(s, len, b));
    else
        snprintf(what, sizeof what, "value %ld out of range (0..255)", v);
    fail(c, what);
}

/* Everything on_field does for a field that is not the plain common case. */
static void on_field_slow(const char *s, size_t len, parse_ctx *c);

/* Called for 47 million fields on the training set: the common case (a
 * pixel of 1 to 3 digits, in range, in a row whose layout is known) is
 * handled first with no other work; everything else goes to the slow path,
 * which also produces every error message. */
static void on_field(void *data, size_t len, void *vctx)
{
    parse_ctx *c = vctx;
    if (c->fast) {
        const unsigned char *s = data;
        uint32_t px = c->field - c->lab; /* wraps for the label field */
        unsigned v = 0;
        if (px < c->o->elems && len - 1 < 3) {
            v = (unsigned)s[0] - '0';
            if (v <= 9) {
                if (len == 1)
                    goto store;
                unsigned d = (unsigned)s[1] - '0';
                if (d <= 9) {
                    v = v * 10 + d;
                    if (len == 2)
                        goto store;
                    d = (unsigned)s[2] - '0';
                    v = v * 10 + d;
                    if (d <= 9 && v <= 255)
                        goto store;
                }
            }
        }
        on_field_slow(data ? data : "", len, c);
        return;
    store:
        c->pixels[px] = (unsigned char)v;
        c->field++;
        return;
    }
    if (c->failed)
        return;
    on_field_slow(data ? data : "", len, c);
}

/* Does the whole field read as a number (strtod's syntax)? */
static int looks_numeric(const char *s)
{
    char *end;
    if (!*s)
        return 0;
    (void)strtod(s, &end);
    return *end == '\0';
}

/* Note what header field c->field is named (see parse_ctx.names). */
static void header_name(parse_ctx *c, const char *s, size_t len)
{
    const uint32_t f = c->field, n = c->o->elems;
    if (f > n)
        return; /* too many fields: on_row says so */
    if (!c->names && !(c->names = malloc(((size_t)n + 1) * sizeof *c->names))) {
        c->failed = 1;
        err_set(c->e, "%s: out of memory", c->name);
        return;
    }
    int is_pixel = is_pixel_name(s, len);
    long k = is_pixel ? parse_uint(s + 5, len - 5) : parse_uint(s, len);
    uint32_t code = NAME_OTHER;
    if (is_pixel && k >= 1 && k <= (long)n)
        code = NAME_PIXEL | (uint32_t)(k - 1);
    else if (!is_pixel && k >= 0 && k < (long)n)
        code = NAME_NUMBER | (uint32_t)k;
    c->names[f] = code;
    if (f == 0)
        return; /* the label's name, or a pixel's: known at the row's end */
    c->any_pixel_name |= is_pixel;
    c->any_number_name |= !is_pixel && k >= 0;
    char b[40];
    if ((code & NAME_KIND) != NAME_PIXEL && !c->odd_pixel_field)
        c->odd_pixel_field = f + 1, snprintf(c->odd_pixel, sizeof c->odd_pixel, "%s", shown(s, len, b));
    if ((code & NAME_KIND) != NAME_NUMBER && !c->odd_number_field)
        c->odd_number_field = f + 1, snprintf(c->odd_number, sizeof c->odd_number, "%s", shown(s, len, b));
}

/* At the header's end: the pixel columns named in a scheme (pixelK or K) must name
 * each pixel once; in another order, they are read by name. lab: a label column first. */
static int check_header_names(parse_ctx *c, int lab)
{
    const uint32_t n = c->o->elems;
    int first_pixel = !lab && is_pixel_name(c->first, strlen(c->first));
    uint32_t kind = c->any_pixel_name || first_pixel ? NAME_PIXEL : c->any_number_name ? NAME_NUMBER : 0;
    if (!kind)
        return 0; /* names of no scheme (a, b, c): file order */
    const char *prefix = kind == NAME_PIXEL ? "pixel" : "";
    const uint32_t base = kind == NAME_PIXEL ? 1 : 0;
    uint32_t *field_of = calloc(n, sizeof *field_of); /* pixel -> 1-based field naming it */
    if (!field_of)
        return err_set(c->e, "%s: out of memory", c->name);
    uint32_t moved = 0; /* the first field naming another pixel than its position's */
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        const uint32_t f = i + (uint32_t)lab, code = c->names[f];
        if ((code & NAME_KIND) != kind) {
            const char *text = f == 0 ? c->first : kind == NAME_PIXEL ? c->odd_pixel : c->odd_number;
            char b[40];
            rc = err_set(c->e, "%s: line %llu, field %u: unknown pixel column '%s' (expected %s%u..%s%u, each once)",
                         c->name, (unsigned long long)c->line, f + 1, f == 0 ? shown(text, strlen(text), b) : text,
                         prefix, base, prefix, n - 1 + base);
        } else if (field_of[code & ~NAME_KIND]) {
            rc = err_set(c->e, "%s: line %llu: duplicate pixel column: fields %u and %u are both %s%u", c->name,
                         (unsigned long long)c->line, field_of[code & ~NAME_KIND], f + 1, prefix,
                         (code & ~NAME_KIND) + base);
        } else {
            field_of[code & ~NAME_KIND] = f + 1;
            if ((code & ~NAME_KIND) != i && !moved)
                moved = f + 1;
        }
    }
    free(field_of);
    if (rc < 0 || !moved)
        return rc;
    c->perm = malloc((size_t)n * sizeof *c->perm);
    c->ordered = malloc(n);
    if (!c->perm || !c->ordered)
        return err_set(c->e, "%s: out of memory", c->name);
    for (uint32_t i = 0; i < n; i++)
        c->perm[i] = c->names[i + (uint32_t)lab] & ~NAME_KIND;
    if (c->o->warn) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "%s: line %llu: the header's pixel columns are out of order (field %u is '%s%u'): each is read "
                 "into the pixel its name says",
                 c->name, (unsigned long long)c->line, moved, prefix, c->perm[moved - 1 - (uint32_t)lab] + base);
        c->o->warn(msg);
    }
    return 0;
}

static void on_field_slow(const char *s, size_t len, parse_ctx *c)
{
    if (!c->header_checked && c->field == 0) {
        /* First field of the first row decides whether it is a header. */
        c->header_checked = 1;
        c->header_row = parse_uint(s, len) < 0;
        size_t n = len < sizeof c->first - 1 ? len : sizeof c->first - 1;
        memcpy(c->first, s, n);
        c->first[n] = '\0';
    }
    if (c->header_row) {
        if (c->field == 1 && looks_numeric(c->first) && parse_uint(s, len) >= 0) {
            /* a number that is not a label (-1, 9.0, +1) followed by a pixel value: a
             * data row with a bad label, not a header (whose names may be numbers too:
             * pandas writes label,0,1,...) */
            char what[120], b[40];
            snprintf(what, sizeof what, "label '%s' is not a non-negative integer",
                     shown(c->first, strlen(c->first), b));
            c->field = 1;
            fail(c, what);
            return;
        }
        /* a label column other than the first would be read as a pixel */
        if (c->field > 0 && !c->label_col && len == 5 && strncasecmp(s, "label", 5) == 0)
            c->label_col = c->field + 1;
        header_name(c, s, len);
        c->field++;
        return;
    }
    uint32_t f = c->field++;
    int labelled = c->labelled;
    if (labelled < 0) /* not known yet: decided at the end of the first data row */
        labelled = c->o->labels == CSV_LABELS_AUTO ? -1 : c->o->labels;
    long v = parse_uint(s, len);
    if (labelled == 1 && f == 0) {
        char what[120], b[40];
        if (v < 0) {
            snprintf(what, sizeof what, "label '%s' is not a non-negative integer", shown(s, len, b));
            fail(c, what);
        } else if (v >= (long)c->o->nclass)
            fail_label(c, v);
        c->label = (int32_t)v;
        return;
    }
    /* pixel index: with the label column unknown, store shifted by one and fix up at row end */
    uint32_t px = labelled == 1 ? f - 1 : f;
    if (v < 0 || v > 255) {
        if (labelled < 0 && f == 0 && v >= 0) {
            /* could still be a label column; decided at row end */
        } else {
            fail_value(c, s, len, v);
            return;
        }
    }
    if (px < c->o->elems + 1)
        c->pixels[px] = (unsigned char)(v > 255 ? 0 : v);
    if (labelled < 0 && f == 0)
        c->label = (int32_t)v;
}

static void on_row(int term, void *vctx)
{
    parse_ctx *c = vctx;
    (void)term;
    if (c->failed)
        return;
    uint32_t nf = c->field;
    c->field = 0;
    c->row++;
    if (c->header_row) {
        c->header_row = 0;
        if (c->o->labels == CSV_LABELS_AUTO) {
            if (nf == c->o->elems + 1)
                c->labelled = 1;
            else if (nf == c->o->elems)
                c->labelled = 0;
        }
        if (nf != c->o->elems + 1 && nf != c->o->elems) {
            c->failed = 1;
            err_set(c->e, "%s: line %llu: header has %u fields, expected %u (label + pixels) or %u",
                    c->name, (unsigned long long)c->line, nf, c->o->elems + 1, c->o->elems);
        } else if (c->label_col) {
            c->failed = 1;
            err_set(c->e, "%s: line %llu: the header puts 'label' in column %u; the label must be the first column",
                    c->name, (unsigned long long)c->line, c->label_col);
        } else {
            int lab = c->o->labels == CSV_LABELS_AUTO ? c->labelled : c->o->labels;
            /* with a field count --labels or --no-labels does not take, the rows say so */
            if (nf == c->o->elems + (uint32_t)lab && check_header_names(c, lab) < 0)
                c->failed = 1;
        }
        free(c->names);
        c->names = NULL;
        return;
    }
    if (c->labelled < 0) {
        int want = c->o->labels;
        if (want == CSV_LABELS_AUTO)
            want = nf == c->o->elems + 1 ? 1 : nf == c->o->elems ? 0 : -1;
        if (want < 0) {
            c->failed = 1;
            err_set(c->e, "%s: line %llu: %u fields, expected %u (label + %u pixels) or %u (pixels only)",
                    c->name, (unsigned long long)c->line, nf, c->o->elems + 1, c->o->elems, c->o->elems);
            return;
        }
        c->labelled = want;
        if (want == 1) {
            /* the row was stored assuming no label column: shift, and check the label now */
            long lab = c->label;
            if (lab >= (long)c->o->nclass) {
                c->field = 1;
                fail_label(c, lab);
                return;
            }
            memmove(c->pixels, c->pixels + 1, c->o->elems);
        } else if (c->label > 255) {
            c->field = 1;
            fail_value(c, "", 0, c->label);
            return;
        }
    }
    uint32_t want = c->o->elems + (c->labelled ? 1 : 0);
    if (nf != want) {
        c->failed = 1;
        err_set(c->e, "%s: line %llu: %u fields, expected %u", c->name, (unsigned long long)c->line, nf, want);
        return;
    }
    if (emit_row(c, c->labelled ? c->label : -1) != 0) {
        c->failed = 1;
        c->fast = 0;
        return;
    }
    c->id++;
    c->lab = (uint32_t)c->labelled;
    c->fast = 1;
}

typedef struct feeder {
    struct csv_parser p;
    parse_ctx c;
    int at_start;
    int last_nl;  /* the last byte fed was a newline */
    int mid_line; /* libcsv has part of the current line (a line longer than CARRY_MAX) */
    char *carry;  /* the start of a line split across input chunks */
    size_t ncarry, capcarry;
} feeder;

/* A partial line longer than this goes to libcsv in pieces: memory stays bounded. */
#define CARRY_MAX (1u << 20)

static void feed_free(feeder *fd)
{
    csv_free(&fd->p);
    free(fd->c.pixels);
    free(fd->c.names);
    free(fd->c.perm);
    free(fd->c.ordered);
    free(fd->carry);
    fd->c.names = fd->c.perm = NULL;
    fd->c.ordered = NULL;
    fd->c.pixels = NULL;
    fd->carry = NULL;
}

static int feed_init(feeder *fd, const char *name, const csv_images_opts *o, csv_image_fn fn, void *ctx, err *e)
{
    memset(fd, 0, sizeof *fd);
    if (o->elems == 0 || o->nclass == 0)
        return err_set(e, "%s: bad options (no pixels or no classes)", name);
    if (csv_init(&fd->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return err_set(e, "%s: out of memory", name);
    fd->c.name = name;
    fd->c.o = o;
    fd->c.fn = fn;
    fd->c.user = ctx;
    fd->c.e = e;
    fd->c.line = 1;
    fd->c.labelled = -1;
    fd->c.pixels = calloc((size_t)o->elems + 1, 1);
    fd->at_start = 1;
    if (!fd->c.pixels) {
        csv_free(&fd->p);
        return err_set(e, "%s: out of memory", name);
    }
    return 0;
}

/* libcsv stopped (at_end: in csv_fini) or a callback failed. */
static int parse_error(feeder *fd, int at_end)
{
    parse_ctx *c = &fd->c;
    if (c->failed)
        return -1;
    c->failed = 1;
    c->fast = 0;
    int ce = csv_error(&fd->p);
    if (ce == CSV_EPARSE && at_end && fd->p.quoted)
        return err_set(c->e, "%s: line %llu, field %u: unterminated quote", c->name,
                       (unsigned long long)(c->quote_line ? c->quote_line : c->line), c->field + 1);
    if (ce == CSV_EPARSE)
        return err_set(c->e, "%s: line %llu, field %u: stray quote (a quote must enclose the whole field)",
                       c->name, (unsigned long long)c->line, c->field + 1);
    return err_set(c->e, "%s: line %llu: %s", c->name, (unsigned long long)c->line, csv_strerror(ce));
}

/* ---- the plain-row path -------------------------------------------------
 * libcsv looks at every byte through a state machine; on the 60,000-row
 * training set it is most of the run time. A row made only of digits and
 * commas (all of the real data) has one meaning, so once the layout is known
 * such a row is converted here directly. It takes a row only if it is
 * valid: the right number of fields, each 1 to 3 digits and at most 255, a
 * label in range. For any other line, or any doubt, it returns 0 and the
 * line goes to libcsv, which gives the same result or the error message.
 */
static int plain_row(parse_ctx *c, const char *line, size_t n)
{
    const unsigned char *p = (const unsigned char *)line, *end = p + n - 1; /* end at '\n' */
    if (end > p && end[-1] == '\r')
        end--;
    int32_t label = -1;
    unsigned d;
    if (c->lab) {
        const unsigned char *q = p;
        unsigned v = 0;
        while (p < end && p - q < 6 && (d = (unsigned)*p - '0') <= 9)
            v = v * 10 + d, p++;
        if (p == q || p - q > 5 || v >= c->o->nclass || p == end || *p != ',')
            return 0;
        p++;
        label = (int32_t)v;
    }
    uint32_t elems = c->o->elems;
    unsigned char *px = c->pixels;
    for (uint32_t i = 0; i < elems; i++) {
        if (i > 0) {
            if (p == end || *p != ',')
                return 0;
            p++;
        }
        if (p == end || (d = (unsigned)*p - '0') > 9)
            return 0;
        unsigned v = d;
        p++;
        if (p < end && (d = (unsigned)*p - '0') <= 9) {
            v = v * 10 + d;
            p++;
            if (p < end && (d = (unsigned)*p - '0') <= 9) {
                v = v * 10 + d;
                p++;
                if (v > 255)
                    return 0;
            }
        }
        px[i] = (unsigned char)v;
    }
    if (p != end)
        return 0;
    c->row++;
    if (emit_row(c, label) != 0) {
        c->failed = 1;
        c->fast = 0;
        return -1;
    }
    c->id++;
    return 1;
}

/* One physical line (ending in '\n' if has_nl), or a piece of one (mid_line). */
static int feed_line(feeder *fd, const char *s, size_t n, int has_nl)
{
    int rc = 0;
    if (has_nl && !fd->mid_line && fd->c.fast && !fd->p.quoted)
        rc = plain_row(&fd->c, s, n);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        if (csv_parse(&fd->p, s, n, on_field, on_row, &fd->c) != n || fd->c.failed)
            return parse_error(fd, 0);
        /* A quoted field still open at a line end began on this line or before. */
        if (!fd->p.quoted)
            fd->c.quote_line = 0;
        else if (!fd->c.quote_line && has_nl)
            fd->c.quote_line = fd->c.line;
    }
    fd->mid_line = !has_nl;
    if (has_nl)
        fd->c.line++;
    fd->last_nl = has_nl;
    return 0;
}

/* Keep the start of a line that the next chunk completes. */
static int carry_add(feeder *fd, const char *s, size_t n)
{
    if (fd->ncarry + n > fd->capcarry) {
        size_t cap = fd->capcarry ? fd->capcarry : 4096;
        while (cap < fd->ncarry + n)
            cap *= 2;
        char *nc = realloc(fd->carry, cap);
        if (!nc)
            return err_set(fd->c.e, "%s: out of memory", fd->c.name);
        fd->carry = nc;
        fd->capcarry = cap;
    }
    memcpy(fd->carry + fd->ncarry, s, n);
    fd->ncarry += n;
    return 0;
}

/* Feed a chunk, one physical line at a time, so that errors can name the line. */
static int feed(feeder *fd, const char *buf, size_t len)
{
    if (fd->at_start && len > 0) {
        fd->at_start = 0;
        if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
            buf += 3;
            len -= 3;
        }
    }
    while (len > 0) {
        const char *nl = memchr(buf, '\n', len);
        if (!nl) {
            if (carry_add(fd, buf, len) < 0)
                return -1;
            if (fd->ncarry > CARRY_MAX) { /* no newline for a long while: libcsv takes it as it comes */
                size_t nc = fd->ncarry;
                fd->ncarry = 0;
                return feed_line(fd, fd->carry, nc, 0);
            }
            return 0;
        }
        size_t n = (size_t)(nl - buf) + 1;
        int rc;
        if (fd->ncarry) {
            if (carry_add(fd, buf, n) < 0)
                return -1;
            rc = feed_line(fd, fd->carry, fd->ncarry, 1);
            fd->ncarry = 0;
        } else {
            rc = feed_line(fd, buf, n, 1);
        }
        if (rc < 0)
            return -1;
        buf += n;
        len -= n;
    }
    return 0;
}

static int feed_finish(feeder *fd, int *labelled)
{
    int rc = 0;
    if (fd->ncarry) { /* a last line without a newline */
        size_t nc = fd->ncarry;
        fd->ncarry = 0;
        rc = feed_line(fd, fd->carry, nc, 0);
    }
    if (rc == 0) {
        if (fd->last_nl && fd->c.line > 1)
            fd->c.line--; /* point errors at the last line, not past it */
        if (csv_fini(&fd->p, on_field, on_row, &fd->c) != 0 || fd->c.failed)
            rc = parse_error(fd, 1);
        else if (fd->c.row == 0)
            rc = err_set(fd->c.e, "%s: empty input (no CSV rows)", fd->c.name);
    }
    if (labelled)
        *labelled = fd->c.labelled;
    feed_free(fd);
    return rc;
}

int csv_images_read(gzFile in, const char *name, const csv_images_opts *o, csv_image_fn fn, void *ctx,
                    int *labelled, err *e)
{
    feeder fd;
    if (feed_init(&fd, name, o, fn, ctx, e) < 0)
        return -1;
    static char buf[1 << 16];
    for (;;) {
        int n = gzread(in, buf, sizeof buf);
        if (n < 0) {
            const char *msg = gz_error_text(in);
            err_set(e, "%s: line %llu: read error: %s", name, (unsigned long long)fd.c.line, msg ? msg : "I/O error");
            feed_free(&fd);
            return -1;
        }
        if (n == 0) {
            /* zlib reports a gzip stream cut short only through gzerror */
            int zerr;
            gzerror(in, &zerr);
            if (zerr == Z_BUF_ERROR) {
                err_set(e, "%s: line %llu: truncated gzip input (unexpected end of file)", name,
                        (unsigned long long)fd.c.line);
                feed_free(&fd);
                return -1;
            }
            break;
        }
        if (feed(&fd, buf, (size_t)n) < 0) {
            feed_free(&fd);
            return -1;
        }
    }
    return feed_finish(&fd, labelled);
}

int csv_images_read_mem(const void *buf, size_t len, const char *name, const csv_images_opts *o,
                        csv_image_fn fn, void *ctx, int *labelled, err *e)
{
    feeder fd;
    if (feed_init(&fd, name, o, fn, ctx, e) < 0)
        return -1;
    if (feed(&fd, buf, len) < 0) {
        feed_free(&fd);
        return -1;
    }
    return feed_finish(&fd, labelled);
}
