#include "fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fault_point(const char *point, int count)
{
    static const struct { const char *name, *point; int sig; } FAULTS[] = {
        {"kill_after_write", "after_write", SIGKILL},
        {"kill_after_mark", "after_mark", SIGKILL},
        {"term_after_mark", "after_mark", SIGTERM},
        {"int_after_mark", "after_mark", SIGINT},
        {"kill_after_step", "train_step", SIGKILL},
        {"kill_after_checkpoint", "train_checkpoint", SIGKILL},
    };
    const char *spec = getenv("CLCAM_FAULT"), *colon;
    if (!spec || !(colon = strchr(spec, ':')) || atoi(colon + 1) != count) return;
    for (size_t i = 0; i < sizeof FAULTS / sizeof *FAULTS; i++)
        if (strncmp(spec, FAULTS[i].name, (size_t)(colon - spec)) == 0 &&
            strlen(FAULTS[i].name) == (size_t)(colon - spec) && strcmp(point, FAULTS[i].point) == 0)
            kill(getpid(), FAULTS[i].sig); /* the process: a worker thread may block it */
}

long long fault_value(const char *name)
{
    const char *spec = getenv("CLCAM_FAULT"), *colon;
    if (!spec || !(colon = strchr(spec, ':')) || strlen(name) != (size_t)(colon - spec) ||
        strncmp(spec, name, (size_t)(colon - spec)) != 0)
        return 0;
    return atoll(colon + 1);
}
