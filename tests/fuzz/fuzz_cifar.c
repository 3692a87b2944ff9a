/* libFuzzer: the CIFAR-10 archive reader on arbitrary archive bytes (tar, gzip, anything
 * libarchive opens), two records per batch file. Must fail cleanly or import. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "io/cifar10_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char src[64], out[64];
    clcam_err err = {0};
    FILE *f;
    if (!src[0]) {
        snprintf(src, sizeof src, "/tmp/clcam-fuzz-cifar-%ld.tar.gz", (long)getpid());
        snprintf(out, sizeof out, "/tmp/clcam-fuzz-cifar-%ld.h5", (long)getpid());
    }
    if (!(f = fopen(src, "wb"))) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    cifar10_import_ex(src, out, 2, NULL, NULL, &err);
    remove(out);
    return 0;
}
