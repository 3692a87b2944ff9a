/* import-cifar10: fake folders and archives with known pixels, error cases, the real archive. */
#include "io/cifar10_import.h"
#include "testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RPF 7 /* records per fake batch file */
#define NFILES (CIFAR10_BATCH_FILES + 1)
#define META_SLOT CIFAR10_BATCH_FILES
#define IMG (CIFAR10_SIDE * CIFAR10_SIDE * CIFAR10_CHANNELS)

static const char *const FILES[NFILES] = {"data_batch_1.bin", "data_batch_2.bin",
                                          "data_batch_3.bin", "data_batch_4.bin",
                                          "data_batch_5.bin", "test_batch.bin",
                                          "batches.meta.txt"};
/* CRLF, trailing blanks and empty lines: all must be tolerated. */
static const char META_TEXT[] =
    "airplane\r\nautomobile\nbird  \n\ncat\ndeer\ndog\r\nfrog\nhorse\nship\ntruck\n\n";
static const char *const CLASSES[CIFAR10_CLASSES] = {"airplane", "automobile", "bird", "cat",
                                                     "deer", "dog", "frog", "horse", "ship",
                                                     "truck"};

static unsigned char pixel(int f, size_t r, int c, int y, int x)
{
    return (unsigned char)(f * 37 + (int)r * 11 + c * 101 + y * 7 + x * 3);
}

static unsigned char label_of(int f, size_t r) { return (unsigned char)((f * 3 + (int)r) % 10); }

/* ---- small file helpers ---- */

static int write_file(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    int ok = fp != NULL;
    if (ok && n > 0) ok = fwrite(data, 1, n, fp) == n;
    if (fp && fclose(fp) != 0) ok = 0;
    CHECK(ok, "cannot write %s", path);
    return ok;
}

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = NULL;
    long len = -1;
    if (fp && fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len + 1)) != NULL && fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    if (fp) fclose(fp);
    CHECK(buf != NULL, "cannot read %s", path);
    *n = buf ? (size_t)len : 0;
    return buf;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        char sub[2048];
        while (d && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            rm_rf(sub);
        }
        if (d) closedir(d);
    }
    remove(path);
}

/* ---- fake inputs ---- */

typedef struct {
    int omit;     /* file index not written, or -1 */
    int cut;      /* file index cut short by 100 bytes, or -1 */
    int bad;      /* file index whose record 4 has label 10, or -1 */
} fake_opts;

static const fake_opts GOOD = {-1, -1, -1};

static void make_folder(const char *dir, fake_opts o)
{
    static unsigned char buf[RPF * CIFAR10_RECORD_BYTES];
    char path[1024];
    CHECK(mkdir(dir, 0777) == 0, "mkdir %s", dir);
    for (int f = 0; f < NFILES; f++) {
        size_t n = sizeof buf;
        if (f == o.omit) continue;
        snprintf(path, sizeof path, "%s/%s", dir, FILES[f]);
        if (f == META_SLOT) {
            write_file(path, META_TEXT, strlen(META_TEXT));
            continue;
        }
        for (size_t r = 0; r < RPF; r++) {
            unsigned char *rec = buf + r * CIFAR10_RECORD_BYTES;
            rec[0] = label_of(f, r);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        rec[1 + c * 1024 + y * 32 + x] = pixel(f, r, c, y, x);
        }
        if (f == o.bad) buf[4 * CIFAR10_RECORD_BYTES] = 10;
        if (f == o.cut) n -= 100;
        write_file(path, buf, n);
    }
}

/* A ustar .tar(.gz) of the folder's files, in the shuffled order of the official archive, under
 * prefix ("cifar-10-batches-bin/" or ""), with a directory entry and a readme to skip. */
static void make_tar(const char *out, const char *dir, const char *prefix, int gzip)
{
    static const int order[] = {0, META_SLOT, 2, 3, 5, -1, 1, 4}; /* -1: readme.html */
    struct archive *a = archive_write_new();
    struct archive_entry *e;
    char path[1024], name[256];
    int ok = a && (!gzip || archive_write_add_filter_gzip(a) == ARCHIVE_OK) &&
             archive_write_set_format_ustar(a) == ARCHIVE_OK &&
             archive_write_open_filename(a, out) == ARCHIVE_OK;
    CHECK(ok, "archive_write setup for %s", out);
    if (ok && *prefix) {
        e = archive_entry_new();
        archive_entry_set_pathname(e, prefix);
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
        ok = archive_write_header(a, e) == ARCHIVE_OK;
        archive_entry_free(e);
    }
    for (size_t k = 0; ok && k < sizeof order / sizeof *order; k++) {
        static const char readme[] = "<html>not data</html>\n";
        unsigned char *data = NULL;
        size_t n = sizeof readme - 1;
        if (order[k] >= 0) {
            snprintf(path, sizeof path, "%s/%s", dir, FILES[order[k]]);
            if (!exists(path)) continue;
            data = read_file(path, &n);
            if (!data) { ok = 0; break; }
        }
        snprintf(name, sizeof name, "%s%s", prefix, order[k] >= 0 ? FILES[order[k]] : "readme.html");
        e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)n);
        ok = archive_write_header(a, e) == ARCHIVE_OK &&
             archive_write_data(a, data ? (const void *)data : readme, n) == (la_ssize_t)n;
        archive_entry_free(e);
        free(data);
    }
    CHECK(ok, "writing %s: %s", out, a ? archive_error_string(a) : "no archive");
    if (a) CHECK(archive_write_free(a) == ARCHIVE_OK, "archive_write_free %s", out);
}

/* ---- reading the output back ---- */

typedef struct {
    int rank;
    hsize_t dims[4];
    hsize_t chunk[4];
    int deflate_level;
} ds_info;

/* Reads a whole uint8 dataset (buf may be NULL: info only); 0 on success. */
static int read_u8(hid_t file, const char *path, unsigned char *buf, size_t cap, ds_info *info)
{
    hid_t ds = H5I_INVALID_HID, type = H5I_INVALID_HID, space = H5I_INVALID_HID,
          dcpl = H5I_INVALID_HID;
    int rc = -1;
    unsigned flags = 0, cd[8] = {0};
    size_t ncd = 8;
    hsize_t n = 1;
    memset(info, 0, sizeof *info);
    info->deflate_level = -1;
    if ((ds = H5Dopen2(file, path, H5P_DEFAULT)) < 0) goto exit;
    if ((type = H5Dget_type(ds)) < 0 || H5Tget_class(type) != H5T_INTEGER ||
        H5Tget_size(type) != 1 || H5Tget_sign(type) != H5T_SGN_NONE)
        goto exit;
    if ((space = H5Dget_space(ds)) < 0 || (info->rank = H5Sget_simple_extent_ndims(space)) < 1 ||
        info->rank > 4 || H5Sget_simple_extent_dims(space, info->dims, NULL) < 0)
        goto exit;
    if ((dcpl = H5Dget_create_plist(ds)) < 0 || H5Pget_layout(dcpl) != H5D_CHUNKED ||
        H5Pget_chunk(dcpl, 4, info->chunk) != info->rank)
        goto exit;
    if (H5Pget_filter_by_id2(dcpl, H5Z_FILTER_DEFLATE, &flags, &ncd, cd, 0, NULL, NULL) >= 0 &&
        ncd >= 1)
        info->deflate_level = (int)cd[0];
    for (int i = 0; i < info->rank; i++) n *= info->dims[i];
    if (buf) {
        if (n > cap) goto exit;
        if (H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) goto exit;
    }
    rc = 0;
exit:
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (ds >= 0) H5Dclose(ds);
    CHECK(rc == 0, "reading %s as a chunked uint8 dataset", path);
    return rc;
}

/* Reads class_names into names (strings to free with H5free_memory); returns the count or -1. */
static int read_class_names(hid_t file, char **names, int cap)
{
    hid_t attr = H5I_INVALID_HID, ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID,
          space = H5I_INVALID_HID;
    hsize_t n = 0;
    int rc = -1;
    if ((attr = H5Aopen(file, "class_names", H5P_DEFAULT)) < 0) goto exit;
    if ((ftype = H5Aget_type(attr)) < 0 || H5Tget_class(ftype) != H5T_STRING ||
        H5Tis_variable_str(ftype) <= 0 || H5Tget_cset(ftype) != H5T_CSET_UTF8)
        goto exit;
    if ((space = H5Aget_space(attr)) < 0 || H5Sget_simple_extent_ndims(space) != 1 ||
        H5Sget_simple_extent_dims(space, &n, NULL) < 0 || n > (hsize_t)cap)
        goto exit;
    if ((mtype = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(mtype, H5T_VARIABLE) < 0 ||
        H5Tset_cset(mtype, H5T_CSET_UTF8) < 0 || H5Aread(attr, mtype, names) < 0)
        goto exit;
    rc = (int)n;
exit:
    if (mtype >= 0) H5Tclose(mtype);
    if (space >= 0) H5Sclose(space);
    if (ftype >= 0) H5Tclose(ftype);
    if (attr >= 0) H5Aclose(attr);
    CHECK(rc >= 0, "reading class_names as a 1-D variable-length UTF-8 string attribute");
    return rc;
}

static void check_fake_output(const char *path)
{
    static unsigned char train[5 * RPF * IMG], test[RPF * IMG], tl[5 * RPF], sl[RPF];
    char *names[16] = {0};
    ds_info ti, tli, si, sli;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int n, bad = 0;
    CHECK(file >= 0, "H5Fopen %s", path);
    if (file < 0) return;
    if (read_u8(file, "/train/images", train, sizeof train, &ti) == 0) {
        CHECK(ti.rank == 4 && ti.dims[0] == 5 * RPF && ti.dims[1] == 32 && ti.dims[2] == 32 &&
                  ti.dims[3] == 3,
              "train images shape");
        CHECK(ti.chunk[0] == 5 * RPF && ti.chunk[3] == 3, "train chunk %llu",
              (unsigned long long)ti.chunk[0]);
        CHECK(ti.deflate_level == 4, "train images gzip level %d", ti.deflate_level);
    }
    if (read_u8(file, "/test/images", test, sizeof test, &si) == 0)
        CHECK(si.rank == 4 && si.dims[0] == RPF && si.dims[1] == 32 && si.dims[3] == 3,
              "test images shape");
    if (read_u8(file, "/train/labels", tl, sizeof tl, &tli) == 0) {
        CHECK(tli.rank == 1 && tli.dims[0] == 5 * RPF, "train labels shape");
        CHECK(tli.deflate_level == 4, "train labels gzip level %d", tli.deflate_level);
    }
    if (read_u8(file, "/test/labels", sl, sizeof sl, &sli) == 0)
        CHECK(sli.rank == 1 && sli.dims[0] == RPF, "test labels shape");
    /* Every pixel: NHWC from the planar records, files 1..5 in order, records in order. */
    for (int row = 0; row < 6 * RPF; row++) {
        int f = row / RPF;
        size_t r = (size_t)(row % RPF);
        const unsigned char *img = f < 5 ? train + (size_t)row * IMG : test + r * IMG;
        unsigned char lab = f < 5 ? tl[row] : sl[r];
        if (lab != label_of(f, r)) bad++;
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                for (int c = 0; c < 3; c++)
                    if (img[(y * 32 + x) * 3 + c] != pixel(f, r, c, y, x)) bad++;
    }
    CHECK(bad == 0, "%d pixels or labels differ from the records", bad);
    /* Two spot checks spelled out: file 2 (data_batch_3) record 5, pixel (y=3, x=30). */
    CHECK(train[((size_t)(2 * RPF + 5) * 1024 + 3 * 32 + 30) * 3 + 0] == pixel(2, 5, 0, 3, 30),
          "R at train[19][3][30]");
    CHECK(test[((size_t)6 * 1024 + 31 * 32 + 0) * 3 + 2] == pixel(5, 6, 2, 31, 0),
          "B at test[6][31][0]");
    n = read_class_names(file, names, 16);
    CHECK(n == CIFAR10_CLASSES, "%d class names", n);
    for (int i = 0; i < n && i < CIFAR10_CLASSES; i++)
        CHECK(names[i] && strcmp(names[i], CLASSES[i]) == 0, "class %d: '%s'", i,
              names[i] ? names[i] : "(null)");
    for (int i = 0; i < n; i++) H5free_memory(names[i]);
    H5Fclose(file);
}

/* Both files hold the same datasets byte for byte. */
static void check_same(const char *a, const char *b)
{
    static const char *const paths[] = {"/train/images", "/train/labels", "/test/images",
                                        "/test/labels"};
    static unsigned char ba[5 * RPF * IMG], bb[5 * RPF * IMG];
    hid_t fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT), fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
    ds_info ia, ib;
    CHECK(fa >= 0 && fb >= 0, "H5Fopen %s, %s", a, b);
    for (size_t i = 0; fa >= 0 && fb >= 0 && i < sizeof paths / sizeof *paths; i++) {
        memset(ba, 0, sizeof ba);
        memset(bb, 1, sizeof bb);
        if (read_u8(fa, paths[i], ba, sizeof ba, &ia) == 0 &&
            read_u8(fb, paths[i], bb, sizeof bb, &ib) == 0) {
            size_t n = (size_t)ia.dims[0] * (ia.rank == 4 ? IMG : 1);
            CHECK(ia.dims[0] == ib.dims[0] && memcmp(ba, bb, n) == 0, "%s differs", paths[i]);
        }
    }
    if (fa >= 0) H5Fclose(fa);
    if (fb >= 0) H5Fclose(fb);
}

typedef struct {
    int calls, last_done, last_total, in_order;
} progress_log;

static void on_progress(int done, int total, void *user)
{
    progress_log *p = user;
    if (done != p->last_done + 1) p->in_order = 0;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
}

static void expect_fail(const char *src, const char *out, const char *want1, const char *want2)
{
    clcam_err err = {0};
    char tmp[1100];
    clcam_status st = cifar10_import_ex(src, out, RPF, NULL, NULL, &err);
    printf("  expected failure: %s\n", err.msg);
    CHECK(st == CLCAM_ERR_INPUT && err.status == CLCAM_ERR_INPUT, "status %d for %s", (int)st, src);
    CHECK(strstr(err.msg, want1) != NULL, "message lacks '%s': %s", want1, err.msg);
    if (want2) CHECK(strstr(err.msg, want2) != NULL, "message lacks '%s': %s", want2, err.msg);
    CHECK(strchr(err.msg, '\n') == NULL, "message is one line: %s", err.msg);
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    CHECK(!exists(out), "%s exists after a failed import", out);
    CHECK(!exists(tmp), "%s left behind", tmp);
}

static void test_real_archive(const char *tmp)
{
    static unsigned char labels[50000];
    const char *shared = test_shared_dir();
    char src[1100], out[1100];
    char *names[16] = {0};
    clcam_err err = {0};
    struct timespec t0, t1;
    ds_info info;
    hid_t file;
    int bad = 0, n;
    snprintf(src, sizeof src, "%s/cifar10/cifar-10-binary.tar.gz", shared ? shared : "");
    if (!shared || !exists(src)) {
        printf("SKIP real archive: %s not found\n", shared ? src : "shared folder");
        return;
    }
    snprintf(out, sizeof out, "%s/real/cifar10.h5", tmp);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(cifar10_import(src, out, NULL, NULL, &err) == CLCAM_OK, "real import: %s", err.msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("real archive imported in %.1f s\n",
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    if ((file = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        CHECK(0, "H5Fopen %s", out);
        return;
    }
    if (read_u8(file, "/train/images", NULL, 0, &info) == 0)
        CHECK(info.rank == 4 && info.dims[0] == 50000 && info.dims[1] == 32 &&
                  info.dims[2] == 32 && info.dims[3] == 3,
              "train images [%llu,...]", (unsigned long long)info.dims[0]);
    if (read_u8(file, "/test/images", NULL, 0, &info) == 0)
        CHECK(info.rank == 4 && info.dims[0] == 10000 && info.dims[1] == 32 &&
                  info.dims[2] == 32 && info.dims[3] == 3,
              "test images [%llu,...]", (unsigned long long)info.dims[0]);
    if (read_u8(file, "/train/labels", labels, sizeof labels, &info) == 0) {
        CHECK(info.dims[0] == 50000, "train labels [%llu]", (unsigned long long)info.dims[0]);
        for (int i = 0; i < 50000; i++) bad += labels[i] > 9;
    }
    if (read_u8(file, "/test/labels", labels, sizeof labels, &info) == 0) {
        CHECK(info.dims[0] == 10000, "test labels [%llu]", (unsigned long long)info.dims[0]);
        for (int i = 0; i < 10000; i++) bad += labels[i] > 9;
    }
    CHECK(bad == 0, "%d labels out of 0..9", bad);
    n = read_class_names(file, names, 16);
    CHECK(n == 10 && strcmp(names[0], "airplane") == 0, "class_names[0] '%s'",
          n > 0 ? names[0] : "");
    for (int i = 0; i < n && i < 10; i++)
        CHECK(strcmp(names[i], CLASSES[i]) == 0, "class %d: '%s'", i, names[i]);
    for (int i = 0; i < n; i++) H5free_memory(names[i]);
    H5Fclose(file);
    rm_rf(out);
}

int main(void)
{
    const char *t = test_tmpdir();
    char tmp[512], dir[1024], out[1024], out2[1100], tgz[1024];
    clcam_err err = {0};
    progress_log plog = {0, 0, 0, 1};
    CHECK(t != NULL, "test_tmpdir");
    if (!t) return test_finish("test_import");
    snprintf(tmp, sizeof tmp, "%s", t);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    /* Folder, into a folder that does not exist yet. */
    snprintf(dir, sizeof dir, "%s/good", tmp);
    make_folder(dir, GOOD);
    snprintf(out, sizeof out, "%s/new/deeper/folder.h5", tmp);
    CHECK(cifar10_import_ex(dir, out, RPF, on_progress, &plog, &err) == CLCAM_OK, "folder: %s",
          err.msg);
    CHECK(plog.calls == 6 && plog.last_done == 6 && plog.last_total == 6 && plog.in_order,
          "progress: %d calls, last %d/%d", plog.calls, plog.last_done, plog.last_total);
    CHECK(exists(out), "%s", out);
    snprintf(out2, sizeof out2, "%s.tmp", out);
    CHECK(!exists(out2), "temporary %s left", out2);
    check_fake_output(out);

    /* The same as .tar.gz, with and without the folder prefix. */
    snprintf(tgz, sizeof tgz, "%s/good.tar.gz", tmp);
    make_tar(tgz, dir, "cifar-10-batches-bin/", 1);
    snprintf(out2, sizeof out2, "%s/from_archive.h5", tmp);
    memset(&err, 0, sizeof err);
    CHECK(cifar10_import_ex(tgz, out2, RPF, NULL, NULL, &err) == CLCAM_OK, "archive: %s", err.msg);
    check_fake_output(out2);
    check_same(out, out2);
    snprintf(tgz, sizeof tgz, "%s/bare.tar.gz", tmp);
    make_tar(tgz, dir, "", 1);
    snprintf(out2, sizeof out2, "%s/from_bare.h5", tmp);
    memset(&err, 0, sizeof err);
    CHECK(cifar10_import_ex(tgz, out2, RPF, NULL, NULL, &err) == CLCAM_OK, "bare archive: %s",
          err.msg);
    check_same(out, out2);

    /* Importing again over an existing file replaces it. */
    memset(&err, 0, sizeof err);
    CHECK(cifar10_import_ex(dir, out, RPF, NULL, NULL, &err) == CLCAM_OK, "re-import: %s",
          err.msg);
    check_fake_output(out);

    /* Errors: folder. */
    snprintf(out, sizeof out, "%s/bad/out.h5", tmp);
    snprintf(dir, sizeof dir, "%s/cut", tmp);
    make_folder(dir, (fake_opts){-1, 2, -1});
    expect_fail(dir, out, "data_batch_3.bin: 21411 bytes", "expected 21511");
    snprintf(dir, sizeof dir, "%s/notest", tmp);
    make_folder(dir, (fake_opts){5, -1, -1});
    expect_fail(dir, out, "test_batch.bin", "missing");
    snprintf(dir, sizeof dir, "%s/nometa", tmp);
    make_folder(dir, (fake_opts){META_SLOT, -1, -1});
    expect_fail(dir, out, "batches.meta.txt", NULL);
    snprintf(dir, sizeof dir, "%s/badlabel", tmp);
    make_folder(dir, (fake_opts){-1, -1, 1});
    expect_fail(dir, out, "data_batch_2.bin", "record 4");
    snprintf(dir, sizeof dir, "%s/does-not-exist", tmp);
    expect_fail(dir, out, dir, NULL);
    expect_fail(dir, out, "does-not-exist", NULL);

    /* Errors: archive. */
    snprintf(tgz, sizeof tgz, "%s/notest.tar.gz", tmp);
    snprintf(dir, sizeof dir, "%s/notest", tmp);
    make_tar(tgz, dir, "cifar-10-batches-bin/", 1);
    expect_fail(tgz, out, "test_batch.bin", "notest.tar.gz");
    snprintf(tgz, sizeof tgz, "%s/cut.tar.gz", tmp);
    snprintf(dir, sizeof dir, "%s/cut", tmp);
    make_tar(tgz, dir, "cifar-10-batches-bin/", 1);
    expect_fail(tgz, out, "data_batch_3.bin: 21411 bytes", "expected 21511");
    snprintf(tgz, sizeof tgz, "%s/badlabel.tar.gz", tmp);
    snprintf(dir, sizeof dir, "%s/badlabel", tmp);
    make_tar(tgz, dir, "", 1);
    expect_fail(tgz, out, "data_batch_2.bin", "record 4");
    { /* a .tar.gz cut in half: a decompression error naming the archive */
        size_t n = 0;
        unsigned char *data;
        snprintf(tgz, sizeof tgz, "%s/good.tar.gz", tmp);
        data = read_file(tgz, &n);
        snprintf(tgz, sizeof tgz, "%s/half.tar.gz", tmp);
        if (data) write_file(tgz, data, n / 2);
        free(data);
        expect_fail(tgz, out, "half.tar.gz", NULL);
    }
    { /* a plain .tar cut inside the last entry's data: headers right, data short */
        size_t n = 0;
        unsigned char *data;
        snprintf(dir, sizeof dir, "%s/good", tmp);
        snprintf(tgz, sizeof tgz, "%s/whole.tar", tmp);
        make_tar(tgz, dir, "cifar-10-batches-bin/", 0);
        data = read_file(tgz, &n);
        snprintf(tgz, sizeof tgz, "%s/cut-inside.tar", tmp);
        if (data && n > 15000) write_file(tgz, data, n - 15000);
        free(data);
        expect_fail(tgz, out, "cut-inside.tar", "data_batch_5.bin");
    }
    snprintf(tgz, sizeof tgz, "%s/good/batches.meta.txt", tmp); /* not an archive at all */
    expect_fail(tgz, out, "batches.meta.txt", NULL);
    CHECK(!exists(out) && exists(tmp), "nothing in %s/bad", tmp);

    test_real_archive(tmp);
    rm_rf(tmp);
    return test_finish("test_import");
}
