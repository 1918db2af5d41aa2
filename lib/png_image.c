/* png_image.c - libpng reports errors by longjmp; we turn that into err. */
#include "png_image.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

static void on_png_error(png_structp png, png_const_charp msg)
{
    err *e = png_get_error_ptr(png);
    /* libpng's own "Write Error" hides the cause (a full disk): the stream still has it */
    FILE *f = png_get_io_ptr(png);
    if (f && ferror(f))
        err_set(e, "write error: %s", strerror(errno));
    else
        err_set(e, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Encodes the image into f; -1 with the reason (no path) when libpng fails. */
static int encode_png(FILE *f, uint32_t w, uint32_t h, const unsigned char *pix, int color, err *e)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        return err_set(e, "out of memory");
    }
    size_t stride = (size_t)w * (color == PNG_COLOR_TYPE_RGB ? 3 : 1);
    /* volatile: modified between setjmp and a possible longjmp */
    volatile int ok = 0;
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, f);
        png_set_IHDR(png, info, w, h, 8, color, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                     PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (uint32_t y = 0; y < h; y++)
            png_write_row(png, (png_const_bytep)(pix + y * stride));
        png_write_end(png, NULL);
        ok = 1;
    }
    png_destroy_write_struct(&png, &info);
    return ok ? 0 : -1;
}

static int write_png(const char *path, uint32_t w, uint32_t h, const unsigned char *pix, int color, err *e)
{
    if (w == 0 || h == 0 || w > 1u << 20 || h > 1u << 20)
        return err_set(e, "%s: bad image size %ux%u", path, w, h);
    atomic_file af;
    if (af_open(&af, path, e) < 0)
        return -1;
    if (encode_png(af.f, w, h, pix, color, e) < 0) {
        af_discard(&af);
        return err_prefix(e, "%s", path);
    }
    return af_commit(&af, e);
}

int png_write_gray(const char *path, uint32_t w, uint32_t h, const unsigned char *pixels, err *e)
{
    return write_png(path, w, h, pixels, PNG_COLOR_TYPE_GRAY, e);
}

int png_write_rgb(const char *path, uint32_t w, uint32_t h, const unsigned char *rgb, err *e)
{
    return write_png(path, w, h, rgb, PNG_COLOR_TYPE_RGB, e);
}

int png_encode(uint32_t w, uint32_t h, int channels, const unsigned char *pixels, unsigned char **out, size_t *len,
               err *e)
{
    *out = NULL;
    *len = 0;
    if (w == 0 || h == 0 || w > 1u << 20 || h > 1u << 20 || (channels != 1 && channels != 3))
        return err_set(e, "bad image size %ux%ux%d", w, h, channels);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return err_set(e, "out of memory");
    int rc = encode_png(f, w, h, pixels, channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, e);
    if (fclose(f) != 0 && rc == 0)
        rc = err_set(e, "out of memory");
    if (rc < 0) {
        free(buf);
        return -1;
    }
    *out = (unsigned char *)buf;
    *len = size;
    return 0;
}
