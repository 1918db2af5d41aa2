/* Unit tests for lib/canvas: text sizes, glyph pixels across and turned
 * upwards, lines, clipping, pasted images, and bad sizes refused. */
#include <string.h>

#include "canvas.h"
#include "unit.h"

static const colour white = {255, 255, 255}, black = {0, 0, 0};

static int lit(const canvas *c, int x, int y)
{
    return c->rgb[((size_t)y * c->w + x) * 3] == 0;
}

/* The canvas as rows of '#' and '.', for messages and exact comparisons. */
static void art(const canvas *c, char *out)
{
    for (int y = 0; y < c->h; y++) {
        for (int x = 0; x < c->w; x++)
            *out++ = lit(c, x, y) ? '#' : '.';
        *out++ = '/';
    }
    *out = '\0';
}

int main(void)
{
    err e;
    canvas c;
    char a[4096];
    CHECK(canvas_text_width("", 1) == 0 && canvas_text_width("T", 1) == 5 && canvas_text_width("Tt", 2) == 22,
          "widths: 5 px a character, 1 px between, times the scale");
    CHECK(canvas_text_width("\xc3\xbc-x", 1) == canvas_text_width("?-x", 1), "a UTF-8 character is one cell");
    CHECK(canvas_text_height(3) == 27, "height: 9 rows a line at scale 1");

    CHECK(canvas_init(&c, 6, 9, white, &e) == 0, "init 6x9");
    canvas_text(&c, 0, 0, "T", 1, black);
    art(&c, a);
    CHECK(strcmp(a, "#####./..#.../..#.../..#.../..#.../..#.../..#.../....../....../") == 0, "T across: %s", a);
    canvas_free(&c);

    /* turned upwards, "T" lies on its side: its top bar is the left column, its stem the middle row */
    CHECK(canvas_init(&c, 9, 6, white, &e) == 0, "init 9x6");
    canvas_text_up(&c, 0, 0, "T", 1, black);
    art(&c, a);
    CHECK(strcmp(a, "#......../#......../#######../#......../#......../........./") == 0, "T upwards: %s", a);
    canvas_free(&c);

    /* upwards, the first character is at the bottom */
    CHECK(canvas_init(&c, 9, 11, white, &e) == 0, "init 9x11");
    canvas_text_up(&c, 0, 0, "-.", 1, black);
    CHECK(lit(&c, 3, 8) && !lit(&c, 3, 2) && lit(&c, 5, 2) && lit(&c, 6, 3) && !lit(&c, 5, 8), "'-' below '.' when reading upwards");
    canvas_free(&c);

    CHECK(canvas_init(&c, 5, 4, white, &e) == 0, "init 5x4");
    canvas_line(&c, 0, 0, 4, 3, black);
    canvas_line(&c, 4, 0, 4, 0, black);
    art(&c, a);
    CHECK(strcmp(a, "#...#/.#.../..##./....#/") == 0, "a shallow line, both ends; a one-pixel line: %s", a);
    canvas_fill(&c, -10, -10, 100, 100, white);
    canvas_fill(&c, 3, 2, 10, 10, black);
    canvas_line(&c, -5, 0, 50, 0, black);
    art(&c, a);
    CHECK(strcmp(a, "#####/...../...##/...##/") == 0, "fills and lines clip at the edges: %s", a);
    unsigned char img[4] = {0, 255, 255, 0};
    canvas_fill(&c, 0, 0, 5, 4, white);
    canvas_image(&c, 1, 0, img, 2, 2, 1, 2);
    art(&c, a);
    CHECK(strcmp(a, ".##../.##../...##/...##/") == 0, "a 2x2 gray image at scale 2: %s", a);
    canvas_free(&c);

    CHECK(canvas_init(&c, 0, 5, white, &e) < 0 && strcmp(e.msg, "picture too large or empty (0x5)") == 0, "%s",
          e.msg);
    CHECK(canvas_init(&c, 40000, 5, white, &e) < 0, "%s", e.msg);
    UNIT_EXIT();
}
