/* png_image.h - write 8-bit grayscale or RGB PNG files with libpng, atomically. */
#ifndef PNG_IMAGE_H
#define PNG_IMAGE_H

#include <stdint.h>

#include "err.h"

/* pixels: h rows of w bytes (gray) or w*3 bytes (RGB), top row first. */
int png_write_gray(const char *path, uint32_t w, uint32_t h, const unsigned char *pixels, err *e);
int png_write_rgb(const char *path, uint32_t w, uint32_t h, const unsigned char *rgb, err *e);

#endif
