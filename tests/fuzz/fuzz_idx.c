/* fuzz_idx.c - lib/idx: idx_open and idx_read on the input as a file (plain
 * or gzip, as zlib sees it). */
#include "fuzz.h"

#include "idx.h"

#define MAX_ITEM_BYTES (1u << 22)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    idx_file x;
    err e;
    if (idx_open(&x, fuzz_path(data, size, NULL, 0), &e) < 0)
        return 0;
    if (x.item_bytes <= MAX_ITEM_BYTES) {
        unsigned char *buf = malloc(x.item_bytes);
        for (uint64_t i = 0; buf && i < x.items; i++)
            if (idx_read(&x, buf, 1, &e) < 0)
                break;
        free(buf);
    }
    idx_close(&x);
    return 0;
}
