/* augment.h - training-time image augmentation, applied to raw pixel images
 * (H, W, C floats 0..255) before normalisation. Every draw comes from
 * rng_hash(key, i), so a given (seed, epoch, image) is augmented the same
 * way on any machine and any thread count. */
#ifndef AUGMENT_H
#define AUGMENT_H

#include <stddef.h>
#include <stdint.h>

typedef struct augment {
    int shift;       /* random translation by up to this many pixels (zero fill) */
    int flip;        /* horizontal flip with probability 1/2 */
    float erase;     /* random erasing probability (area 2-33 %, aspect 0.3-3.3) */
} augment;

int augment_active(const augment *a);
/* Parse "shift=2,flip,erase=0.5" (or "none"); -1 on a bad spec. */
int augment_parse(augment *a, const char *spec);
/* The canonical spec of a: "shift=N,flip,erase=P" with what is on, or "none". */
void augment_format(const augment *a, char *buf, size_t len);
/* img (H,W,C) in place; tmp: scratch of H*W*C floats. */
void augment_image(float *img, float *tmp, int H, int W, int C, const augment *a, uint64_t key);
/* Translate (H,W,C) in place by dy rows and dx columns, zero fill; tmp: H*W*C floats. */
void shift_image(float *img, float *tmp, int H, int W, int C, int dy, int dx);
/* Horizontal mirror, (H,W,C) in place (also used by predict's test-time augmentation). */
void flip_horizontal(float *img, int H, int W, int C);

#endif
