/* How /<method>/cam is stored (output.cam_dtype): float32 as computed, IEEE half, or uint8 of
 * 255 x map. The conversions are here so the writer and the tests share them. */
#ifndef CLCAM_CAM_STORE_H
#define CLCAM_CAM_STORE_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { CAM_DTYPE_FLOAT32, CAM_DTYPE_FLOAT16, CAM_DTYPE_UINT8 } cam_dtype;

/* "float32", "float16", "uint8" */
const char *cam_dtype_name(cam_dtype d);
size_t cam_dtype_size(cam_dtype d);
/* What one stored unit is worth: 1/255 for uint8, else 1 (the file's cam_scale). */
float cam_dtype_scale(cam_dtype d);

/* IEEE binary16 bits of x, rounded to nearest, ties to even (as numpy's astype(float16)):
 * overflow gives infinity, NaN stays NaN (quiet), subnormals are kept. */
uint16_t cam_half_from_float(float x);
/* round(255 x) with ties to even (numpy's np.round), x clamped to [0, 1] first; NaN gives 0. */
uint8_t cam_u8_from_float(float x);

/* Converts n floats into out (n * cam_dtype_size(d) bytes). */
void cam_store_convert(cam_dtype d, const float *in, size_t n, void *out);

/* A new HDF5 type for d on disk (the caller H5Tclose's it); H5I_INVALID_HID on failure. HDF5
 * 1.10 has no predefined half type: IEEE F32 narrowed to 1/5/10 bits, as h5py builds it, which
 * h5py reads as numpy float16. */
hid_t cam_store_h5type(cam_dtype d);

#endif
