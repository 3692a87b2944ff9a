/* Training augmentation of uint8 NHWC images, before preprocess_u8_nhwc: a random crop of the
 * image zero-padded by pad pixels on each side (torchvision's RandomCrop(size, padding=pad)),
 * then, if flip, a horizontal flip with probability 1/2. The choices come from a counter-based
 * hash of (seed, epoch, the image's index in its split), the same as train_hash4 in
 * train_rng.c: same seed, same crops, on any device and whatever the batch.
 * One work-item per output byte. */
uint train_hash4(uint a, uint b, uint c, uint d)
{
    uint h = clcam_mix32(a + 0x9e3779b9u);
    h = clcam_mix32(h ^ (b + 0x85ebca6bu));
    h = clcam_mix32(h ^ (c + 0xc2b2ae35u));
    return clcam_mix32(h ^ (d + 0x27d4eb2fu));
}

__kernel void augment_crop_flip(__global const uchar *src, __global uchar *dst,
                                __global const int *index, uint seed, uint epoch, int H, int W,
                                int C, int pad, int flip, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int c = i % C, x = (i / C) % W, y = (i / (C * W)) % H, img = i / (C * W * H);
    uint id = (uint)index[img];
    uint span = (uint)(2 * pad + 1);
    int dy = (int)(train_hash4(seed, epoch, id, 1u) % span) - pad;
    int dx = (int)(train_hash4(seed, epoch, id, 2u) % span) - pad;
    int f = flip && (train_hash4(seed, epoch, id, 3u) & 1u);
    int sx = (f ? W - 1 - x : x) + dx, sy = y + dy;
    dst[i] = (sy >= 0 && sy < H && sx >= 0 && sx < W) ? src[((img * H + sy) * W + sx) * C + c] : 0;
}
