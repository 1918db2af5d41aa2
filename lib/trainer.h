/* trainer.h - the training loop as a library. A driver (filters/train.c) reads like the recipe:
 *   trainer_open -> trainer_start -> while (trainer_epoch) trainer_checkpoint
 *   -> trainer_restore_best -> trainer_save -> trainer_free
 * Each epoch runs shuffled, augmented batches through the optimiser and schedule, then a
 * validation figure keeps the best weights, and a checkpoint lets --resume continue exactly.
 * Printing, the log and signals are the driver's: the trainer reports through hooks and a
 * stop flag, and returns errors (err.h). */
#ifndef TRAINER_H
#define TRAINER_H

#include <signal.h>

#include "augment.h"
#include "dataset.h"
#include "model_file.h"
#include "recipe.h"

/* Settings of the network itself (such as a convolution algorithm) belong here too,
 * applied in trainer_open, where the network is built or loaded. */
typedef struct trainer_config {
    recipe rc;
    const char *output, *ckpt;     /* the model; the checkpoint written after every epoch */
    int threads, resume;           /* threads: of this process */
    conv_algo conv;                /* how the convolutions run (CONV_AUTO: by layer shape) */
    void (*note)(const char *msg); /* a remark worth a line on stderr (NULL: none) */
    const net_parts *parts;        /* data-parallel: this process's share of each batch (NULL: alone); only
                                    * part 0 writes files. Sums that extend a step go through it. */
} trainer_config;

typedef struct trainer_report { /* one epoch's figures */
    int epoch, best;              /* best: the best epoch so far */
    float lr;                     /* the rate it ended with (before a plateau cut) */
    double loss, acc;             /* training, from the epoch's forward passes */
    double val_loss, val_acc;     /* validation (the training figures without a validation set) */
    double seconds;
    size_t images;
} trainer_report;

typedef struct trainer_hooks {
    /* after every batch: the epoch's images so far, their mean loss and accuracy */
    void (*progress)(void *ctx, int epoch, size_t seen, size_t total, double loss, double acc, double seconds);
    void *ctx;
    volatile sig_atomic_t *stop; /* set: stop after this batch; the partial epoch is dropped */
} trainer_hooks;

typedef struct trainer {
    /* for the driver to read */
    trainer_config c;
    network *n;
    dataset train, val;
    int has_val, epoch, best_epoch; /* epoch: epochs completed */
    int stopped;                    /* early stopping ended the run: a resumed one has nothing left to do */
    uint64_t step;
    float lr;
    double best_metric;             /* lower is better: val loss, or 1 - val acc */
    double seconds;                 /* of training, over every run of a resumed job */
    double val_loss, val_acc;       /* the best weights' (trainer_restore_best) */
    /* the trainer's own */
    plateau plat;
    early_stop es;
    optim opt;
    augment aug;
    net_work *w, *we; /* training batches; evaluation batches */
    uint8_t *decay;
    float *best_params, *best_buffers, *scratch;
    size_t *order;
    int32_t *labels;
    char *ckpt_meta, data_crc[64]; /* data_crc: "train_crc32=...\nval_crc32=...\n" */
    train_state st;
} trainer;

/* The network: the checkpoint's when c->resume, else built from c->rc.arch and initialised. */
int trainer_open(trainer *t, const trainer_config *c, err *e);
/* Load the data (val may be NULL); on --resume check the recipe, data and network against
 * the checkpoint's; set the normalisation; allocate; restore the checkpoint's state. */
int trainer_start(trainer *t, const char *train, const char *val, err *e);
/* One epoch: 1 when it ran (*r says how), 0 when the run is over (every epoch run,
 * an early stop, or a stop request), -1 on an error. */
int trainer_epoch(trainer *t, const trainer_hooks *h, trainer_report *r, err *e);
/* Everything needed to continue exactly from the last epoch, into c.ckpt. */
int trainer_checkpoint(trainer *t, err *e);
/* The best epoch's weights into the network; 1 when val_loss, val_acc were measured. */
int trainer_restore_best(trainer *t);
/* The model file, how it was trained in its metadata. */
int trainer_save(trainer *t, err *e);
void trainer_free(trainer *t);

/* Before anything runs: no output may be an input (the data, the network), and the
 * model, checkpoint and log (NULL: none) must be files we can create. */
int trainer_check_files(const trainer_config *c, const char *train, const char *val, const char *log, err *e);

#endif
