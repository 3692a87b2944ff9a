/* The MPI ranks of `mpirun -n K clcam run`: who this process is among them, and the few
 * collective steps the run needs (agreeing on a number, sharing rank 0's bytes). Started only
 * under a launcher; otherwise a one-rank world with no MPI call at all. */
#ifndef CLCAM_PAR_H
#define CLCAM_PAR_H

#include <mpi.h>
#include <stddef.h>

#include "error.h"

typedef struct {
    int active;        /* MPI was started (a launcher is present); 0: one process, no MPI */
    int rank, size;    /* in MPI_COMM_WORLD; 0 and 1 when not active */
    int local_rank;    /* among the ranks on this node (MPI_COMM_TYPE_SHARED) */
    MPI_Comm comm;     /* MPI_COMM_WORLD when active */
} par_comm;

/* Is this process started by an MPI launcher (mpirun, srun)? From its environment. */
int par_launched(void);
/* Starts MPI when launched (ROMIO as the MPI-IO component unless OMPI_MCA_io is set), else
 * fills in the one-process world. */
clcam_status par_init(par_comm *p, clcam_err *err);
void par_finalize(par_comm *p);
/* Ends every rank with exit code rc (a failure on one rank would leave the others waiting in
 * a collective call). Returns only when not active. */
void par_abort(const par_comm *p, int rc);

/* The maximum, minimum and sum of v over the ranks (v itself when not active). */
long par_max_long(const par_comm *p, long v);
long par_min_long(const par_comm *p, long v);
long par_sum_long(const par_comm *p, long v);
/* Rank 0's n bytes into buf on every rank. */
void par_bcast(const par_comm *p, void *buf, size_t n);

#endif
