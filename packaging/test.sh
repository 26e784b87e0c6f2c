#!/usr/bin/env bash
# Quick start, command 2: installs the dependencies, builds, and runs the whole test suite
# (CTest over the Qt Test executables, offscreen).
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash packaging/build.sh
build_dir="${GT_BUILD_DIR:-build}"
export QT_QPA_PLATFORM=offscreen
ctest --test-dir "$build_dir" --output-on-failure -j "${GT_JOBS:-$(nproc)}"
