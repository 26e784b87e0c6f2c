#!/usr/bin/env bash
# The paper's Table 2 on the demo: Full FT, FT-Top2, Prefix-T, LoRA, GreenTrainer at rho 0.5 and 0.7, all
# with the same data, epochs, batch and seed, each scored by beam search (ROUGE) on the test
# split, then `greentrainer compare` writes the table (Markdown + CSV).
#   bash tests/bench/paper_table.sh [OUT_DIR] [extra train flags, e.g. --device cuda]
# Environment: EPOCHS (2), MAX_TRAIN (0 = all 4,000 demo pairs), MAX_TEST (0 = all 492),
# GT_BIN (default build/app/greentrainer). On 2 CPU cores a full-size run takes hours; use
# MAX_TRAIN/MAX_TEST to scale it down, or a GPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
gt="${GT_BIN:-${GT_BUILD_DIR:-build}/app/greentrainer}"
out="${1:-runs/paper-table}"
shift || true
common=(--model resources/demo/model --data resources/demo/debian-descriptions.jsonl --split train
        --generate-split test --max-train-examples "${MAX_TRAIN:-0}" --max-generate-examples "${MAX_TEST:-0}"
        --epochs "${EPOCHS:-2}" --batch-size 16 --max-length 256 --seed 42 --no-save-model "$@")
run() {
  local name=$1
  shift
  echo "== $name"
  "$gt" train "${common[@]}" "$@" --out "$out/$name" --overwrite | grep -E "^(training FLOPs|ROUGE)"
}
run full --method full --lr 3e-4
run top2 --method top2 --lr 3e-4
run top-blocks --method top-blocks --top-blocks 2 --lr 3e-4
run lisa --method lisa --lisa-layers 2 --lisa-interval 20 --lr 3e-4
run badam --method badam --badam-interval 50 --lr 3e-4
run lora --method lora --lr 2e-3
run prefix --method prefix --lr 1e-2
run gt-0.5 --method gt --rho 0.5 --lr 3e-4
run gt-0.7 --method gt --rho 0.7 --lr 3e-4
"$gt" compare "$out"/{full,top2,top-blocks,lisa,badam,prefix,lora,gt-0.5,gt-0.7} --markdown --csv "$out/table.csv" | tee "$out/table.md"
