#include "results_chunks.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

/* Rows per chunk of ds, its rows in all (0 where it is not chunked along rows alone). */
static hsize_t chunk_rows_of(hid_t ds, hsize_t *n_rows)
{
    hsize_t chunk[4] = {0, 0, 0, 0}, dims[4] = {0, 0, 0, 0};
    hid_t dcpl = H5Dget_create_plist(ds), space = H5Dget_space(ds);
    int rank = dcpl >= 0 ? H5Pget_chunk(dcpl, 4, chunk) : -1;
    int ok = rank >= 1 && rank <= 4 && space >= 0 && H5Sget_simple_extent_ndims(space) == rank &&
             H5Sget_simple_extent_dims(space, dims, NULL) == rank;
    for (int i = 1; ok && i < rank; i++) ok = chunk[i] == dims[i];
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    *n_rows = dims[0];
    return ok ? chunk[0] : 0;
}

int results_chunks_apply(const results_writer *w, hid_t ds, size_t elem, long offset, int count)
{
    const char *env = getenv("CLCAM_DIRECT_CHUNKS");
    const uint16_t probe = 1;
    hsize_t rows, n_rows;
    hid_t type;
    int ok;
    if ((env && strcmp(env, "0") == 0) || w->layout.compression <= 0 || w->dxpl != H5P_DEFAULT ||
        *(const uint8_t *)&probe != 1 || offset < 0 || count <= 0)
        return 0;
    if ((rows = chunk_rows_of(ds, &n_rows)) == 0 || (type = H5Dget_type(ds)) < 0) return 0;
    ok = H5Tget_size(type) == elem;
    H5Tclose(type);
    /* whole chunks only: the last may end at the dataset's end */
    return ok && (hsize_t)offset % rows == 0 &&
           ((hsize_t)count % rows == 0 || (hsize_t)offset + (hsize_t)count == n_rows) &&
           (hsize_t)offset + (hsize_t)count <= n_rows;
}

/* The writer's compressor and buffers, kept between batches; NULL until first needed. */
typedef struct {
    struct libdeflate_compressor *deflater;
    int level;
    unsigned char *shuffled, *packed, *edge; /* edge: a last chunk, padded */
    size_t chunk_bytes, packed_bytes;
} chunk_state;

static clcam_status chunk_state_for(results_writer *w, size_t chunk_bytes, chunk_state **out,
                                    clcam_err *err)
{
    chunk_state *c = w->chunks;
    if (!c && !(c = w->chunks = calloc(1, sizeof *c)))
        return err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for the chunk compressor", w->path);
    if (!c->deflater || c->level != w->layout.compression) {
        if (c->deflater) libdeflate_free_compressor(c->deflater);
        c->level = w->layout.compression;
        if (!(c->deflater = libdeflate_alloc_compressor(c->level)))
            return err_set(err, CLCAM_ERR_NOMEM, "%s: libdeflate_alloc_compressor(%d) failed",
                           w->path, c->level);
    }
    if (c->chunk_bytes < chunk_bytes) {
        size_t bound = libdeflate_zlib_compress_bound(c->deflater, chunk_bytes);
        unsigned char *s = realloc(c->shuffled, chunk_bytes), *e = s ? realloc(c->edge, chunk_bytes) : NULL;
        unsigned char *p = e ? realloc(c->packed, bound) : NULL;
        if (s) c->shuffled = s;
        if (e) c->edge = e;
        if (p) c->packed = p;
        if (!s || !e || !p)
            return err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory compressing a map", w->path);
        c->chunk_bytes = chunk_bytes;
        c->packed_bytes = bound;
    }
    *out = c;
    return CLCAM_OK;
}

/* HDF5's shuffle filter: byte b of every element, then byte b + 1, ... */
static void shuffle(const unsigned char *src, unsigned char *dst, size_t bytes, size_t elem)
{
    size_t n = bytes / elem;
    if (elem == 1) {
        memcpy(dst, src, bytes);
        return;
    }
    for (size_t b = 0; b < elem; b++)
        for (size_t i = 0; i < n; i++) dst[b * n + i] = src[i * elem + b];
}

clcam_status results_write_chunks(results_writer *w, hid_t ds, long offset, int count,
                                  const void *buf, size_t row_bytes, size_t elem, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    chunk_state *c = NULL;
    char name[64] = "?";
    hsize_t n_rows, rows = chunk_rows_of(ds, &n_rows);
    size_t chunk_bytes = (size_t)rows * row_bytes;
    if (rows == 0) return err_set(err, CLCAM_ERR_HDF5, "%s: a dataset's chunks could not be read (H5Pget_chunk)", w->path);
    TRY(chunk_state_for(w, chunk_bytes, &c, err));
    for (long r = 0; r < count; r += (long)rows) {
        hsize_t off[4] = {(hsize_t)(offset + r), 0, 0, 0};
        size_t have = (size_t)(count - r < (long)rows ? count - r : (long)rows) * row_bytes, n;
        const unsigned char *src = (const unsigned char *)buf + (size_t)r * row_bytes;
        if (have < chunk_bytes) { /* the dataset's last chunk: stored whole, past its end zero */
            memcpy(c->edge, src, have);
            memset(c->edge + have, 0, chunk_bytes - have);
            src = c->edge;
        }
        shuffle(src, c->shuffled, chunk_bytes, elem);
        n = libdeflate_zlib_compress(c->deflater, c->shuffled, chunk_bytes, c->packed, c->packed_bytes);
        if (n == 0) { /* cannot happen with the bound's room; refuse rather than store garbage */
            st = err_set(err, CLCAM_ERR_IO, "%s: libdeflate_zlib_compress of rows from %ld failed", w->path,
                         offset + r);
            goto exit;
        }
        if (H5Dwrite_chunk(ds, H5P_DEFAULT, 0, off, n, c->packed) < 0) {
            H5Iget_name(ds, name, sizeof name);
            st = err_set(err, CLCAM_ERR_IO, "%s: writing %s rows from %ld failed (H5Dwrite_chunk; disk full?)",
                         w->path, name, offset + r);
            goto exit;
        }
    }
exit:
    return st;
}

void results_chunks_free(results_writer *w)
{
    chunk_state *c = w->chunks;
    if (!c) return;
    if (c->deflater) libdeflate_free_compressor(c->deflater);
    free(c->shuffled);
    free(c->packed);
    free(c->edge);
    free(c);
    w->chunks = NULL;
}
