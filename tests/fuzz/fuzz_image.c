/* libFuzzer: the JPEG and PNG decoder and the resize on arbitrary file bytes. Must fail
 * cleanly (an error naming the file) or decode; a decoded image is also resized, as
 * import-images --resize 5 --crop 3 would. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "io/image_decode.h"
#include "io/image_resize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    clcam_err err = {0};
    image_rgb im;
    FILE *f;
    if (!path[0]) snprintf(path, sizeof path, "/tmp/clcam-fuzz-image-%ld", (long)getpid());
    if (!(f = fopen(path, "wb"))) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    if (image_decode_file(path, &im, &err) == CLCAM_OK) {
        int w, h;
        uint8_t *mid, *out;
        image_resize_shorter_dims(im.w, im.h, 5, &w, &h);
        /* A decoded image is at most 4096 pixels a side here (libFuzzer's inputs are small,
         * but a header may claim more): the resize of a very long side is not the point. */
        if (w <= 4096 && h <= 4096 && (mid = malloc((size_t)w * h * 3)) != NULL) {
            if (image_resize_bilinear(im.rgb, im.w, im.h, mid, w, h, &err) == CLCAM_OK &&
                (out = malloc(3 * 3 * 3)) != NULL) {
                image_center_crop(mid, w, h, out, 3, 3);
                free(out);
            }
            free(mid);
        }
        image_rgb_free(&im);
    }
    remove(path);
    return 0;
}
