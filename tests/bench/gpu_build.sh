#!/bin/bash
# Builds the CLI on the lent GPU machine against the LibTorch inside PyTorch (../shared/GPU.md; run
# from the repository root with .gpu-debs carried) into /tmp/build; logs under $OUT (or ./gpu-out).
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out" /tmp/deps
for f in .gpu-debs/*.deb; do dpkg -x "$f" /tmp/deps; done
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
export PKG_CONFIG_SYSROOT_DIR=/tmp/deps
export PKG_CONFIG_LIBDIR=/tmp/deps/usr/lib/x86_64-linux-gnu/pkgconfig:/tmp/deps/usr/share/pkgconfig
cmake -S . -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGT_BUILD_GUI=OFF -DGT_BUILD_TESTS=OFF \
      -DCMAKE_PREFIX_PATH="$TP;/tmp/deps/usr" > "$out/cmake.log" 2>&1 || { tail -30 "$out/cmake.log"; exit 1; }
cmake --build /tmp/build -j16 > "$out/build.log" 2>&1 || { grep -B2 -A10 "error" "$out/build.log" | head -80; exit 1; }
