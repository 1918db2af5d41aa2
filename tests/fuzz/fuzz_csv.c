/* fuzz_csv.c - lib/csv_images: csv_images_read_mem. The first input byte
 * picks the options (pixels per row, label mode); the rest is the CSV. */
#include "fuzz.h"

#include "csv_images.h"

static int on_row(void *ctx, uint32_t id, int32_t label, const unsigned char *pixels, err *e)
{
    (void)e;
    unsigned long *sum = ctx;
    const uint32_t elems = (uint32_t)(sum[1]);
    sum[0] += id + (unsigned long)label;
    for (uint32_t i = 0; i < elems; i++)
        sum[0] += pixels[i];
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const uint32_t elems[4] = {1, 4, 9, 784};
    static const int modes[4] = {CSV_LABELS_AUTO, CSV_LABELS_YES, CSV_LABELS_NO, CSV_LABELS_AUTO};
    csv_images_opts o = {elems[data[0] & 3], (data[0] >> 2 & 1) ? 3 : 10, modes[data[0] >> 3 & 3], NULL};
    unsigned long sum[2] = {0, o.elems};
    int labelled;
    err e;
    csv_images_read_mem(data + 1, size - 1, "<fuzz>", &o, on_row, sum, &labelled, &e);
    return 0;
}
