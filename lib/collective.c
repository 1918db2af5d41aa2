#include "collective.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FM_MPI
#include <mpi.h>

static struct job {
    net_parts parts;
    void *buf;    /* 2 * cap values: the blocks sent, then the blocks received */
    size_t cap;   /* in doubles */
    uint64_t bytes;
} job;

/* Element i's sum over the processes, taken in process order (0 + v_0 + v_1 ...,
 * as network.c sums over threads): each process sums one block of the elements,
 * MPI_Alltoall having sent it every process's copy of that block, and
 * MPI_Allgather then gives every process every block. About 2 (P-1)/P of the
 * vector crosses each process's link, as in a ring allreduce, but the order of
 * the additions is fixed, so every run and every process gets the same bits. */
#define ORDERED_SUM(NAME, T, MPI_T)                                                            \
    static void NAME(void *ctx, T *v, size_t n)                                                \
    {                                                                                          \
        struct job *j = ctx;                                                                   \
        const int P = j->parts.parts;                                                          \
        const size_t k = (n + (size_t)P - 1) / (size_t)P;                                      \
        T *send = j->buf, *recv = send + k * (size_t)P;                                        \
        memcpy(send, v, n * sizeof(T));                                                        \
        memset(send + n, 0, (k * (size_t)P - n) * sizeof(T));                                  \
        MPI_Alltoall(send, (int)k, MPI_T, recv, (int)k, MPI_T, MPI_COMM_WORLD);                \
        for (size_t i = 0; i < k; i++) {                                                       \
            T s = 0;                                                                           \
            for (int r = 0; r < P; r++)                                                        \
                s += recv[(size_t)r * k + i];                                                  \
            send[i] = s;                                                                       \
        }                                                                                      \
        MPI_Allgather(send, (int)k, MPI_T, recv, (int)k, MPI_T, MPI_COMM_WORLD);               \
        memcpy(v, recv, n * sizeof(T));                                                        \
        j->bytes += n * sizeof(T);                                                             \
    }
ORDERED_SUM(sum_f64, double, MPI_DOUBLE)
ORDERED_SUM(sum_f32, float, MPI_FLOAT)

int collective_init(int *argc, char ***argv, const net_parts **parts, err *e)
{
    int provided, rank, size;
    /* a sum may be called from whichever OpenMP thread runs a `single` block, one at a time */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return err_set(e, "cannot join the MPI job");
    if (provided < MPI_THREAD_SERIALIZED)
        return err_set(e, "this MPI library does not let threads call it one at a time (MPI_THREAD_SERIALIZED)");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    job.parts = (net_parts){rank, size, sum_f64, sum_f32, &job};
    setvbuf(stderr, NULL, _IOLBF, BUFSIZ); /* whole lines, which mpirun does not interleave */
    *parts = size > 1 ? &job.parts : NULL;
    return collective_reserve(2 * 4096 + 1, e); /* batch-norm statistics: 2 x BN_MAX_CHANNELS */
}

int collective_reserve(size_t n, err *e)
{
    const size_t P = (size_t)job.parts.parts, cap = ((n + P - 1) / P) * P; /* whole blocks */
    if (cap <= job.cap)
        return 0;
    void *b = realloc(job.buf, 2 * cap * sizeof(double));
    if (!b)
        return err_set(e, "out of memory for sums of %zu values", n);
    job.buf = b, job.cap = cap;
    return 0;
}

uint64_t collective_bytes(void) { return job.bytes; }

void collective_end(void)
{
    free(job.buf);
    MPI_Finalize();
}

#else /* one process alone */

int collective_init(int *argc, char ***argv, const net_parts **parts, err *e)
{
    (void)argc, (void)argv, (void)e;
    *parts = NULL;
    return 0;
}
int collective_reserve(size_t n, err *e) { return (void)n, (void)e, 0; }
uint64_t collective_bytes(void) { return 0; }
void collective_end(void) {}

#endif
