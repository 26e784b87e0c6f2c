#!/usr/bin/env bash
# Configures and builds GreenTrainer Studio into ${GT_BUILD_DIR:-build} (Release, Ninja).
# Extra arguments go to the CMake configure step, e.g. -DGT_BUILD_GUI=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${GT_BUILD_DIR:-build}"
jobs="${GT_JOBS:-$(nproc)}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j "$jobs"
