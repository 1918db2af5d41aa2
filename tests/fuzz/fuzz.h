/* fuzz.h - what the libFuzzer harnesses share.
 *
 * Each harness defines LLVMFuzzerTestOneInput(data, size). Built with
 * clang -fsanitize=fuzzer,address,undefined it is a fuzzer (make fuzz);
 * linked with replay.c instead it runs the files given on its command line
 * once each (the regression inputs, from make check).
 *
 * fuzz_path() gives readers that want a path (gzopen, fopen) the input as a
 * file: an in-memory file (memfd) reached through /proc/self/fd, rewritten
 * for every input, so a fuzzing run writes nothing to disk.
 */
#ifndef FUZZ_H
#define FUZZ_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_write_all(int fd, const void *p, size_t n, off_t off)
{
    const unsigned char *c = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, c, n, off);
        if (w <= 0)
            abort();
        c += w, n -= (size_t)w, off += w;
    }
}

/* The path of a file holding data[size] followed by tail[tail_len]. */
static inline const char *fuzz_path(const uint8_t *data, size_t size, const void *tail, size_t tail_len)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-input", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0)
        abort();
    fuzz_write_all(fd, data, size, 0);
    if (tail_len)
        fuzz_write_all(fd, tail, tail_len, (off_t)size);
    return path;
}

#endif
