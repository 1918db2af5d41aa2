/* png_image.c - libpng reports errors by longjmp; we turn that into err. */
#include "png_image.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

static void on_png_error(png_structp png, png_const_charp msg)
{
    err *e = png_get_error_ptr(png);
    err_set(e, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static int write_png(const char *path, uint32_t w, uint32_t h, const unsigned char *pix, int color, err *e)
{
    if (w == 0 || h == 0 || w > 1u << 20 || h > 1u << 20)
        return err_set(e, "%s: bad image size %ux%u", path, w, h);
    atomic_file af;
    if (af_open(&af, path, e) < 0)
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        af_discard(&af);
        return err_set(e, "%s: out of memory", path);
    }
    size_t stride = (size_t)w * (color == PNG_COLOR_TYPE_RGB ? 3 : 1);
    /* volatile: modified between setjmp and a possible longjmp */
    volatile int ok = 0;
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, af.f);
        png_set_IHDR(png, info, w, h, 8, color, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                     PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (uint32_t y = 0; y < h; y++)
            png_write_row(png, (png_const_bytep)(pix + y * stride));
        png_write_end(png, NULL);
        ok = 1;
    }
    png_destroy_write_struct(&png, &info);
    if (!ok) {
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

/* ---- into memory ---------------------------------------------------------- */

typedef struct png_mem {
    unsigned char *buf;
    size_t len, cap;
} png_mem;

static void mem_write(png_structp png, png_bytep data, png_size_t n)
{
    png_mem *m = png_get_io_ptr(png);
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap : 1024;
        while (cap < m->len + n)
            cap *= 2;
        unsigned char *bigger = realloc(m->buf, cap);
        if (!bigger)
            png_error(png, "out of memory");
        m->buf = bigger, m->cap = cap;
    }
    memcpy(m->buf + m->len, data, n);
    m->len += n;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

int png_encode(uint32_t w, uint32_t h, int channels, const unsigned char *pixels, unsigned char **out, size_t *len,
               err *e)
{
    if (w == 0 || h == 0 || w > 1u << 20 || h > 1u << 20 || (channels != 1 && channels != 3))
        return err_set(e, "bad image size %ux%ux%d", w, h, channels);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        return err_set(e, "out of memory");
    }
    /* static: not clobbered by the longjmp (setjmp's rule for locals) */
    static png_mem m;
    m = (png_mem){NULL, 0, 0};
    volatile int ok = 0;
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_set_write_fn(png, &m, mem_write, mem_flush);
        png_set_IHDR(png, info, w, h, 8, channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (uint32_t y = 0; y < h; y++)
            png_write_row(png, (png_const_bytep)(pixels + (size_t)y * w * (size_t)channels));
        png_write_end(png, NULL);
        ok = 1;
    }
    png_destroy_write_struct(&png, &info);
    if (!ok) {
        free(m.buf);
        return -1;
    }
    *out = m.buf;
    *len = m.len;
    return 0;
}
