/* Writes the results layout of the contract, batch by batch, chunked and compressed.
 * The root attribute `complete` stays 0 until results_finish. */
#ifndef CLCAM_RESULTS_H
#define CLCAM_RESULTS_H

#include <hdf5.h>
#include <stdint.h>

#include "../base/error.h"
#include "../base/par.h"
#include "cam_store.h"

#define RESULTS_MAX_METHODS 16
#define RESULTS_MAX_CLASS_NAMES 1000 /* numbered names when the dataset has none */
#define RESULTS_MAX_METRICS 7
#define RESULTS_MAX_METRIC_ATTRS 16

typedef struct {
    long n;                 /* rows in the file */
    int classes;
    int has_label;
    int cam_h, cam_w;       /* final map (input size) */
    int raw_h, raw_w;       /* map at the layer's resolution */
    /* A method's own cam_raw plane where it differs (the baselines': the input's); 0: raw_h,
     * raw_w. */
    int method_raw_h[RESULTS_MAX_METHODS], method_raw_w[RESULTS_MAX_METHODS];
    int topk;               /* 0: one target per image ([N], [N, H, W]); K: [N, K], [N, K, H, W] */
    int chunk_rows;         /* usually the batch size, so each batch fills whole chunks */
    int compression;        /* gzip 0-9 */
    cam_dtype cam_dtype;    /* how /<method>/cam is stored (cam_raw stays float32) */
    int n_methods;
    const char *methods[RESULTS_MAX_METHODS];
    /* /<method>/metrics (io/results_metrics.c): one float32 value per image (and target) for
     * each name; the deletion and insertion curves of curve_points points when asked for; the
     * settings as string attributes of every metrics group. */
    int n_metrics;
    const char *metrics[RESULTS_MAX_METRICS];
    int deletion_curve, insertion_curve, curve_points;
    int n_metric_attrs;
    const char *metric_attr_name[RESULTS_MAX_METRIC_ATTRS], *metric_attr_value[RESULTS_MAX_METRIC_ATTRS];
    /* Root attributes. */
    const char *config_yaml, *device, *platform, *driver_version, *dataset_file, *split,
        *weights_file, *layer;
    const char *const *class_names;
    int n_class_names;
    /* `clcam run --shard I/K` (shards > 0): root attributes shard, shards, rows_first (the
     * part's first row in the whole run), rows_total, and run_config (the config without
     * output.file, shared by every part); a resume also needs the same shard. */
    int shard, shards;
    long rows_first, rows_total;
    const char *run_config;
    /* The ranks of `mpirun -n K clcam run`, which all write this one file through parallel
     * HDF5 (MPI-IO, collective writes) and make every call here with the same values. NULL
     * or not active: one process, HDF5's default file driver. */
    const par_comm *par;
} results_layout;

/* One batch of outputs, rows [offset, offset + count). cam/cam_raw: one array per method,
 * [count, K, ...] when topk is K. */
typedef struct {
    const int64_t *index;
    const int32_t *label;   /* NULL when the dataset has no labels */
    const float *logits, *probs;
    const int32_t *pred, *target;
    const float *cam[RESULTS_MAX_METHODS], *cam_raw[RESULTS_MAX_METHODS];
    const float *metric[RESULTS_MAX_METHODS][RESULTS_MAX_METRICS]; /* in layout.metrics' order */
    const float *deletion_curve[RESULTS_MAX_METHODS], *insertion_curve[RESULTS_MAX_METHODS];
} results_batch;

typedef struct {
    hid_t file;
    hid_t index, label, logits, probs, pred, target;
    hid_t cam[RESULTS_MAX_METHODS], cam_raw[RESULTS_MAX_METHODS];
    hid_t metric[RESULTS_MAX_METHODS][RESULTS_MAX_METRICS];
    hid_t curve[RESULTS_MAX_METHODS][2]; /* deletion, insertion */
    results_layout layout;
    char path[1024];
    void *cam_buf;          /* a batch of maps converted to cam_dtype (not float32) */
    size_t cam_buf_size;
    void *chunks;           /* io/results_chunks.c's compressor and buffers, or NULL */
    hid_t dxpl;             /* data transfers: collective under MPI, else H5P_DEFAULT */
    /* The completion map /chunks_done (io/results_done.c): entry u is 1 once rows
     * [u * unit, (u + 1) * unit) are written and flushed; done_map is this process's copy. */
    hid_t done;
    uint8_t *done_map;
    long n_units;
    int unit;
} results_writer;

/* Creates (truncating) path and its folder; writes attributes with complete = 0. */
clcam_status results_create(results_writer *w, const char *path, const results_layout *layout,
                            clcam_err *err);

typedef enum {
    RESULTS_NEW,       /* no file: created */
    RESULTS_RESUMED,   /* an unfinished file of the same config: reopened, *rows_done valid */
    RESULTS_COMPLETE   /* a finished file of the same config: left alone, closed */
} results_open_kind;

/* Opens path for a run of layout: creates it when absent (or when overwrite), resumes an
 * unfinished file written with the same config (attribute `config`), and refuses a file of
 * another config or one it cannot read, naming the file and what to do. */
clcam_status results_open(results_writer *w, const char *path, const results_layout *layout,
                          int overwrite, results_open_kind *kind, long *rows_done,
                          clcam_err *err);
/* After a batch of rows [first, first + count): data flushed first, then the map entries of
 * the chunks it finished (the chunk's rows are written in order from its start, maybe over
 * several batches), flushed, then (one process only) `rows_done`, the rows final from row 0.
 * Under MPI every rank calls it once per batch round, count 0 for none. */
clcam_status results_mark_done(results_writer *w, long first, int count, clcam_err *err);
/* Is map entry u marked? Rows in marked entries (resume). */
int results_unit_done(const results_writer *w, long u);
long results_rows_marked(const results_writer *w);
/* Correct predictions among the marked rows in [first, first + count), from /pred and /label
 * (for a resumed run); reads no row the map does not mark. */
clcam_status results_count_correct(results_writer *w, long first, long count, long *correct,
                                   clcam_err *err);
/* The map (io/results_done.c): created with the datasets; on resume read, or made from
 * `rows_done` for a file written before the map. */
clcam_status results_done_create(results_writer *w, clcam_err *err);
clcam_status results_done_load(results_writer *w, long rows_done, clcam_err *err);
void results_done_close(results_writer *w);
/* The map of a merged file of rows rows (clcam merge): every entry marked, entries of part's
 * size; nothing when part has no map. path names out. */
clcam_status results_done_merged(hid_t part, hid_t out, const char *path, long rows, clcam_err *err);
/* Under MPI count 0 is a rank's share of a collective write with nothing in it (b unused). */
clcam_status results_write(results_writer *w, long offset, int count, const results_batch *b,
                           clcam_err *err);
/* Marks the file complete and closes it. */
clcam_status results_finish(results_writer *w, clcam_err *err);
/* The /<method>/metrics datasets (io/results_metrics.c), called by the functions above. */
void results_metrics_invalidate(results_writer *w);
clcam_status results_metrics_create(results_writer *w, hid_t method_group, int m, clcam_err *err);
clcam_status results_metrics_reopen(results_writer *w, int m, clcam_err *err);
clcam_status results_metrics_write(results_writer *w, long offset, int count, const results_batch *b,
                                   clcam_err *err);
/* The mean of n values v[i * stride] and a normal 95% interval of it (mean -/+ 1.96 sd / sqrt(n);
 * NaN where n is too small). */
void results_mean_ci(const float *v, size_t n, size_t stride, double *mean, double ci[2]);
/* Summary attributes over all rows: mean, ci95 (a normal 95% interval of the mean). */
clcam_status results_metrics_summarise(results_writer *w, clcam_err *err);
void results_metrics_close(results_writer *w);
/* The same summary attributes of the values of metrics dataset ds on object dst (clcam merge): a
 * value's mean and ci95, a curve's (is_curve) mean per point; path names dst's file. */
clcam_status results_metrics_summarise_dataset(hid_t ds, hid_t dst, const char *path, int is_curve,
                                               clcam_err *err);
/* A dataset [n, d...] (rank 1 to 4) chunked along n, gzip'd at the layout's level. */
clcam_status results_create_dataset(results_writer *w, hid_t where, const char *name, hid_t type,
                                    int rank, const int *d, hid_t *out, clcam_err *err);
clcam_status results_write_rows(results_writer *w, hid_t ds, hid_t mem_type, long offset,
                                int count, const void *buf, clcam_err *err);
/* Closes without marking complete (after a failure). */
void results_close(results_writer *w);

/* mkdir -p of the folder that will hold path. */
clcam_status make_parent_dirs(const char *path, clcam_err *err);

#endif
