#!/usr/bin/env bash
# Training throughput: clcam train against a PyTorch training-step loop on the same machine,
# same model (SimpleCNN), same batch, same recipe (SGD Nesterov + weight decay, crop + flip).
#   bench/bench_train.sh [STEPS] [BATCH]     (defaults: 12 steps, batch 128)
# Prints a table on stderr and one JSON line per case on stdout. Not a test: figures, no verdicts.
# Both skip their first 2 steps (clcam: kernel builds; PyTorch: warm-up) in the rate.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps="${1:-12}" batch="${2:-128}"
shared="${CLCAM_SHARED:-$root/../shared}"
clcam="$root/build/clcam"
cd "$root"
[[ -x "$clcam" ]] || "$root/scripts/build.sh" >&2
if [[ ! -f data/cifar10.h5 ]]; then
  "$clcam" import-cifar10 "${CLCAM_CIFAR10_ARCHIVE:-$shared/cifar10/cifar-10-binary.tar.gz}" data/cifar10.h5 >&2
fi
# clcam: img/s over the steps after the first 2 (the difference of two measured runs). A
# first run, not measured, builds whatever kernels are not cached yet: otherwise the 2-step
# run alone pays for compiling them and the difference comes out far too fast.
"$clcam" train configs/simplecnn_train.yaml --quiet --steps 2 --set "train.batch=$batch" \
  --set train.eval_split=none >/dev/null
warm=$("$clcam" train configs/simplecnn_train.yaml --quiet --stats --steps 2 --set "train.batch=$batch" \
  --set train.eval_split=none)
full=$("$clcam" train configs/simplecnn_train.yaml --quiet --stats --steps "$steps" --set "train.batch=$batch" \
  --set train.eval_split=none)
clcam_json=$(/usr/bin/python3 - "$warm" "$full" <<'PY'
import json, sys
w, f = json.loads(sys.argv[1]), json.loads(sys.argv[2])
imgs, secs = f["images"] - w["images"], f["train_seconds"] - w["train_seconds"]
print(json.dumps({"case": "clcam_train", "batch": f["batch"], "images": imgs, "seconds": round(secs, 3),
                  "images_per_s": round(imgs / secs, 1)}))
PY
)
echo "$clcam_json"
torch_json=$(/usr/bin/python3 - "$steps" "$batch" <<'PY'
import json, os, sys, time
import h5py, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
steps, batch = int(sys.argv[1]), int(sys.argv[2])
torch.manual_seed(0)
torch.set_num_threads(os.cpu_count())  # as bench/torch_cases.py: every core
class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.ModuleList([nn.Conv2d(3, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1), nn.Conv2d(64, 128, 3, padding=1)])
        self.fc1, self.fc2 = nn.Linear(2048, 512), nn.Linear(512, 10)
    def forward(self, x):
        for c in self.c: x = F.max_pool2d(F.relu(c(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))
with h5py.File("data/cifar10.h5", "r") as f:
    imgs, labs = f["train/images"][: steps * batch], f["train/labels"][: steps * batch].astype(np.int64)
mean = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1); std = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)
m = SimpleCNN(); opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
def step(i):
    x = torch.from_numpy(imgs[i * batch:(i + 1) * batch]).permute(0, 3, 1, 2).float() / 255
    x = F.pad(x, (4, 4, 4, 4)); dy, dx = np.random.randint(0, 9, 2); x = x[:, :, dy:dy + 32, dx:dx + 32]
    if np.random.rand() < 0.5: x = x.flip(3)
    loss = F.cross_entropy(m((x - mean) / std), torch.from_numpy(labs[i * batch:(i + 1) * batch]))
    opt.zero_grad(); loss.backward(); opt.step()
for i in range(2): step(i)
t = time.perf_counter()
for i in range(2, steps): step(i)
s = time.perf_counter() - t
print(json.dumps({"case": "torch_train", "batch": batch, "images": (steps - 2) * batch, "seconds": round(s, 3),
                  "images_per_s": round((steps - 2) * batch / s, 1), "threads": torch.get_num_threads(),
                  "torch": torch.__version__}))
PY
)
echo "$torch_json"
/usr/bin/python3 - "$clcam_json" "$torch_json" <<'PY' >&2
import json, sys
c, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"\n{'case':<14}{'images/s':>10}{'images':>8}{'seconds':>9}")
for r in (c, t):
    print(f"{r['case']:<14}{r['images_per_s']:>10.1f}{r['images']:>8}{r['seconds']:>9.2f}")
print(f"clcam / PyTorch: {c['images_per_s'] / t['images_per_s']:.2f}; an epoch of 50,000 images: "
      f"clcam {50000 / c['images_per_s'] / 60:.1f} min, PyTorch {50000 / t['images_per_s'] / 60:.1f} min (extrapolated)")
PY
