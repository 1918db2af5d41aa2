/* test_npy - the .npy header parser on memory buffers. */
#include <string.h>

#include "npy.h"
#include "unit.h"

/* A version 1.0 preamble + dict in buf; returns the length. */
static size_t make(unsigned char *buf, const char *dict)
{
    size_t n = strlen(dict);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(n & 0xff), buf[9] = (unsigned char)(n >> 8);
    memcpy(buf + 10, dict, n);
    return 10 + n;
}

static int parse(const char *dict, npy_header *h, err *e)
{
    unsigned char buf[1024];
    size_t n = make(buf, dict);
    return npy_parse(buf, n, h, e);
}

int main(void)
{
    npy_header h;
    err e;
    unsigned char buf[1024];

    CHECK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 784), }   \n", &h, &e) == 0, "numpy's layout");
    CHECK(h.kind == NPY_FLOAT && h.itemsize == 4 && !h.big_endian, "descr <f4");
    CHECK(h.rank == 2 && h.shape[0] == 10 && h.shape[1] == 784 && h.count == 7840, "shape (10, 784)");
    CHECK(h.data_offset == 10 + strlen("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 784), }   \n"),
          "data offset");
    CHECK(parse("{\"shape\":(3,),\"descr\":\">i8\",\"fortran_order\":False}", &h, &e) == 0, "double quotes, any order");
    CHECK(h.kind == NPY_INT && h.itemsize == 8 && h.big_endian && h.rank == 1 && h.shape[0] == 3, "descr >i8");
    CHECK(parse("{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 3L), }", &h, &e) == 0, "Python 2 longs");
    CHECK(parse("{'descr': '|b1', 'fortran_order': False, 'shape': (), }", &h, &e) == 0 && h.rank == 0 &&
              h.count == 1,
          "rank 0 holds one element");
    CHECK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 784), }", &h, &e) == 0 && h.count == 0,
          "zero images");

    CHECK(parse("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", &h, &e) < 0 &&
              strstr(e.msg, "fortran_order True"),
          "fortran order refused: %s", e.msg);
    CHECK(parse("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", &h, &e) < 0 &&
              strcmp(e.msg, "dtype '<f2' not supported (integers, bool, float32 or float64)") == 0,
          "float16 refused: %s", e.msg);
    CHECK(parse("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", &h, &e) < 0 &&
              strstr(e.msg, "structured"),
          "structured dtype refused: %s", e.msg);
    CHECK(parse("{'descr': '<f4', 'shape': (1,), }", &h, &e) < 0 && strcmp(e.msg, "header: no 'fortran_order' key") == 0,
          "missing key: %s", e.msg);
    CHECK(parse("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", &h, &e) < 0 &&
              strstr(e.msg, "twice"),
          "duplicate key: %s", e.msg);
    CHECK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", &h, &e) < 0 &&
              strstr(e.msg, "unexpected key 'x'"),
          "unknown key: %s", e.msg);
    CHECK(parse("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", &h, &e) < 0 &&
              strcmp(e.msg, "shape too large") == 0,
          "element count overflow: %s", e.msg);
    CHECK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", &h, &e) < 0, "negative dimension");
    CHECK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", &h, &e) < 0, "text after the dict");
    CHECK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", &h, &e) < 0, "dict cut short");

    size_t n = make(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }");
    CHECK(npy_parse(buf, n - 5, &h, &e) < 0 && strstr(e.msg, "truncated header"), "truncated: %s", e.msg);
    CHECK(npy_parse(buf, 0, &h, &e) < 0 && strstr(e.msg, "empty"), "empty buffer");
    CHECK(npy_parse(buf, 3, &h, &e) < 0 && strstr(e.msg, "truncated header"), "3 bytes of magic: %s", e.msg);
    buf[1] = 'n';
    CHECK(npy_parse(buf, n, &h, &e) < 0 && strcmp(e.msg, "not a .npy file (bad magic)") == 0, "bad magic");
    buf[1] = 'N', buf[6] = 4;
    CHECK(npy_parse(buf, n, &h, &e) < 0 && strstr(e.msg, "version 4.0"), "version 4: %s", e.msg);
    memcpy(buf, "\x93NUMPY\x02\x00\xff\xff\xff\xff", 12);
    CHECK(npy_parse(buf, 12, &h, &e) < 0 && strstr(e.msg, "too long"), "huge v2 header length refused before reading");

    /* conversions */
    const unsigned char i16be[4] = {0xff, 0xfe, 0x01, 0x00};
    double d[2];
    CHECK(parse("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", &h, &e) == 0, ">i2");
    npy_to_double(&h, i16be, 2, d);
    CHECK(d[0] == -2 && d[1] == 256, ">i2 values: %g %g", d[0], d[1]);
    float f[2] = {0.5f, -1.25f};
    CHECK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", &h, &e) == 0, "<f4");
    npy_to_double(&h, f, 2, d);
    CHECK(d[0] == 0.5 && d[1] == -1.25, "<f4 values on a little-endian host");
    char s[64];
    CHECK(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }", &h, &e) == 0 &&
              strcmp(npy_shape_str(&h, s, sizeof s), "(3, 28, 28)") == 0,
          "shape string");
    UNIT_EXIT();
}
