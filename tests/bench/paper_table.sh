#!/usr/bin/env bash
# The paper's Table 2 on the demo: Full FT, FT-Top2 (the paper's), top blocks, LISA, BAdam,
# Prefix-T, LoRA and GreenTrainer at rho 0.5 and 0.7, all with the same data, epochs and batch,
# each scored by beam search (ROUGE) on the test split; `greentrainer compare` writes the table
# (Markdown + CSV). With several SEEDS every method runs once per seed (RUN-seedN) and the table
# gives mean ± sample sd per method (`compare --group`).
#   bash tests/bench/paper_table.sh [OUT_DIR] [extra train flags, e.g. --device cuda]
# Environment: EPOCHS (2), SEEDS ("42"; e.g. "42 43 44"), MAX_TRAIN (0 = all 4,000 demo pairs),
# MAX_TEST (0 = all 492), GT_BIN (default build/app/greentrainer). On 2 CPU cores a full-size run
# takes hours; use MAX_TRAIN/MAX_TEST to scale it down, or a GPU. Reruns replace earlier runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
gt="${GT_BIN:-${GT_BUILD_DIR:-build}/app/greentrainer}"
out="${1:-runs/paper-table}"
shift || true
read -r -a seeds <<< "${SEEDS:-42}"
common=(--model resources/demo/model --data resources/demo/debian-descriptions.jsonl --split train
        --generate-split test --max-train-examples "${MAX_TRAIN:-0}" --max-generate-examples "${MAX_TEST:-0}"
        --epochs "${EPOCHS:-2}" --batch-size 16 --max-length 256 --no-save-model "$@")
runs=()
run() {
  local name=$1
  shift
  for seed in "${seeds[@]}"; do
    local dir="$out/$name"
    [ "${#seeds[@]}" -gt 1 ] && dir="$out/$name-seed$seed"
    echo "== $(basename "$dir")"
    "$gt" train "${common[@]}" --seed "$seed" "$@" --out "$dir" --overwrite | grep -E "^(training FLOPs|ROUGE)"
    runs+=("$dir")
  done
}
run full --method full --lr 3e-4
run top2 --method top2 --lr 3e-4
run top-blocks --method top-blocks --top-blocks 2 --lr 3e-4
run lisa --method lisa --lisa-layers 2 --lisa-interval 20 --lr 3e-4
run badam --method badam --badam-interval 50 --lr 3e-4
run prefix --method prefix --lr 1e-2
run lora --method lora --lr 2e-3
run gt-0.5 --method gt --rho 0.5 --lr 3e-4
run gt-0.7 --method gt --rho 0.7 --lr 3e-4
group=()
[ "${#seeds[@]}" -gt 1 ] && group=(--group)
"$gt" compare "${runs[@]}" "${group[@]}" --markdown --csv "$out/table.csv" | tee "$out/table.md"
