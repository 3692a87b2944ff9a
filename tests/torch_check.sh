#!/usr/bin/env bash
# PyTorch cross-check of `clcam run` (tests/torch_crosscheck.py is the oracle).
#   torch_check.sh CLCAM oracle   the oracle passes a correct file and fails perturbed ones
#   torch_check.sh CLCAM random   random weights and images, targets predicted, label, 3
#   torch_check.sh CLCAM shared   ../shared's SimpleCNN on the first 1,000 CIFAR-10 test images
#   torch_check.sh CLCAM layers   random weights, cam.layer at conv1, conv2, relu2, pool2, relu3
#                                 (through the convolutions' backward pass)
# Exit 77 (SKIP) with the reason when PyTorch or ../shared is absent.
set -euo pipefail
clcam="$1" mode="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
oracle="$here/torch_crosscheck.py"
py=/usr/bin/python3
if ! $py -c "import torch, h5py" 2>/dev/null; then
  echo "SKIP torch_check $mode: /usr/bin/python3 cannot import torch and h5py (apt-get install python3-torch python3-h5py)"
  exit 77
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
run() { "$clcam" run "$here/../configs/cifar10_gradcam.yaml" --quiet "$@"; }

case "$mode" in
oracle)
  $py "$oracle" selftest-compare --dir "$tmp"
  ;;
random)
  $py "$oracle" make-fixture --out "$tmp" --n 300 --seed 1
  for target in predicted label 3; do
    run --set "data.file=$tmp/data.h5" --set "model.weights=$tmp/weights.h5" \
        --set "output.file=$tmp/r_$target.h5" --set batch=64 --set "cam.target=$target"
    echo "== target $target"
    $py "$oracle" compare --data "$tmp/data.h5" --weights "$tmp/weights.h5" \
        --results "$tmp/r_$target.h5" --target "$target"
  done
  # every CAM method; Score-CAM reruns the network K = 128 times per image, hence 40 images
  all="[gradcam, gradcampp, xgradcam, hirescam, layercam, gradcam_elementwise, eigencam, scorecam]"
  run --set "data.file=$tmp/data.h5" --set "model.weights=$tmp/weights.h5" \
      --set "output.file=$tmp/r_all.h5" --set batch=16 --set data.count=40 --set "cam.methods=$all"
  echo "== all methods, target predicted, 40 images"
  $py "$oracle" compare --data "$tmp/data.h5" --weights "$tmp/weights.h5" \
      --results "$tmp/r_all.h5" --target predicted
  ;;
layers)
  $py "$oracle" make-fixture --out "$tmp" --n 200 --seed 2
  for layer in conv1 conv2 relu2 pool2 relu3; do
    run --set "data.file=$tmp/data.h5" --set "model.weights=$tmp/weights.h5" \
        --set "output.file=$tmp/r_$layer.h5" --set batch=64 --set "cam.layer=$layer"
    echo "== cam.layer $layer"
    $py "$oracle" compare --data "$tmp/data.h5" --weights "$tmp/weights.h5" \
        --results "$tmp/r_$layer.h5" --layer "$layer"
  done
  # Every method after a ReLU, where A >= 0 keeps Grad-CAM++'s and XGrad-CAM's sums of A
  # away from zero: their final maps are compared there, most of them (conv3, before its
  # ReLU, is ill-conditioned for both; see docs/numerics.md). The raw tolerance is
  # 10x tighter than the default here (still 10-100x the error measured), so that fewer maps
  # count as ill-conditioned.
  all="[gradcam, gradcampp, xgradcam, hirescam, layercam, gradcam_elementwise, eigencam, scorecam]"
  for layer in relu3 pool2; do
    run --set "data.file=$tmp/data.h5" --set "model.weights=$tmp/weights.h5" \
        --set "output.file=$tmp/r_all_$layer.h5" --set batch=16 --set data.count=40 \
        --set "cam.methods=$all" --set "cam.layer=$layer"
    echo "== all methods at $layer, 40 images"
    $py "$oracle" compare --data "$tmp/data.h5" --weights "$tmp/weights.h5" \
        --results "$tmp/r_all_$layer.h5" --layer "$layer" --min-checked 0.8 --raw-rel-tol 1e-5
  done
  # cam.target topk: 3: /target [N, 3] is torch's three most probable classes, and every
  # method's maps at each rank equal the formulas at that rank's class.
  run --set "data.file=$tmp/data.h5" --set "model.weights=$tmp/weights.h5" \
      --set "output.file=$tmp/r_topk.h5" --set batch=16 --set data.count=24 \
      --set "cam.methods=$all" --set "cam.layer=relu3" --set "cam.target={topk: 3}"
  echo "== all methods at relu3, target topk 3, 24 images"
  $py "$oracle" compare-topk --data "$tmp/data.h5" --weights "$tmp/weights.h5" \
      --results "$tmp/r_topk.h5" --min-checked 0.8 --raw-rel-tol 1e-5
  ;;
shared)
  shared="${CLCAM_SHARED:-$here/../../shared}"
  archive="$shared/cifar10/cifar-10-binary.tar.gz" weights="$shared/models/simplecnn_cifar10.h5"
  if [[ ! -f "$archive" || ! -f "$weights" ]]; then
    echo "SKIP torch_check shared: $archive or $weights not found (set CLCAM_SHARED)"
    exit 77
  fi
  "$clcam" import-cifar10 "$archive" "$tmp/cifar10.h5" --quiet
  run --set "data.file=$tmp/cifar10.h5" --set "model.weights=$weights" \
      --set "output.file=$tmp/r.h5" --set data.count=1000
  $py "$oracle" compare --data "$tmp/cifar10.h5" --weights "$weights" --results "$tmp/r.h5"
  ;;
*)
  echo "usage: torch_check.sh CLCAM oracle|random|shared|layers" >&2
  exit 2
  ;;
esac
