#!/bin/bash
# Issue #16 on a lent GPU machine, in one call (run from the repository root with .gpu-debs and
# data/debian/debian-descriptions.jsonl carried; see ../shared/GPU.md):
#   1. pretrain the deep-thin candidate (resources/demo/pretrain-config-deep-thin.json, 24 x 160,
#      7.95M parameters) with the demo model's exact recipe (packaging/pretrain-demo-model.sh:
#      1,700 steps of 64 x 256 tokens on the full train split); its validation loss is compared with
#      the committed demo model's 3.404 (8 x 256, 8.00M parameters); the model comes back in
#      $OUT/deep-model/ (bf16, 16 MB) to be committed under resources/demo/ if it is at least as good;
#   2. the fair protocol (tests/bench/fair_table.sh, fp32) on each model of MODELS, JOBS runs at a time.
# Results: $OUT/summary.txt, $OUT/deep-model/, and $OUT/results.tgz (sweeps, tables, logs; the
# device returns at most 8 files).
# Environment: STAGES ("pretrain fair"), MODELS ("deep": the deep-thin model of stage 1; add "demo"
# for resources/demo/model, or give a folder), JOBS (16), DEVICE (cuda), STEPS (1700), and
# fair_table.sh's EPOCHS, SEEDS, METHODS, MAX_VALID (256 here: the sweep's validation pairs),
# MAX_TEST, LR_*, TIMING (to fit the device time: a full table of one model is 61 runs + 10 timed).
# Smoke test on a CPU: DEVICE=cpu STEPS=4 JOBS=1 EPOCHS=1 SEEDS=42 METHODS="full gt-0.5" LR_FULL=3e-4 \
#   MAX_TRAIN=32 MAX_VALID=4 MAX_TEST=4 TIMING=0 GT_BIN=build/app/greentrainer bash tests/bench/gpu_fair.sh
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out"
log() { echo "$*" | tee -a "$out/summary.txt"; }
device=${DEVICE:-cuda}
stages=${STAGES:-pretrain fair}
gt=${GT_BIN:-/tmp/build/app/greentrainer}
[ -x "$gt" ] || OUT="$out" bash tests/bench/gpu_build.sh || exit 1
export LD_LIBRARY_PATH=/tmp/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | tee -a "$out/summary.txt"
work=/tmp/gpu-fair
mkdir -p "$work"

if [[ " $stages " == *" pretrain "* ]]; then
  start=$(date +%s)
  GT_BUILD_DIR=$(dirname "$(dirname "$gt")") CONFIG=resources/demo/pretrain-config-deep-thin.json \
    bash packaging/pretrain-demo-model.sh "$device" "$work/pretrain-deep" > "$work/pretrain-deep.log" 2>&1
  rc=$?
  log "pretrain deep-thin: exit $rc after $(( $(date +%s) - start )) s"
  grep -E "^(parameters|train tokens|steps|final train loss|validation loss):" "$work/pretrain-deep.log" | tee -a "$out/summary.txt"
  grep "validation loss" "$work/pretrain-deep.log" | grep checkpoint | tail -4 | tee -a "$out/summary.txt"
  [ $rc = 0 ] || { grep -A40 "fatal signal\|error" "$work/pretrain-deep.log" | head -40 | tee -a "$out/summary.txt"; }
  log "demo model (8 x 256, 8.00M parameters), same recipe: validation loss 3.404 (resources/demo/README.md)"
  if [ -f "$work/pretrain-deep/model/model.safetensors" ]; then
    mkdir -p "$out/deep-model"
    cp "$work/pretrain-deep/model/"{config.json,model.safetensors,tokenizer.json} "$out/deep-model/"
  fi
fi

if [[ " $stages " == *" fair "* ]]; then
  export MAX_VALID=${MAX_VALID:-256}
  for m in ${MODELS:-deep}; do
    case "$m" in
      deep) model="$work/pretrain-deep/model" ;;
      demo) model=resources/demo/model ;;
      *) model="$m" ;;
    esac
    [ -f "$model/config.json" ] || { log "fair table $m: no model at $model"; continue; }
    start=$(date +%s)
    MODEL="$model" JOBS=${JOBS:-16} GT_BIN="$gt" bash tests/bench/fair_table.sh "$work/fair-$m" --device "$device" --precision fp32 \
      > "$work/fair-$m.log" 2>&1
    rc=$?
    log "fair table $m ($model): exit $rc after $(( $(date +%s) - start )) s"
    grep -E "WARNING|FAILED" "$work/fair-$m.log" | head -5 | tee -a "$out/summary.txt"
    cat "$work/fair-$m/chosen.txt" "$work/fair-$m/table.md" 2>/dev/null | tee -a "$out/summary.txt"
  done
fi
# Pack everything but the summary and the model (the device returns at most 8 files); the runs'
# model folders are not written (--no-save-model), predictions and records are.
tar czf "$out/results.tgz" -C "$work" --exclude='*/checkpoint' --exclude='./pretrain-deep/model' --exclude='./pretrain-deep/train.jsonl' --exclude='./pretrain-deep/valid.jsonl' . 2>/dev/null
ls -la "$out" | tee -a "$out/summary.txt"
