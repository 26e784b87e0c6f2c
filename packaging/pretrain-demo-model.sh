#!/usr/bin/env bash
# Pretrains the demo model (resources/demo/model) from scratch on the train split of the Debian
# descriptions dataset, exactly as the committed weights were made.
#   bash packaging/pretrain-demo-model.sh [DEVICE] [OUT_DIR]   (default: cuda if present else cpu; runs/pretrain-demo)
# CONFIG=resources/demo/pretrain-config-deep-thin.json pretrains the deep-thin candidate (24 x 160,
# 7.95M parameters) with the same recipe, for the validation-loss comparison in docs/paper-table.md.
# STEPS (1700) shortens the run for a smoke test.
# Needs data/debian/debian-descriptions.jsonl (bash packaging/build-debian-dataset.sh) and a built CLI.
# The committed model came from DEVICE=cuda on an H200 (76 s for 1,700 steps); on 2 CPU cores the
# same command takes many hours. Valid/test descriptions are never seen during pretraining.
set -euo pipefail
cd "$(dirname "$0")/.."
gt="${GT_BUILD_DIR:-build}/app/greentrainer"
device="${1:-}"
out="${2:-runs/pretrain-demo}"
data=data/debian/debian-descriptions.jsonl
[ -f "$data" ] || { echo "error: $data is missing: run bash packaging/build-debian-dataset.sh first" >&2; exit 1; }
if [ -z "$device" ]; then
  if command -v nvidia-smi >/dev/null 2>&1; then device=cuda; else device=cpu; fi
fi
mkdir -p "$out"
grep '"split":"train"' "$data" > "$out/train.jsonl"
grep '"split":"valid"' "$data" > "$out/valid.jsonl"
"$gt" pretrain --config "${CONFIG:-resources/demo/pretrain-config.json}" --tokenizer resources/demo/tokenizer.json \
  --data "$out/train.jsonl" --valid-data "$out/valid.jsonl" --out "$out" \
  --steps "${STEPS:-1700}" --batch-size 64 --block-size 256 --lr 1.5e-3 --warmup 50 --save-every 100 --seed 0 \
  --dtype bfloat16 --device "$device"
echo "model: $out/model (copy it to resources/demo/model to replace the demo model)"
