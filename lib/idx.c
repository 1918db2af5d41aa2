#include "idx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gz_input.h"

static int gz_fail(idx_file *x, err *e, const char *what)
{
    const char *msg = gz_error_text(x->gz);
    if (!msg)
        return err_set(e, "%s: %s", x->name, what);
    return err_set(e, "%s: %s: %s", x->name, what, msg);
}

int idx_open(idx_file *x, const char *path, err *e)
{
    memset(x, 0, sizeof *x);
    const int from_stdin = strcmp(path, "-") == 0;
    snprintf(x->name, sizeof x->name, "%s", from_stdin ? "<stdin>" : path);
    if (!(x->gz = gz_open_in(path, e)))
        return -1;
    unsigned char h[4];
    int n = gzread(x->gz, h, 4);
    if (n < 0) {
        gz_fail(x, e, "read error");
        idx_close(x);
        return -1;
    }
    if (n < 4 || h[0] || h[1]) {
        idx_close(x);
        return err_set(e, "%s: not an IDX file (bad magic)", x->name);
    }
    if (h[2] != 0x08) {
        idx_close(x);
        return err_set(e, "%s: IDX element type 0x%02x not supported (only 0x08, unsigned byte)", x->name, h[2]);
    }
    if (h[3] < 1 || h[3] > IDX_MAX_RANK) {
        idx_close(x);
        return err_set(e, "%s: IDX rank %d not supported (1..%d)", x->name, h[3], IDX_MAX_RANK);
    }
    x->rank = h[3];
    unsigned char d[4 * IDX_MAX_RANK];
    if (gzread(x->gz, d, (unsigned)(4 * x->rank)) != 4 * x->rank) {
        idx_close(x);
        return err_set(e, "%s: truncated IDX header", x->name);
    }
    x->item_bytes = 1;
    for (int i = 0; i < x->rank; i++) {
        x->dims[i] = (uint32_t)d[4 * i] << 24 | (uint32_t)d[4 * i + 1] << 16 | (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
        if (i > 0) {
            if (x->dims[i] == 0 || x->dims[i] > (1u << 16)) {
                idx_close(x);
                return err_set(e, "%s: IDX dimension %d is %u (1..65536)", x->name, i + 1, x->dims[i]);
            }
            x->item_bytes *= x->dims[i];
        }
    }
    if (x->item_bytes > (1u << 26)) {
        idx_close(x);
        return err_set(e, "%s: IDX items of %llu bytes are too large", x->name, (unsigned long long)x->item_bytes);
    }
    x->items = x->dims[0];
    return 0;
}

int idx_read(idx_file *x, void *buf, uint64_t n, err *e)
{
    unsigned char *p = buf;
    for (uint64_t i = 0; i < n; i++) {
        int got = gzread(x->gz, p + i * x->item_bytes, (unsigned)x->item_bytes);
        if (got < 0)
            return gz_fail(x, e, "read error");
        int zerr = Z_OK;
        gzerror(x->gz, &zerr);
        if ((uint64_t)got != x->item_bytes && zerr == Z_BUF_ERROR)
            return err_set(e, "%s: item %llu: truncated gzip input (unexpected end of file)", x->name,
                           (unsigned long long)(x->nread + 1));
        if ((uint64_t)got != x->item_bytes)
            return err_set(e, "%s: item %llu: truncated (got %d of %llu bytes; header says %llu items)", x->name,
                           (unsigned long long)(x->nread + 1), got, (unsigned long long)x->item_bytes,
                           (unsigned long long)x->items);
        x->nread++;
    }
    return 0;
}

int idx_check_end(idx_file *x, err *e)
{
    unsigned char b;
    int got = gzread(x->gz, &b, 1);
    if (got < 0)
        return gz_fail(x, e, "read error");
    if (got > 0)
        return err_set(e, "%s: data after the last of the %llu items the header states (a damaged count?)", x->name,
                       (unsigned long long)x->items);
    return 0;
}

void idx_close(idx_file *x)
{
    if (x->gz)
        gzclose(x->gz);
    x->gz = NULL;
}
