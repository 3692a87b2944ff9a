/* clcam merge: checks the parts of a sharded run against each other, then writes one results
 * file over them: virtual datasets (H5Pset_virtual) by default, a plain copy with --copy. */
/* realpath: X/Open, beyond the build's _POSIX_C_SOURCE */
#undef _POSIX_C_SOURCE
#define _XOPEN_SOURCE 700
#include "results_merge.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5util.h"
#include "results.h"

/* Root attributes a part has and the merged file replaces or leaves out. */
static const char *const PART_ONLY[] = {"complete", "rows_done", "shard", "shards", "rows_first",
                                        "rows_total", "config"};

typedef struct {
    const char *path;
    char abs[PATH_MAX];   /* what the virtual datasets name: works from any working folder */
    hid_t file;
    int shard, shards;
    int64_t rows_first, rows_total, rows;
    char *run_config;
} part_info;

typedef struct {
    part_info *p;         /* in shard order */
    int n, copy;
    hid_t out;
    /* An in-memory file: a virtual dataset's rows are read through the parts' files, which
     * this process holds open read-only, so the summaries read copies here instead. */
    hid_t mem;
    const char *out_path; /* the name the user gave (messages) */
    clcam_status st;
    clcam_err *err;
} merge_ctx;

static clcam_status read_attr(hid_t f, const char *path, const char *name, hid_t mem, void *v, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t a = H5I_INVALID_HID;
    if (H5Aexists(f, name) <= 0)
        return err_set(err, CLCAM_ERR_INPUT, "%s: no attribute %s: not a part of a clcam run --shard job", path, name);
    if ((a = H5Aopen(f, name, H5P_DEFAULT)) < 0 || H5Aread(a, mem, v) < 0)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read attribute %s (H5Aread)", path, name);
    if (a >= 0) H5Aclose(a);
    return st;
}

/* Opens one part and reads what the checks need. */
static clcam_status part_open(part_info *p, const char *path, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    char **cfg = NULL;
    int n_cfg = 0, complete = 0, rows_done = 0, rank;
    hid_t ds = H5I_INVALID_HID;
    hsize_t dims[H5_MAX_RANK];
    p->path = path;
    if (access(path, F_OK) != 0)
        return err_set(err, CLCAM_ERR_INPUT, "%s: missing (no such file)", path);
    if (!realpath(path, p->abs))
        return err_set(err, CLCAM_ERR_INPUT, "%s: cannot resolve its absolute path", path);
    TRY(h5_open_read(path, "part", &p->file, err));
    TRY(read_attr(p->file, path, "complete", H5T_NATIVE_INT, &complete, err));
    TRY(read_attr(p->file, path, "rows_done", H5T_NATIVE_INT, &rows_done, err));
    TRY(read_attr(p->file, path, "shard", H5T_NATIVE_INT, &p->shard, err));
    TRY(read_attr(p->file, path, "shards", H5T_NATIVE_INT, &p->shards, err));
    TRY(read_attr(p->file, path, "rows_first", H5T_NATIVE_INT64, &p->rows_first, err));
    TRY(read_attr(p->file, path, "rows_total", H5T_NATIVE_INT64, &p->rows_total, err));
    TRY(h5_attr_read_strings(p->file, path, "run_config", &cfg, &n_cfg, err));
    if (n_cfg != 1) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: no attribute run_config: not a part of a clcam run --shard job", path);
        goto exit;
    }
    p->run_config = cfg[0];
    cfg[0] = NULL;
    if (complete != 1) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: incomplete (shard %d/%d stopped after %d rows): rerun the "
                     "same clcam run --shard %d/%d to finish it", path, p->shard, p->shards, rows_done,
                     p->shard, p->shards);
        goto exit;
    }
    TRY(h5_dataset_open(p->file, path, "index", &ds, &rank, dims, err));
    p->rows = (int64_t)dims[0];
    if (p->shards < 1 || p->shard < 0 || p->shard >= p->shards || p->rows_first < 0 ||
        p->rows_first + p->rows > p->rows_total)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: shard %d/%d, rows %lld + %lld of %lld: inconsistent attributes",
                     path, p->shard, p->shards, (long long)p->rows_first, (long long)p->rows,
                     (long long)p->rows_total);
exit:
    if (ds >= 0) H5Dclose(ds);
    h5_strings_free(cfg, n_cfg);
    return st;
}

/* Parts of one run, one per shard, rows [0, rows_total) each once; sorts them by shard. */
static clcam_status parts_check(part_info *p, int n, clcam_err *err)
{
    const part_info *a = &p[0];
    for (int i = 1; i < n; i++) {
        if (strcmp(p[i].run_config, a->run_config) != 0)
            return err_set(err, CLCAM_ERR_INPUT, "%s: a part of another run than %s (run_config differs)",
                           p[i].path, a->path);
        if (p[i].shards != a->shards || p[i].rows_total != a->rows_total)
            return err_set(err, CLCAM_ERR_INPUT, "%s: shard %d of %d parts over %lld rows, but %s is of %d "
                           "parts over %lld rows", p[i].path, p[i].shard, p[i].shards,
                           (long long)p[i].rows_total, a->path, a->shards, (long long)a->rows_total);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (p[i].shard == p[j].shard)
                return err_set(err, CLCAM_ERR_INPUT, "%s: shard %d/%d again (also %s)", p[i].path, p[i].shard,
                               p[i].shards, p[j].path);
    for (int s = 0; s < a->shards; s++) {
        int found = 0;
        for (int i = 0; i < n; i++) found |= p[i].shard == s;
        if (!found)
            return err_set(err, CLCAM_ERR_INPUT, "%s: shard %d/%d of this run is not among the parts given",
                           a->path, s, a->shards);
    }
    for (int i = 1; i < n; i++) /* insertion sort by shard: n is small */
        for (int j = i; j > 0 && p[j].shard < p[j - 1].shard; j--) {
            part_info t = p[j];
            p[j] = p[j - 1];
            p[j - 1] = t;
        }
    int64_t end = 0;
    for (int i = 0; i < n; i++) {
        if (p[i].rows_first != end)
            return err_set(err, CLCAM_ERR_INPUT, "%s: shard %d starts at row %lld, but the shards before it end "
                           "at %lld (%s)", p[i].path, p[i].shard, (long long)p[i].rows_first, (long long)end,
                           p[i].rows_first > end ? "rows missing" : "rows twice");
        end += p[i].rows;
    }
    if (end != a->rows_total)
        return err_set(err, CLCAM_ERR_INPUT, "%s: the parts end at row %lld of %lld (rows missing)",
                       p[n - 1].path, (long long)end, (long long)a->rows_total);
    return CLCAM_OK;
}

/* One attribute of src onto dst as it is (variable-length strings included). */
static clcam_status attr_copy(hid_t src, hid_t dst, const char *name, const char *path, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    hid_t a = H5I_INVALID_HID, b = H5I_INVALID_HID, type = H5I_INVALID_HID, space = H5I_INVALID_HID;
    void *buf = NULL;
    hssize_t n;
    int vlen = 0;
    if ((a = H5Aopen(src, name, H5P_DEFAULT)) < 0 || (type = H5Aget_type(a)) < 0 ||
        (space = H5Aget_space(a)) < 0 || (n = H5Sget_simple_extent_npoints(space)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: opening attribute %s failed (H5Aopen)", path, name);
        goto exit;
    }
    vlen = H5Tdetect_class(type, H5T_VLEN) > 0 || H5Tis_variable_str(type) > 0;
    if (!(buf = calloc((size_t)(n ? n : 1), H5Tget_size(type)))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory copying attribute %s", path, name);
        goto exit;
    }
    if (H5Aread(a, type, buf) < 0 ||
        (b = H5Acreate2(dst, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 || H5Awrite(b, type, buf) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: copying attribute %s failed (H5Awrite)", path, name);
#if H5_VERSION_GE(1, 12, 0)
    if (vlen) H5Treclaim(type, space, H5P_DEFAULT, buf);
#else
    if (vlen) H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf);
#endif
exit:
    free(buf);
    if (b >= 0) H5Aclose(b);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (a >= 0) H5Aclose(a);
    return st;
}

typedef struct {
    hid_t dst;
    const char *path;
    const char *const *skip;
    int n_skip;
    clcam_status st;
    clcam_err *err;
} attr_walk;

static herr_t attr_visit(hid_t obj, const char *name, const H5A_info_t *info, void *data)
{
    attr_walk *w = data;
    (void)info;
    for (int i = 0; i < w->n_skip; i++)
        if (strcmp(name, w->skip[i]) == 0) return 0;
    w->st = attr_copy(obj, w->dst, name, w->path, w->err);
    return w->st == CLCAM_OK ? 0 : -1;
}

/* Every attribute of src but those in skip onto dst. */
static clcam_status attrs_copy(hid_t src, hid_t dst, const char *const *skip, int n_skip, const char *path,
                              clcam_err *err)
{
    attr_walk w = {dst, path, skip, n_skip, CLCAM_OK, err};
    hsize_t idx = 0;
    if (H5Aiterate2(src, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_visit, &w) < 0 && w.st == CLCAM_OK)
        w.st = err_set(err, CLCAM_ERR_HDF5, "%s: listing attributes failed (H5Aiterate2)", path);
    return w.st;
}

/* The rows of dataset name from every part into ds of the merged file, block by block. */
static clcam_status data_copy(merge_ctx *c, const char *name, hid_t ds, hid_t type, int rank,
                              const hsize_t *dims, hsize_t chunk0)
{
    clcam_status st = CLCAM_OK;
    clcam_err *err = c->err;
    hid_t src = H5I_INVALID_HID, fs = H5I_INVALID_HID, ms = H5I_INVALID_HID, os = H5I_INVALID_HID;
    size_t row = H5Tget_size(type);
    void *buf = NULL;
    for (int i = 1; i < rank; i++) row *= (size_t)dims[i];
    hsize_t block = ((size_t)64 << 20) / (row ? row : 1) / chunk0 * chunk0;
    if (block < chunk0) block = chunk0;
    if (!(buf = malloc(row * (size_t)block))) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory copying /%s", c->out_path, name);
        goto exit;
    }
    if ((os = H5Dget_space(ds)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_space of /%s failed", c->out_path, name);
        goto exit;
    }
    for (int i = 0; i < c->n; i++) {
        const part_info *p = &c->p[i];
        if ((src = H5Dopen2(p->file, name, H5P_DEFAULT)) < 0 || (fs = H5Dget_space(src)) < 0) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: no dataset /%s (H5Dopen2)", p->path, name);
            goto exit;
        }
        for (hsize_t r = 0; r < (hsize_t)p->rows; r += block) {
            hsize_t off[H5_MAX_RANK] = {0}, cnt[H5_MAX_RANK];
            memcpy(cnt, dims, sizeof(hsize_t) * (size_t)rank);
            cnt[0] = (hsize_t)p->rows - r < block ? (hsize_t)p->rows - r : block;
            off[0] = r;
            if ((ms = H5Screate_simple(rank, cnt, NULL)) < 0 ||
                H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0 ||
                H5Dread(src, type, ms, fs, H5P_DEFAULT, buf) < 0) {
                st = err_set(err, CLCAM_ERR_INPUT, "%s: reading /%s rows %llu.. failed (H5Dread)", p->path,
                             name, (unsigned long long)r);
                goto exit;
            }
            off[0] = (hsize_t)p->rows_first + r;
            if (H5Sselect_hyperslab(os, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0 ||
                H5Dwrite(ds, type, ms, os, H5P_DEFAULT, buf) < 0) {
                st = err_set(err, CLCAM_ERR_IO, "%s: writing /%s failed (H5Dwrite; disk full?)", c->out_path, name);
                goto exit;
            }
            H5Sclose(ms);
            ms = H5I_INVALID_HID;
        }
        H5Sclose(fs);
        H5Dclose(src);
        fs = src = H5I_INVALID_HID;
    }
exit:
    free(buf);
    if (ms >= 0) H5Sclose(ms);
    if (os >= 0) H5Sclose(os);
    if (fs >= 0) H5Sclose(fs);
    if (src >= 0) H5Dclose(src);
    return st;
}

/* Dataset name of the parts as one of the merged file, with its attributes (the metrics'
 * summaries computed again over all rows). */
static clcam_status dataset_merge(merge_ctx *c, const char *name)
{
    clcam_status st = CLCAM_OK;
    clcam_err *err = c->err;
    const part_info *p0 = &c->p[0];
    hid_t src = H5I_INVALID_HID, type = H5I_INVALID_HID, sdcpl = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    hid_t space = H5I_INVALID_HID, vs = H5I_INVALID_HID, ss = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    hid_t other = H5I_INVALID_HID, mem_ds = H5I_INVALID_HID, lcpl_mem = H5I_INVALID_HID;
    hsize_t dims[H5_MAX_RANK], odims[H5_MAX_RANK], chunk[H5_MAX_RANK] = {1};
    int rank, orank;
    TRY(h5_dataset_open(p0->file, p0->path, name, &src, &rank, dims, err));
    if ((type = H5Dget_type(src)) < 0 || (sdcpl = H5Dget_create_plist(src)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_type of /%s failed", p0->path, name);
        goto exit;
    }
    /* every part holds it, of the same type and row shape */
    for (int i = 1; i < c->n; i++) {
        hid_t t = H5I_INVALID_HID;
        TRY(h5_dataset_open(c->p[i].file, c->p[i].path, name, &other, &orank, odims, err));
        int same = orank == rank && (t = H5Dget_type(other)) >= 0 && H5Tequal(t, type) > 0 &&
                   odims[0] == (hsize_t)c->p[i].rows;
        for (int k = 1; same && k < rank; k++) same = odims[k] == dims[k];
        if (t >= 0) H5Tclose(t);
        H5Dclose(other);
        other = H5I_INVALID_HID;
        if (!same) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: /%s differs in type or shape from %s's", c->p[i].path, name,
                         p0->path);
            goto exit;
        }
    }
    dims[0] = (hsize_t)p0->rows_total;
    if ((space = H5Screate_simple(rank, dims, NULL)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Screate_simple for /%s failed", c->out_path, name);
        goto exit;
    }
    if (c->copy) {
        /* the parts' own chunking and filters */
        if (H5Pget_layout(sdcpl) != H5D_CHUNKED || H5Pget_chunk(sdcpl, rank, chunk) < 0) chunk[0] = 1;
        if ((dcpl = H5Pcopy(sdcpl)) < 0) {
            st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Pcopy for /%s failed", c->out_path, name);
            goto exit;
        }
    } else {
        if ((dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0) {
            st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Pcreate for /%s failed", c->out_path, name);
            goto exit;
        }
        for (int i = 0; i < c->n; i++) {
            const part_info *p = &c->p[i];
            hsize_t off[H5_MAX_RANK] = {0}, cnt[H5_MAX_RANK];
            memcpy(cnt, dims, sizeof(hsize_t) * (size_t)rank);
            off[0] = (hsize_t)p->rows_first;
            cnt[0] = (hsize_t)p->rows;
            if ((vs = H5Scopy(space)) < 0 || H5Sselect_hyperslab(vs, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0 ||
                (ss = H5Screate_simple(rank, cnt, NULL)) < 0 ||
                H5Pset_virtual(dcpl, vs, p->abs, name, ss) < 0) {
                st = err_set(err, CLCAM_ERR_HDF5, "%s: mapping /%s of %s failed (H5Pset_virtual)", c->out_path,
                             name, p->path);
                goto exit;
            }
            H5Sclose(vs);
            H5Sclose(ss);
            vs = ss = H5I_INVALID_HID;
        }
    }
    if ((ds = H5Dcreate2(c->out, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: creating /%s failed (H5Dcreate2)", c->out_path, name);
        goto exit;
    }
    if (c->copy) TRY(data_copy(c, name, ds, type, rank, dims, chunk[0]));
    /* a metrics dataset's summaries were over one part's rows: computed again over all */
    static const char *const SUMMARY[] = {"mean", "ci95"};
    int summarised = strstr(name, "/metrics/") && H5Aexists(src, "mean") > 0;
    TRY(attrs_copy(src, ds, SUMMARY, summarised ? 2 : 0, c->out_path, err));
    if (summarised) {
        size_t len = strlen(name);
        int is_curve = len > 6 && strcmp(name + len - 6, "_curve") == 0;
        if (c->copy) {
            TRY(results_metrics_summarise_dataset(ds, ds, c->out_path, is_curve, err));
        } else {
            hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
            if (c->mem < 0 && (fapl < 0 || H5Pset_fapl_core(fapl, 1 << 20, 0) < 0 ||
                               (c->mem = H5Fcreate("clcam_merge_summaries", H5F_ACC_TRUNC, H5P_DEFAULT, fapl)) < 0)) {
                if (fapl >= 0) H5Pclose(fapl);
                st = err_set(err, CLCAM_ERR_HDF5, "%s: an in-memory file for the summaries failed (H5Pset_fapl_core)",
                             c->out_path);
                goto exit;
            }
            if (fapl >= 0) H5Pclose(fapl);
            if ((lcpl_mem = H5Pcreate(H5P_LINK_CREATE)) < 0 || H5Pset_create_intermediate_group(lcpl_mem, 1) < 0 ||
                (mem_ds = H5Dcreate2(c->mem, name, type, space, lcpl_mem, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
                st = err_set(err, CLCAM_ERR_HDF5, "%s: copying /%s into memory failed (H5Dcreate2)", c->out_path, name);
                goto exit;
            }
            TRY(data_copy(c, name, mem_ds, type, rank, dims, 1));
            TRY(results_metrics_summarise_dataset(mem_ds, ds, c->out_path, is_curve, err));
        }
    }
exit:
    if (mem_ds >= 0) H5Dclose(mem_ds);
    if (lcpl_mem >= 0) H5Pclose(lcpl_mem);
    if (ds >= 0) H5Dclose(ds);
    if (ss >= 0) H5Sclose(ss);
    if (vs >= 0) H5Sclose(vs);
    if (space >= 0) H5Sclose(space);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sdcpl >= 0) H5Pclose(sdcpl);
    if (type >= 0) H5Tclose(type);
    if (other >= 0) H5Dclose(other);
    if (src >= 0) H5Dclose(src);
    return st;
}

/* HDF5 1.12 changed H5Ovisit's callback (H5O_info2_t, and a fields argument). */
#if H5_VERSION_GE(1, 12, 0)
typedef H5O_info2_t merge_obj_info;
#define MERGE_OVISIT(obj, op, data) H5Ovisit3(obj, H5_INDEX_NAME, H5_ITER_INC, op, data, H5O_INFO_BASIC)
#else
typedef H5O_info_t merge_obj_info;
#define MERGE_OVISIT(obj, op, data) H5Ovisit(obj, H5_INDEX_NAME, H5_ITER_INC, op, data)
#endif

/* H5Ovisit of part 0: parents before their members, so each group exists before its datasets. */
static herr_t object_visit(hid_t root, const char *name, const merge_obj_info *info, void *data)
{
    merge_ctx *c = data;
    hid_t src = H5I_INVALID_HID, dst = H5I_INVALID_HID;
    if (strcmp(name, ".") == 0) return 0; /* the root: its attributes are written apart */
    if (strcmp(name, "chunks_done") == 0) return 0; /* the parts' maps: one of its own, all marked */
    if (info->type == H5O_TYPE_DATASET) {
        c->st = dataset_merge(c, name);
    } else if (info->type == H5O_TYPE_GROUP) {
        if ((src = H5Gopen2(root, name, H5P_DEFAULT)) < 0 ||
            (dst = H5Gcreate2(c->out, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
            c->st = err_set(c->err, CLCAM_ERR_HDF5, "%s: creating group /%s failed (H5Gcreate2)", c->out_path, name);
        else
            c->st = attrs_copy(src, dst, NULL, 0, c->out_path, c->err);
    }
    if (dst >= 0) H5Gclose(dst);
    if (src >= 0) H5Gclose(src);
    return c->st == CLCAM_OK ? 0 : -1;
}

static clcam_status write_merged(merge_ctx *c, const char *tmp)
{
    clcam_status st = CLCAM_OK;
    clcam_err *err = c->err;
    const part_info *p0 = &c->p[0];
    if ((c->out = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        return err_set(err, CLCAM_ERR_IO, "%s: cannot create (H5Fcreate failed: folder not writable?)", tmp);
    TRY(attrs_copy(p0->file, c->out, PART_ONLY, (int)(sizeof PART_ONLY / sizeof *PART_ONLY), c->out_path, err));
    /* the whole run's config: the parts' own name their part files */
    TRY(h5_attr_write_string(c->out, "config", p0->run_config, err));
    TRY(h5_attr_write_int(c->out, "merged_from", p0->shards, err));
    TRY(h5_attr_write_int(c->out, "rows_done", (int)p0->rows_total, err));
    if (MERGE_OVISIT(p0->file, object_visit, c) < 0) {
        st = c->st != CLCAM_OK ? c->st
                               : err_set(err, CLCAM_ERR_HDF5, "%s: walking its objects failed (H5Ovisit)", p0->path);
        goto exit;
    }
    TRY(results_done_merged(p0->file, c->out, c->out_path, p0->rows_total, err));
    /* last, as a run does: a merge that stopped half-way is never taken for a finished file */
    TRY(h5_attr_write_int(c->out, "complete", 1, err));
exit:
    if (H5Fclose(c->out) < 0 && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_IO, "%s: closing failed (H5Fclose; disk full?)", tmp);
    c->out = H5I_INVALID_HID;
    return st;
}

clcam_status results_merge(const char *out, const char *const *parts, int n, int copy, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    part_info *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
    char tmp[PATH_MAX + 8];
    merge_ctx c = {.n = n, .copy = copy, .out = H5I_INVALID_HID, .mem = H5I_INVALID_HID, .out_path = out, .err = err};
    int wrote = 0;
    if (!p) return err_set(err, CLCAM_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) p[i].file = H5I_INVALID_HID;
    for (int i = 0; i < n; i++) TRY(part_open(&p[i], parts[i], err));
    TRY(parts_check(p, n, err));
    {
        char abs[PATH_MAX];
        for (int i = 0; i < n && realpath(out, abs); i++)
            if (strcmp(abs, p[i].abs) == 0) {
                st = err_set(err, CLCAM_ERR_USAGE, "%s: is also a part; write the merged file elsewhere", out);
                goto exit;
            }
    }
    c.p = p;
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    TRY(make_parent_dirs(out, err));
    wrote = 1;
    TRY(write_merged(&c, tmp));
    if (rename(tmp, out) != 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot rename %s onto it", out, tmp);
        goto exit;
    }
    wrote = 0;
exit:
    if (c.mem >= 0) H5Fclose(c.mem);
    if (wrote) remove(tmp);
    for (int i = 0; i < n; i++) {
        if (p[i].file >= 0) H5Fclose(p[i].file);
        free(p[i].run_config);
    }
    free(p);
    return st;
}
