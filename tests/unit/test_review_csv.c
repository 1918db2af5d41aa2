/* test_review_csv - what a spreadsheet does to the review CSV: separators
 * detected, UTF-16 and Windows-1252 named; what a reviewer writes in a
 * reviewer_label cell (class numbers as 3.0, name forms, ok / = / ? / unsure). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "review_csv.h"
#include "unit.h"

static int read_mem(const char *csv, size_t len, seen *s, err *e)
{
    memset(s, 0, sizeof *s);
    FILE *f = fmemopen((void *)(uintptr_t)csv, len, "r");
    int rc = rc_read(f, "t.csv", collect_row, s, e);
    fclose(f);
    return rc;
}

static void test_separators(void)
{
    seen s;
    err e;
    const char semi[] = "id;name;p\n1;\"a;b\";0,5\n";
    CHECK(read_mem(semi, strlen(semi), &s, &e) == 0 && strcmp(s.text, "0@1:[id][name][p];1@2:[1][a;b][0,5];") == 0,
          "';' detected, a quoted ';' kept: %s", s.text);
    const char tab[] = "id\tname\n1\tx,y\n";
    CHECK(read_mem(tab, strlen(tab), &s, &e) == 0 && strcmp(s.text, "0@1:[id][name];1@2:[1][x,y];") == 0,
          "tab detected: %s", s.text);
    const char comma[] = "\"a;b;c\",d\n1,2\n";
    CHECK(read_mem(comma, strlen(comma), &s, &e) == 0 && strcmp(s.text, "0@1:[a;b;c][d];1@2:[1][2];") == 0,
          "';' inside quotes does not count: %s", s.text);
    const char tie[] = "a;b,c\n";
    CHECK(read_mem(tie, strlen(tie), &s, &e) == 0 && strcmp(s.text, "0@1:[a;b][c];") == 0, "a tie is ','");
}

static void test_encodings(void)
{
    seen s;
    err e;
    const char u16[] = "\xFF\xFEi\0d\0\n\0";
    CHECK(read_mem(u16, sizeof u16 - 1, &s, &e) == -1 &&
              strcmp(e.msg, "t.csv: UTF-16 text, not UTF-8: save as CSV UTF-8") == 0,
          "UTF-16 with a byte-order mark: %s", e.msg);
    const char u16be[] = "\0i\0d\0\n";
    CHECK(read_mem(u16be, sizeof u16be - 1, &s, &e) == -1 &&
              strcmp(e.msg, "t.csv: UTF-16 text, not UTF-8: save as CSV UTF-8") == 0,
          "UTF-16 without one: %s", e.msg);
    const char cp1252[] = "id,notes\n1,ok\n2,caf\xE9\n";
    CHECK(read_mem(cp1252, strlen(cp1252), &s, &e) == -1 &&
              strcmp(e.msg, "t.csv: line 3: not UTF-8 (byte 0xe9; Windows-1252 text?): save as CSV UTF-8") == 0,
          "Windows-1252: %s", e.msg);
    const char utf8[] = "id,notes\n1,caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x91\x95\n";
    CHECK(read_mem(utf8, strlen(utf8), &s, &e) == 0, "UTF-8 of 2, 3 and 4 bytes passes");
    const char overlong[] = "id\n\xC0\xAF\n";
    CHECK(read_mem(overlong, strlen(overlong), &s, &e) == -1 && strstr(e.msg, "line 2: not UTF-8 (byte 0xc0"),
          "an overlong sequence: %s", e.msg);
    const char surrogate[] = "id\n\xED\xA0\x80\n";
    CHECK(read_mem(surrogate, strlen(surrogate), &s, &e) == -1 && strstr(e.msg, "line 2: not UTF-8 (byte 0xed"),
          "a surrogate: %s", e.msg);
}

static void test_labels(void)
{
    rc_classes c;
    err e;
    CHECK(rc_classes_init(&c, 10, NULL, &e) == 0, "Fashion-MNIST names");
    CHECK(rc_classes_lookup(&c, "3.0") == 3 && rc_classes_lookup(&c, " 3.00 ") == 3 &&
              rc_classes_lookup(&c, "3,0") == 3 && rc_classes_lookup(&c, "03") == 3,
          "numbers as spreadsheets write them");
    CHECK(rc_classes_lookup(&c, "3.5") == -1 && rc_classes_lookup(&c, "10.0") == -1 &&
              rc_classes_lookup(&c, "3.") == 3 && rc_classes_lookup(&c, "1e0") == -1,
          "not a class number");
    CHECK(rc_classes_lookup(&c, "T-shirt") == 0 && rc_classes_lookup(&c, "tshirt") == 0 &&
              rc_classes_lookup(&c, "top") == 0 && rc_classes_lookup(&c, "t-shirt/top") == 0 &&
              rc_classes_lookup(&c, "T shirt / top") == 0,
          "T-shirt/top in its sensible forms");
    CHECK(rc_classes_lookup(&c, "ankle-boot") == 9 && rc_classes_lookup(&c, "AnkleBoot") == 9 &&
              rc_classes_lookup(&c, "Ankle boots") == 9 && rc_classes_lookup(&c, "sneakers") == 7 &&
              rc_classes_lookup(&c, "Trousers") == 1 && rc_classes_lookup(&c, "dress") == 3,
          "punctuation, case and a plural s");
    CHECK(rc_classes_lookup(&c, "boot") == -1 && rc_classes_lookup(&c, "shirts top") == -1 &&
              rc_classes_lookup(&c, "-") == -1,
          "no guessing beyond that");
    int k = -1;
    CHECK(rc_review_parse(&c, "", &k) == RC_BLANK && rc_review_parse(&c, "  ", &k) == RC_BLANK, "blank");
    CHECK(rc_review_parse(&c, "ok", &k) == RC_CONFIRM && rc_review_parse(&c, " OK ", &k) == RC_CONFIRM &&
              rc_review_parse(&c, "=", &k) == RC_CONFIRM,
          "ok and = confirm");
    CHECK(rc_review_parse(&c, "?", &k) == RC_UNSURE && rc_review_parse(&c, "Unsure", &k) == RC_UNSURE, "unsure");
    CHECK(rc_review_parse(&c, "Sneaker", &k) == RC_CLASS && k == 7 && rc_review_parse(&c, "4", &k) == RC_CLASS &&
              k == 4,
          "a class");
    CHECK(rc_review_parse(&c, "okay", &k) == RC_BAD && rc_review_parse(&c, "??", &k) == RC_BAD, "anything else");
    rc_classes_free(&c);
    /* two classes sharing a part: the part alone names neither */
    FILE *f = fopen("/tmp/test_review_csv.names", "w");
    fputs("Shirt/top\nT-shirt/top\n", f);
    fclose(f);
    CHECK(rc_classes_init(&c, 2, "/tmp/test_review_csv.names", &e) == 0, "two names with a shared part");
    CHECK(rc_classes_lookup(&c, "top") == -1 && rc_classes_lookup(&c, "t-shirt") == 1 &&
              rc_classes_lookup(&c, "shirt") == 0,
          "a shared part is ambiguous, the others are not");
    rc_classes_free(&c);
    remove("/tmp/test_review_csv.names");
    CHECK(rc_parse_count("12", 100) == 12 && rc_parse_count("12.000", 100) == 12 && rc_parse_count("101", 100) == -1 &&
              rc_parse_count("-1", 100) == -1 && rc_parse_count("", 100) == -1 && rc_parse_count("1 2", 100) == -1,
          "whole numbers");
}

int main(void)
{
    test_separators();
    test_encodings();
    test_labels();
    UNIT_EXIT();
}
