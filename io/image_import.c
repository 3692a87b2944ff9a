/* Image folder -> dataset split: decoding on every core in a bounded window, written in order. */
#include "image_import.h"

#include <errno.h>
#include <hdf5.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../base/progress.h"
#include "h5util.h"
#include "image_decode.h"
#include "image_h5out.h"
#include "image_list.h"
#include "image_resize.h"

#define CHUNK_BYTES ((size_t)4 << 20) /* images are chunked by ~4 MB ... */
#define CHUNK_ROWS_MAX 1000           /* ... or 1,000 rows (CIFAR-10's chunks), the fewer */
#define LABEL_CHUNK 10000
#define PATH_CHUNK 1024
#define WINDOW_PER_THREAD 4           /* decoded images in flight per thread */
#define THREADS_MAX 256
#define SIDE_MAX IMAGE_MAX_SIDE
#define BLOCKS_EXTRA 2                /* chunks in flight: one per thread and these */

/* One image's result, filled by a worker, emptied by the writer. */
typedef struct {
    int ready;
    clcam_status st;
    char msg[sizeof ((clcam_err *)0)->msg];
    uint8_t *px;
    int w, h;
} slot;

/* One chunk of images: filled by the writer, compressed by a worker (zlib's deflate, what
 * HDF5's gzip filter writes), stored by the writer with H5Dwrite_chunk. Compressing in the
 * workers keeps the single writer from being the bottleneck. */
enum { ZB_FREE, ZB_FILLED, ZB_BUSY, ZB_DONE };
typedef struct {
    uint8_t *raw, *z;
    uLongf z_len;
    int state, zrc;
    long row0;
} zblock;

typedef struct image_pool {
    const image_import_opts *o;
    const image_list *list;
    pthread_mutex_t mu;
    pthread_cond_t done, room;
    slot *slots;
    long window, next, consumed;
    zblock *zb;
    int n_zb;
    size_t chunk_bytes, z_cap;
    int stop;
} image_pool;

static char *path_join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 2);
    if (!p) return NULL;
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
    return p;
}

/* Decode, then Resize/CenterCrop as asked: the worker's whole job for image i. */
static clcam_status image_prepare(const image_import_opts *o, const char *path, slot *out,
                                  clcam_err *err)
{
    image_rgb im = {0, 0, NULL};
    uint8_t *mid = NULL, *fin = NULL;
    int w = 0, h = 0;
    clcam_status st = CLCAM_OK;
    TRY(image_decode_file(path, &im, err));
    if (o->size || o->resize) {
        if (o->size) w = h = o->size;
        else image_resize_shorter_dims(im.w, im.h, o->resize, &w, &h);
        if (w < 1 || h < 1 || w > SIDE_MAX || h > SIDE_MAX) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: %dx%d resized to %dx%d, outside 1..%d a side",
                         path, im.w, im.h, w, h, SIDE_MAX);
            goto exit;
        }
        if ((mid = malloc((size_t)w * h * 3)) == NULL) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory resizing to %dx%d", path, w, h);
            goto exit;
        }
        TRY(image_resize_bilinear(im.rgb, im.w, im.h, mid, w, h, err));
        image_rgb_free(&im);
    } else {
        mid = im.rgb;
        w = im.w;
        h = im.h;
        im.rgb = NULL;
    }
    if (o->crop) {
        if (o->crop > w || o->crop > h) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: %dx%d%s is smaller than --crop %d", path, w, h,
                         o->resize ? " after --resize" : "", o->crop);
            goto exit;
        }
        if ((fin = malloc((size_t)o->crop * o->crop * 3)) == NULL) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory cropping", path);
            goto exit;
        }
        image_center_crop(mid, w, h, fin, o->crop, o->crop);
        w = h = o->crop;
    } else {
        fin = mid;
        mid = NULL;
    }
    out->px = fin;
    out->w = w;
    out->h = h;
    fin = NULL;
exit:
    free(fin);
    free(mid);
    image_rgb_free(&im);
    return st;
}

/* A filled chunk waiting for compression, or -1. Called with the mutex held. */
static int pool_filled_block(const image_pool *p)
{
    for (int b = 0; b < p->n_zb; b++)
        if (p->zb[b].state == ZB_FILLED) return b;
    return -1;
}

static void *worker_main(void *arg)
{
    image_pool *p = arg;
    for (;;) {
        slot r;
        clcam_err err = {0};
        char *path;
        long i;
        int b;
        pthread_mutex_lock(&p->mu);
        /* Compression first: the writer waits for it, and it frees a chunk's memory. */
        while (!p->stop && (b = pool_filled_block(p)) < 0 &&
               !(p->next < p->list->n && p->next < p->consumed + p->window))
            pthread_cond_wait(&p->room, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        if (b >= 0) {
            zblock *z = &p->zb[b];
            z->state = ZB_BUSY;
            pthread_mutex_unlock(&p->mu);
            z->z_len = (uLongf)p->z_cap;
            z->zrc = compress2(z->z, &z->z_len, z->raw, (uLong)p->chunk_bytes, p->o->gzip);
            pthread_mutex_lock(&p->mu);
            z->state = ZB_DONE;
            pthread_cond_broadcast(&p->done);
            pthread_mutex_unlock(&p->mu);
            continue;
        }
        i = p->next++;
        pthread_mutex_unlock(&p->mu);

        memset(&r, 0, sizeof r);
        if ((path = path_join(p->o->root, p->list->paths[i])) == NULL)
            r.st = err_set(&err, CLCAM_ERR_NOMEM, "out of memory");
        else
            r.st = image_prepare(p->o, path, &r, &err);
        free(path);
        snprintf(r.msg, sizeof r.msg, "%s", err.msg);
        r.ready = 1;

        pthread_mutex_lock(&p->mu);
        p->slots[i % p->window] = r;
        pthread_cond_broadcast(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* ---- the chunks of images ---- */


/* The images' dataset, once their size is known (the first image's, without a size option),
 * and the chunks in flight. */
static clcam_status out_images_create(out_state *s, long n, int w, int h, int threads,
                                      clcam_err *err)
{
    image_pool *p = s->p;
    const size_t img = (size_t)w * h * 3;
    size_t rows = CHUNK_BYTES / img;
    /* Stored uncompressed, a chunk is written as soon as it is full: one is enough. */
    const int n_zb = p->o->gzip ? threads + BLOCKS_EXTRA : 1;
    zblock *zb = NULL;
    if (rows < 1) rows = 1;
    if (rows > CHUNK_ROWS_MAX) rows = CHUNK_ROWS_MAX;
    if (rows > (size_t)n) rows = (size_t)n;
    s->w = w;
    s->h = h;
    s->chunk_rows = (int)rows;
    if ((zb = calloc((size_t)n_zb, sizeof *zb)) == NULL) goto nomem;
    pthread_mutex_lock(&p->mu);
    p->zb = zb;
    p->n_zb = n_zb;
    p->chunk_bytes = img * rows;
    p->z_cap = compressBound((uLong)(img * rows));
    pthread_mutex_unlock(&p->mu);
    for (int b = 0; b < n_zb; b++)
        if ((zb[b].raw = malloc(p->chunk_bytes)) == NULL ||
            (p->o->gzip && (zb[b].z = malloc(p->z_cap)) == NULL))
            goto nomem;
    s->block = zb[0].raw;
    hsize_t dims[4] = {(hsize_t)n, (hsize_t)h, (hsize_t)w, 3};
    hsize_t chunk[4] = {rows, (hsize_t)h, (hsize_t)w, 3};
    return image_out_create_ds(s, "images", H5T_STD_U8LE, 4, dims, chunk, s->p->o->gzip,
                               &s->images, err);
nomem:
    return err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for %d chunks of %zu images of %dx%d",
                   s->name, n_zb, rows, w, h);
}

/* Stores the oldest chunk in flight once compressed. */
static clcam_status out_store_oldest(out_state *s, clcam_err *err)
{
    image_pool *p = s->p;
    zblock *z = &p->zb[s->written % p->n_zb];
    hsize_t offset[4] = {0, 0, 0, 0};
    /* A chunk deflate does not shrink (noise, film grain) is stored as it is, its filter
     * marked skipped (bit 0 of the mask), so readers do not pay to inflate it. */
    int raw;
    clcam_status st = CLCAM_OK;
    pthread_mutex_lock(&p->mu);
    while (z->state != ZB_DONE) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    offset[0] = (hsize_t)z->row0;
    raw = s->p->o->gzip == 0 || (z->zrc == Z_OK && z->z_len >= p->chunk_bytes);
    if (z->zrc != Z_OK)
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: compress2 of images rows %ld.. failed (zlib %d)",
                     s->name, z->row0, z->zrc);
    else if (H5Dwrite_chunk(s->images, H5P_DEFAULT, raw && s->p->o->gzip ? 1u : 0u, offset,
                            raw ? p->chunk_bytes : (size_t)z->z_len, raw ? z->raw : z->z) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: writing images rows %ld.. failed (H5Dwrite_chunk)",
                     s->name, z->row0);
    pthread_mutex_lock(&p->mu);
    z->state = ZB_FREE;
    pthread_mutex_unlock(&p->mu);
    s->written++;
    return st;
}


/* Hands the filled chunk to compression (zero-padded past the last image: a stored chunk is
 * whole), writes its labels and paths, and makes the next chunk's memory free. */
static clcam_status out_flush(out_state *s, clcam_err *err)
{
    image_pool *p = s->p;
    hid_t str = H5I_INVALID_HID;
    clcam_status st = CLCAM_OK;
    if (s->in_block == 0) goto exit;
    memset(s->block + (size_t)s->in_block * s->w * s->h * 3, 0,
           (size_t)(s->chunk_rows - s->in_block) * s->w * s->h * 3);
    if (s->labels >= 0)
        TRY(image_out_rows(s, s->labels, "labels", H5T_NATIVE_INT32, 1, s->block_labels,
                           s->in_block, err));
    if ((str = image_out_vlen_str()) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "H5Tcopy failed for the paths' string type");
        goto exit;
    }
    TRY(image_out_rows(s, s->paths, "paths", str, 1, s->block_paths, s->in_block, err));
    pthread_mutex_lock(&p->mu);
    p->zb[s->submitted % p->n_zb].row0 = s->rows;
    p->zb[s->submitted % p->n_zb].zrc = Z_OK;
    p->zb[s->submitted % p->n_zb].state = p->o->gzip ? ZB_FILLED : ZB_DONE;
    pthread_cond_broadcast(&p->room);
    pthread_mutex_unlock(&p->mu);
    s->submitted++;
    s->rows += s->in_block;
    s->in_block = 0;
    while (s->written <= s->submitted - p->n_zb) TRY(out_store_oldest(s, err));
    s->block = p->zb[s->submitted % p->n_zb].raw;
exit:
    if (str >= 0) H5Tclose(str);
    return st;
}


/* ---- the import ---- */

static int thread_count(const image_import_opts *o)
{
    long n = o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    return (int)(n < 1 ? 1 : n > THREADS_MAX ? THREADS_MAX : n);
}

/* Takes image i's result off the window, in order. */
static slot pool_take(image_pool *p, long i)
{
    slot r;
    pthread_mutex_lock(&p->mu);
    while (!p->slots[i % p->window].ready) pthread_cond_wait(&p->done, &p->mu);
    r = p->slots[i % p->window];
    memset(&p->slots[i % p->window], 0, sizeof r);
    p->consumed = i + 1;
    pthread_cond_broadcast(&p->room);
    pthread_mutex_unlock(&p->mu);
    return r;
}

static clcam_status import_rows(image_pool *p, out_state *s, const image_import_opts *o,
                                const image_list *l, int n_threads, progress *prog,
                                clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    for (long i = 0; i < l->n; i++) {
        slot r = pool_take(p, i);
        char *rel = l->paths[i];
        if (r.st != CLCAM_OK) {
            if (o->skip_bad && r.st == CLCAM_ERR_INPUT) {
                char **v = realloc(s->skipped, sizeof *v * (size_t)(s->n_skipped + 1));
                if (!v) {
                    st = err_set(err, CLCAM_ERR_NOMEM, "out of memory for the skipped paths");
                    goto exit;
                }
                s->skipped = v;
                s->skipped[s->n_skipped++] = rel;
                if (!o->quiet)
                    fprintf(stderr, "%sclcam import-images: skipped %s\n", prog->tty ? "\n" : "",
                            r.msg);
                progress_update(prog, i + 1);
                continue;
            }
            st = err_set(err, r.st, "%s", r.msg);
            goto exit;
        }
        if (s->images < 0) {
            if ((st = out_images_create(s, l->n, r.w, r.h, n_threads, err)) != CLCAM_OK) {
                free(r.px);
                goto exit;
            }
        } else if (r.w != s->w || r.h != s->h) {
            st = err_set(err, CLCAM_ERR_INPUT,
                         "%s/%s: %dx%d, the images before it are %dx%d (--size C, or --resize S "
                         "--crop C, makes them one size)", o->root, rel, r.w, r.h, s->w, s->h);
            free(r.px);
            goto exit;
        }
        memcpy(s->block + (size_t)s->in_block * s->w * s->h * 3, r.px, (size_t)s->w * s->h * 3);
        free(r.px);
        if (s->labels >= 0) s->block_labels[s->in_block] = l->labels[i];
        s->block_paths[s->in_block] = rel;
        if (++s->in_block == s->chunk_rows) TRY(out_flush(s, err));
        progress_update(prog, i + 1);
    }
    TRY(out_flush(s, err));
    while (s->written < s->submitted) TRY(out_store_oldest(s, err));
exit:
    return st;
}

clcam_status image_import(const image_import_opts *o, clcam_err *err)
{
    const char *split = o->split ? o->split : "test";
    image_list l;
    out_state s;
    image_pool p;
    pthread_t th[THREADS_MAX];
    int n_threads = 0, started = 0, sync_made = 0, tmp_made = 0;
    char *tmp = NULL;
    progress prog;
    clcam_status st = CLCAM_OK;

    memset(&l, 0, sizeof l);
    memset(&s, 0, sizeof s);
    memset(&p, 0, sizeof p);
    s.file = s.group = s.images = s.labels = s.paths = H5I_INVALID_HID;
    s.p = &p;
    if (!o->root || !o->out || !*o->out || !*split || strchr(split, '/') ||
        (o->size && (o->resize || o->crop)) || o->size < 0 || o->resize < 0 || o->crop < 0 ||
        o->size > SIDE_MAX || o->resize > SIDE_MAX || o->crop > SIDE_MAX || o->gzip < 0 ||
        o->gzip > 9) {
        st = err_set(err, CLCAM_ERR_USAGE, "image_import: needs ROOT, OUT, a split name without "
                     "'/', --size or --resize/--crop (1..%d), not both, and gzip 0..9", SIDE_MAX);
        goto exit;
    }
    if (o->list_csv) TRY(image_list_csv(o->list_csv, &l, err));
    else TRY(image_list_folder(o->root, &l, err));

    if ((tmp = malloc(strlen(o->out) + sizeof ".tmp")) == NULL ||
        (s.block_labels = malloc(sizeof *s.block_labels * CHUNK_ROWS_MAX)) == NULL ||
        (s.block_paths = malloc(sizeof *s.block_paths * CHUNK_ROWS_MAX)) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "image_import: out of memory");
        goto exit;
    }
    sprintf(tmp, "%s.tmp", o->out);
    s.name = tmp;
    tmp_made = 1;
    TRY(image_out_open(&s, o, split, err));
    TRY(image_out_class_names(&s, o, &l, err));
    {
        hsize_t dims[4] = {(hsize_t)l.n, 0, 0, 0};
        hsize_t lchunk[1] = {(hsize_t)(l.n < LABEL_CHUNK ? l.n : LABEL_CHUNK)};
        hsize_t pchunk[1] = {(hsize_t)(l.n < PATH_CHUNK ? l.n : PATH_CHUNK)};
        hid_t str = image_out_vlen_str();
        if (str < 0) {
            st = err_set(err, CLCAM_ERR_HDF5, "H5Tcopy failed for the paths' string type");
            goto exit;
        }
        st = image_out_create_ds(&s, "paths", str, 1, dims, pchunk, 0, &s.paths, err);
        H5Tclose(str);
        if (st != CLCAM_OK) goto exit;
        if (l.labels)
            TRY(image_out_create_ds(&s, "labels", H5T_STD_I32LE, 1, dims, lchunk, 4, &s.labels,
                                    err));
    }

    n_threads = thread_count(o);
    p.o = o;
    p.list = &l;
    p.window = (long)n_threads * WINDOW_PER_THREAD;
    if ((p.slots = calloc((size_t)p.window, sizeof *p.slots)) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "image_import: out of memory");
        goto exit;
    }
    if (pthread_mutex_init(&p.mu, NULL) != 0 || pthread_cond_init(&p.done, NULL) != 0 ||
        pthread_cond_init(&p.room, NULL) != 0) {
        st = err_set(err, CLCAM_ERR_NOMEM, "image_import: pthread_mutex_init/cond_init failed");
        goto exit;
    }
    sync_made = 1;
    for (; started < n_threads; started++)
        if (pthread_create(&th[started], NULL, worker_main, &p) != 0) {
            st = err_set(err, CLCAM_ERR_NOMEM, "image_import: pthread_create failed");
            goto exit;
        }
    progress_init(&prog, "clcam import-images", l.n, o->quiet);
    st = import_rows(&p, &s, o, &l, n_threads, &prog, err);
    progress_end(&prog);
    if (st != CLCAM_OK) goto exit;
    if (s.rows == 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: none of the %ld images could be read", o->root,
                     l.n);
        goto exit;
    }
    TRY(image_out_finish(&s, err));
    if (o->skip_bad) TRY(image_out_strings(&s, "skipped", s.skipped, s.n_skipped, err));
    TRY(image_out_close(&s, err));
    if (rename(tmp, o->out) != 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot rename to %s: %s", tmp, o->out,
                     strerror(errno));
        goto exit;
    }
    tmp_made = 0;
    if (!o->quiet)
        fprintf(stderr, "clcam import-images: wrote %ld images of %dx%d to %s:/%s (%ld skipped)\n",
                s.rows, s.w, s.h, o->out, split, s.n_skipped);
exit:
    if (sync_made) {
        pthread_mutex_lock(&p.mu);
        p.stop = 1;
        pthread_cond_broadcast(&p.room);
        pthread_mutex_unlock(&p.mu);
    }
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    if (sync_made) {
        pthread_cond_destroy(&p.room);
        pthread_cond_destroy(&p.done);
        pthread_mutex_destroy(&p.mu);
    }
    for (long i = 0; p.slots && i < p.window; i++) free(p.slots[i].px);
    free(p.slots);
    for (int b = 0; b < p.n_zb; b++) {
        free(p.zb[b].raw);
        free(p.zb[b].z);
    }
    free(p.zb);
    image_out_close(&s, err);
    if (tmp_made && remove(tmp) != 0 && errno != ENOENT)
        err_set(err, CLCAM_ERR_IO, "%s: cannot remove the unfinished output: %s", tmp,
                strerror(errno));
    free(s.block_labels);
    free(s.block_paths);
    free(s.skipped);
    free(tmp);
    image_list_free(&l);
    return st;
}
