/* CIFAR-10 binary archive or folder -> dataset file (see docs/file_formats.md, "Dataset file"). */
#ifndef CLCAM_CIFAR10_IMPORT_H
#define CLCAM_CIFAR10_IMPORT_H

#include <stddef.h>

#include "../base/error.h"

#define CIFAR10_SIDE 32
#define CIFAR10_CHANNELS 3
#define CIFAR10_CLASSES 10
#define CIFAR10_RECORD_BYTES (1 + CIFAR10_SIDE * CIFAR10_SIDE * CIFAR10_CHANNELS) /* 3073 */
#define CIFAR10_RECORDS_PER_FILE 10000
#define CIFAR10_TRAIN_FILES 5
#define CIFAR10_BATCH_FILES (CIFAR10_TRAIN_FILES + 1) /* data_batch_1..5 and test_batch */

/* progress may be NULL; called after each batch file with (files_done, files_total). */
typedef void (*cifar10_progress_fn)(int done, int total, void *user);

/* SRC is cifar-10-binary.tar.gz (read streaming with libarchive, entries named
 * cifar-10-batches-bin/<file> or <file>) or the unpacked cifar-10-batches-bin/ folder.
 * Writes OUT (creating its folder if needed) through OUT.tmp, renamed into place only on
 * success: /train/images uint8 [50000,32,32,3] NHWC, /train/labels uint8 [50000],
 * /test/images [10000,32,32,3], /test/labels [10000], root attribute class_names
 * (variable-length UTF-8 strings). Bad or missing input files give CLCAM_ERR_INPUT with a
 * message naming the file and what was expected. */
clcam_status cifar10_import(const char *src, const char *out_path, cifar10_progress_fn progress,
                            void *user, clcam_err *err);

/* As cifar10_import, with records_per_file records in each batch file instead of 10,000:
 * for tests, which cannot afford 180 MB of input. */
clcam_status cifar10_import_ex(const char *src, const char *out_path, size_t records_per_file,
                               cifar10_progress_fn progress, void *user, clcam_err *err);

#endif
