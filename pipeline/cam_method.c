#include "cam_method.h"

#include <string.h>

const cam_method_ops *const CAM_METHODS[] = {
    [CAM_GRADCAM] = &cam_gradcam_ops,
};
_Static_assert(sizeof CAM_METHODS / sizeof *CAM_METHODS == CAM_METHOD_COUNT, "CAM method table");

const cam_method_ops *cam_method_find(const char *name)
{
    for (int i = 0; i < CAM_METHOD_COUNT; i++)
        if (strcmp(CAM_METHODS[i]->name, name) == 0) return CAM_METHODS[i];
    return NULL;
}
