/* model_file.h - the trained model on disk, and train's checkpoints.
 *
 * A versioned binary file, all integers and floats little-endian:
 *   magic "FMMODEL\0" (8), version u32 (1), flags u32 (bit 0: training state follows)
 *   arch text: u32 length + bytes (the .arch the network was built from)
 *   classes: u32 count K, then K names as u16 length + bytes
 *   normalisation: mean f32, std f32 (input is used as (x - mean) / std)
 *   params: u64 count + f32 values; buffers (batch-norm running mean/var): u64 count + f32 values
 *   meta: u32 length + "key=value\n" text (how it was trained, for people)
 *   if flag bit 0: state: u32 length + "key=value\n" text (epoch, step, lr, ...),
 *                  then u64 count + f32 arrays: Adam m, Adam v, best params, best buffers
 *   CRC-32 (zlib) of every byte before it, u32.
 * The loader checks the CRC before it parses, and every length against the file.
 */
#ifndef MODEL_FILE_H
#define MODEL_FILE_H

#include <stddef.h>

#include "err.h"
#include "network.h"

#define MODEL_MAGIC "FMMODEL"
#define MODEL_VERSION 1
#define MODEL_MAX_BYTES (1u << 30)

typedef struct train_state {
    char text[4096];      /* key=value lines */
    float *m, *v;         /* optimiser moments, nparams each (may be NULL) */
    float *best_params;   /* nparams */
    float *best_buffers;  /* nbuffers */
} train_state;

/* An upper bound on the bytes model_save writes for n (with the training
 * state of a checkpoint, or without): train checks it against
 * MODEL_MAX_BYTES before it starts, not when the first checkpoint fails. */
uint64_t model_file_bound(const network *n, int with_state);
/* Write n (and state, if not NULL) to path atomically; refused if larger
 * than MODEL_MAX_BYTES, which model_load would not read back. */
int model_save(const char *path, const network *n, const char *meta, const train_state *state, err *e);
/* Load a model; state (may be NULL) receives the training state if the file has one
 * (arrays malloc'ed; free with train_state_free). meta (may be NULL) gets a malloc'ed copy. */
network *model_load(const char *path, char **meta, train_state *state, int *has_state, err *e);
void train_state_free(train_state *s);

/* key=value helpers for the meta and state texts */
int kv_get(const char *text, const char *key, char *out, size_t len);
double kv_get_double(const char *text, const char *key, double dflt);

#endif
