#!/usr/bin/env bash
# The main job: installs what is missing, builds, gets and imports CIFAR-10, and explains the
# 10,000 test images with configs/cifar10_gradcam.yaml into results/.
#   CLCAM_CIFAR10_ARCHIVE  a local cifar-10-binary.tar.gz (else ../shared's, else the download)
#   CLCAM_WEIGHTS          SimpleCNN weights in clcam's HDF5 layout (else ../shared's)
#   extra arguments go to `clcam run` (e.g. --device gpu, --set batch=128)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${CLCAM_SHARED:-$root/../shared}"
url="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
# MD5 of the official archive, and of the copy in ../shared (same format, re-encoded pixels).
known_md5="c32a1d4ab5d03f1284b67883e8d87530 c492f9dc54dd69dcfeb84048c338fa58"

"$root/scripts/deps.sh"
"$root/scripts/build.sh"
cd "$root"
mkdir -p data models results

weights="${CLCAM_WEIGHTS:-}"
if [[ -z "$weights" && -f "$shared/models/simplecnn_cifar10.h5" ]]; then
  weights="$shared/models/simplecnn_cifar10.h5"
fi
if [[ -z "$weights" || ! -f "$weights" ]]; then
  cat >&2 <<MSG
clcam: no SimpleCNN weights found.
  Set CLCAM_WEIGHTS=/path/to/simplecnn_cifar10.h5 (clcam's HDF5 weights layout), or export a
  trained PyTorch SimpleCNN with: python3 tools/export_torch.py MODEL.pth OUT.h5
  (see README.md, "Weights").
MSG
  exit 2
fi

if [[ ! -f data/cifar10.h5 ]]; then
  archive="${CLCAM_CIFAR10_ARCHIVE:-}"
  if [[ -z "$archive" && -f "$shared/cifar10/cifar-10-binary.tar.gz" ]]; then
    archive="$shared/cifar10/cifar-10-binary.tar.gz"
  fi
  if [[ -z "$archive" ]]; then
    archive="data/cifar-10-binary.tar.gz"
    if [[ ! -f "$archive" ]]; then
      echo "clcam: downloading CIFAR-10 from $url" >&2
      curl -fL --retry 3 -o "$archive.part" "$url"
      mv "$archive.part" "$archive"
    fi
    sum=$(md5sum "$archive" | cut -d' ' -f1)
    if [[ " $known_md5 " != *" $sum "* ]]; then
      echo "clcam: $archive has MD5 $sum, not a known CIFAR-10 binary archive; delete it and retry" >&2
      exit 1
    fi
  fi
  ./build/clcam import-cifar10 "$archive" data/cifar10.h5
fi

./build/clcam run configs/cifar10_gradcam.yaml --set "model.weights=$weights" "$@"
