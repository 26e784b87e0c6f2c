#!/usr/bin/env bash
# The CPU setup the CLI trains with against what it replaces, one choice at a time. Both sides train
# the demo model for the same steps (Full FT, batch BATCH x 256, THREADS threads), alternating
# ROUNDS times; the script prints each run's mean step time (forward + backward + optimizer, the
# first step left out), each side's mean, the ratio, and each run's peak resident memory.
#   bash tests/bench/cpu_setup.sh kernels|threading|allocator [OUT_DIR]
# kernels: OpenBLAS's kernels the CLI selects (core/util/blas_kernels.h) against its generic SSE3
#   "Prescott" fallback, forced with OPENBLAS_CORETYPE (THREADS default 1);
# threading: OpenBLAS's OpenMP build (packaging/install-deps.sh selects it; it computes on LibTorch's
#   threads) against its pthread build (a pool of its own), each loaded through LD_LIBRARY_PATH; both
#   Debian packages must be installed (THREADS default 2);
# allocator: glibc's malloc as the CLI sets it up (core/util/cpu_allocator.h: freed blocks up to
#   1 GiB kept for the next step) against glibc's defaults, forced by setting a MALLOC_ variable to
#   its default value (MALLOC_PERTURB_=0), which makes the CLI leave malloc alone (THREADS default 2).
# Environment: GT_BIN (build/app/greentrainer), ROUNDS (3), STEPS (4), THREADS, BATCH (16),
# MODEL (resources/demo/model).
set -euo pipefail
cd "$(dirname "$0")/../.."
what="${1:-}"
gt="${GT_BIN:-build/app/greentrainer}"
out="${2:-runs/cpu-setup-$what}"
rounds="${ROUNDS:-3}"
steps="${STEPS:-4}"
batch="${BATCH:-16}"
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
# Every run starts from the same environment: none of the variables the CLI respects as the user's.
clean=(env -u OPENBLAS_CORETYPE -u MALLOC_ARENA_MAX -u MALLOC_MMAP_THRESHOLD_ -u MALLOC_TRIM_THRESHOLD_ -u MALLOC_TOP_PAD_
       -u MALLOC_PERTURB_ -u GLIBC_TUNABLES)
case "$what" in
  kernels)
    threads="${THREADS:-1}"; names=(fallback cli)
    base=(OPENBLAS_CORETYPE=Prescott); cli=()
    echo "CLI: $("${clean[@]}" "$gt" --version | grep '^BLAS kernels:')" ;;
  threading)
    threads="${THREADS:-2}"; names=(pthread openmp)
    for build in openmp pthread; do
      [ -e "/usr/lib/$arch/openblas-$build/libopenblas.so.0" ] || { echo "libopenblas0-$build is not installed" >&2; exit 1; }
    done
    base=(LD_LIBRARY_PATH="/usr/lib/$arch/openblas-pthread"); cli=(LD_LIBRARY_PATH="/usr/lib/$arch/openblas-openmp") ;;
  allocator)
    threads="${THREADS:-2}"; names=(glibc cli)
    base=(MALLOC_PERTURB_=0); cli=()
    echo "CLI: $("${clean[@]}" "$gt" --version | grep '^memory allocator:')"
    echo "baseline: $("${clean[@]}" "${base[@]}" "$gt" --version | grep '^memory allocator:')" ;;
  *) echo "usage: $0 kernels|threading|allocator [OUT_DIR]" >&2; exit 2 ;;
esac
mkdir -p "$out"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; $threads thread(s), batch $batch x 256"

# Mean milliseconds per step of a run, step 0 left out.
step_ms() { awk -F, 'NR > 2 { s += $10 + $11 + $12; n++ } END { printf "%.1f", n ? s / n : 0 }' "$1/steps.csv"; }
timer=(); [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "%M")

declare -A total
for name in "${names[@]}"; do total[$name]=0; done
for round in $(seq 1 "$rounds"); do
  for side in 0 1; do
    name=${names[$side]}
    run="$out/$name-$round"
    if [ $side = 0 ]; then setup=("${base[@]}"); else setup=("${cli[@]}"); fi
    "${clean[@]}" "${setup[@]}" "${timer[@]}" "$gt" train --model "${MODEL:-resources/demo/model}" \
      --data resources/demo/debian-descriptions.jsonl --split train --max-train-examples $((batch * steps)) --epochs 1 \
      --batch-size "$batch" --max-length 256 --method full --lr 3e-4 --seed 42 --threads "$threads" --no-save-model \
      --checkpoint-every 0 --out "$run" --overwrite > "$run.log" 2>&1
    ms=$(step_ms "$run")
    rss=""; [ ${#timer[@]} -gt 0 ] && rss="  peak RSS $(( $(tail -1 "$run.log") / 1024 )) MiB"
    total[$name]=$(awk -v a="${total[$name]}" -v b="$ms" 'BEGIN { print a + b }')
    echo "round $round  $name  $ms ms/step$rss"
  done
done
a=$(awk -v t="${total[${names[0]}]}" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }')
b=$(awk -v t="${total[${names[1]}]}" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }')
echo "mean: ${names[0]} $a ms/step, ${names[1]} $b ms/step: ${names[1]} $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')x faster"
