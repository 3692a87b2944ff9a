#include "results_chunks.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

int results_chunks_apply(const results_writer *w, hid_t ds, size_t elem)
{
    const char *env = getenv("CLCAM_DIRECT_CHUNKS");
    const uint16_t probe = 1;
    hsize_t chunk[4] = {0, 0, 0, 0};
    hid_t dcpl, type;
    int rank, ok;
    if ((env && strcmp(env, "0") == 0) || w->layout.compression <= 0 || w->dxpl != H5P_DEFAULT ||
        *(const uint8_t *)&probe != 1)
        return 0;
    if ((dcpl = H5Dget_create_plist(ds)) < 0) return 0;
    rank = H5Pget_chunk(dcpl, 4, chunk);
    H5Pclose(dcpl);
    if ((type = H5Dget_type(ds)) < 0) return 0;
    ok = rank >= 2 && chunk[0] == 1 && H5Tget_size(type) == elem;
    H5Tclose(type);
    return ok;
}

/* The writer's compressor and buffers, kept between batches; NULL until first needed. */
typedef struct {
    struct libdeflate_compressor *deflater;
    int level;
    unsigned char *shuffled, *packed;
    size_t row_bytes, packed_bytes;
} chunk_state;

static clcam_status chunk_state_for(results_writer *w, size_t row_bytes, chunk_state **out,
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
    if (c->row_bytes < row_bytes) {
        size_t bound = libdeflate_zlib_compress_bound(c->deflater, row_bytes);
        unsigned char *s = realloc(c->shuffled, row_bytes), *p = s ? realloc(c->packed, bound) : NULL;
        if (s) c->shuffled = s;
        if (p) c->packed = p;
        if (!s || !p)
            return err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory compressing a map", w->path);
        c->row_bytes = row_bytes;
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
    TRY(chunk_state_for(w, row_bytes, &c, err));
    for (int r = 0; r < count; r++) {
        hsize_t off[4] = {(hsize_t)(offset + r), 0, 0, 0};
        size_t n;
        shuffle((const unsigned char *)buf + (size_t)r * row_bytes, c->shuffled, row_bytes, elem);
        n = libdeflate_zlib_compress(c->deflater, c->shuffled, row_bytes, c->packed, c->packed_bytes);
        if (n == 0) { /* cannot happen with the bound's room; refuse rather than store garbage */
            st = err_set(err, CLCAM_ERR_IO, "%s: libdeflate_zlib_compress of row %ld failed", w->path,
                         offset + r);
            goto exit;
        }
        if (H5Dwrite_chunk(ds, H5P_DEFAULT, 0, off, n, c->packed) < 0) {
            H5Iget_name(ds, name, sizeof name);
            st = err_set(err, CLCAM_ERR_IO, "%s: writing %s row %ld failed (H5Dwrite_chunk; disk full?)",
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
    free(c);
    w->chunks = NULL;
}
