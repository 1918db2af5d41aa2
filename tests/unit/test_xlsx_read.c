/* test_xlsx_read - xlsx_read_mem on small workbooks built here with libzip:
 * shared strings (rich text, phonetic runs), inline strings, numbers,
 * booleans, formula text, gaps in rows and columns, the padding to the
 * header's width, picking a sheet by name, prefixed element names, and the
 * message of every error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "unit.h"
#include "xlsx_read.h"

typedef struct part {
    const char *name, *text;
} part;

/* A zip of the parts, read back into memory (*len bytes, malloc'd). */
static unsigned char *make_zip(const part *parts, size_t n, size_t *len)
{
    char path[] = "/tmp/test_xlsx_read.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    close(fd);
    int zerr;
    zip_t *z = zip_open(path, ZIP_TRUNCATE, &zerr);
    for (size_t i = 0; z && i < n; i++) {
        zip_source_t *src = zip_source_buffer(z, parts[i].text, strlen(parts[i].text), 0);
        if (!src || zip_file_add(z, parts[i].name, src, ZIP_FL_OVERWRITE) < 0)
            return NULL;
    }
    if (!z || zip_close(z) < 0)
        return NULL;
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(1 << 20);
    *len = f && buf ? fread(buf, 1, 1 << 20, f) : 0;
    if (f)
        fclose(f);
    unlink(path);
    return buf;
}

static const char *const workbook =
    "<?xml version=\"1.0\"?>\n<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
    "<sheet name=\"notes\" sheetId=\"1\" r:id=\"rId1\"/><sheet name=\"Review\" sheetId=\"2\" r:id=\"rId2\"/>"
    "</sheets></workbook>";
static const char *const rels =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://x/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://x/worksheet\" Target=\"/xl/worksheets/other.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"http://x/relationships/sharedStrings\" Target=\"strings.xml\"/>"
    "</Relationships>";
/* string 0 "id"; 1 "Shirt" in two rich runs, with a phonetic run left out; 2 "a & b" */
static const char *const sst = "<sst><si><t>id</t></si><si><r><t>Sh</t></r><r><rPr/><t>irt</t></r>"
                               "<rPh><t>SHATSU</t></rPh></si><si><t>a &amp; b</t></si></sst>";
static const char *const sheet1 = "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>2</v></c></row>"
                                  "</sheetData></worksheet>";
/* header A1..D1 with a gap at C1; row 2 absent; row 3 numbers, a boolean, formula text;
 * row 4 only A4 (padded); row 5 past the header's width; row 6 only empty cells (skipped) */
static const char *const other =
    "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><x:sheetData>"
    "<x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>0</x:v></x:c><x:c r=\"B1\" t=\"inlineStr\"><x:is><x:r><x:t>na"
    "</x:t></x:r><x:r><x:t>me</x:t></x:r></x:is></x:c><x:c r=\"D1\" t=\"s\"><x:v>1</x:v></x:c></x:row>"
    "<x:row r=\"3\"><x:c r=\"A3\"><x:v>3</x:v></x:c><x:c r=\"B3\" t=\"n\"><x:v>0.10000000000000001</x:v></x:c>"
    "<x:c r=\"C3\" t=\"b\"><x:v>1</x:v></x:c><x:c r=\"D3\" t=\"str\"><x:f>A3&amp;\"x\"</x:f><x:v>3x</x:v></x:c>"
    "</x:row><x:row r=\"4\"><x:c r=\"A4\"><x:v>1E-7</x:v></x:c></x:row>"
    "<x:row r=\"5\"><x:c r=\"A5\"><x:v>2.5</x:v></x:c><x:c r=\"F5\" t=\"inlineStr\"><x:is><x:t>late</x:t>"
    "</x:is></x:c></x:row><x:row r=\"6\"><x:c r=\"A6\" s=\"3\"/></x:row></x:sheetData></x:worksheet>";

static int read_parts(const part *parts, size_t n, const char *prefer, seen *s, char *sheet, err *e)
{
    size_t len;
    unsigned char *data = make_zip(parts, n, &len);
    if (!data) {
        err_set(e, "could not build the zip");
        return -2;
    }
    int rc = xlsx_read_mem(data, len, "t.xlsx", prefer, collect_row, s, sheet, 64, e);
    free(data);
    return rc;
}

static void test_cells(void)
{
    part parts[] = {{"xl/workbook.xml", workbook}, {"xl/_rels/workbook.xml.rels", rels},
                    {"xl/strings.xml", sst},       {"xl/worksheets/sheet1.xml", sheet1},
                    {"xl/worksheets/other.xml", other}};
    seen s = {"", 0};
    char sheet[64] = "";
    err e;
    int rc = read_parts(parts, 5, "review", &s, sheet, &e);
    CHECK(rc == 0, "reads the sheet named like the preference, in another case: %s", rc ? e.msg : "");
    CHECK(strcmp(sheet, "Review") == 0, "its name: %s", sheet);
    CHECK(strcmp(s.text, "0@1:[id][name][][Shirt];1@3:[3][0.1][TRUE][3x];2@4:[1e-07][][][];"
                         "3@5:[2.5][][][][][late];") == 0,
          "cells by type, gaps padded, empty rows skipped: %s", s.text);
    CHECK(xlsx_is_zip("PK\3\4", 4) && !xlsx_is_zip("id,x", 4), "zip magic");

    memset(&s, 0, sizeof s);
    rc = read_parts(parts, 5, NULL, &s, sheet, &e);
    CHECK(rc == 0 && strcmp(sheet, "notes") == 0 && strcmp(s.text, "0@1:[a & b];") == 0,
          "no preference: the first sheet, entities decoded: %s %s", sheet, s.text);
    memset(&s, 0, sizeof s);
    rc = read_parts(parts, 5, "missing", &s, sheet, &e);
    CHECK(rc == 0 && strcmp(sheet, "notes") == 0, "a preference not there: the first sheet");

    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    rc = read_parts(parts, 5, "review", &s, sheet, &e);
    CHECK(rc == -1 && strcmp(e.msg, "callback refused row 3") == 0, "the callback's error stops the read: %s",
          e.msg);
}

static void expect_error(const part *parts, size_t n, const char *want, const char *what)
{
    seen s = {"", 0};
    err e;
    int rc = read_parts(parts, n, NULL, &s, NULL, &e);
    CHECK(rc == -1 && strcmp(e.msg, want) == 0, "%s: %s", what, rc == -1 ? e.msg : "(no error)");
}

static void test_errors(void)
{
    part bad_index[] = {{"xl/workbook.xml", workbook}, {"xl/_rels/workbook.xml.rels", rels},
                        {"xl/strings.xml", sst},
                        {"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row r=\"1\"><c r=\"B1\" t=\"s\">"
                                                     "<v>7</v></c></row></sheetData></worksheet>"}};
    expect_error(bad_index, 4, "t.xlsx: sheet 'notes': cell B1: shared string '7' does not exist (the workbook has 3)",
                 "a shared string index out of range");
    part bad_number[] = {{"xl/workbook.xml", workbook}, {"xl/_rels/workbook.xml.rels", rels},
                         {"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row r=\"2\"><c r=\"AA2\"><v>1x</v>"
                                                      "</c></row></sheetData></worksheet>"}};
    expect_error(bad_number, 3, "t.xlsx: sheet 'notes': cell AA2: '1x' is not a number", "a number that is not one");
    part bad_xml[] = {{"xl/workbook.xml", workbook}, {"xl/_rels/workbook.xml.rels", rels},
                      {"xl/worksheets/sheet1.xml", "<worksheet>\n<sheetData><row></sheetData>"}};
    expect_error(bad_xml, 3, "t.xlsx: xl/worksheets/sheet1.xml: line 2: mismatched tag (not a well-formed workbook)",
                 "malformed XML");
    part empty[] = {{"xl/workbook.xml", workbook}, {"xl/_rels/workbook.xml.rels", rels},
                    {"xl/worksheets/sheet1.xml", "<worksheet><sheetData/></worksheet>"}};
    expect_error(empty, 3, "t.xlsx: sheet 'notes' is empty (no header row)", "an empty sheet");
    part no_part[] = {{"xl/workbook.xml", workbook}, {"xl/_rels/workbook.xml.rels", rels}};
    expect_error(no_part, 2, "t.xlsx: sheet 'notes': its part xl/worksheets/sheet1.xml is missing (a damaged workbook?)",
                 "a sheet's part missing");
    part no_rels[] = {{"xl/workbook.xml", workbook}};
    expect_error(no_rels, 1, "t.xlsx: sheet 'notes': no part for it in xl/_rels/workbook.xml.rels (a damaged workbook?)",
                 "no relationships");
    part no_sheets[] = {{"xl/workbook.xml", "<workbook><sheets/></workbook>"}};
    expect_error(no_sheets, 1, "t.xlsx: xl/workbook.xml: no worksheets", "no worksheets");
    part not_book[] = {{"word/document.xml", "<w/>"}};
    expect_error(not_book, 1, "t.xlsx: a zip archive but not an .xlsx workbook (no xl/workbook.xml)", "a .docx");
    part ods[] = {{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"}, {"content.xml", "<x/>"}};
    expect_error(ods, 2, "t.xlsx: an OpenDocument spreadsheet (.ods), not .xlsx: save as .xlsx or CSV UTF-8",
                 "an .ods");
    seen s = {"", 0};
    err e;
    CHECK(xlsx_read_mem("PK\3\4junk", 8, "t.xlsx", NULL, collect_row, &s, NULL, 0, &e) == -1 &&
              strcmp(e.msg, "t.xlsx: not a readable .xlsx workbook (zip: Not a zip archive)") == 0,
          "not a zip: %s", e.msg);
}

int main(void)
{
    test_cells();
    test_errors();
    UNIT_EXIT();
}
