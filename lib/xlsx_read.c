/* xlsx_read.c - one worksheet of an .xlsx as rows of text (see xlsx_read.h).
 *
 * An .xlsx is a zip of XML parts: xl/workbook.xml lists the sheets by name
 * and relationship id, xl/_rels/workbook.xml.rels maps those ids to parts
 * (and names the shared-strings part), xl/sharedStrings.xml holds the text
 * that cells of type "s" index, and each worksheet is <sheetData> of <row>s
 * of <c r="B3" t="..."><v>..</v></c> (or <is><t>..</t></is> inline). libzip
 * reads the parts, expat parses them as they are inflated: a part is never
 * held whole. Element names are compared without their namespace prefix,
 * since writers differ in it ("x:row").
 */
#include "xlsx_read.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#define XR_MAX_COLS 4096
#define XR_MAX_CELL 65536
#define XR_MAX_PART (256ul << 20)
#define XR_MAX_STRINGS (16ul << 20)
#define XR_MAX_SHEETS 256

int xlsx_is_zip(const void *data, size_t len)
{
    return len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0;
}

/* ---- parsing one part with expat ------------------------------------------ */

typedef struct part_ctx {
    XML_Parser p;
    const char *file, *part;
    err *e;
    int failed;
} part_ctx;

static const char *local(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static const char *attr(const char **atts, const char *want)
{
    for (; atts[0]; atts += 2)
        if (strcmp(local(atts[0]), want) == 0)
            return atts[1];
    return NULL;
}

/* Stop the parse with an error already in pc->e. */
static void fail(part_ctx *pc)
{
    pc->failed = 1;
    XML_StopParser(pc->p, XML_FALSE);
}

/* Parses the part through handlers whose user data starts with a part_ctx.
 * Returns 1 if the part does not exist (nothing parsed), 0 or -1. */
static int parse_part(zip_t *z, const char *part, part_ctx *pc, XML_StartElementHandler start,
                      XML_EndElementHandler end, XML_CharacterDataHandler text, err *e)
{
    zip_int64_t idx = zip_name_locate(z, part, 0);
    if (idx < 0)
        return 1;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z, (zip_uint64_t)idx, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) && st.size > XR_MAX_PART)
        return err_set(e, "%s: %s: larger than 256 MiB uncompressed", pc->file, part);
    zip_file_t *zf = zip_fopen_index(z, (zip_uint64_t)idx, 0);
    if (!zf)
        return err_set(e, "%s: %s: %s", pc->file, part, zip_strerror(z));
    XML_Parser p = XML_ParserCreate("UTF-8");
    if (!p) {
        zip_fclose(zf);
        return err_set(e, "%s: out of memory", pc->file);
    }
    pc->p = p;
    pc->part = part;
    pc->e = e;
    pc->failed = 0;
    XML_SetUserData(p, pc);
    XML_SetElementHandler(p, start, end);
    XML_SetCharacterDataHandler(p, text);
    static char buf[1 << 16];
    zip_int64_t n;
    size_t total = 0;
    int rc = 0;
    do {
        n = zip_fread(zf, buf, sizeof buf);
        if (n < 0) {
            rc = err_set(e, "%s: %s: %s (a damaged workbook?)", pc->file, part, zip_file_strerror(zf));
            break;
        }
        total += (size_t)n;
        if (total > XR_MAX_PART) {
            rc = err_set(e, "%s: %s: larger than 256 MiB uncompressed", pc->file, part);
            break;
        }
        if (XML_Parse(p, buf, (int)n, n == 0) == XML_STATUS_ERROR) {
            if (!pc->failed)
                err_set(e, "%s: %s: line %lu: %s (not a well-formed workbook)", pc->file, part,
                        (unsigned long)XML_GetCurrentLineNumber(p), XML_ErrorString(XML_GetErrorCode(p)));
            rc = -1;
            break;
        }
    } while (n > 0);
    XML_ParserFree(p);
    zip_fclose(zf);
    return rc;
}

/* Text gathered between tags, bounded. */
typedef struct text_buf {
    char *s;
    size_t len, cap;
    int too_long;
} text_buf;

static int text_add(text_buf *t, const char *s, int len)
{
    if (t->len + (size_t)len > XR_MAX_CELL) {
        t->too_long = 1;
        return 0;
    }
    if (t->len + (size_t)len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + (size_t)len + 1)
            cap *= 2;
        char *bigger = realloc(t->s, cap);
        if (!bigger)
            return -1;
        t->s = bigger, t->cap = cap;
    }
    memcpy(t->s + t->len, s, (size_t)len);
    t->len += (size_t)len;
    t->s[t->len] = '\0';
    return 0;
}

static void text_clear(text_buf *t)
{
    t->len = 0;
    t->too_long = 0;
    if (t->s)
        t->s[0] = '\0';
}

/* ---- workbook.xml and its relationships ------------------------------------ */

typedef struct book {
    part_ctx pc;
    size_t nsheet;
    char *sheet_name[XR_MAX_SHEETS], *sheet_rid[XR_MAX_SHEETS];
    /* from the relationships */
    char *target[XR_MAX_SHEETS]; /* of each sheet, as a part name */
    char *strings_part;
} book;

static char *dup_or_fail(part_ctx *pc, const char *s)
{
    char *d = strdup(s);
    if (!d) {
        err_set(pc->e, "%s: out of memory", pc->file);
        fail(pc);
    }
    return d;
}

static void book_start(void *user, const char *el, const char **atts)
{
    book *b = user;
    if (b->pc.failed || strcmp(local(el), "sheet") != 0 || b->nsheet == XR_MAX_SHEETS)
        return;
    const char *name = attr(atts, "name"), *rid = NULL;
    for (const char **a = atts; a[0]; a += 2) /* r:id, whatever its prefix; not a plain "id" */
        if (strchr(a[0], ':') && strcmp(local(a[0]), "id") == 0)
            rid = a[1];
    if (!name || !rid)
        return;
    b->sheet_name[b->nsheet] = dup_or_fail(&b->pc, name);
    b->sheet_rid[b->nsheet] = dup_or_fail(&b->pc, rid);
    b->nsheet++;
}

static void no_end(void *user, const char *el)
{
    (void)user, (void)el;
}

static void no_text(void *user, const char *s, int len)
{
    (void)user, (void)s, (void)len;
}

/* "worksheets/sheet1.xml" is relative to xl/; "/xl/..." is from the root. */
static char *part_name(part_ctx *pc, const char *target)
{
    char buf[1024];
    if (target[0] == '/')
        snprintf(buf, sizeof buf, "%s", target + 1);
    else
        snprintf(buf, sizeof buf, "xl/%s", target);
    return dup_or_fail(pc, buf);
}

static void rels_start(void *user, const char *el, const char **atts)
{
    book *b = user;
    if (b->pc.failed || strcmp(local(el), "Relationship") != 0)
        return;
    const char *id = attr(atts, "Id"), *target = attr(atts, "Target"), *type = attr(atts, "Type");
    if (!id || !target)
        return;
    size_t tl = type ? strlen(type) : 0;
    if (type && tl >= 14 && strcmp(type + tl - 14, "/sharedStrings") == 0 && !b->strings_part)
        b->strings_part = part_name(&b->pc, target);
    for (size_t i = 0; i < b->nsheet; i++)
        if (!b->target[i] && strcmp(b->sheet_rid[i], id) == 0)
            b->target[i] = part_name(&b->pc, target);
}

static void book_free(book *b)
{
    for (size_t i = 0; i < b->nsheet; i++)
        free(b->sheet_name[i]), free(b->sheet_rid[i]), free(b->target[i]);
    free(b->strings_part);
}

/* ---- shared strings ----------------------------------------------------------- */

typedef struct strings {
    part_ctx pc;
    char **s;
    size_t n, cap;
    int in_si, in_t, in_rph; /* <rPh> holds phonetic text, not the string */
    text_buf cur;
} strings;

static void sst_start(void *user, const char *el, const char **atts)
{
    strings *st = user;
    (void)atts;
    const char *l = local(el);
    if (strcmp(l, "si") == 0) {
        st->in_si = 1;
        text_clear(&st->cur);
    } else if (strcmp(l, "rPh") == 0) {
        st->in_rph++;
    } else if (strcmp(l, "t") == 0 && st->in_si && !st->in_rph) {
        st->in_t = 1;
    }
}

static void sst_end(void *user, const char *el)
{
    strings *st = user;
    const char *l = local(el);
    if (st->pc.failed)
        return;
    if (strcmp(l, "t") == 0) {
        st->in_t = 0;
    } else if (strcmp(l, "rPh") == 0) {
        st->in_rph--;
    } else if (strcmp(l, "si") == 0) {
        st->in_si = 0;
        if (st->n == XR_MAX_STRINGS) {
            err_set(st->pc.e, "%s: %s: more than %lu shared strings", st->pc.file, st->pc.part, XR_MAX_STRINGS);
            fail(&st->pc);
            return;
        }
        if (st->n == st->cap) {
            size_t cap = st->cap ? 2 * st->cap : 256;
            char **bigger = realloc(st->s, cap * sizeof *bigger);
            if (!bigger) {
                err_set(st->pc.e, "%s: out of memory", st->pc.file);
                fail(&st->pc);
                return;
            }
            st->s = bigger, st->cap = cap;
        }
        if (!(st->s[st->n++] = dup_or_fail(&st->pc, st->cur.s ? st->cur.s : "")))
            st->n--;
    }
}

static void sst_text(void *user, const char *s, int len)
{
    strings *st = user;
    if (st->pc.failed || !st->in_t)
        return;
    if (text_add(&st->cur, s, len) < 0 || st->cur.too_long) {
        err_set(st->pc.e, "%s: %s: string %zu: %s", st->pc.file, st->pc.part, st->n,
                st->cur.too_long ? "longer than 65536 bytes" : "out of memory");
        fail(&st->pc);
    }
}

static void strings_free(strings *st)
{
    for (size_t i = 0; i < st->n; i++)
        free(st->s[i]);
    free(st->s);
    free(st->cur.s);
}

/* ---- the worksheet ------------------------------------------------------------- */

typedef struct ws {
    part_ctx pc;
    const char *sheet;
    const strings *sst;
    rc_row_fn fn;
    void *user;
    unsigned long rowno, passed; /* the sheet's row number; rows passed to fn */
    size_t width;                /* the header's width, once passed */
    char *field[XR_MAX_COLS];
    size_t nfield;     /* 1 + the last column with a value, this row */
    long col;          /* this cell's column */
    char type[16];
    char ref[24];
    int in_cell, in_v, in_is, in_rph;
    text_buf cur;
} ws;

/* "AB12" -> column 27 (0-based), row 12; -1 if it is not a cell reference. */
static long column_of_ref(const char *ref, unsigned long *row)
{
    long col = 0;
    const char *s = ref;
    for (; isalpha((unsigned char)*s); s++) {
        col = col * 26 + (toupper((unsigned char)*s) - 'A' + 1);
        if (col > XR_MAX_COLS)
            return XR_MAX_COLS; /* reported as too many columns */
    }
    if (s == ref)
        return -1;
    if (row)
        *row = strtoul(s, NULL, 10);
    return col - 1;
}

static void cell_name(char *buf, size_t len, long col, unsigned long row)
{
    char letters[8];
    int n = 0;
    for (long c = col + 1; c > 0 && n < 7; c = (c - 1) / 26)
        letters[n++] = (char)('A' + (c - 1) % 26);
    int o = 0;
    while (n > 0 && (size_t)o + 1 < len)
        buf[o++] = letters[--n];
    buf[o] = '\0';
    snprintf(buf + o, len - (size_t)o, "%lu", row);
}

/* A number in the shortest form that reads back as the same double. */
static int number_text(const char *v, char *out, size_t len)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno == ERANGE)
        return -1;
    snprintf(out, len, "%.15g", d);
    if (strtod(out, NULL) != d)
        snprintf(out, len, "%.17g", d);
    return 0;
}

static void ws_error(ws *w, const char *what)
{
    char where[40];
    cell_name(where, sizeof where, w->col, w->rowno);
    err_set(w->pc.e, "%s: sheet '%s': cell %s: %s", w->pc.file, w->sheet, where, what);
    fail(&w->pc);
}

static void ws_clear_row(ws *w)
{
    for (size_t i = 0; i < w->nfield; i++) {
        free(w->field[i]);
        w->field[i] = NULL;
    }
    w->nfield = 0;
}

static void ws_start(void *user, const char *el, const char **atts)
{
    ws *w = user;
    if (w->pc.failed)
        return;
    const char *l = local(el);
    if (strcmp(l, "row") == 0) {
        const char *r = attr(atts, "r");
        unsigned long n = r ? strtoul(r, NULL, 10) : 0;
        w->rowno = n > w->rowno ? n : w->rowno + 1;
        w->col = -1;
        ws_clear_row(w);
    } else if (strcmp(l, "c") == 0) {
        const char *r = attr(atts, "r"), *t = attr(atts, "t");
        long col = r ? column_of_ref(r, NULL) : w->col + 1;
        w->col = col < 0 ? w->col + 1 : col;
        snprintf(w->type, sizeof w->type, "%s", t ? t : "n");
        w->in_cell = 1;
        text_clear(&w->cur);
        if (w->col >= XR_MAX_COLS)
            ws_error(w, "more than 4096 columns");
    } else if (w->in_cell && strcmp(l, "v") == 0) {
        w->in_v = 1;
    } else if (w->in_cell && strcmp(l, "is") == 0) {
        w->in_is = 1;
    } else if (w->in_is && strcmp(l, "rPh") == 0) {
        w->in_rph++;
    }
}

static void ws_text(void *user, const char *s, int len)
{
    ws *w = user;
    if (w->pc.failed || !(w->in_v || (w->in_is && !w->in_rph)))
        return;
    if (text_add(&w->cur, s, len) < 0)
        ws_error(w, "out of memory");
    else if (w->cur.too_long)
        ws_error(w, "longer than 65536 bytes");
}

/* The cell's value as text, by its type; NULL (with the error set) if bad. */
static char *cell_value(ws *w)
{
    const char *raw = w->cur.s ? w->cur.s : "", *t = w->type;
    char num[40];
    if (strcmp(t, "s") == 0) {
        char *end;
        unsigned long i = strtoul(raw, &end, 10);
        if (end == raw || *end || i >= w->sst->n) {
            char what[100];
            snprintf(what, sizeof what, "shared string '%.20s' does not exist (the workbook has %zu)", raw, w->sst->n);
            ws_error(w, what);
            return NULL;
        }
        raw = w->sst->s[i];
    } else if (strcmp(t, "b") == 0) {
        raw = strcmp(raw, "1") == 0 ? "TRUE" : strcmp(raw, "0") == 0 ? "FALSE" : raw;
    } else if (strcmp(t, "n") == 0 && raw[0]) {
        if (number_text(raw, num, sizeof num) < 0) {
            char what[80];
            snprintf(what, sizeof what, "'%.40s' is not a number", raw);
            ws_error(w, what);
            return NULL;
        }
        raw = num;
    } /* inlineStr, str (a formula's text), e (an error such as #N/A), d (an ISO date): as written */
    char *v = strdup(raw);
    if (!v)
        ws_error(w, "out of memory");
    return v;
}

static void ws_end(void *user, const char *el)
{
    ws *w = user;
    if (w->pc.failed)
        return;
    const char *l = local(el);
    if (strcmp(l, "v") == 0) {
        w->in_v = 0;
    } else if (strcmp(l, "rPh") == 0 && w->in_rph) {
        w->in_rph--;
    } else if (strcmp(l, "is") == 0) {
        w->in_is = 0;
    } else if (strcmp(l, "c") == 0 && w->in_cell) {
        w->in_cell = 0;
        char *v = cell_value(w);
        if (!v)
            return;
        if (!v[0]) { /* an empty cell (formatted, no value) */
            free(v);
            return;
        }
        free(w->field[w->col]); /* a column given twice: the later cell wins */
        w->field[w->col] = v;
        if ((size_t)w->col + 1 > w->nfield) {
            for (size_t i = w->nfield; i < (size_t)w->col; i++)
                w->field[i] = NULL;
            w->nfield = (size_t)w->col + 1;
        }
    } else if (strcmp(l, "row") == 0 && w->nfield > 0) {
        size_t nf = w->passed == 0 ? w->nfield : (w->nfield > w->width ? w->nfield : w->width);
        if (w->passed == 0)
            w->width = nf;
        static char empty[] = "";
        char *fields[XR_MAX_COLS];
        for (size_t i = 0; i < nf; i++)
            fields[i] = i < w->nfield && w->field[i] ? w->field[i] : empty;
        if (w->fn(w->user, w->passed++, w->rowno, nf, fields, w->pc.e) != 0)
            fail(&w->pc);
        ws_clear_row(w);
    }
}

/* ---- the whole read ------------------------------------------------------------ */

static int not_xlsx(zip_t *z, const char *name, err *e)
{
    char kind[128] = "";
    zip_int64_t idx = zip_name_locate(z, "mimetype", 0);
    zip_file_t *zf = idx >= 0 ? zip_fopen_index(z, (zip_uint64_t)idx, 0) : NULL;
    if (zf) {
        zip_int64_t n = zip_fread(zf, kind, sizeof kind - 1);
        kind[n > 0 ? n : 0] = '\0';
        zip_fclose(zf);
    }
    if (strstr(kind, "opendocument.spreadsheet"))
        return err_set(e, "%s: an OpenDocument spreadsheet (.ods), not .xlsx: save as .xlsx or CSV UTF-8", name);
    return err_set(e, "%s: a zip archive but not an .xlsx workbook (no xl/workbook.xml)", name);
}

int xlsx_read_mem(const void *data, size_t len, const char *name, const char *prefer, rc_row_fn fn, void *user,
                  char *sheet_name, size_t cap, err *e)
{
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &zerr);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &zerr) : NULL;
    if (!z) {
        err_set(e, "%s: not a readable .xlsx workbook (zip: %s)", name, zip_error_strerror(&zerr));
        if (src)
            zip_source_free(src);
        zip_error_fini(&zerr);
        return -1;
    }
    zip_error_fini(&zerr);
    static book b; /* static: large, and one read at a time */
    static strings st;
    static ws w;
    memset(&b, 0, sizeof b);
    memset(&st, 0, sizeof st);
    memset(&w, 0, sizeof w);
    b.pc.file = st.pc.file = w.pc.file = name;
    int rc = parse_part(z, "xl/workbook.xml", &b.pc, book_start, no_end, no_text, e);
    if (rc == 1)
        rc = not_xlsx(z, name, e);
    if (rc == 0 && b.nsheet == 0)
        rc = err_set(e, "%s: xl/workbook.xml: no worksheets", name);
    if (rc == 0 && parse_part(z, "xl/_rels/workbook.xml.rels", &b.pc, rels_start, no_end, no_text, e) < 0)
        rc = -1;
    size_t pick = 0;
    if (rc == 0 && prefer)
        for (size_t i = 0; i < b.nsheet; i++)
            if (strcasecmp(b.sheet_name[i], prefer) == 0) {
                pick = i;
                break;
            }
    if (rc == 0 && !b.target[pick])
        rc = err_set(e, "%s: sheet '%s': no part for it in xl/_rels/workbook.xml.rels (a damaged workbook?)", name,
                     b.sheet_name[pick]);
    if (rc == 0 && sheet_name)
        snprintf(sheet_name, cap, "%s", b.sheet_name[pick]);
    /* the shared strings: the part the relationships name, else where Excel puts it */
    if (rc == 0) {
        int got = parse_part(z, b.strings_part ? b.strings_part : "xl/sharedStrings.xml", &st.pc, sst_start, sst_end,
                             sst_text, e);
        rc = got < 0 ? -1 : 0;
    }
    if (rc == 0) {
        w.sheet = b.sheet_name[pick];
        w.sst = &st;
        w.fn = fn;
        w.user = user;
        int got = parse_part(z, b.target[pick], &w.pc, ws_start, ws_end, ws_text, e);
        if (got == 1)
            rc = err_set(e, "%s: sheet '%s': its part %s is missing (a damaged workbook?)", name, w.sheet,
                         b.target[pick]);
        else if (got < 0)
            rc = -1;
        else if (w.passed == 0)
            rc = err_set(e, "%s: sheet '%s' is empty (no header row)", name, w.sheet);
    }
    ws_clear_row(&w);
    free(w.cur.s);
    strings_free(&st);
    book_free(&b);
    zip_discard(z);
    return rc;
}
