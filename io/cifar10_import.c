/* CIFAR-10 binary (archive or folder) -> dataset file, one block of records at a time. */
#include "cifar10_import.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define IMAGE_BYTES (CIFAR10_RECORD_BYTES - 1)
#define PLANE_BYTES (CIFAR10_SIDE * CIFAR10_SIDE)
#define BLOCK_RECORDS 1000     /* records per read/transpose/write step; the images' chunk length */
#define LABEL_CHUNK 10000
#define META_MAX_BYTES 65536   /* batches.meta.txt is ~60 bytes; anything this big is not it */
#define RECORDS_PER_FILE_MAX 1000000
#define PATH_BYTES 4096

enum { SPLIT_TRAIN, SPLIT_TEST, SPLIT_COUNT };
static const char *const SPLIT_NAMES[SPLIT_COUNT] = {"train", "test"};

static const char *const BATCH_FILES[CIFAR10_BATCH_FILES] = {
    "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
    "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
static const char META_FILE[] = "batches.meta.txt";
static const char ARCHIVE_DIR[] = "cifar-10-batches-bin/";
#define META_INDEX CIFAR10_BATCH_FILES /* seen[] slot of batches.meta.txt */

_Static_assert(sizeof BATCH_FILES / sizeof *BATCH_FILES == CIFAR10_BATCH_FILES, "batch files");

typedef struct {
    const char *out_name;  /* the temporary output file, for messages */
    size_t records;        /* per batch file */
    hid_t file;
    hid_t images[SPLIT_COUNT], labels[SPLIT_COUNT];
    uint8_t *raw, *img, *lab; /* one block: records as read, NHWC images, labels */
    char *meta;               /* batches.meta.txt, names[] point into it */
    char *names[CIFAR10_CLASSES];
    int seen[CIFAR10_BATCH_FILES + 1];
    int files_done;
    cifar10_progress_fn progress;
    void *user;
} import_state;

/* One input file: a stdio stream (folder) or the current archive entry. */
typedef struct {
    FILE *fp;
    struct archive *ar;
    const char *name; /* for messages */
} src_reader;

static const char *ar_msg(struct archive *a)
{
    const char *m = archive_error_string(a);
    return m ? m : "unknown libarchive error";
}

static unsigned long long expected_bytes(size_t records)
{
    return (unsigned long long)records * CIFAR10_RECORD_BYTES;
}

static clcam_status size_error(const char *name, unsigned long long found, size_t records,
                               clcam_err *err)
{
    return err_set(err, CLCAM_ERR_INPUT,
                   "%s: %llu bytes, expected %llu (%zu records of %d bytes)", name, found,
                   expected_bytes(records), records, CIFAR10_RECORD_BYTES);
}

/* Reads n bytes; *got < n only at the end of the file. */
static clcam_status reader_read(src_reader *r, void *buf, size_t n, size_t *got, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    size_t total = 0;
    if (r->fp) {
        total = fread(buf, 1, n, r->fp);
        if (total < n && ferror(r->fp)) {
            st = err_set(err, CLCAM_ERR_IO, "%s: read failed: %s", r->name, strerror(errno));
            goto exit;
        }
    } else {
        while (total < n) {
            la_ssize_t k = archive_read_data(r->ar, (char *)buf + total, n - total);
            if (k < 0) {
                st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot read from the archive: %s",
                             r->name, ar_msg(r->ar));
                goto exit;
            }
            if (k == 0) break;
            total += (size_t)k;
        }
    }
exit:
    *got = total;
    return st;
}

static clcam_status write_rows(import_state *s, hid_t ds, const char *path, int rank,
                               hsize_t row, hsize_t n, const void *buf, clcam_err *err)
{
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    hsize_t start[4] = {row, 0, 0, 0};
    hsize_t count[4] = {n, CIFAR10_SIDE, CIFAR10_SIDE, CIFAR10_CHANNELS};
    clcam_status st = CLCAM_OK;
    if ((fspace = H5Dget_space(ds)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dget_space(%s) failed", s->out_name, path);
        goto exit;
    }
    if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Sselect_hyperslab(%s, rows %llu..%llu) failed",
                     s->out_name, path, (unsigned long long)row,
                     (unsigned long long)(row + n - 1));
        goto exit;
    }
    if ((mspace = H5Screate_simple(rank, count, NULL)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Screate_simple for %s failed", s->out_name, path);
        goto exit;
    }
    if (H5Dwrite(ds, H5T_NATIVE_UINT8, mspace, fspace, H5P_DEFAULT, buf) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dwrite(%s, rows %llu..%llu) failed",
                     s->out_name, path, (unsigned long long)row,
                     (unsigned long long)(row + n - 1));
        goto exit;
    }
exit:
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    return st;
}

/* Copies batch file `which` (0..4 train, 5 test) from r into its rows of the output. */
static clcam_status batch_copy(import_state *s, src_reader *r, int which, clcam_err *err)
{
    const int split = which < CIFAR10_TRAIN_FILES ? SPLIT_TRAIN : SPLIT_TEST;
    const hsize_t base = split == SPLIT_TRAIN ? (hsize_t)which * s->records : 0;
    char img_path[32], lab_path[32];
    size_t done = 0, got = 0;
    unsigned long long extra = 0;
    clcam_status st = CLCAM_OK;
    snprintf(img_path, sizeof img_path, "/%s/images", SPLIT_NAMES[split]);
    snprintf(lab_path, sizeof lab_path, "/%s/labels", SPLIT_NAMES[split]);
    while (done < s->records) {
        size_t b = s->records - done < BLOCK_RECORDS ? s->records - done : BLOCK_RECORDS;
        size_t want = b * CIFAR10_RECORD_BYTES;
        if ((st = reader_read(r, s->raw, want, &got, err)) != CLCAM_OK) goto exit;
        if (got < want) {
            st = size_error(r->name, (unsigned long long)done * CIFAR10_RECORD_BYTES + got,
                            s->records, err);
            goto exit;
        }
        for (size_t i = 0; i < b; i++) {
            const uint8_t *rec = s->raw + i * CIFAR10_RECORD_BYTES;
            uint8_t *px = s->img + i * IMAGE_BYTES;
            if (rec[0] >= CIFAR10_CLASSES) {
                st = err_set(err, CLCAM_ERR_INPUT,
                             "%s: record %zu (byte offset %llu): label %u, expected 0..%d",
                             r->name, done + i,
                             (unsigned long long)(done + i) * CIFAR10_RECORD_BYTES,
                             (unsigned)rec[0], CIFAR10_CLASSES - 1);
                goto exit;
            }
            s->lab[i] = rec[0];
            /* planar CHW -> interleaved HWC */
            for (size_t p = 0; p < PLANE_BYTES; p++) {
                px[3 * p + 0] = rec[1 + p];
                px[3 * p + 1] = rec[1 + PLANE_BYTES + p];
                px[3 * p + 2] = rec[1 + 2 * PLANE_BYTES + p];
            }
        }
        if ((st = write_rows(s, s->images[split], img_path, 4, base + done, b, s->img, err)) !=
            CLCAM_OK)
            goto exit;
        if ((st = write_rows(s, s->labels[split], lab_path, 1, base + done, b, s->lab, err)) !=
            CLCAM_OK)
            goto exit;
        done += b;
    }
    /* Nothing may follow the last record: count what does, for the message. */
    do {
        if ((st = reader_read(r, s->raw, (size_t)BLOCK_RECORDS * CIFAR10_RECORD_BYTES, &got,
                              err)) != CLCAM_OK)
            goto exit;
        extra += got;
    } while (got > 0);
    if (extra > 0) {
        st = size_error(r->name, expected_bytes(s->records) + extra, s->records, err);
        goto exit;
    }
    s->files_done++;
    if (s->progress) s->progress(s->files_done, CIFAR10_BATCH_FILES, s->user);
exit:
    return st;
}

/* Reads batches.meta.txt: one class name a line, empty lines skipped, trailing blanks and CR
 * trimmed; exactly CIFAR10_CLASSES names. */
static clcam_status meta_read(import_state *s, src_reader *r, clcam_err *err)
{
    size_t len = 0;
    int n = 0;
    char *line = NULL;
    clcam_status st = CLCAM_OK;
    if ((st = reader_read(r, s->meta, META_MAX_BYTES + 1, &len, err)) != CLCAM_OK) goto exit;
    if (len > META_MAX_BYTES) {
        st = err_set(err, CLCAM_ERR_INPUT,
                     "%s: more than %d bytes, expected %d class names, one a line", r->name,
                     META_MAX_BYTES, CIFAR10_CLASSES);
        goto exit;
    }
    s->meta[len] = '\0';
    if (strlen(s->meta) != len) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: contains a NUL byte, expected text", r->name);
        goto exit;
    }
    line = s->meta;
    for (;;) {
        char *nl = strchr(line, '\n');
        char *end = nl ? nl : s->meta + len;
        while (end > line && isspace((unsigned char)end[-1])) end--;
        *end = '\0';
        if (end > line) {
            if (n < CIFAR10_CLASSES) s->names[n] = line;
            n++;
        }
        if (!nl) break;
        line = nl + 1;
    }
    if (n != CIFAR10_CLASSES) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: %d class names, expected %d, one a line",
                     r->name, n, CIFAR10_CLASSES);
        goto exit;
    }
exit:
    return st;
}

static clcam_status write_class_names(import_state *s, clcam_err *err)
{
    hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, attr = H5I_INVALID_HID;
    hsize_t dims[1] = {CIFAR10_CLASSES};
    clcam_status st = CLCAM_OK;
    if ((type = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(type, H5T_VARIABLE) < 0 ||
        H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Tcopy/H5Tset_size/H5Tset_cset for class_names failed",
                     s->out_name);
        goto exit;
    }
    if ((space = H5Screate_simple(1, dims, NULL)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Screate_simple for class_names failed",
                     s->out_name);
        goto exit;
    }
    if ((attr = H5Acreate2(s->file, "class_names", type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Acreate2(class_names) failed", s->out_name);
        goto exit;
    }
    if (H5Awrite(attr, type, s->names) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Awrite(class_names) failed", s->out_name);
        goto exit;
    }
exit:
    if (attr >= 0 && H5Aclose(attr) < 0)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Aclose(class_names) failed", s->out_name);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    return st;
}

/* A uint8 dataset chunked along N, gzip level 4. */
static clcam_status create_u8(import_state *s, const char *path, int rank, const hsize_t *dims,
                              const hsize_t *chunk, hid_t *out, clcam_err *err)
{
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, dapl = H5I_INVALID_HID;
    clcam_status st = CLCAM_OK;
    if ((space = H5Screate_simple(rank, dims, NULL)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Screate_simple for %s failed", s->out_name, path);
        goto exit;
    }
    if ((dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        H5Pset_deflate(dcpl, 4) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Pcreate/H5Pset_chunk/H5Pset_deflate for %s failed",
                     s->out_name, path);
        goto exit;
    }
    /* Room for a few chunks, so blocks that straddle chunks are not read back and recompressed. */
    if ((dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0 ||
        H5Pset_chunk_cache(dapl, 521, (size_t)4 * BLOCK_RECORDS * IMAGE_BYTES, 1.0) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Pcreate/H5Pset_chunk_cache for %s failed",
                     s->out_name, path);
        goto exit;
    }
    if ((*out = H5Dcreate2(s->file, path, H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, dapl)) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dcreate2(%s) failed", s->out_name, path);
        goto exit;
    }
exit:
    if (dapl >= 0) H5Pclose(dapl);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return st;
}

static clcam_status out_create(import_state *s, clcam_err *err)
{
    hid_t group = H5I_INVALID_HID;
    clcam_status st = CLCAM_OK;
    if ((s->file = H5Fcreate(s->out_name, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: H5Fcreate failed (cannot create the output file)",
                     s->out_name);
        goto exit;
    }
    for (int sp = 0; sp < SPLIT_COUNT; sp++) {
        hsize_t n = (hsize_t)s->records * (sp == SPLIT_TRAIN ? CIFAR10_TRAIN_FILES : 1);
        hsize_t idims[4] = {n, CIFAR10_SIDE, CIFAR10_SIDE, CIFAR10_CHANNELS};
        hsize_t ichunk[4] = {n < BLOCK_RECORDS ? n : BLOCK_RECORDS, CIFAR10_SIDE, CIFAR10_SIDE,
                             CIFAR10_CHANNELS};
        hsize_t lchunk[1] = {n < LABEL_CHUNK ? n : LABEL_CHUNK};
        char path[32];
        snprintf(path, sizeof path, "/%s", SPLIT_NAMES[sp]);
        if ((group = H5Gcreate2(s->file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
            st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Gcreate2(%s) failed", s->out_name, path);
            goto exit;
        }
        if (H5Gclose(group) < 0) {
            group = H5I_INVALID_HID;
            st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Gclose(%s) failed", s->out_name, path);
            goto exit;
        }
        group = H5I_INVALID_HID;
        snprintf(path, sizeof path, "/%s/images", SPLIT_NAMES[sp]);
        if ((st = create_u8(s, path, 4, idims, ichunk, &s->images[sp], err)) != CLCAM_OK)
            goto exit;
        snprintf(path, sizeof path, "/%s/labels", SPLIT_NAMES[sp]);
        if ((st = create_u8(s, path, 1, idims, lchunk, &s->labels[sp], err)) != CLCAM_OK)
            goto exit;
    }
exit:
    if (group >= 0) H5Gclose(group);
    return st;
}

/* Closes every output handle; the first failure is the error. */
static clcam_status out_close(import_state *s, clcam_err *err)
{
    clcam_status st = CLCAM_OK;
    for (int sp = 0; sp < SPLIT_COUNT; sp++) {
        if (s->images[sp] >= 0 && H5Dclose(s->images[sp]) < 0 && st == CLCAM_OK)
            st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dclose(/%s/images) failed", s->out_name,
                         SPLIT_NAMES[sp]);
        if (s->labels[sp] >= 0 && H5Dclose(s->labels[sp]) < 0 && st == CLCAM_OK)
            st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Dclose(/%s/labels) failed", s->out_name,
                         SPLIT_NAMES[sp]);
        s->images[sp] = s->labels[sp] = H5I_INVALID_HID;
    }
    if (s->file >= 0 && H5Fclose(s->file) < 0 && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_HDF5, "%s: H5Fclose failed (data not flushed)", s->out_name);
    s->file = H5I_INVALID_HID;
    return st;
}

/* ---- unpacked folder ---- */

static clcam_status join_path(char *buf, size_t size, const char *dir, const char *file,
                              clcam_err *err)
{
    size_t n = strlen(dir);
    const char *sep = n > 0 && dir[n - 1] == '/' ? "" : "/";
    int k = snprintf(buf, size, "%s%s%s", dir, sep, file);
    if (k < 0 || (size_t)k >= size)
        return err_set(err, CLCAM_ERR_USAGE, "%s: path too long (over %zu bytes)", dir, size - 1);
    return CLCAM_OK;
}

static clcam_status folder_file(import_state *s, const char *path, int which, clcam_err *err)
{
    src_reader r = {NULL, NULL, path};
    clcam_status st = CLCAM_OK;
    if ((r.fp = fopen(path, "rb")) == NULL) {
        st = err_set(err, errno == ENOENT ? CLCAM_ERR_INPUT : CLCAM_ERR_IO, "%s: cannot open: %s",
                     path, strerror(errno));
        goto exit;
    }
    if (which == META_INDEX)
        st = meta_read(s, &r, err);
    else
        st = batch_copy(s, &r, which, err);
exit:
    if (r.fp && fclose(r.fp) != 0 && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_IO, "%s: fclose failed: %s", path, strerror(errno));
    return st;
}

static clcam_status import_folder(import_state *s, const char *src, clcam_err *err)
{
    char path[PATH_BYTES];
    struct stat sb;
    clcam_status st = CLCAM_OK;
    /* Check every file before the long part, so a missing or cut file fails in a moment. */
    for (int i = 0; i <= META_INDEX; i++) {
        const char *name = i == META_INDEX ? META_FILE : BATCH_FILES[i];
        if ((st = join_path(path, sizeof path, src, name, err)) != CLCAM_OK) goto exit;
        if (stat(path, &sb) != 0) {
            st = errno == ENOENT
                     ? err_set(err, CLCAM_ERR_INPUT,
                               "%s: missing (the CIFAR-10 binary folder holds data_batch_1..5.bin, "
                               "test_batch.bin and batches.meta.txt)",
                               path)
                     : err_set(err, CLCAM_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
            goto exit;
        }
        if (!S_ISREG(sb.st_mode)) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: not a regular file", path);
            goto exit;
        }
        if (i != META_INDEX && (unsigned long long)sb.st_size != expected_bytes(s->records)) {
            st = size_error(path, (unsigned long long)sb.st_size, s->records, err);
            goto exit;
        }
    }
    if ((st = join_path(path, sizeof path, src, META_FILE, err)) != CLCAM_OK) goto exit;
    if ((st = folder_file(s, path, META_INDEX, err)) != CLCAM_OK) goto exit;
    for (int i = 0; i < CIFAR10_BATCH_FILES; i++) {
        if ((st = join_path(path, sizeof path, src, BATCH_FILES[i], err)) != CLCAM_OK) goto exit;
        if ((st = folder_file(s, path, i, err)) != CLCAM_OK) goto exit;
    }
exit:
    return st;
}

/* ---- archive ---- */

/* Which file an archive entry is: 0..5 batch files, META_INDEX, or -1 (not ours). */
static int archive_member(const char *pathname)
{
    const char *base = pathname;
    while (strncmp(base, "./", 2) == 0) base += 2;
    if (strncmp(base, ARCHIVE_DIR, sizeof ARCHIVE_DIR - 1) == 0) base += sizeof ARCHIVE_DIR - 1;
    if (strcmp(base, META_FILE) == 0) return META_INDEX;
    for (int i = 0; i < CIFAR10_BATCH_FILES; i++)
        if (strcmp(base, BATCH_FILES[i]) == 0) return i;
    return -1;
}

static clcam_status import_archive(import_state *s, const char *src, clcam_err *err)
{
    struct archive *a = NULL;
    struct archive_entry *e = NULL;
    char name[PATH_BYTES];
    clcam_status st = CLCAM_OK;
    int r;
    if ((a = archive_read_new()) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: archive_read_new failed", src);
        goto exit;
    }
    if (archive_read_support_filter_all(a) < ARCHIVE_WARN ||
        archive_read_support_format_tar(a) < ARCHIVE_WARN) {
        st = err_set(err, CLCAM_ERR_IO, "%s: libarchive setup failed: %s", src, ar_msg(a));
        goto exit;
    }
    if (archive_read_open_filename(a, src, 1 << 16) != ARCHIVE_OK) {
        st = err_set(err, CLCAM_ERR_INPUT,
                     "%s: cannot open as cifar-10-binary.tar.gz or the cifar-10-batches-bin "
                     "folder: %s",
                     src, ar_msg(a));
        goto exit;
    }
    for (;;) {
        const char *pathname;
        int which;
        r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: not a readable tar.gz archive: %s", src,
                         ar_msg(a));
            goto exit;
        }
        pathname = archive_entry_pathname(e);
        if (!pathname || archive_entry_filetype(e) != AE_IFREG) continue;
        if ((which = archive_member(pathname)) < 0) continue;
        snprintf(name, sizeof name, "%s: %s", src, pathname);
        if (s->seen[which]) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: a second entry for this file", name);
            goto exit;
        }
        s->seen[which] = 1;
        if (which != META_INDEX && archive_entry_size_is_set(e) &&
            (unsigned long long)archive_entry_size(e) != expected_bytes(s->records)) {
            st = size_error(name, (unsigned long long)archive_entry_size(e), s->records, err);
            goto exit;
        }
        {
            src_reader rd = {NULL, a, name};
            st = which == META_INDEX ? meta_read(s, &rd, err) : batch_copy(s, &rd, which, err);
            if (st != CLCAM_OK) goto exit;
        }
    }
    for (int i = 0; i <= META_INDEX; i++) {
        const char *file = i == META_INDEX ? META_FILE : BATCH_FILES[i];
        if (!s->seen[i]) {
            st = err_set(err, CLCAM_ERR_INPUT, "%s: no entry %s%s or %s (expected in the CIFAR-10 "
                         "binary archive)", src, ARCHIVE_DIR, file, file);
            goto exit;
        }
    }
exit:
    if (a && archive_read_free(a) != ARCHIVE_OK && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_INPUT, "%s: archive_read_free failed", src);
    return st;
}

/* ---- entry point ---- */

/* mkdir -p of the folder part of path. */
static clcam_status make_parent_dirs(const char *path, clcam_err *err)
{
    char *dir = NULL, *slash = NULL;
    struct stat sb;
    clcam_status st = CLCAM_OK;
    if ((dir = strdup(path)) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory", path);
        goto exit;
    }
    if ((slash = strrchr(dir, '/')) == NULL || slash == dir) goto exit; /* cwd or / */
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                st = err_set(err, CLCAM_ERR_IO, "%s: cannot create folder: %s", dir,
                             strerror(errno));
                goto exit;
            }
            *p = c;
            if (c == '\0') break;
        }
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        st = err_set(err, CLCAM_ERR_IO, "%s: not a folder, expected one for %s", dir, path);
        goto exit;
    }
exit:
    free(dir);
    return st;
}

clcam_status cifar10_import_ex(const char *src, const char *out_path, size_t records_per_file,
                               cifar10_progress_fn progress, void *user, clcam_err *err)
{
    import_state s;
    char *tmp = NULL;
    int tmp_made = 0, auto_saved = 0;
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    struct stat sb;
    clcam_status st = CLCAM_OK;

    memset(&s, 0, sizeof s);
    s.file = H5I_INVALID_HID;
    for (int sp = 0; sp < SPLIT_COUNT; sp++) s.images[sp] = s.labels[sp] = H5I_INVALID_HID;
    s.records = records_per_file;
    s.progress = progress;
    s.user = user;

    if (!src || !out_path || !*out_path || records_per_file == 0 ||
        records_per_file > RECORDS_PER_FILE_MAX) {
        st = err_set(err, CLCAM_ERR_USAGE,
                     "cifar10_import: needs SRC, OUT and 1..%d records per file",
                     RECORDS_PER_FILE_MAX);
        goto exit;
    }
    if (stat(src, &sb) != 0) {
        st = err_set(err, errno == ENOENT ? CLCAM_ERR_INPUT : CLCAM_ERR_IO,
                     "%s: %s (expected cifar-10-binary.tar.gz or the cifar-10-batches-bin folder)",
                     src, strerror(errno));
        goto exit;
    }
    if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
        st = err_set(err, CLCAM_ERR_INPUT,
                     "%s: neither a file nor a folder (expected cifar-10-binary.tar.gz or the "
                     "cifar-10-batches-bin folder)",
                     src);
        goto exit;
    }
    if ((s.raw = malloc((size_t)BLOCK_RECORDS * CIFAR10_RECORD_BYTES)) == NULL ||
        (s.img = malloc((size_t)BLOCK_RECORDS * IMAGE_BYTES)) == NULL ||
        (s.lab = malloc(BLOCK_RECORDS)) == NULL || (s.meta = malloc(META_MAX_BYTES + 2)) == NULL ||
        (tmp = malloc(strlen(out_path) + sizeof ".tmp")) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "cifar10_import: out of memory for buffers");
        goto exit;
    }
    strcpy(tmp, out_path);
    strcat(tmp, ".tmp");
    s.out_name = tmp;
    if ((st = make_parent_dirs(out_path, err)) != CLCAM_OK) goto exit;

    if (H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data) < 0 ||
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL) < 0) {
        st = err_set(err, CLCAM_ERR_HDF5, "H5Eget_auto2/H5Eset_auto2 failed");
        goto exit;
    }
    auto_saved = 1;

    tmp_made = 1;
    if ((st = out_create(&s, err)) != CLCAM_OK) goto exit;
    if (S_ISDIR(sb.st_mode))
        st = import_folder(&s, src, err);
    else
        st = import_archive(&s, src, err);
    if (st != CLCAM_OK) goto exit;
    if ((st = write_class_names(&s, err)) != CLCAM_OK) goto exit;
    if ((st = out_close(&s, err)) != CLCAM_OK) goto exit;
    if (rename(tmp, out_path) != 0) {
        st = err_set(err, CLCAM_ERR_IO, "%s: cannot rename to %s: %s", tmp, out_path,
                     strerror(errno));
        goto exit;
    }
    tmp_made = 0;
exit:
    out_close(&s, err); /* no-op on success; on failure the first error stays the message */
    if (tmp_made && remove(tmp) != 0 && errno != ENOENT)
        err_set(err, CLCAM_ERR_IO, "%s: cannot remove the unfinished output: %s", tmp,
                strerror(errno));
    if (auto_saved && H5Eset_auto2(H5E_DEFAULT, old_func, old_data) < 0 && st == CLCAM_OK)
        st = err_set(err, CLCAM_ERR_HDF5, "H5Eset_auto2 (restoring error printing) failed");
    free(tmp);
    free(s.meta);
    free(s.lab);
    free(s.img);
    free(s.raw);
    return st;
}

clcam_status cifar10_import(const char *src, const char *out_path, cifar10_progress_fn progress,
                            void *user, clcam_err *err)
{
    return cifar10_import_ex(src, out_path, CIFAR10_RECORDS_PER_FILE, progress, user, err);
}
