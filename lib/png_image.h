/* png_image.h - write 8-bit grayscale or RGB PNG files with libpng, atomically. */
#ifndef PNG_IMAGE_H
#define PNG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* pixels: h rows of w bytes (gray) or w*3 bytes (RGB), top row first. */
int png_write_gray(const char *path, uint32_t w, uint32_t h, const unsigned char *pixels, err *e);
int png_write_rgb(const char *path, uint32_t w, uint32_t h, const unsigned char *rgb, err *e);

/* The same PNG (channels 1 gray, 3 RGB) in memory, for a file that embeds
 * it: *out is malloc'd (the caller frees it), *len its size. */
int png_encode(uint32_t w, uint32_t h, int channels, const unsigned char *pixels, unsigned char **out, size_t *len,
               err *e);

#endif
