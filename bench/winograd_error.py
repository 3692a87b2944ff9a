#!/usr/bin/env python3
"""Float32 error of Winograd F(4x4, 3x3) against a direct convolution, both against float64.

  /usr/bin/python3 bench/winograd_error.py

One 3x3 stride-1 pad-1 layer of resnet18's shape (64 -> 64 channels, 56x56, ReLU'd normal
inputs, He-scaled normal weights), the transforms of cl/kernels/conv_winograd.cl (Lavin &
Gray's B, G and A) in numpy. Prints the largest and the rms error relative to the output's
scale. Figures, not a test: cl/conv.c's choice of where Winograd is the default rests on them.
"""
import numpy as np

BT = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], np.float64)
G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], np.float64)
AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
               [0, 1, -1, 8, -8, 1]], np.float64)


def direct(x, w, dt):
    x, w = x.astype(dt), w.astype(dt)
    c, h, _ = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((w.shape[0], h, h), dt)
    for ky in range(3):
        for kx in range(3):
            out += np.einsum("kc,chw->khw", w[:, :, ky, kx], xp[:, ky:ky + h, kx:kx + h]).astype(dt)
    return out


def winograd(x, w, dt):
    bt, g, at = BT.astype(dt), G.astype(dt), AT.astype(dt)
    c, h, _ = x.shape
    u = np.einsum("ij,kcjl,ml->kcim", g, w.astype(dt), g)
    t = (h + 3) // 4
    xp = np.zeros((c, 4 * t + 2, 4 * t + 2), dt)
    xp[:, 1:h + 1, 1:h + 1] = x
    out = np.zeros((w.shape[0], 4 * t, 4 * t), dt)
    for ty in range(t):
        for tx in range(t):
            v = np.einsum("ij,cjl,ml->cim", bt, xp[:, 4 * ty:4 * ty + 6, 4 * tx:4 * tx + 6], bt)
            m = np.einsum("kcij,cij->kij", u, v)
            out[:, 4 * ty:4 * ty + 4, 4 * tx:4 * tx + 4] = np.einsum("ij,kjl,ml->kim", at, m, at)
    return out[:, :h, :h]


def main():
    rng = np.random.default_rng(0)
    c, h = 64, 56
    x = np.maximum(rng.standard_normal((c, h, h)), 0)
    w = rng.standard_normal((c, c, 3, 3)) * np.sqrt(2 / (c * 9))
    ref = direct(x, w, np.float64)
    for name, out in (("direct float32", direct(x, w, np.float32)), ("winograd float32", winograd(x, w, np.float32))):
        e = np.abs(out - ref)
        print(f"{name:18s} max error {e.max() / np.abs(ref).max():.3g} of the output's largest value, "
              f"rms {np.sqrt((e ** 2).mean() / (ref ** 2).mean()):.3g} of its rms")


if __name__ == "__main__":
    main()
