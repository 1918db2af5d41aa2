/* classes.h - the Fashion-MNIST class names, in label order (one place only). */
#ifndef CLASSES_H
#define CLASSES_H

#define FM_NCLASS 10

extern const char *const fm_class_names[FM_NCLASS];

/* Name of class k, or "class k" style fallback for k outside 0..9 written into buf. */
const char *fm_class_name(int k, char *buf, unsigned len);

#endif
