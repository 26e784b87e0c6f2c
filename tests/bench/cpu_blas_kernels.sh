#!/usr/bin/env bash
# OpenBLAS's kernels on this CPU: the ones the CLI computes with (core/util/blas_kernels.h: on an
# Intel CPU that OpenBLAS does not recognise, the kernels of its vector units) against OpenBLAS's
# generic fallback, "Prescott" (SSE3), forced with OPENBLAS_CORETYPE. Both train the demo model for
# the same steps (Full FT, batch 16 x 256, 1 thread unless THREADS), alternating ROUNDS times, and
# the script prints the mean step time of each (the first step of each run left out) and the ratio.
#   bash tests/bench/cpu_blas_kernels.sh [OUT_DIR]
# Environment: GT_BIN (build/app/greentrainer), ROUNDS (3), STEPS (4), THREADS (1), MODEL (resources/demo/model).
set -euo pipefail
cd "$(dirname "$0")/../.."
gt="${GT_BIN:-build/app/greentrainer}"
out="${1:-runs/cpu-blas-kernels}"
rounds="${ROUNDS:-3}"
steps="${STEPS:-4}"
threads="${THREADS:-1}"
mkdir -p "$out"
echo "CLI: $(env -u OPENBLAS_CORETYPE "$gt" --version | grep '^BLAS kernels:')"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"

# Mean milliseconds per step (forward + backward + optimizer, synchronised) of a run, step 0 left out.
step_ms() { awk -F, 'NR > 2 { s += $10 + $11 + $12; n++ } END { printf "%.1f", n ? s / n : 0 }' "$1/steps.csv"; }

declare -A total
for kernels in fallback cli; do total[$kernels]=0; done
for round in $(seq 1 "$rounds"); do
  for kernels in fallback cli; do
    run="$out/$kernels-$round"
    if [ "$kernels" = fallback ]; then prefix=(env OPENBLAS_CORETYPE=Prescott); else prefix=(env -u OPENBLAS_CORETYPE); fi
    "${prefix[@]}" "$gt" train --model "${MODEL:-resources/demo/model}" --data resources/demo/debian-descriptions.jsonl --split train \
      --max-train-examples $((16 * steps)) --epochs 1 --batch-size 16 --max-length 256 --method full --lr 3e-4 --seed 42 \
      --threads "$threads" --no-save-model --checkpoint-every 0 --out "$run" --overwrite > "$run.log" 2>&1
    ms=$(step_ms "$run")
    total[$kernels]=$(awk -v a="${total[$kernels]}" -v b="$ms" 'BEGIN { print a + b }')
    echo "round $round  $kernels  $ms ms/step"
  done
done
fallback=$(awk -v t="${total[fallback]}" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }')
cli=$(awk -v t="${total[cli]}" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }')
echo "mean: OpenBLAS fallback (Prescott) $fallback ms/step, the CLI's kernels $cli ms/step: $(awk -v a="$fallback" -v b="$cli" 'BEGIN { printf "%.2f", a / b }')x faster"
