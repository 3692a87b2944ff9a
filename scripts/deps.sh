#!/usr/bin/env bash
# Installs what clcam needs on Debian/Ubuntu, only the packages that are missing.
# Usage: scripts/deps.sh [--tests]   (--tests adds what the test suite needs: PyTorch, h5py,
# Chromium, Jupyter, oclgrind, ONNX's per-operator test models, Pillow, torchvision, scipy, and
# h5diff for the MPI test). HDF5 is its parallel (Open MPI) build: `mpirun -n K clcam run`.
set -euo pipefail

pkgs=(cmake gcc make pkg-config ocl-icd-opencl-dev opencl-headers libclblast-dev libhdf5-dev
      libhdf5-openmpi-dev libopenmpi-dev openmpi-bin libyaml-dev libarchive-dev libpng-dev zlib1g-dev
      libturbojpeg0-dev libprotobuf-c-dev libdeflate-dev
      protobuf-c-compiler pocl-opencl-icd curl ca-certificates)
if [[ "${1:-}" == "--tests" ]]; then
  pkgs+=(clang libclang-rt-dev oclgrind python3 python3-numpy python3-h5py python3-torch chromium jupyter-nbconvert
         python3-ipykernel python3-matplotlib python3-nbformat libonnx-testdata python3-pil python3-torchvision
         python3-scipy time hdf5-tools)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "clcam: missing packages (${missing[*]}) and no apt-get: install them by hand" >&2
  exit 1
fi
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "clcam: installing ${missing[*]}" >&2
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
