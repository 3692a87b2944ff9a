#!/usr/bin/env bash
# The main job: installs what is missing, builds, gets and imports CIFAR-10, and explains the
# 10,000 test images with configs/cifar10_gradcam.yaml into results/.
#   CLCAM_CIFAR10_ARCHIVE  a local cifar-10-binary.tar.gz (else ../shared's, else the download)
#   CLCAM_WEIGHTS          SimpleCNN weights in clcam's HDF5 layout (else ../shared's, else
#                          models/simplecnn_cifar10.h5, trained here first if missing)
#   CLCAM_TRAIN_EPOCHS     epochs of that training (default 3)
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

# Weights: $CLCAM_WEIGHTS, else ../shared's, else the ones trained here earlier (cached in
# models/), else train SimpleCNN on the training split now (CLCAM_TRAIN_EPOCHS epochs, default
# 3; a killed training resumes from its checkpoint when this runs again).
weights="${CLCAM_WEIGHTS:-}"
if [[ -z "$weights" && -f "$shared/models/simplecnn_cifar10.h5" ]]; then
  weights="$shared/models/simplecnn_cifar10.h5"
fi
if [[ -n "$weights" && ! -f "$weights" ]]; then
  echo "clcam: CLCAM_WEIGHTS=$weights does not exist" >&2
  exit 2
fi
if [[ -z "$weights" ]]; then
  weights="models/simplecnn_cifar10.h5"
  if [[ ! -f "$weights" ]]; then
    echo "clcam: no SimpleCNN weights found; training them on the CIFAR-10 training split first" >&2
    ./build/clcam train configs/simplecnn_train.yaml --set "train.epochs=${CLCAM_TRAIN_EPOCHS:-3}" \
      --set "train.output=$weights"
  fi
fi

./build/clcam run configs/cifar10_gradcam.yaml --set "model.weights=$weights" "$@"
