/* test_csv_images - csv_images_read_mem on small hand-written CSVs: header
 * and label detection, BOM, CRLF, quoting, and the message of every error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_images.h"
#include "unit.h"

#define MAXREC 8

typedef struct got {
    int n;
    uint32_t id[MAXREC];
    int32_t label[MAXREC];
    unsigned char px[MAXREC][4];
    int stop_at; /* make the callback fail at this record (1-based), 0 = never */
} got;

static int collect(void *ctx, uint32_t id, int32_t label, const unsigned char *pixels, err *e)
{
    got *g = ctx;
    if (g->stop_at && g->n + 1 == g->stop_at)
        return err_set(e, "callback refused record %d", g->n + 1);
    if (g->n < MAXREC) {
        g->id[g->n] = id;
        g->label[g->n] = label;
        memcpy(g->px[g->n], pixels, 4);
    }
    g->n++;
    return 0;
}

/* For test_chunks: row i must hold exactly what it wrote. */
static int check_row(void *ctx, uint32_t id, int32_t label, const unsigned char *px, err *e)
{
    struct {
        long n, bad;
    } *st = ctx;
    (void)e;
    long i = (long)id;
    if (i != st->n || label != i % 10 || px[0] != i % 256 || px[1] != (i / 7) % 256 || px[2] != 255 ||
        px[3] != (i % 3 ? 0 : 100))
        st->bad++;
    st->n++;
    return 0;
}

/* Parse s with 4 pixels per row and 10 classes; returns rc, fills g and e. */
static int parse(const char *s, int labels, got *g, int *labelled, err *e)
{
    csv_images_opts o = {4, 10, labels, NULL};
    int stop = g->stop_at;
    memset(g, 0, sizeof *g);
    g->stop_at = stop;
    e->msg[0] = '\0';
    return csv_images_read_mem(s, strlen(s), "t.csv", &o, collect, g, labelled, e);
}

static void ok(const char *s, int labels, int n, int want_labelled, const char *what)
{
    got g = {0};
    err e;
    int lab = -2;
    int rc = parse(s, labels, &g, &lab, &e);
    CHECK(rc == 0 && g.n == n && lab == want_labelled, "%s: rc %d, %d records, labelled %d %s", what, rc, g.n, lab,
          e.msg);
}

static void bad(const char *s, int labels, const char *msg, const char *what)
{
    got g = {0};
    err e;
    int rc = parse(s, labels, &g, NULL, &e);
    CHECK(rc == -1 && strcmp(e.msg, msg) == 0, "%s: got '%s'", what, rc ? e.msg : "(success)");
}

static void test_good(void)
{
    got g = {0};
    err e;
    int lab;
    int rc = parse("label,p1,p2,p3,p4\n3,0,1,254,255\n9,10,20,30,40\n", CSV_LABELS_AUTO, &g, &lab, &e);
    CHECK(rc == 0 && g.n == 2 && lab == 1, "header + 2 labelled rows (%d, %s)", g.n, e.msg);
    CHECK(g.id[0] == 0 && g.id[1] == 1, "ids are 0-based data-row numbers, header not counted");
    CHECK(g.label[0] == 3 && g.label[1] == 9, "labels");
    CHECK(memcmp(g.px[0], "\0\1\376\377", 4) == 0 && memcmp(g.px[1], "\12\24\36\50", 4) == 0, "pixels");

    rc = parse("200,0,1,2\n0,0,0,7\n", CSV_LABELS_AUTO, &g, &lab, &e);
    CHECK(rc == 0 && g.n == 2 && lab == 0 && g.label[0] == -1 && g.px[0][0] == 200 && g.px[1][3] == 7,
          "4 fields: unlabelled, first field is a pixel (200 is fine)");

    ok("\xEF\xBB\xBFlabel,a,b,c,d\n1,2,3,4,5\n", CSV_LABELS_AUTO, 1, 1, "BOM before the header");
    ok("\xEF\xBB\xBF" "1,2,3,4,5\n", CSV_LABELS_AUTO, 1, 1, "BOM before data");
    ok("label,a,b,c,d\r\n1,2,3,4,5\r\n2,2,3,4,5\r\n", CSV_LABELS_AUTO, 2, 1, "CRLF");
    ok("1,2,3,4,5", CSV_LABELS_AUTO, 1, 1, "no final newline");
    ok("1,2,3,4,5\n\n\n2,2,3,4,5\n", CSV_LABELS_AUTO, 2, 1, "blank lines are skipped");
    ok("\"1\",\"2\",3,4,\"5\"\n", CSV_LABELS_AUTO, 1, 1, "quoted numbers");
    ok("label,a,b,c,d\n", CSV_LABELS_AUTO, 0, 1, "header only: no records, no error");
    ok("a,b,c,d\n", CSV_LABELS_AUTO, 0, 0, "header of 4 fields: unlabelled");
    ok("1,2,3,4,5\n", CSV_LABELS_YES, 1, 1, "--labels");
    ok("1,2,3,4\n", CSV_LABELS_NO, 1, 0, "--no-labels");
    ok("007,0,0,0\n", CSV_LABELS_AUTO, 1, 0, "leading zeros are integers");
    ok("1, 2,3 ,4,\t5\n", CSV_LABELS_AUTO, 1, 1, "libcsv trims spaces and tabs around unquoted fields");

    /* the label column is decided by the first row; later rows follow it */
    rc = parse("1,2,3,4,5\n9,0,0,0,0\n", CSV_LABELS_AUTO, &g, &lab, &e);
    CHECK(rc == 0 && g.label[1] == 9, "second row labelled too");
}

static void test_errors(void)
{
    bad("", CSV_LABELS_AUTO, "t.csv: empty input (no CSV rows)", "empty");
    bad("\n\n", CSV_LABELS_AUTO, "t.csv: empty input (no CSV rows)", "blank lines only");
    bad("1,2,3\n", CSV_LABELS_AUTO, "t.csv: line 1: 3 fields, expected 5 (label + 4 pixels) or 4 (pixels only)",
        "too few on the first row");
    bad("1,2,3,4,5\n1,2,3,4\n", CSV_LABELS_AUTO, "t.csv: line 2: 4 fields, expected 5", "too few later");
    bad("1,2,3,4,5\n1,2,3,4,5,6\n", CSV_LABELS_AUTO, "t.csv: line 2: 6 fields, expected 5", "too many later");
    bad("1,2,3,4,5\n1,2,3,4,5,6", CSV_LABELS_AUTO, "t.csv: line 2: 6 fields, expected 5",
        "too many on a last line without newline");
    bad("1,2,3,4,5\n1,2,3,4", CSV_LABELS_AUTO, "t.csv: line 2: 4 fields, expected 5",
        "too few on a last line without newline");
    bad("1,2,3,4\n", CSV_LABELS_YES, "t.csv: line 1: 4 fields, expected 5", "--labels with 4 fields");
    bad("1,2,3,4,5\n", CSV_LABELS_NO, "t.csv: line 1: 5 fields, expected 4", "--no-labels with 5 fields");
    bad("a,b\n1,2,3,4,5\n", CSV_LABELS_AUTO,
        "t.csv: line 1: header has 2 fields, expected 5 (label + pixels) or 4", "bad header");

    bad("1,2,x,4,5\n", CSV_LABELS_AUTO, "t.csv: line 1, field 3: 'x' is not an integer", "non-integer");
    bad("1,2,3,4,5\n1,2,1.5,4,5\n", CSV_LABELS_AUTO, "t.csv: line 2, field 3: '1.5' is not an integer", "decimal");
    bad("1,2,3,4,5\n1,2,-1,4,5\n", CSV_LABELS_AUTO, "t.csv: line 2, field 3: '-1' is not an integer", "negative");
    bad("1,2,3,4,5\n1,2,,4,5\n", CSV_LABELS_AUTO, "t.csv: line 2, field 3: '' is not an integer", "empty field");
    bad("1,2,3,4,5\n1,2,3,4,256\n", CSV_LABELS_AUTO, "t.csv: line 2, field 5: value 256 out of range (0..255)",
        "256");
    bad("1,2,3,4,5\n1,2,3,4,99999999999\n", CSV_LABELS_AUTO,
        "t.csv: line 2, field 5: '99999999999' is not an integer", "too many digits");
    bad("1,2,3,4,5\n1,2,3,4,1000\n", CSV_LABELS_AUTO, "t.csv: line 2, field 5: value 1000 out of range (0..255)",
        "1000");
    bad("300,2,3,4\n", CSV_LABELS_AUTO, "t.csv: line 1, field 1: value 300 out of range (0..255)",
        "first field of an unlabelled first row");
    bad("10,2,3,4,5\n", CSV_LABELS_AUTO, "t.csv: line 1, field 1: label 10 out of range (0..9)", "label 10 (row 1)");
    bad("1,2,3,4,5\n10,2,3,4,5\n", CSV_LABELS_AUTO, "t.csv: line 2, field 1: label 10 out of range (0..9)",
        "label 10 (row 2)");
    bad("1,2,3,4,5\nx,2,3,4,5\n", CSV_LABELS_AUTO, "t.csv: line 2, field 1: label 'x' is not a non-negative integer",
        "non-integer label");
}

/* strlen() stops at NUL: these need explicit lengths. */
static void test_nul_and_quotes(void)
{
    csv_images_opts o = {4, 10, CSV_LABELS_AUTO, NULL};
    got g = {0};
    err e;
    static const char nul[] = "1,2,3,4,5\n1,2,3\0,4,5\n";
    int rc = csv_images_read_mem(nul, sizeof nul - 1, "t.csv", &o, collect, &g, NULL, &e);
    CHECK(rc == -1 && strcmp(e.msg, "t.csv: line 2, field 3: '3?' is not an integer") == 0, "NUL byte: '%s'", e.msg);

    bad("1,2,3,4,5\n1,2,\"3,4,5\n", CSV_LABELS_AUTO, "t.csv: line 2, field 3: unterminated quote",
        "unterminated quote");
    bad("1,2,3,4,5\n1,2,\"3\n\n4,5\n", CSV_LABELS_AUTO, "t.csv: line 2, field 3: unterminated quote",
        "unterminated quote spanning lines names where it opened");
    bad("1,2,3,4,5\n1,2,\"3", CSV_LABELS_AUTO, "t.csv: line 2, field 3: unterminated quote",
        "unterminated quote, no final newline");
    bad("1,2,3,4,5\n1,2,3\"4,5\n", CSV_LABELS_AUTO,
        "t.csv: line 2, field 3: stray quote (a quote must enclose the whole field)", "stray quote");
    bad("1,2,3,4,5\n1,2,\"3\"x,4,5\n", CSV_LABELS_AUTO,
        "t.csv: line 2, field 3: stray quote (a quote must enclose the whole field)", "text after a closing quote");
    /* a quoted newline inside a field is not an integer, and lines still count */
    bad("1,2,3,4,5\n1,2,\"3\n\",4,5\n", CSV_LABELS_AUTO, "t.csv: line 3, field 3: '3?' is not an integer",
        "quoted newline");
    bad("1,2,3,4,5\n\n1,2,3,4,x\n", CSV_LABELS_AUTO, "t.csv: line 3, field 5: 'x' is not an integer",
        "blank lines still count");
    bad("1,2,3,4,5\r\n1,2,3,4,x\r\n", CSV_LABELS_AUTO, "t.csv: line 2, field 5: 'x' is not an integer", "CRLF lines");

    /* the callback's error stops reading and is passed on */
    g.stop_at = 2;
    rc = parse("1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n", CSV_LABELS_AUTO, &g, NULL, &e);
    CHECK(rc == -1 && g.n == 1 && strcmp(e.msg, "callback refused record 2") == 0, "callback error: '%s'", e.msg);

    /* bad options */
    o.elems = 0;
    rc = csv_images_read_mem("1\n", 2, "t.csv", &o, collect, &g, NULL, &e);
    CHECK(rc == -1 && strcmp(e.msg, "t.csv: bad options (no pixels or no classes)") == 0, "no pixels: '%s'", e.msg);
}

/* Rows after the first take the plain-row path; lines it declines go to
 * libcsv. Both must agree. */
static void test_plain_rows(void)
{
    got g = {0};
    err e;
    int rc = parse("1,2,3,4,5\n2,0012,3,4,5\n00003,0,0,0,255\n4, 5,6,7,8\n5,\"6\",7,8,9\r\n", CSV_LABELS_AUTO,
                   &g, NULL, &e);
    CHECK(rc == 0 && g.n == 5, "mixed plain and libcsv rows: %d records %s", g.n, e.msg);
    CHECK(g.px[1][0] == 12 && g.label[2] == 3 && g.px[2][3] == 255 && g.px[3][0] == 5 && g.px[4][0] == 6,
          "4-digit 0012, label 00003, spaces, quotes: same values as libcsv");
    bad("1,2,3,4,5\n1,2,3,4,5,\n", CSV_LABELS_AUTO, "t.csv: line 2, field 6: '' is not an integer",
        "trailing comma");
    bad("1,2,3,4,5\n1,2,3,4,\n", CSV_LABELS_AUTO, "t.csv: line 2, field 5: '' is not an integer", "empty last field");
    bad("1,2,3,4,5\n1,2,3,4,5\r\r\n1,2\n", CSV_LABELS_AUTO, "t.csv: line 3: 2 fields, expected 5", "stray CR");
    bad("1,2,3,4,5\n123456,2,3,4,5\n", CSV_LABELS_AUTO, "t.csv: line 2, field 1: label 123456 out of range (0..9)",
        "long label");

    /* a line longer than the carry limit goes to libcsv in pieces */
    size_t big = (1u << 21) + 10;
    char *b = malloc(big + 32);
    strcpy(b, "1,2,3,4,5\n");
    memset(b + 10, '7', big);
    strcpy(b + 10 + big, ",1,2,3,4\n");
    csv_images_opts o = {4, 10, CSV_LABELS_AUTO, NULL};
    rc = csv_images_read_mem(b, strlen(b), "t.csv", &o, collect, &g, NULL, &e);
    CHECK(rc == -1 && strcmp(e.msg, "t.csv: line 2, field 1: label '77777777777777777777777777777777...' is not a "
                                    "non-negative integer") == 0,
          "2 MiB line: '%s'", e.msg);
    free(b);
}

/* Many rows through gzread: lines split across 64 KiB chunks must come out whole. */
static void test_chunks(void)
{
    char path[] = "/tmp/test_csv_images.XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("label,a,b,c,d\n", f);
    for (int i = 0; i < 30000; i++)
        fprintf(f, "%d,%d,%d,%d,%d%s", i % 10, i % 256, (i / 7) % 256, 255, i % 3 ? 0 : 100, i % 5 ? "\n" : "\r\n");
    fclose(f);
    gzFile gz = gzopen(path, "rb");
    csv_images_opts o = {4, 10, CSV_LABELS_AUTO, NULL};
    struct {
        long n, bad;
    } st = {0, 0};
    err e;
    int rc = csv_images_read(gz, path, &o, check_row, &st, NULL, &e);
    gzclose(gz);
    unlink(path);
    CHECK(rc == 0 && st.n == 30000 && st.bad == 0, "30000 rows through gzread: %ld read, %ld wrong", st.n, st.bad);
}

static char warned[256];
static int nwarned;
static void note_warning(const char *msg)
{
    snprintf(warned, sizeof warned, "%s", msg);
    nwarned++;
}

/* The header's pixel names: read by name when out of order (told once), refused when
 * unknown or repeated, ignored when of no scheme. */
static void test_header_names(void)
{
    csv_images_opts o = {4, 10, CSV_LABELS_AUTO, note_warning};
    const char *s = "label,pixel3,pixel1,pixel4,pixel2\n7,30,10,40,20\n8,3,1,4,2\n";
    got g = {0};
    err e;
    nwarned = 0;
    int rc = csv_images_read_mem(s, strlen(s), "t.csv", &o, collect, &g, NULL, &e);
    CHECK(rc == 0 && g.n == 2 && memcmp(g.px[0], "\12\24\36\50", 4) == 0 && memcmp(g.px[1], "\1\2\3\4", 4) == 0,
          "pixel columns put in order by name (rc %d)", rc);
    CHECK(g.label[0] == 7 && g.label[1] == 8, "labels stay");
    CHECK(nwarned == 1 && strcmp(warned, "t.csv: line 1: the header's pixel columns are out of order (field 2 is "
                                         "'pixel3'): each is read into the pixel its name says") == 0,
          "one warning: '%s'", warned);
    nwarned = 0;
    s = "pixel1,pixel2,pixel3,pixel4\n1,2,3,4\n";
    rc = csv_images_read_mem(s, strlen(s), "t.csv", &o, collect, &g, NULL, &e);
    CHECK(rc == 0 && nwarned == 0, "in order: no warning");
    bad("label,a,pixel2,pixel3,pixel4\n1,2,3,4,5\n", CSV_LABELS_AUTO,
        "t.csv: line 1, field 2: unknown pixel column 'a' (expected pixel1..pixel4, each once)", "a name of no scheme");
    bad("pixel1,pixel2,pixel3,pixel5\n1,2,3,4\n", CSV_LABELS_AUTO,
        "t.csv: line 1, field 4: unknown pixel column 'pixel5' (expected pixel1..pixel4, each once)", "out of range");
    bad("pixel0,pixel2,pixel3,pixel4\n1,2,3,4\n", CSV_LABELS_AUTO,
        "t.csv: line 1, field 1: unknown pixel column 'pixel0' (expected pixel1..pixel4, each once)", "first field");
    bad("label,pixel4,pixel2,pixel3,pixel4\n1,2,3,4,5\n", CSV_LABELS_AUTO,
        "t.csv: line 1: duplicate pixel column: fields 2 and 5 are both pixel4", "repeated");
    bad("label,3,0,1,7\n1,2,3,4,5\n", CSV_LABELS_AUTO,
        "t.csv: line 1, field 5: unknown pixel column '7' (expected 0..3, each once)", "numbers out of range");
    ok("label,d,c,b,a\n1,2,3,4,5\n", CSV_LABELS_AUTO, 1, 1, "names of no scheme: file order");
}

int main(void)
{
    test_good();
    test_errors();
    test_nul_and_quotes();
    test_plain_rows();
    test_chunks();
    test_header_names();
    UNIT_EXIT();
}
