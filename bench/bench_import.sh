#!/usr/bin/env bash
# Image import throughput: clcam import-images against torchvision's ImageFolder + DataLoader
# (2 workers, batch 64) decoding and resizing the same JPEGs: Resize(256) + CenterCrop(224).
#   bench/bench_import.sh [IMAGES] [THREADS]   (defaults: 2,000 JPEGs of 500x375; clcam: every core)
# The JPEGs (smooth random images, quality 90, made with Pillow) are kept in
# ${CLCAM_BENCH_DIR:-/tmp/clcam-bench-import}. Prints a table on stderr and one JSON line per
# case on stdout. Not a test: figures, no verdicts. Each side runs twice; the better run counts
# (the first warms the page cache for both). clcam runs with its default (images stored
# uncompressed) and with --gzip 1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-2000}" threads="${2:-0}"
dir="${CLCAM_BENCH_DIR:-/tmp/clcam-bench-import}"
clcam="$root/build/clcam"
[[ -x "$clcam" ]] || "$root/scripts/build.sh" >&2
/usr/bin/python3 - "$dir/images" "$n" <<'PY'
import os, sys
import numpy as np
from PIL import Image
out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
for i in range(n):
    path = os.path.join(out, f"class{i % 10}", f"{i:05d}.jpg")
    if os.path.exists(path):
        continue
    os.makedirs(os.path.dirname(path), exist_ok=True)
    small = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    a = np.asarray(Image.fromarray(small).resize((500, 375), Image.BICUBIC)).astype(np.int16)
    a += rng.integers(-10, 11, a.shape, dtype=np.int16)
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(path, quality=90)
PY
# Only the first n images, whatever the folder holds from an earlier, larger run.
count=$(find "$dir/images" -name '*.jpg' | wc -l)
if [[ "$count" -ne "$n" ]]; then
  echo "bench_import: $dir/images holds $count JPEGs, not $n: remove it or set CLCAM_BENCH_DIR" >&2
  exit 2
fi
/usr/bin/python3 - "$dir" "$n" "$clcam" "$(nproc)" "$threads" <<'PY'
import json, os, subprocess, sys, time
import torch, torchvision
from torchvision import transforms
top, n, clcam, cores, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
root, out = os.path.join(top, "images"), os.path.join(top, "out.h5")
def clcam_best(extra):
    best = None
    for _ in range(2):
        if os.path.exists(out):
            os.remove(out)
        t0 = time.perf_counter()
        subprocess.run([clcam, "import-images", root, out, "--resize", "256", "--crop", "224",
                        "--quiet"] + extra + (["--threads", str(threads)] if threads else []),
                       check=True)
        s = time.perf_counter() - t0
        best = s if best is None else min(best, s)
    size = os.path.getsize(out)
    os.remove(out)
    return best, size
clcam_s, clcam_bytes = clcam_best([])
gzip_s, gzip_bytes = clcam_best(["--gzip", "1"])
torch.set_num_threads(1)
tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.PILToTensor()])
ds = torchvision.datasets.ImageFolder(root, transform=tf)
best = None
for _ in range(2):
    t0 = time.perf_counter()
    loader = torch.utils.data.DataLoader(ds, batch_size=64, num_workers=2, shuffle=False)
    seen = sum(x.shape[0] for x, _ in loader)
    s = time.perf_counter() - t0
    best = s if best is None else min(best, s)
assert seen == n
rows = [{"case": "clcam_import_images", "images": n, "seconds": round(clcam_s, 3),
         "images_per_s": round(n / clcam_s, 1), "threads": threads or cores,
         "what": f"decode + resize + crop + write ({clcam_bytes / 1e6:.0f} MB)"},
        {"case": "clcam_import_images_gzip1", "images": n, "seconds": round(gzip_s, 3),
         "images_per_s": round(n / gzip_s, 1), "threads": threads or cores,
         "what": f"the same, --gzip 1 ({gzip_bytes / 1e6:.0f} MB)"},
        {"case": "torchvision_dataloader", "images": n, "seconds": round(best, 3),
         "images_per_s": round(n / best, 1), "threads": 2,
         "what": "decode + resize + crop to uint8 tensors, no write"}]
for r in rows:
    print(json.dumps(r))
print(f"{'case':<26}{'images':>8}{'seconds':>10}{'images/s':>10}{'threads':>9}", file=sys.stderr)
for r in rows:
    print(f"{r['case']:<26}{r['images']:>8}{r['seconds']:>10.2f}{r['images_per_s']:>10.1f}{r['threads']:>9}",
          file=sys.stderr)
PY
