#!/usr/bin/env bash
# Quick start, command 1: installs the dependencies, builds, and runs the main job.
# The desktop app when a display is present and it has been built; otherwise a headless
# GreenTrainer fine-tuning run (rho 0.5) with progress, its run record, and generation from the
# fine-tuned model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash packaging/build.sh
build_dir="${GT_BUILD_DIR:-build}"
gt="$build_dir/app/greentrainer"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$build_dir/ui/greentrainer-studio" ]; then
  exec "$build_dir/ui/greentrainer-studio"
fi

# Until the Debian demo model exists (issue #5), the main job runs on the bundled tiny OPT model
# (random weights, 512-token vocabulary) with a byte-level tokenizer and 12 package descriptions.
model=tests/fixtures/models/opt
tokenizer=tests/fixtures/tokenizers/bytes-only
data=tests/fixtures/data/tiny.jsonl
run_dir="${GT_RUN_DIR:-runs/quickstart-gt-0.5}"
echo "== greentrainer --version"
"$gt" --version
echo
echo "== greentrainer profile: FLOPs chain of $model (batch 4 x seq 64)"
"$gt" profile "$model" --batch 4 --seq 64 --verify 5 | tail -n 4
echo
echo "== greentrainer train: GreenTrainer at rho 0.5, 3 epochs"
"$gt" train --model "$model" --tokenizer "$tokenizer" --data "$data" --split train --eval-split valid \
  --method gt --rho 0.5 --epochs 3 --batch-size 4 --lr 1e-3 --max-length 128 --out "$run_dir"
echo
echo "== greentrainer generate with the fine-tuned model (4-beam search)"
"$gt" generate "$run_dir/model" --prompt "tool to monitor disk health TL;DR: " --max-new-tokens 12 --beams 4 \
  --early-stopping --repetition-penalty 2.5
