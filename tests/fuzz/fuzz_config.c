/* libFuzzer: the YAML config loader on arbitrary file contents, then the same bytes as a
 * --set value. It must return a status, never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    clcam_config cfg;
    clcam_err err = {0};
    FILE *f;
    char *set, *yaml;
    if (!path[0]) snprintf(path, sizeof path, "/tmp/clcam-fuzz-config-%ld.yaml", (long)getpid());
    if (!(f = fopen(path, "wb"))) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    if (config_load(path, NULL, 0, &cfg, &err) == CLCAM_OK && (yaml = config_to_yaml(&cfg))) {
        /* a config that loads must survive its own round trip */
        if (!(f = fopen(path, "wb"))) abort();
        fputs(yaml, f);
        fclose(f);
        free(yaml);
        err = (clcam_err){0};
        if (config_load(path, NULL, 0, &cfg, &err) != CLCAM_OK) abort();
    }
    if ((set = malloc(size + 16))) {
        const char *sets[1] = {set};
        memcpy(set, "cam.target=", 11);
        memcpy(set + 11, data, size);
        set[11 + size] = '\0';
        err = (clcam_err){0};
        config_load(NULL, sets, 1, &cfg, &err);
        free(set);
    }
    return 0;
}
