#include "augment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

int augment_active(const augment *a) { return a->shift > 0 || a->flip || a->erase > 0; }

int augment_parse(augment *a, const char *spec)
{
    memset(a, 0, sizeof *a);
    if (!spec || strcmp(spec, "none") == 0 || !*spec)
        return 0;
    char copy[256];
    if (strlen(spec) >= sizeof copy)
        return -1;
    snprintf(copy, sizeof copy, "%s", spec);
    char *save = NULL;
    int seen_flip = 0, seen_shift = 0, seen_erase = 0; /* each at most once: "shift=1,shift=2" is a typo */
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        if (strcmp(t, "flip") == 0) {
            a->flip = 1;
            if (seen_flip++)
                return -1;
        } else if (strcmp(t, "shift") == 0 || strncmp(t, "shift=", 6) == 0) {
            long v = 2;
            if (t[5] == '=') {
                v = strtol(t + 6, &end, 10);
                if (end == t + 6 || *end || v < 0 || v > 8)
                    return -1;
            }
            a->shift = (int)v;
            if (seen_shift++)
                return -1;
        } else if (strcmp(t, "erase") == 0 || strncmp(t, "erase=", 6) == 0) {
            double v = 0.5;
            if (t[5] == '=') {
                v = strtod(t + 6, &end);
                if (end == t + 6 || *end || !(v >= 0 && v <= 1)) /* !(..) also refuses NaN */
                    return -1;
            }
            a->erase = (float)v;
            if (seen_erase++)
                return -1;
        } else
            return -1;
    }
    return 0;
}

void flip_horizontal(float *img, int H, int W, int C)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W / 2; x++)
            for (int c = 0; c < C; c++) {
                float *l = img + ((size_t)y * W + x) * C + c, *r = img + ((size_t)y * W + (W - 1 - x)) * C + c;
                float t = *l;
                *l = *r, *r = t;
            }
}

void shift_image(float *img, float *tmp, int H, int W, int C, int dy, int dx)
{
    if (!dy && !dx)
        return;
    const size_t n = (size_t)H * W * C;
    memset(tmp, 0, n * sizeof(float));
    for (int y = 0; y < H; y++) {
        int sy = y - dy;
        if (sy < 0 || sy >= H)
            continue;
        for (int x = 0; x < W; x++) {
            int sx = x - dx;
            if (sx >= 0 && sx < W)
                memcpy(tmp + ((size_t)y * W + x) * C, img + ((size_t)sy * W + sx) * C, (size_t)C * sizeof(float));
        }
    }
    memcpy(img, tmp, n * sizeof(float));
}

static double u01(uint64_t key, uint64_t i) { return (double)(rng_hash(key, i) >> 11) * 0x1.0p-53; }

void augment_image(float *img, float *tmp, int H, int W, int C, const augment *a, uint64_t key)
{
    if (a->flip && u01(key, 1) < 0.5)
        flip_horizontal(img, H, W, C);
    if (a->shift > 0) {
        int span = 2 * a->shift + 1;
        int dy = (int)(u01(key, 2) * span) - a->shift, dx = (int)(u01(key, 3) * span) - a->shift;
        shift_image(img, tmp, H, W, C, dy, dx);
    }
    if (a->erase > 0 && u01(key, 4) < a->erase) {
        /* Zhong et al.'s random erasing: a rectangle of 2-33 % of the area, aspect 0.3-3.3,
         * filled with uniform noise over the pixel range */
        for (int attempt = 0; attempt < 10; attempt++) {
            double area = (0.02 + u01(key, 10 + attempt * 4) * 0.31) * H * W;
            double ratio = exp(log(0.3) + u01(key, 11 + attempt * 4) * (log(3.3) - log(0.3)));
            int h = (int)lround(sqrt(area * ratio)), w = (int)lround(sqrt(area / ratio));
            if (h < 1 || w < 1 || h >= H || w >= W)
                continue;
            int y0 = (int)(u01(key, 12 + attempt * 4) * (H - h + 1)), x0 = (int)(u01(key, 13 + attempt * 4) * (W - w + 1));
            for (int y = y0; y < y0 + h; y++)
                for (int x = x0; x < x0 + w; x++)
                    for (int c = 0; c < C; c++)
                        img[((size_t)y * W + x) * C + c] = (float)(255.0 * u01(key, 1000 + ((size_t)y * W + x) * C + c));
            break;
        }
    }
}

void augment_format(const augment *a, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    if (a->shift && at < len)
        at += (size_t)snprintf(buf + at, len - at, "shift=%d", a->shift);
    if (a->flip && at < len)
        at += (size_t)snprintf(buf + at, len - at, "%sflip", at ? "," : "");
    if (a->erase > 0 && at < len)
        at += (size_t)snprintf(buf + at, len - at, "%serase=%g", at ? "," : "", (double)a->erase);
    if (at == 0)
        snprintf(buf, len, "none");
}
