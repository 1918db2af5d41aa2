/* dataset.h - a labelled image stream in memory, for training: pixels as stored
 * (u8 or f32), labels, ids, and a CRC that tells one data set from another. */
#ifndef DATASET_H
#define DATASET_H

#include "network.h"

typedef struct dataset {
    size_t n, elems;
    int h, w, c;
    unsigned char *x; /* (n, elems) pixels as stored (u8), or NULL when f32 */
    float *xf;        /* (n, elems) when the stream is f32 */
    int32_t *y;
    uint32_t *id;
    uint32_t crc; /* CRC-32 of the ids, labels and pixels in order: --resume checks it is the same data */
} dataset;

/* The stream at path (NULL or "-": stdin): labelled images of the shape n takes, labels below its outputs. */
int dataset_load(dataset *d, const char *path, const network *n, err *e);
void dataset_free(dataset *d);
/* Image i as floats, (h, w, c) into dst. */
void dataset_image(const dataset *d, size_t i, float *dst);
/* The mean and standard deviation of every pixel; -1 when too large to use. */
int dataset_moments(const dataset *d, float *mean, float *std, err *e);

#endif
