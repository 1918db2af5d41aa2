/* fuzz_model.c - lib/model_file: model_load (and through it the .arch
 * parser). The loader checks a CRC-32 before it parses anything, so the
 * harness appends the right CRC to the input: the fuzzer then explores the
 * parser, not the checksum. The seed corpus holds real model files with
 * their CRC cut off. */
#include "fuzz.h"

#include <zlib.h>

#include "model_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)size);
    unsigned char tail[4] = {(unsigned char)c, (unsigned char)(c >> 8), (unsigned char)(c >> 16),
                             (unsigned char)(c >> 24)};
    err e;
    char *meta = NULL;
    train_state st;
    int has_state = 0;
    network *n = model_load(fuzz_path(data, size, tail, 4), &meta, &st, &has_state, &e);
    if (n) {
        if (has_state)
            train_state_free(&st);
        free(meta);
        net_free(n);
    }
    return 0;
}
