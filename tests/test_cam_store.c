/* io/cam_store: float -> half bits against numpy's astype(float16) (the table was printed by
 * numpy 1.24 here), every half's round trip and the ties between neighbours (to even), uint8's
 * rounding (np.round: ties to even), and HDF5 reading the half type back as float. */
#include "io/cam_store.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The half's value, exactly (every half is a float). */
static float half_value(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    float v = e == 0 ? ldexpf((float)m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexpf((float)(m | 0x400), e - 25);
    return (h & 0x8000) ? -v : v;
}

static void check_numpy_table(void)
{
    /* /usr/bin/python3: np.float32(v).astype(np.float16).view(np.uint16) */
    static const struct { float x; uint16_t h; } t[] = {
        {0.0f, 0x0000}, {-0.0f, 0x8000}, {1.0f, 0x3c00}, {-1.0f, 0xbc00}, {0.5f, 0x3800},
        {65504.0f, 0x7bff}, {65519.9883f, 0x7bff}, {65520.0f, 0x7c00}, {1e+09f, 0x7c00},
        {INFINITY, 0x7c00}, {-INFINITY, 0xfc00}, {6.10351562e-05f, 0x0400},
        {6.09755516e-05f, 0x03ff}, {5.96046448e-08f, 0x0001}, {2.98023224e-08f, 0x0000},
        {2.98023259e-08f, 0x0001}, {8.94069672e-08f, 0x0002}, {1.00000001e-10f, 0x0000},
        {1.00048828f, 0x3c00}, {1.00146484f, 0x3c02}, {0.999511719f, 0x3bff},
        {0.999755859f, 0x3c00}, {0.9997558f, 0x3bff}, {0.333333313f, 0x3555},
        {0.100000001f, 0x2e66}, {3.05175781e-05f, 0x0200}, {9.99999975e-06f, 0x00a8},
        {0.699999988f, 0x399a}, {0.00392156886f, 0x1c04}, {6.10053503e-05f, 0x03ff},
        {2047.90002f, 0x6800},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        uint16_t got = cam_half_from_float(t[i].x);
        CHECK(got == t[i].h, "half(%.9g) = 0x%04x, numpy 0x%04x", (double)t[i].x, got, t[i].h);
    }
    uint16_t n = cam_half_from_float(NAN);
    CHECK((n & 0x7c00) == 0x7c00 && (n & 0x3ff) != 0, "NaN gave 0x%04x", n);
}

/* Every finite half comes back as itself; the midpoint to its upper neighbour goes to the even
 * one of the two, and a float just either side of it to the nearer one. */
static void check_every_half(void)
{
    int bad = 0;
    for (uint32_t h = 0; h < 0x7c00; h++) {
        for (int s = 0; s < 2; s++) {
            uint16_t hs = (uint16_t)(h | (s ? 0x8000u : 0));
            float v = half_value(hs);
            if (cam_half_from_float(v) != hs && bad++ < 5) CHECK(0, "round trip of 0x%04x gave 0x%04x", hs, cam_half_from_float(v));
            float next = h + 1 < 0x7c00 ? half_value((uint16_t)(hs + 1)) : (s ? -65536.0f : 65536.0f);
            float mid = (v + next) / 2; /* exact: floats have 13 more bits */
            uint16_t even = (h & 1) ? (uint16_t)(hs + 1) : hs;
            if (h + 1 == 0x7c00) even = (uint16_t)(hs + 1); /* 65520 rounds to infinity */
            uint16_t got = cam_half_from_float(mid);
            if (got != even && bad++ < 5) CHECK(0, "tie 0x%04x/next: %.9g gave 0x%04x, want 0x%04x", hs, (double)mid, got, even);
            got = cam_half_from_float(nextafterf(mid, v));
            if (got != hs && bad++ < 5) CHECK(0, "below the tie of 0x%04x gave 0x%04x", hs, got);
            got = cam_half_from_float(nextafterf(mid, next));
            if (got != (uint16_t)(hs + 1) && bad++ < 5) CHECK(0, "above the tie of 0x%04x gave 0x%04x", hs, got);
        }
    }
    CHECK(bad == 0, "%d halves wrong", bad);
}

static void check_uint8(void)
{
    CHECK(cam_u8_from_float(0.0f) == 0, "0");
    CHECK(cam_u8_from_float(1.0f) == 255, "1");
    CHECK(cam_u8_from_float(-0.5f) == 0 && cam_u8_from_float(2.0f) == 255 && cam_u8_from_float(NAN) == 0, "clamp");
    CHECK(cam_u8_from_float(0.5f / 255.0f) == 0, "255 x = 0.5 rounds to even 0: %d", cam_u8_from_float(0.5f / 255.0f));
    CHECK(cam_u8_from_float(1.5f / 255.0f) == 2, "1.5 rounds to 2: %d", cam_u8_from_float(1.5f / 255.0f));
    CHECK(cam_u8_from_float(0.5f) == 128, "255 x 0.5 = 127.5 rounds to 128: %d", cam_u8_from_float(0.5f));
    CHECK(cam_u8_from_float(0.3f) == 76, "0.3: %d", cam_u8_from_float(0.3f));
    CHECK(cam_dtype_scale(CAM_DTYPE_UINT8) == 1.0f / 255.0f && cam_dtype_scale(CAM_DTYPE_FLOAT16) == 1.0f, "scale");
}

/* HDF5 reads the narrowed type back into floats exactly, subnormals included. */
static void check_h5_roundtrip(void)
{
    float in[6] = {0.0f, 1.0f, 0.333333313f, 5.96046448e-08f, 6.09755516e-05f, -2.5f}, out[6] = {0};
    uint16_t bits[6];
    hsize_t n = 6;
    cam_store_convert(CAM_DTYPE_FLOAT16, in, 6, bits);
    hid_t t = cam_store_h5type(CAM_DTYPE_FLOAT16), sp = H5Screate_simple(1, &n, NULL);
    char path[1100];
    snprintf(path, sizeof path, "%s/half.h5", test_tmpdir());
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dcreate2(f, "h", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    CHECK(t >= 0 && d >= 0 && H5Tget_size(t) == 2, "creating the half dataset");
    if (d >= 0) {
        CHECK(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, bits) >= 0, "write");
        CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0, "read");
        for (int i = 0; i < 6; i++)
            CHECK(out[i] == half_value(bits[i]), "[%d] %.9g read back as %.9g", i, (double)half_value(bits[i]), (double)out[i]);
        H5Dclose(d);
    }
    if (f >= 0) H5Fclose(f);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
}

int main(void)
{
    check_numpy_table();
    check_every_half();
    check_uint8();
    check_h5_roundtrip();
    return test_finish("test_cam_store");
}
