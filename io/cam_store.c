#include "cam_store.h"

#include <math.h>
#include <string.h>

const char *cam_dtype_name(cam_dtype d)
{
    return d == CAM_DTYPE_FLOAT16 ? "float16" : d == CAM_DTYPE_UINT8 ? "uint8" : "float32";
}

size_t cam_dtype_size(cam_dtype d)
{
    return d == CAM_DTYPE_FLOAT16 ? 2 : d == CAM_DTYPE_UINT8 ? 1 : 4;
}

float cam_dtype_scale(cam_dtype d)
{
    return d == CAM_DTYPE_UINT8 ? 1.0f / 255.0f : 1.0f;
}

uint16_t cam_half_from_float(float x)
{
    uint32_t f;
    memcpy(&f, &x, sizeof f);
    uint32_t sign = (f >> 16) & 0x8000u, exp = (f >> 23) & 0xffu, man = f & 0x7fffffu;
    if (exp == 0xffu) /* inf, or NaN kept quiet with its top payload bits */
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0));
    int e = (int)exp - 127 + 15; /* the half's biased exponent */
    if (e >= 31) return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) { /* subnormal half (or zero): shift the full significand into 10 bits */
        if (e < -10) return (uint16_t)sign; /* below half the smallest subnormal: +-0 */
        uint32_t m = man | 0x800000u, shift = (uint32_t)(14 - e);
        uint32_t h = m >> shift, rest = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rest > half || (rest == half && (h & 1u))) h++; /* may carry into the smallest normal: right */
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13), rest = man & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++; /* a carry into the exponent is right, up to inf */
    return (uint16_t)(sign | h);
}

uint8_t cam_u8_from_float(float x)
{
    if (!(x > 0.0f)) return 0; /* also NaN */
    if (x >= 1.0f) return 255;
    return (uint8_t)nearbyintf(255.0f * x); /* the default rounding mode: ties to even */
}

void cam_store_convert(cam_dtype d, const float *in, size_t n, void *out)
{
    if (d == CAM_DTYPE_FLOAT16) {
        uint16_t *o = out;
        for (size_t i = 0; i < n; i++) o[i] = cam_half_from_float(in[i]);
    } else if (d == CAM_DTYPE_UINT8) {
        uint8_t *o = out;
        for (size_t i = 0; i < n; i++) o[i] = cam_u8_from_float(in[i]);
    } else {
        memcpy(out, in, n * sizeof *in);
    }
}

hid_t cam_store_h5type(cam_dtype d)
{
    if (d == CAM_DTYPE_UINT8) return H5Tcopy(H5T_STD_U8LE);
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0 || d == CAM_DTYPE_FLOAT32) return t;
    if (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 || H5Tset_size(t, 2) < 0 || H5Tset_ebias(t, 15) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}
