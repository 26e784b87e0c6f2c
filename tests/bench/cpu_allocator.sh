#!/usr/bin/env bash
# glibc's malloc as the CLI sets it up (core/util/cpu_allocator.h: freed blocks up to 1 GiB kept in
# the heap for the next step) against glibc's defaults (every block above 32 MiB mmap'd, page-faulted
# and zeroed again each step), forced by setting a MALLOC_ variable to its default value
# (MALLOC_PERTURB_=0), which makes the CLI leave malloc alone. Both train the demo model for the
# same steps (Full FT, batch BATCH x 256, THREADS threads), alternating ROUNDS times; the script
# prints the mean step time of each (the first step of each run left out), the ratio, and each
# run's peak resident memory.
#   bash tests/bench/cpu_allocator.sh [OUT_DIR]
# Environment: GT_BIN (build/app/greentrainer), ROUNDS (3), STEPS (4), THREADS (2), BATCH (16),
# MODEL (resources/demo/model).
set -euo pipefail
cd "$(dirname "$0")/../.."
gt="${GT_BIN:-build/app/greentrainer}"
out="${1:-runs/cpu-allocator}"
rounds="${ROUNDS:-3}"
steps="${STEPS:-4}"
threads="${THREADS:-2}"
batch="${BATCH:-16}"
mkdir -p "$out"
clean_env=(env -u MALLOC_ARENA_MAX -u MALLOC_MMAP_THRESHOLD_ -u MALLOC_TRIM_THRESHOLD_ -u MALLOC_TOP_PAD_ -u MALLOC_PERTURB_ -u GLIBC_TUNABLES)
echo "CLI: $("${clean_env[@]}" "$gt" --version | grep '^memory allocator:')"
echo "baseline: $("${clean_env[@]}" MALLOC_PERTURB_=0 "$gt" --version | grep '^memory allocator:')"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $threads thread(s), batch $batch x 256"

# Mean milliseconds per step (forward + backward + optimizer, synchronised) of a run, step 0 left out.
step_ms() { awk -F, 'NR > 2 { s += $10 + $11 + $12; n++ } END { printf "%.1f", n ? s / n : 0 }' "$1/steps.csv"; }
timer=(); [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "%M")

declare -A total
for setup in glibc cli; do total[$setup]=0; done
for round in $(seq 1 "$rounds"); do
  for setup in glibc cli; do
    run="$out/$setup-$round"
    prefix=("${clean_env[@]}"); [ "$setup" = glibc ] && prefix+=(MALLOC_PERTURB_=0)
    "${prefix[@]}" "${timer[@]}" "$gt" train --model "${MODEL:-resources/demo/model}" --data resources/demo/debian-descriptions.jsonl \
      --split train --max-train-examples $((batch * steps)) --epochs 1 --batch-size "$batch" --max-length 256 --method full \
      --lr 3e-4 --seed 42 --threads "$threads" --no-save-model --checkpoint-every 0 --out "$run" --overwrite > "$run.log" 2>&1
    ms=$(step_ms "$run")
    rss=""; [ ${#timer[@]} -gt 0 ] && rss="  peak RSS $(( $(tail -1 "$run.log") / 1024 )) MiB"
    total[$setup]=$(awk -v a="${total[$setup]}" -v b="$ms" 'BEGIN { print a + b }')
    echo "round $round  $setup  $ms ms/step$rss"
  done
done
glibc=$(awk -v t="${total[glibc]}" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }')
cli=$(awk -v t="${total[cli]}" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }')
echo "mean: glibc defaults $glibc ms/step, the CLI's setup $cli ms/step: $(awk -v a="$glibc" -v b="$cli" 'BEGIN { printf "%.2f", a / b }')x faster"
