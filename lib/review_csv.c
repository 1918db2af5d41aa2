/* review_csv.c - RFC 4180 output, strict libcsv input with line numbers,
 * and class-name lists (see review_csv.h).
 *
 * libcsv is fed one physical line at a time so that errors can name the
 * line; it cannot stop from a callback, so callbacks record the first error
 * and the feeding loop checks it after every csv_parse().
 */
#include "review_csv.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classes.h"

/* ---- writing ------------------------------------------------------------ */

int rc_needs_quotes(const char *s)
{
    if (!*s)
        return 0;
    if (s[0] == ' ' || s[0] == '\t' || s[strlen(s) - 1] == ' ' || s[strlen(s) - 1] == '\t')
        return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

void rc_put_field(FILE *f, const char *s)
{
    if (!rc_needs_quotes(s)) {
        fputs(s, f);
        return;
    }
    putc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', f);
        putc(*s, f);
    }
    putc('"', f);
}

/* ---- reading ------------------------------------------------------------ */

#define RC_MAX_FIELDS 4096
#define RC_MAX_FIELD_BYTES 65536

typedef struct rd {
    const char *name;
    rc_row_fn fn;
    void *user;
    err *e;
    int failed;
    unsigned long line;     /* physical line being fed */
    unsigned long newlines; /* newlines inside the current row's quoted fields */
    unsigned long row;
    unsigned long row_end;  /* line the last complete row ended on */
    size_t nfield;
    char *fields[RC_MAX_FIELDS];
} rd;

static void rd_clear(rd *r)
{
    for (size_t i = 0; i < r->nfield; i++)
        free(r->fields[i]);
    r->nfield = 0;
    r->newlines = 0;
}

static void on_field(void *data, size_t len, void *vctx)
{
    rd *r = vctx;
    if (r->failed)
        return;
    if (r->nfield == RC_MAX_FIELDS || len > RC_MAX_FIELD_BYTES) {
        r->failed = 1;
        err_set(r->e, "%s: line %lu: %s", r->name, r->line - r->newlines,
                len > RC_MAX_FIELD_BYTES ? "field longer than 65536 bytes" : "more than 4096 fields");
        return;
    }
    char *s = malloc(len + 1);
    if (!s) {
        r->failed = 1;
        err_set(r->e, "%s: out of memory", r->name);
        return;
    }
    if (len)
        memcpy(s, data, len);
    s[len] = '\0';
    for (size_t i = 0; i < len; i++)
        r->newlines += s[i] == '\n';
    r->fields[r->nfield++] = s;
}

static void on_row(int term, void *vctx)
{
    rd *r = vctx;
    (void)term;
    if (r->failed)
        return;
    /* the row ends on the line being fed; it started that many newlines earlier */
    unsigned long start = r->line - r->newlines;
    if (r->fn(r->user, r->row, start, r->nfield, r->fields, r->e) != 0)
        r->failed = 1;
    r->row++;
    r->row_end = r->line;
    rd_clear(r);
}

static int parse_error(rd *r, struct csv_parser *p)
{
    if (r->failed)
        return -1;
    r->failed = 1;
    return err_set(r->e, "%s: line %lu: %s", r->name, r->line,
                   csv_error(p) == CSV_EPARSE ? "malformed CSV (stray or unterminated quote)"
                                              : csv_strerror(csv_error(p)));
}

/* Length of the UTF-8 sequence starting at s (1 to 4 bytes), 0 if it is not
 * one: a stray continuation byte, a truncated or overlong sequence, a
 * surrogate or a code point past U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || s[0] > 0xF4 || n < len)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) || (s[0] == 0xF0 && s[1] < 0x90) ||
        (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return len;
}

/* The separator of a sheet saved in another locale: the one of ',', ';' and
 * tab that the header line holds most of outside quotes; ',' on a tie. */
static char detect_separator(const char *s, size_t len)
{
    size_t comma = 0, semi = 0, tab = 0;
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted)
            comma += s[i] == ',', semi += s[i] == ';', tab += s[i] == '\t';
    }
    if (semi > comma && semi >= tab)
        return ';';
    return tab > comma ? '\t' : ',';
}

int rc_read(FILE *f, const char *name, rc_row_fn fn, void *user, err *e)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return err_set(e, "%s: out of memory", name);
    rd r;
    memset(&r, 0, sizeof r);
    r.name = name;
    r.fn = fn;
    r.user = user;
    r.e = e;
    r.line = 1;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0, first = 1;
    errno = 0;
    while ((n = getline(&buf, &cap, f)) > 0) {
        const char *s = buf;
        size_t len = (size_t)n;
        if (first) {
            /* UTF-16 as Excel's "Unicode text" writes it: a byte-order mark, or without
             * one, the NUL high bytes of ASCII characters */
            if ((len >= 2 && (memcmp(s, "\xFF\xFE", 2) == 0 || memcmp(s, "\xFE\xFF", 2) == 0)) ||
                memchr(s, '\0', len)) {
                rc = err_set(e, "%s: UTF-16 text, not UTF-8: save as CSV UTF-8", name);
                break;
            }
            if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
                s += 3;
                len -= 3;
            }
            csv_set_delim(&p, (unsigned char)detect_separator(s, len));
        }
        first = 0;
        for (size_t i = 0, k; i < len; i += k)
            if ((k = utf8_seq((const unsigned char *)s + i, len - i)) == 0) {
                r.failed = 1;
                rc = err_set(e, "%s: line %lu: not UTF-8 (byte 0x%02x; Windows-1252 text?): save as CSV UTF-8", name,
                             r.line, (unsigned char)s[i]);
                break;
            }
        if (rc)
            break;
        if (csv_parse(&p, s, len, on_field, on_row, &r) != len || r.failed) {
            rc = parse_error(&r, &p);
            break;
        }
        if (s[len - 1] == '\n')
            r.line++;
    }
    if (rc == 0 && ferror(f))
        rc = err_set(e, "%s: line %lu: read error: %s", name, r.line, strerror(errno ? errno : EIO));
    if (rc == 0) {
        if (r.line > 1 && r.nfield == 0)
            r.line--; /* point errors at the last line, not past it */
        if (csv_fini(&p, on_field, on_row, &r) != 0 && !r.failed) {
            r.failed = 1; /* the only error csv_fini reports in strict mode */
            rc = err_set(e, "%s: line %lu: unterminated quoted field (runs to the end of the file)", name,
                         r.row_end + 1);
        } else if (r.failed) {
            rc = -1;
        }
        if (rc == 0 && r.row == 0)
            rc = err_set(e, "%s: empty file (no header row)", name);
    }
    rd_clear(&r);
    csv_free(&p);
    free(buf);
    return rc;
}

/* ---- class names -------------------------------------------------------- */

void rc_classes_free(rc_classes *c)
{
    if (c->names)
        for (int i = 0; i < c->k; i++)
            free(c->names[i]);
    free(c->names);
    c->names = NULL;
}

int rc_classes_init(rc_classes *c, int k, const char *path, err *e)
{
    c->k = k;
    c->names = calloc((size_t)k, sizeof *c->names);
    if (!c->names)
        return err_set(e, "out of memory");
    if (!path) {
        for (int i = 0; i < k; i++) {
            char b[32];
            snprintf(b, sizeof b, "class %d", i);
            c->names[i] = strdup(k == FM_NCLASS ? fm_class_names[i] : b);
            if (!c->names[i]) {
                rc_classes_free(c);
                return err_set(e, "out of memory");
            }
        }
        return 0;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        err_set(e, "%s: %s", path, strerror(errno));
        rc_classes_free(c);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int i = 0, rc = 0, lineno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (i == k && n == 0)
            continue; /* blank lines after the last name (an editor's trailing newline) */
        if (i == k) {
            rc = err_set(e, "%s: line %d: more than %d class names", path, lineno, k);
            break;
        }
        if (n == 0) {
            rc = err_set(e, "%s: line %d: empty class name", path, lineno);
            break;
        }
        if (!(c->names[i++] = strdup(line))) {
            rc = err_set(e, "out of memory");
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = err_set(e, "%s: read error: %s", path, strerror(errno));
    if (rc == 0 && i < k)
        rc = err_set(e, "%s: %d class names, expected %d", path, i, k);
    free(line);
    fclose(f);
    if (rc)
        rc_classes_free(c);
    return rc;
}

long rc_parse_count(const char *s, long max)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    long v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
    }
    if (*s == '.' || *s == ',') /* 3.0 as pandas writes a label column with a gap; 3,0 in some locales */
        for (s++; *s == '0'; s++)
            ;
    while (*s == ' ' || *s == '\t')
        s++;
    return *s ? -1 : v;
}

/* s lower-cased with everything but letters and digits dropped, at most
 * cap - 1 bytes (more reads as no match). 0 if it did not fit. */
static int squash(char *out, size_t cap, const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!isalnum(ch) && ch < 0x80)
            continue;
        if (o + 1 >= cap)
            return 0;
        out[o++] = (char)tolower(ch);
    }
    out[o] = '\0';
    return 1;
}

/* The class whose name, squashed, is key; or whose '/'-separated part is,
 * when parts is set and no other class has that part. -1 if none, -2 if
 * several. */
static int find_squashed(const rc_classes *c, const char *key, int parts)
{
    int found = -1;
    char buf[256];
    for (int i = 0; i < c->k; i++) {
        const char *name = c->names[i];
        if (!parts) {
            if (squash(buf, sizeof buf, name, strlen(name)) && strcmp(buf, key) == 0)
                return i;
            continue;
        }
        for (const char *part = name; part;) {
            const char *slash = strchr(part, '/');
            size_t len = slash ? (size_t)(slash - part) : strlen(part);
            if (slash || part != name) /* a name without '/' has no parts */
                if (squash(buf, sizeof buf, part, len) && buf[0] && strcmp(buf, key) == 0) {
                    if (found >= 0 && found != i)
                        return -2;
                    found = i;
                }
            part = slash ? slash + 1 : NULL;
        }
    }
    return found;
}

int rc_classes_lookup(const rc_classes *c, const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return -1;
    if (isdigit((unsigned char)s[0])) {
        long v = rc_parse_count(s, 999999);
        if (v >= 0)
            return v < c->k ? (int)v : -1;
    }
    for (int i = 0; i < c->k; i++) /* the name as it is: names may differ only in punctuation */
        if (strlen(c->names[i]) == len && strncasecmp(c->names[i], s, len) == 0)
            return i;
    char key[256];
    if (!squash(key, sizeof key, s, len) || !key[0])
        return -1;
    int k = find_squashed(c, key, 0);
    if (k == -1)
        k = find_squashed(c, key, 1);
    size_t kl = strlen(key);
    if (k == -1 && kl > 1 && key[kl - 1] == 's') { /* a plural: "Sneakers", "Ankle boots" */
        key[kl - 1] = '\0';
        k = find_squashed(c, key, 0);
        if (k == -1)
            k = find_squashed(c, key, 1);
    }
    return k >= 0 ? k : -1;
}

rc_review rc_review_parse(const rc_classes *c, const char *cell, int *cls)
{
    while (*cell == ' ' || *cell == '\t')
        cell++;
    size_t len = strlen(cell);
    while (len > 0 && (cell[len - 1] == ' ' || cell[len - 1] == '\t'))
        len--;
    if (len == 0)
        return RC_BLANK;
    static const char *const confirm[] = {"ok", "="}, *const unsure[] = {"?", "unsure"};
    for (int i = 0; i < 2; i++) {
        if (strlen(confirm[i]) == len && strncasecmp(cell, confirm[i], len) == 0)
            return RC_CONFIRM;
        if (strlen(unsure[i]) == len && strncasecmp(cell, unsure[i], len) == 0)
            return RC_UNSURE;
    }
    *cls = rc_classes_lookup(c, cell);
    return *cls >= 0 ? RC_CLASS : RC_BAD;
}
