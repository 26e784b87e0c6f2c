#!/usr/bin/env bash
# Installs the Debian 12 packages GreenTrainer Studio builds and runs with.
# Idempotent and non-interactive; run as root (or through sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  libtorch-dev libspdlog-dev nlohmann-json3-dev libsentencepiece-dev
  libpcre2-dev libutf8proc-dev libcli11-dev
  # Debian's LibTorch calls the system BLAS; the reference BLAS is ~30x slower. OpenBLAS's OpenMP
  # build shares LibTorch's OpenMP threads; its pthread build keeps a pool of its own, whose
  # spinning threads compete with LibTorch's (a demo step on 2 threads took 1.78x as long).
  libopenblas0-openmp
  # Offscreen rendering for the GUI tests.
  libgl1-mesa-dri fonts-dejavu-core
  # The Debian package (cpack -G DEB) and its checks in tests/test_packaging.cpp.
  dpkg-dev file groff-base appstream desktop-file-utils
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Make sure OpenBLAS's OpenMP build is what libblas.so.3, liblapack.so.3 and libopenblas.so.0 resolve
# to (the pthread build has the higher priority, and LibTorch's dependencies may have installed it
# too): LibTorch links all three, and a mix loads two OpenBLAS copies.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  openblas="/usr/lib/${arch}/openblas-openmp/${lib}"
  if [ -e "$openblas" ]; then
    $SUDO update-alternatives --set "${lib}-${arch}" "$openblas" >/dev/null
  fi
done
echo "install-deps: all packages present"
