/* fuzz_npy.c - lib/npy: npy_parse on the buffer, then npy_open / npy_read /
 * npy_check_end on the same bytes as a file. */
#include "fuzz.h"

#include "npy.h"

#define MAX_ELEMS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_header h;
    err e;
    static double out[MAX_ELEMS];
    if (npy_parse(data, size, &h, &e) == 0 && h.data_offset <= size) {
        size_t n = (size - h.data_offset) / (size_t)h.itemsize;
        if (n > h.count)
            n = h.count;
        if (n > MAX_ELEMS)
            n = MAX_ELEMS;
        npy_to_double(&h, data + h.data_offset, n, out);
        char s[128];
        npy_shape_str(&h, s, sizeof s);
    }
    npy_file f;
    if (npy_open(&f, fuzz_path(data, size, NULL, 0), &e) < 0)
        return 0;
    uint64_t left = f.h.count;
    while (left > 0) {
        size_t n = left < 1000 ? (size_t)left : 1000;
        if (npy_read(&f, out, n, "element", 1, &e) < 0)
            break;
        left -= n;
    }
    if (left == 0)
        npy_check_end(&f, &e);
    npy_close(&f);
    return 0;
}
