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

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$build_dir/app/greentrainer-studio" ]; then
  exec "$build_dir/app/greentrainer-studio"
fi

# The demo: the bundled 8M-parameter Llama pretrained on Debian package descriptions
# (resources/demo/model) learns to write a package's one-line synopsis from its description.
# Defaults fit a few minutes on 2 CPU cores; GT_TRAIN_EXAMPLES=0 GT_TEST_EXAMPLES=0 GT_EPOCHS=2
# runs the whole demo subset (4,000 train pairs, all 492 test pairs).
model=resources/demo/model
data=resources/demo/debian-descriptions.jsonl
run_dir="${GT_RUN_DIR:-runs/quickstart-gt-0.5}"
threads="${GT_THREADS:-$(nproc)}"
echo "== greentrainer --version"
"$gt" --version
echo
echo "== greentrainer train: GreenTrainer at rho 0.5 on the Debian descriptions demo"
"$gt" train --model "$model" --data "$data" --split train --max-train-examples "${GT_TRAIN_EXAMPLES:-1000}" \
  --epochs "${GT_EPOCHS:-1}" --batch-size 16 --lr 3e-4 --max-length 256 --method gt --rho 0.5 \
  --generate-split test --max-generate-examples "${GT_TEST_EXAMPLES:-100}" --generate-before-training \
  --threads "$threads" --out "$run_dir" --overwrite
echo
echo "== greentrainer generate with the fine-tuned model (4-beam search)"
"$gt" generate "$run_dir/model" --max-new-tokens 24 --beams 4 --early-stopping --repetition-penalty 2.5 --threads "$threads" \
  --prompt "A command-line tool that watches a directory and re-runs a command whenever a file in it changes. TL;DR: "
