/* optim.h - optimisers over a flat parameter array, learning-rate schedules,
 * and the two Keras callbacks the study used (ReduceLROnPlateau, EarlyStopping). */
#ifndef OPTIM_H
#define OPTIM_H

#include <stddef.h>
#include <stdint.h>

typedef enum optim_kind { OPT_ADAM, OPT_ADAMW, OPT_SGD } optim_kind;
/* How the learning rate moves: per epoch on a validation plateau, or per step. */
typedef enum lr_schedule { SCHED_PLATEAU, SCHED_COSINE, SCHED_ONECYCLE, SCHED_CONSTANT } lr_schedule;

/* Names as the command line and the model file spell them; a parse returns -1 for an unknown name. */
int optim_kind_parse(const char *name);
const char *optim_kind_name(optim_kind k);
int lr_schedule_parse(const char *name);
const char *lr_schedule_name(lr_schedule s);

typedef struct optim {
    optim_kind kind;
    float lr;            /* current learning rate (schedules set it) */
    float beta1, beta2, eps;
    float weight_decay;  /* AdamW: decoupled; SGD: L2 added to the gradient */
    float momentum;      /* SGD (Nesterov off) */
    uint64_t t;          /* steps taken */
    size_t n;
    float *m, *v;        /* first and second moments (SGD: m = velocity) */
    const uint8_t *decay; /* decay[i]: parameter i is a weight that decays (not a bias or norm) */
} optim;

/* m and v are allocated here; free with optim_free. */
int optim_init(optim *o, optim_kind kind, size_t n, const uint8_t *decay);
void optim_free(optim *o);
void optim_step(optim *o, float *params, const float *grad);

/* Cosine decay from base to base*floor_frac over total steps after a linear warm-up. */
float lr_cosine(float base, uint64_t step, uint64_t total, uint64_t warmup, float floor_frac);
/* One-cycle: linear warm-up to base over 30 % of the steps, then cosine down to base/1e4... */
float lr_onecycle(float base, uint64_t step, uint64_t total);

/* The rate for a step under a per-step schedule (cosine, onecycle); lr for the others. */
float lr_schedule_at(lr_schedule s, float base, float lr, uint64_t step, uint64_t total, uint64_t warmup);

/* Keras ReduceLROnPlateau (mode min, min_delta 1e-4, cooldown 0) */
typedef struct plateau {
    float factor, min_lr;
    int patience, wait;
    double best;
} plateau;
/* Returns the (possibly reduced) learning rate after an epoch with this metric. */
float plateau_update(plateau *p, double metric, float lr);

/* Keras EarlyStopping (mode min, min_delta 0): returns 1 when training should stop. */
typedef struct early_stop {
    int patience, wait;
    double best;
} early_stop;
int early_stop_update(early_stop *s, double metric);

#endif
