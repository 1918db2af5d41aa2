/* pred_table.h - a prediction stream held in memory, small per record:
 * id, true label, top class and runner-up with their probabilities, and
 * every confidence score: what flag and merge need; and the probability
 * vectors themselves (n x k floats), which confident learning needs.
 *
 * A prediction stream is f32, rank 1, dims[0] = K >= 2 classes, nclass 0 or
 * K, payload = probabilities (finite, 0..1, summing to 1 within 1e-3), ids
 * unique, and either every record labelled or none.
 */
#ifndef PRED_TABLE_H
#define PRED_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "confidence.h"
#include "err.h"

typedef struct pred_rec {
    uint32_t id;
    int32_t label;  /* -1 = no label */
    int c1, c2;     /* predicted class, runner-up */
    double p1, p2;  /* their probabilities */
    double score[CONF_NKIND]; /* as printed: p1, p1 - p2, entropy */
} pred_rec;

typedef struct pred_table {
    int k;          /* classes */
    int labelled;   /* 1 if every record has a true label */
    size_t n;
    pred_rec *r;    /* in stream order */
    float *p;       /* (n,k) probabilities, in stream order */
    uint32_t *by_id; /* indices into r, sorted by id */
} pred_table;

/* path NULL or "-" = stdin; name for messages (the stream's own errors name it as ts_open_path does). */
int pred_table_load(pred_table *t, const char *path, const char *name, err *e);
/* Index of the record with this id, or -1. */
long pred_table_find(const pred_table *t, uint32_t id);
void pred_table_free(pred_table *t);

#endif
