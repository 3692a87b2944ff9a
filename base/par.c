#include "par.h"

#include <stdlib.h>
#include <string.h>

int par_launched(void)
{
    /* Open MPI's mpirun, Slurm's srun with PMI/PMIx, MPICH's hydra */
    static const char *const VARS[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"};
    for (size_t i = 0; i < sizeof VARS / sizeof *VARS; i++)
        if (getenv(VARS[i])) return 1;
    return 0;
}

clcam_status par_init(par_comm *p, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    int provided = 0, rc;
    MPI_Comm node = MPI_COMM_NULL;
    *p = (par_comm){.active = 0, .rank = 0, .size = 1, .local_rank = 0, .comm = MPI_COMM_NULL};
    if (!par_launched()) goto exit;
    /* Open MPI's default MPI-IO component (OMPIO) hangs in HDF5's collective writes in known
     * cases; ROMIO does not. An MCA parameter read at MPI_Init, so set before it. */
    if (!getenv("OMPI_MCA_io")) setenv("OMPI_MCA_io", "romio321", 0);
    /* HDF5 is called from the run's writer thread, never from two threads at once */
    if ((rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided)) != MPI_SUCCESS) {
        st = err_set(err, CLCAM_ERR_IO, "MPI_Init_thread failed (%d) under an MPI launcher", rc);
        goto exit;
    }
    p->active = 1;
    p->comm = MPI_COMM_WORLD;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(MPI_COMM_WORLD, &p->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &p->size);
    if (provided < MPI_THREAD_SERIALIZED) {
        st = err_set(err, CLCAM_ERR_IO, "the MPI library gives thread level %d, clcam needs "
                     "MPI_THREAD_SERIALIZED (%d)", provided, MPI_THREAD_SERIALIZED);
        goto exit;
    }
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, p->rank, MPI_INFO_NULL, &node) != MPI_SUCCESS ||
        MPI_Comm_rank(node, &p->local_rank) != MPI_SUCCESS) {
        st = err_set(err, CLCAM_ERR_IO, "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) failed");
        goto exit;
    }
exit:
    if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
    return st;
}

void par_finalize(par_comm *p)
{
    if (p->active) MPI_Finalize();
    p->active = 0;
}

void par_abort(const par_comm *p, int rc)
{
    if (p->active) MPI_Abort(p->comm, rc);
}

static long reduce(const par_comm *p, long v, MPI_Op op)
{
    long out = v;
    if (p && p->active) MPI_Allreduce(&v, &out, 1, MPI_LONG, op, p->comm);
    return out;
}

long par_max_long(const par_comm *p, long v) { return reduce(p, v, MPI_MAX); }
long par_min_long(const par_comm *p, long v) { return reduce(p, v, MPI_MIN); }
long par_sum_long(const par_comm *p, long v) { return reduce(p, v, MPI_SUM); }

void par_bcast(const par_comm *p, void *buf, size_t n)
{
    if (p && p->active) MPI_Bcast(buf, (int)n, MPI_BYTE, 0, p->comm);
}
