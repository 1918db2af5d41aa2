#include "classes.h"

#include <stdio.h>

const char *const fm_class_names[FM_NCLASS] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

const char *fm_class_name(int k, char *buf, unsigned len)
{
    if (k >= 0 && k < FM_NCLASS)
        return fm_class_names[k];
    snprintf(buf, len, "class %d", k);
    return buf;
}
