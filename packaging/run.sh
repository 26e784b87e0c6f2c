#!/usr/bin/env bash
# Quick start, command 1: installs the dependencies, builds, and runs the main job.
# The desktop app when a display is present and it has been built; otherwise a headless CLI
# walk-through on the bundled tiny OPT model: inspect it, tokenize text, and generate with
# beam search. (The Debian-descriptions demo model and fine-tuning run arrive with issues #4/#5.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash packaging/build.sh
build_dir="${GT_BUILD_DIR:-build}"
gt="$build_dir/app/greentrainer"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$build_dir/ui/greentrainer-studio" ]; then
  exec "$build_dir/ui/greentrainer-studio"
fi

model=tests/fixtures/models/opt
tokenizer=tests/fixtures/tokenizers/bytelevel-8k/tokenizer.json
echo "== greentrainer --version"
"$gt" --version
echo
echo "== greentrainer inspect $model"
"$gt" inspect "$model"
echo
text="Utility to manipulate disk images and partition tables"
echo "== greentrainer tokenize (byte-level BPE trained on Debian descriptions)"
"$gt" tokenize "$tokenizer" --text "$text"
echo
echo "== greentrainer generate: 4-beam search, 10 new tokens, on the tiny random OPT"
"$gt" generate "$model" --input-ids 2,37,112,9,401,77 --max-new-tokens 10 --beams 4 --early-stopping --repetition-penalty 2.5
