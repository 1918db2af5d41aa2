/* recipe.h - what makes a training run what it is: the network, the
 * normalisation, the optimiser, the schedule and the regularisation. Written
 * into the model and checkpoint as key=value lines and compared on --resume;
 * a preset names a whole recipe. */
#ifndef RECIPE_H
#define RECIPE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "optim.h"

typedef struct recipe {
    const char *preset, *arch; /* arch: a built-in name or an .arch file */
    const char *augment;       /* as augment_format spells it */
    int unit_norm;             /* x/255 rather than the training data's mean and std */
    optim_kind optimizer;
    lr_schedule schedule;
    float lr, wd, momentum, factor, min_lr, smoothing;
    int epochs, batch, warmup, patience, early, monitor_acc;
    uint64_t seed;
} recipe;

/* A preset is option text, read before the command line's own options so
 * that those win, and shown as it is by --help. */
typedef struct recipe_preset {
    const char *name, *options, *what;
} recipe_preset;
extern const recipe_preset recipe_presets[]; /* ends with a NULL name */
const recipe_preset *recipe_preset_find(const char *name);
/* Each preset's name, what it is for, and its options, as --help lists them. */
void recipe_preset_list(char *buf, size_t len);

/* "normalise=standard\noptimizer=adamw\n...": the settings that --resume compares. */
void recipe_text(char *buf, size_t len, const recipe *r);
/* Is saved (a checkpoint's meta) the same recipe? Keys an older checkpoint lacks are not
 * checked. The error names the first difference; ckpt names the file in it. */
int recipe_check(const recipe *r, const char *saved, const char *ckpt, err *e);
/* Said after a difference when the checkpoint predates presets (and their defaults). */
const char *recipe_hint(const char *saved);

/* The architecture text for -a: a built-in one by name, else the file's bytes (malloc'ed). */
char *recipe_arch_text(const char *arch, err *e);
/* "default, narrow, small, study, wide": the built-in architectures */
void recipe_arch_names(char *buf, size_t len);
/* Do two architecture texts describe the same layers? Comments, blank lines
 * and spacing do not count (a shipped .arch file's comment may be edited). */
int recipe_same_layers(const char *a, const char *b);

#endif
