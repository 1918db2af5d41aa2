/* collective.h - the processes of a data-parallel training job. Built with
 * `make MPI=1` (FM_MPI defined, mpicc), a program started by mpirun joins the
 * job's other processes through Open MPI; otherwise it is one process alone.
 * See docs/mpi.md. */
#ifndef COLLECTIVE_H
#define COLLECTIVE_H

#include <stdint.h>

#include "err.h"
#include "network.h"

/* Join the job: *parts is this process's place in it, with sums over every
 * process (lib/network.h), or NULL when the process is alone. */
int collective_init(int *argc, char ***argv, const net_parts **parts, err *e);
/* Room for sums of up to n floats or doubles, so that a sum never allocates. */
int collective_reserve(size_t n, err *e);
/* Bytes of the vectors summed so far (what an allreduce of them would reduce). */
uint64_t collective_bytes(void);
/* Leave the job, once every process has ended its run well. */
void collective_end(void);

#endif
