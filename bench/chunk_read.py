# Reading one image's map from a 224x224 results /cam: chunks of a batch (64 rows, the old layout) against one
# image per chunk (io/results.c since issue 14), float32 and uint8, gzip 4 + shuffle as clcam writes.
# Synthetic Gaussian-blob maps through h5py (the same chunk shapes and filters clcam uses).
# Usage: python3 bench/chunk_read.py   (writes $TMPDIR/clcam_chunk_*.h5, about 560 MB)
import h5py, numpy as np, time, os, sys
N, S = 2000, 224
rng = np.random.default_rng(0)
y, x = np.mgrid[0:S, 0:S] / S
def maps(i0, n):
    c = rng.uniform(0.2, 0.8, (n, 2, 1, 1))
    m = np.exp(-((y - c[:, 0]) ** 2 + (x - c[:, 1]) ** 2) / 0.05)
    return ((m - m.min(axis=(1, 2), keepdims=True)) / np.ptp(m, axis=(1, 2), keepdims=True)).astype(np.float32)
for dtype in ("float32", "uint8"):
    for name, chunk in (("old (batch 64)", 64), ("new (1 image)", 1)):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"clcam_chunk_{dtype}_{chunk}.h5")
        if not os.path.exists(path):
            with h5py.File(path, "w") as f:
                d = f.create_dataset("cam", (N, S, S), dtype=dtype, chunks=(chunk, S, S), shuffle=True, compression="gzip", compression_opts=4)
                for s in range(0, N, 64):
                    m = maps(s, min(64, N - s))
                    d[s:s + len(m)] = m if dtype == "float32" else np.round(255 * m).astype(np.uint8)
        idx = np.random.default_rng(1).permutation(N)[:200]
        with h5py.File(path, "r") as f:
            d = f["cam"]
            t = time.perf_counter()
            for i in idx:
                _ = d[i]
            dt = (time.perf_counter() - t) / len(idx)
        print(f"{dtype:8s} {name:15s} file {os.path.getsize(path)/2**20:7.1f} MiB  f['cam'][i]: {dt*1e3:6.2f} ms per image (200 random i, fresh file handle)")
