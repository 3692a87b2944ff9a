#include "cam_method.h"

#include <string.h>

const cam_method_ops *const CAM_METHODS[] = {
    [CAM_GRADCAM] = &cam_gradcam_ops,
    [CAM_GRADCAMPP] = &cam_gradcampp_ops,
    [CAM_XGRADCAM] = &cam_xgradcam_ops,
    [CAM_HIRESCAM] = &cam_hirescam_ops,
    [CAM_LAYERCAM] = &cam_layercam_ops,
    [CAM_GRADCAM_ELEMENTWISE] = &cam_gradcam_elementwise_ops,
    [CAM_EIGENCAM] = &cam_eigencam_ops,
    [CAM_SCORECAM] = &cam_scorecam_ops,
    [CAM_RANDOM] = &cam_random_ops,
    [CAM_SOBEL] = &cam_sobel_ops,
};
_Static_assert(sizeof CAM_METHODS / sizeof *CAM_METHODS == CAM_METHOD_COUNT, "CAM method table");

const cam_method_ops *cam_method_find(const char *name)
{
    for (int i = 0; i < CAM_METHOD_COUNT; i++)
        if (strcmp(CAM_METHODS[i]->name, name) == 0) return CAM_METHODS[i];
    return NULL;
}
