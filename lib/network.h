/* network.h - a sequential network described by a small text file (an ".arch"),
 * its parameters in one allocation, and batched forward/backward passes that
 * split each batch across threads.
 *
 * Architecture text, one layer a line ('#' starts a comment):
 *   input H W C                 first line: the image shape
 *   conv N [k=3] [stride=1] [pad=same|valid|P]
 *   dense N
 *   relu | flatten | softmax    (softmax ends the network)
 *   batchnorm [momentum=0.99] [eps=0.001]
 *   maxpool [Z=2]               Z x Z windows, stride Z
 *   dropout P
 * The shipped architectures are samples/NAME.arch.
 */
#ifndef NETWORK_H
#define NETWORK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "layers.h"

typedef enum layer_kind {
    LK_CONV, LK_DENSE, LK_RELU, LK_BATCHNORM, LK_MAXPOOL, LK_DROPOUT, LK_FLATTEN, LK_SOFTMAX
} layer_kind;

typedef struct layer {
    layer_kind kind;
    int ih, iw, ic;   /* input shape (a vector is 1 x 1 x n) */
    int h, w, c;      /* output shape */
    conv_shape conv;  /* LK_CONV */
    int pool;         /* LK_MAXPOOL: Z */
    float p;          /* LK_DROPOUT: drop probability */
    float momentum, eps; /* LK_BATCHNORM */
    size_t w_off, nw; /* weights (conv, dense) or gamma (batchnorm) in params */
    size_t b_off, nb; /* biases or beta */
    size_t s_off;     /* LK_BATCHNORM: running mean, then running variance, in buffers */
    conv_algo algo;   /* LK_CONV: CONV_IM2COL or CONV_WINOGRAD, set by net_set_conv_algo() */
    int relu_after;   /* LK_CONV, LK_DENSE: the next layer is a ReLU, applied here in place */
    int fused;        /* LK_RELU: done by the layer before; passes values and gradients through */
    int folded;       /* LK_BATCHNORM: folded into a conv or dense layer (net_fold_batchnorm) */
    float *pad;       /* LK_CONV after net_fold_batchnorm: its padding value per input channel, or NULL */
    struct qconv *q;  /* LK_CONV after net_quantize_int8: its int8 weights and scales, or NULL */
} layer;

typedef struct network {
    int in_h, in_w, in_c, nclass;
    int nlayers;
    layer *layers;
    size_t nparams;   /* trainable */
    size_t nbuffers;  /* running statistics */
    float *params;
    float *buffers;
    float norm_mean, norm_std; /* input x is used as (x - mean) / std; x in 0..255 */
    char *arch;       /* the text the network was built from */
} network;

/* Parse arch text; name is used in messages ("study.arch: line 3: ..."). Its
 * convolutions use the algorithm CONV_AUTO picks. */
network *net_from_arch(const char *text, const char *name, err *e);
void net_free(network *n);
/* Glorot-uniform weights (Keras' default), zero biases, gamma 1, beta 0,
 * running mean 0 and variance 1. */
void net_init(network *n, uint64_t seed);
size_t net_in_elems(const network *n);
/* Forward multiply-adds per image, for reports. */
double net_flops_per_image(const network *n);
/* How the convolutions are computed: CONV_IM2COL everywhere, CONV_WINOGRAD wherever
 * the shape allows it (3x3, stride 1), or CONV_AUTO: a fixed rule by layer shape
 * (Winograd for 3x3 stride-1 layers with >= 32 input channels on >= 14x14 inputs)
 * (never by batch or thread count, so a given command and seed give the same model
 * on any split of the batch). Call before net_work_new(). */
void net_set_conv_algo(network *n, conv_algo a);
/* Inference only: fold each batch norm (running statistics) into the conv or dense
 * layer it feeds (through dropout, flatten, and max pooling when its scales are
 * positive) or, failing that, into the conv or dense layer right before it, and the
 * input's normalisation into a first conv layer. A conv whose input a fold shifts pads
 * with the value that maps to zero, so the border stays exact. Returns how many were
 * folded, or -1 (out of memory). The network can then no longer be trained or saved. */
int net_fold_batchnorm(network *n, err *e);
/* int8 inference (lib/quant.h), in two steps:
 * 1. net_calibrate() after each of a few net_forward() calls: widens lo and hi (nlayers
 *    floats each, start them at 0) to the range of every conv layer's input;
 * 2. net_quantize_int8(): every conv layer but the first (its input is the raw image, and
 *    it is a small share of the work) computes in int8 from then on. Returns -1 when out
 *    of memory. Like folding, for inference only. */
int net_quantize_int8(network *n, const float *lo, const float *hi, err *e);
/* "im2col", "winograd" or "auto"; anything else is an error naming the choices. */
int conv_algo_parse(const char *s, conv_algo *a, err *e);
const char *conv_algo_name(conv_algo a);
/* Keras-style summary: layer (with its conv algorithm), output shape, parameter count, totals. */
void net_summary(const network *n, FILE *f);

/* ---- batched passes ---- */
typedef struct net_work net_work;

/* Workspace for batches of up to bmax images, split across nthreads threads.
 * training: keep what backward needs and allocate gradients. */
net_work *net_work_new(const network *n, int bmax, int nthreads, int training, err *e);
void net_work_free(net_work *w);
/* The input buffer to fill: (bmax, H, W, C) raw pixel values 0..255. */
float *net_input(net_work *w);
/* Forward pass over B images already in net_input(); returns probs (B, nclass).
 * training: batch statistics and dropout, with the dropout mask keyed by key. */
const float *net_forward(network *n, net_work *w, int B, int training, uint64_t key);
/* After a training forward: mean loss over the batch (labels (B)), gradients
 * into net_grad(). smooth = label smoothing. */
double net_backward(network *n, net_work *w, const int32_t *labels, int B, float smooth);
/* Gradient of the mean loss with respect to params (nparams). */
float *net_grad(net_work *w);
/* Layer i's output from the last forward pass, (B, h, w, c) of layer i; a fused
 * ReLU's output is its conv/dense layer's (for tests: tests/tools/nn_reference). */
const float *net_activation(const net_work *w, int i);

/* Data-parallel training: process part of parts holds rows [B*part/parts, B*(part+1)/parts)
 * of every batch of B, and its T threads are threads part*T.. of parts*T: the same split as
 * one process with parts*T threads. sum() replaces this process's partial sums (n values) by
 * their sum over all processes in process order, the same on every process. */
typedef struct net_parts {
    int part, parts;
    void (*sum)(void *ctx, double *v, size_t n);
    void (*sum_f32)(void *ctx, float *v, size_t n);
    void *ctx;
} net_parts;
/* This process's rows [*lo, *hi) of a batch of B (p NULL: all of them). */
void net_parts_rows(const net_parts *p, int B, int *lo, int *hi);
/* w (for batches of up to bmax, whole) holds only p's rows: net_forward and net_backward take the
 * whole batch's B, net_input and the labels this process's rows; batch-norm statistics, the
 * gradient and the loss are summed with p->sum. */
void net_work_set_parts(net_work *w, const network *n, const net_parts *p, int bmax);
/* int8 calibration, step 1 of net_quantize_int8() (above): after net_forward() of B images. */
void net_calibrate(const network *n, const net_work *w, int B, float *lo, float *hi);

/* Images per im2col GEMM for batches of bmax split over nthreads (for benchmarks). */
int net_conv_chunk(const network *n, int bmax, int nthreads);

/* Threads to use by default: the processors this process may run on. */
int net_default_threads(void);

#endif
