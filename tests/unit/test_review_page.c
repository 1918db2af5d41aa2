/* Unit tests for lib/review_page: JSON strings safe inside <script>, base64
 * data: URIs (RFC 4648's vectors), PNGs in memory, and a CSV that does not
 * match the records refused before anything is written. */
#include <stdlib.h>
#include <string.h>

#include "png_image.h"
#include "review_page.h"
#include "unit.h"

/* What fn writes, as a malloc'd string. */
static char *json(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rp_put_json_string(f, s, strlen(s));
    fclose(f);
    return buf;
}

static char *uri(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rp_put_png_uri(f, (const unsigned char *)s, strlen(s));
    fclose(f);
    return buf;
}

static int page(const rp_sheet *s, size_t *len, err *e)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    int rc = rp_write(f, s, e);
    fclose(f);
    free(buf);
    return rc;
}

int main(void)
{
    char *j = json("</script><!-- \"a\\b\"\n\t\x01 & \xc3\xbc");
    CHECK(strcmp(j, "\"\\u003c/script\\u003e\\u003c!-- \\\"a\\\\b\\\"\\n\\t\\u0001 \\u0026 \xc3\xbc\"") == 0,
          "json string: %s", j);
    free(j);

    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *b64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char *u = uri(plain[i]);
        CHECK(strncmp(u, "data:image/png;base64,", 22) == 0 && strcmp(u + 22, b64[i]) == 0, "base64 '%s': %s",
              plain[i], u + 22);
        free(u);
    }

    unsigned char gray[6] = {0, 50, 100, 150, 200, 250}, *png;
    size_t png_len;
    err e;
    CHECK(png_encode(3, 2, 1, gray, &png, &png_len, &e) == 0 && png_len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0,
          "png_encode: a PNG file of %zu bytes", png_len);
    unsigned char *none;
    size_t none_len;
    CHECK(png_encode(0, 2, 1, gray, &none, &none_len, &e) < 0 && !none && strcmp(e.msg, "bad image size 0x2x1") == 0,
          "%s", e.msg);

    char na[] = "a", nb[] = "b", *names[] = {na, nb};
    rp_record rec[1] = {{7, {1, 0}, {0.75, 0.25}, -1, png, png_len}};
    rp_sheet s = {"p.ts", "budget 1", 2, names, "id,predicted,reviewer_label\n7,1,\n", 1, rec};
    size_t len;
    CHECK(page(&s, &len, &e) == 0 && len > 1000, "a good sheet: %zu bytes", len);
    s.csv = "id,predicted,reviewer_label\n7,1,x\n";
    CHECK(page(&s, &len, &e) < 0 && len == 0, "a filled reviewer_label is refused, nothing written: %s", e.msg);
    s.csv = "id,predicted,reviewer_label\n7,1,\n8,0,\n";
    CHECK(page(&s, &len, &e) < 0 && strcmp(e.msg, "review page: the CSV has more rows than the 1 records") == 0,
          "%s", e.msg);
    s.csv = "id,\"a\nb\",reviewer_label\n7,\"1,\n\",\n";
    CHECK(page(&s, &len, &e) == 0, "newlines and commas inside quotes stay in their row");
    rec[0].guess[0] = 2;
    s.csv = "id,predicted,reviewer_label\n7,1,\n";
    CHECK(page(&s, &len, &e) < 0 && strcmp(e.msg, "review page: id 7: class 2 out of range") == 0, "%s", e.msg);
    free(png);
    UNIT_EXIT();
}
