/* canvas.h - an RGB picture to draw on: filled rectangles, lines, images
 * pasted in enlarged, and text in a built-in 5x7 bitmap font (printable
 * ASCII; each character of another script drawn as '?') at whole-number
 * scales, across or reading upwards. What confmat's heatmap and stats'
 * pictures are drawn with. Drawing clips at the edges; only canvas_init and
 * canvas_write_png can fail.
 */
#ifndef CANVAS_H
#define CANVAS_H

#include "err.h"

typedef struct canvas {
    unsigned char *rgb; /* (h, w, 3), top row first */
    int w, h;
} canvas;

/* A colour as three bytes, red first. */
typedef struct colour {
    unsigned char r, g, b;
} colour;

/* Text cells: each character is CANVAS_CHAR_W x CANVAS_CHAR_H pixels at
 * scale 1, spacing and descender included. */
enum { CANVAS_CHAR_W = 6, CANVAS_CHAR_H = 9 };

/* w x h pixels (1 .. 2^15 each), filled with bg. */
int canvas_init(canvas *c, int w, int h, colour bg, err *e);
void canvas_free(canvas *c);

void canvas_fill(canvas *c, int x, int y, int w, int h, colour col);
/* A one-pixel line from (x0, y0) to (x1, y1), both ends included. */
void canvas_line(canvas *c, int x0, int y0, int x1, int y1, colour col);
/* An image of w x h pixels, channels 1 (gray) or 3 (RGB), each pixel drawn
 * as scale x scale, its top left corner at (x, y). */
void canvas_image(canvas *c, int x, int y, const unsigned char *pix, int w, int h, int channels, int scale);

/* The width and height in pixels that s takes at this scale. */
int canvas_text_width(const char *s, int scale);
int canvas_text_height(int scale);
/* s with the top left corner of its first cell at (x, y). */
void canvas_text(canvas *c, int x, int y, const char *s, int scale, colour col);
/* s turned a quarter left, reading upwards: the box it covers has
 * canvas_text_height() columns and canvas_text_width() rows, its top left
 * corner at (x, y); the first character is at the bottom. */
void canvas_text_up(canvas *c, int x, int y, const char *s, int scale, colour col);

int canvas_write_png(const canvas *c, const char *path, err *e);

#endif
