#!/usr/bin/env bash
# OpenBLAS's OpenMP build (packaging/install-deps.sh selects it; it computes on LibTorch's OpenMP
# threads) against its pthread build (a pool of its own, whose threads spin between calls while
# LibTorch's run the elementwise work). Both are Debian packages (libopenblas0-openmp,
# libopenblas0-pthread) and must be installed; each run loads one through LD_LIBRARY_PATH. Both train
# the demo model for the same steps (Full FT, batch BATCH x 256, THREADS threads), alternating ROUNDS
# times; the script prints the mean step time of each (the first step of each run left out) and the
# ratio.
#   bash tests/bench/cpu_blas_threading.sh [OUT_DIR]
# Environment: GT_BIN (build/app/greentrainer), ROUNDS (3), STEPS (4), THREADS (2), BATCH (16),
# MODEL (resources/demo/model).
set -euo pipefail
cd "$(dirname "$0")/../.."
gt="${GT_BIN:-build/app/greentrainer}"
out="${1:-runs/cpu-blas-threading}"
rounds="${ROUNDS:-3}"
steps="${STEPS:-4}"
threads="${THREADS:-2}"
batch="${BATCH:-16}"
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for build in openmp pthread; do
  [ -e "/usr/lib/$arch/openblas-$build/libopenblas.so.0" ] || { echo "libopenblas0-$build is not installed" >&2; exit 1; }
done
mkdir -p "$out"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, $threads thread(s), batch $batch x 256"

# Mean milliseconds per step (forward + backward + optimizer, synchronised) of a run, step 0 left out.
step_ms() { awk -F, 'NR > 2 { s += $10 + $11 + $12; n++ } END { printf "%.1f", n ? s / n : 0 }' "$1/steps.csv"; }

declare -A total
for build in pthread openmp; do total[$build]=0; done
for round in $(seq 1 "$rounds"); do
  for build in pthread openmp; do
    run="$out/$build-$round"
    LD_LIBRARY_PATH="/usr/lib/$arch/openblas-$build" "$gt" train --model "${MODEL:-resources/demo/model}" \
      --data resources/demo/debian-descriptions.jsonl --split train --max-train-examples $((batch * steps)) --epochs 1 \
      --batch-size "$batch" --max-length 256 --method full --lr 3e-4 --seed 42 --threads "$threads" --no-save-model \
      --checkpoint-every 0 --out "$run" --overwrite > "$run.log" 2>&1
    ms=$(step_ms "$run")
    total[$build]=$(awk -v a="${total[$build]}" -v b="$ms" 'BEGIN { print a + b }')
    echo "round $round  $build  $ms ms/step"
  done
done
pthread=$(awk -v t="${total[pthread]}" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }')
openmp=$(awk -v t="${total[openmp]}" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }')
echo "mean: pthread build $pthread ms/step, OpenMP build $openmp ms/step: $(awk -v a="$pthread" -v b="$openmp" 'BEGIN { printf "%.2f", a / b }')x faster"
