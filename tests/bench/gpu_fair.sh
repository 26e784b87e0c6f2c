#!/bin/bash
# Issue #16 on a lent GPU machine, in one call (run from the repository root with .gpu-debs carried,
# and data/debian/debian-descriptions.jsonl for stage 1; see ../shared/GPU.md):
#   1. (STAGES="pretrain ...", with DEEP_MODEL naming a folder that does not exist yet) pretrain the
#      deep-thin model (resources/demo/pretrain-config-deep-thin.json, 24 x 160, 7.95M parameters) with
#      the demo model's exact recipe (packaging/pretrain-demo-model.sh: 1,700 steps of 64 x 256 tokens on
#      the full train split; 132 s on an H200 on 2026-11-28); its validation loss is compared with the
#      demo model's 3.404; the model comes back in $OUT/deep-model/ (bf16, 16 MB). The model so made
#      on 2026-11-28 (3.643) is committed in tests/bench/models/deep-thin, the default DEEP_MODEL;
#   2. the fair protocol (tests/bench/fair_table.sh, fp32) on each model of MODELS, JOBS runs at a time:
#      first the issue's key methods (FIRST: Full FT, GT-0.5, GT-0.7, LoRA and GT-0.5 re-selecting every
#      50 steps, the one change that helped on the CPU: docs/paper-table.md), then the others (the last
#      being the diagnostic gt-0.5-epochs2, one selection kept for both epochs).
# The protocol stops at BUDGET_S seconds after the start (default 540, for a 600 s call), so that the
# finished runs are packed and come back: $OUT/summary.txt, $OUT/deep-model/, $OUT/results.tgz (the
# work folder WORK without checkpoints and models; the device returns at most 8 files). To continue
# in a later call, carry that results.tgz and name it in RESULTS (it is unpacked into WORK): finished
# runs with the same flags are kept (fair_table.sh's KEEP); carry DEEP_MODEL too.
# Environment: MPS (1: NVIDIA's Multi-Process Service for the parallel runs where available), STAGES ("fair"), MODELS ("deep": the deep-thin model in DEEP_MODEL,
# tests/bench/models/deep-thin, where stage 1 puts a new one when DEEP_MODEL names a new folder;
# add "demo" for resources/demo/model, or give a folder), WORK (runs/gpu-fair), JOBS (16), DEVICE
# (cuda), STEPS (1700), BUDGET_S, FIRST, RESULTS, and fair_table.sh's EPOCHS, SEEDS, METHODS, MAX_VALID (256
# here: the sweep's validation pairs), MAX_TEST, LR_*, TIMING (a full table of one model is 61 runs +
# 10 timed).
# Planning: 16 runs side by side on the deep-thin model (fp32, the sweep's first wave) had not finished
# after 296 s on an H200 (2026-11-28), so one 600 s call holds about one wave.
# Smoke test on a CPU: DEEP_MODEL=/tmp/deep STAGES="pretrain fair" DEVICE=cpu STEPS=4 JOBS=1 EPOCHS=1 SEEDS=42 METHODS="full gt-0.5 top2" LR_FULL=3e-4 \
#   MAX_TRAIN=32 MAX_VALID=4 MAX_TEST=4 TIMING=0 GT_BIN=build/app/greentrainer bash tests/bench/gpu_fair.sh
set -uo pipefail
start_all=$(date +%s)  # BUDGET_S counts from here (the build included)
out=${OUT:-gpu-out}
mkdir -p "$out"
log() { echo "$*" | tee -a "$out/summary.txt"; }
device=${DEVICE:-cuda}
stages=${STAGES:-fair}
gt=${GT_BIN:-/tmp/build/app/greentrainer}
[ -x "$gt" ] || OUT="$out" bash tests/bench/gpu_build.sh || exit 1
export LD_LIBRARY_PATH=/tmp/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | tee -a "$out/summary.txt"
work=${WORK:-runs/gpu-fair}
mkdir -p "$work"
# The deep-thin model's folder, one path in every call (a run's flags name it: KEEP compares them).
deep_model=${DEEP_MODEL:-tests/bench/models/deep-thin}
if [ -n "${RESULTS:-}" ]; then tar xzf "$RESULTS" -C "$work" || exit 1; fi  # an earlier call's results.tgz, to continue

deadline=$(( start_all + ${BUDGET_S:-540} ))
if [[ " $stages " == *" pretrain "* ]] && [ -f "$deep_model/config.json" ]; then
  log "pretrain deep-thin: skipped, $deep_model exists (runs kept from earlier calls were made on it; remove it to pretrain again)"
elif [[ " $stages " == *" pretrain "* ]]; then
  start=$(date +%s)
  GT_BUILD_DIR=$(dirname "$(dirname "$gt")") CONFIG=resources/demo/pretrain-config-deep-thin.json \
    timeout --kill-after=20 $(( deadline > start ? deadline - start : 1 )) bash packaging/pretrain-demo-model.sh "$device" "$work/pretrain-deep" \
    > "$work/pretrain-deep.log" 2>&1
  rc=$?
  log "pretrain deep-thin: exit $rc after $(( $(date +%s) - start )) s$([ $rc = 124 ] && echo ' (stopped at the time budget)')"
  grep -E "^(parameters|train tokens|steps|final train loss|validation loss|energy):" "$work/pretrain-deep.log" | tee -a "$out/summary.txt"
  grep "validation loss" "$work/pretrain-deep.log" | grep checkpoint | tail -4 | tee -a "$out/summary.txt"
  [ $rc = 0 ] || { grep -A40 "fatal signal\|error" "$work/pretrain-deep.log" | head -40 | tee -a "$out/summary.txt"; }
  log "demo model (8 x 256, 8.00M parameters), same recipe: validation loss 3.404 (resources/demo/README.md)"
  if [ -f "$work/pretrain-deep/model/model.safetensors" ]; then
    mkdir -p "$out/deep-model" "$deep_model"
    cp "$work/pretrain-deep/model/"{config.json,model.safetensors,tokenizer.json} "$out/deep-model/"
    cp "$work/pretrain-deep/model/"{config.json,model.safetensors,tokenizer.json} "$deep_model/"
  fi
fi

if [[ " $stages " == *" fair "* ]]; then
  export MAX_VALID=${MAX_VALID:-256}
  # Many small processes on one GPU take turns on it (time slices) unless NVIDIA's Multi-Process
  # Service lets their kernels run side by side. MPS=1 (the default on CUDA) starts its daemon where
  # the driver has it, checks that a CUDA process still runs under it, and falls back without it.
  mps=0
  if [ "${MPS:-1}" = 1 ] && [ "$device" != cpu ] && command -v nvidia-cuda-mps-control > /dev/null; then
    export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps-pipe CUDA_MPS_LOG_DIRECTORY=/tmp/mps-log
    mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
    if nvidia-cuda-mps-control -d && "$gt" bench --only optimizer --device "$device" > /dev/null 2>&1; then
      mps=1; log "MPS: on (nvidia-cuda-mps-control)"
    else
      echo quit | nvidia-cuda-mps-control 2> /dev/null; unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
      log "MPS: could not start or a CUDA process failed under it; running without"
    fi
  else
    log "MPS: off ($([ "${MPS:-1}" = 1 ] && echo 'nvidia-cuda-mps-control not found or not on CUDA' || echo 'MPS=0'))"
  fi
  read -r -a wanted <<< "${METHODS:-full top2 top-blocks lisa badam lora prefix gt-0.4 gt-0.5 gt-0.7 gt-0.5-every50 gt-0.5-epochs2}"
  first=() rest=()
  for m in "${wanted[@]}"; do
    if [[ " ${FIRST:-full gt-0.5 gt-0.7 lora gt-0.5-every50} " == *" $m "* ]]; then first+=("$m"); else rest+=("$m"); fi
  done
  for m in ${MODELS:-deep}; do
    case "$m" in
      deep) model="$deep_model" ;;
      demo) model=resources/demo/model ;;
      *) model="$m" ;;
    esac
    [ -f "$model/config.json" ] || { log "fair table $m: no model at $model"; continue; }
    name=$(basename "$m")
    touch "$work/.call-start"  # result files older than this are an earlier call's
    for part in first rest; do
      declare -n part_methods=$part
      [ ${#part_methods[@]} -gt 0 ] || continue
      left=$(( deadline - $(date +%s) ))
      [ $left -gt 30 ] || { log "fair table $name ($part): not started, the time budget is spent"; continue; }
      start=$(date +%s)
      lines=$(cat "$work/fair-$name.log" 2>/dev/null | wc -l)
      timing=0; [ $part = rest ] || [ ${#rest[@]} = 0 ] && timing=${TIMING:-1}
      # timeout signals the whole process group: each train process writes a cancelled record and stops.
      METHODS="${part_methods[*]}" TIMING=$timing MODEL="$model" JOBS=${JOBS:-16} GT_BIN="$gt" \
        timeout --kill-after=20 $left bash tests/bench/fair_table.sh "$work/fair-$name" --device "$device" --precision fp32 \
        >> "$work/fair-$name.log" 2>&1
      rc=$?
      # The train processes outlive the script by a step: let them write their cancelled records.
      for _ in $(seq 30); do pgrep -f "$gt train" > /dev/null || break; sleep 1; done
      log "fair table $name, methods ${part_methods[*]} ($model): exit $rc after $(( $(date +%s) - start )) s$([ $rc = 124 ] && echo ' (stopped at the time budget; continue with RESULTS=results.tgz)')"
      tail -n +$(( lines + 1 )) "$work/fair-$name.log" | grep -E "WARNING|FAILED|other settings|  (then|now):" | head -8 | tee -a "$out/summary.txt"
    done
    for f in chosen.txt table.md timing.md; do
      if [ "$work/fair-$name/$f" -nt "$work/.call-start" ]; then cat "$work/fair-$name/$f" | tee -a "$out/summary.txt"
      elif [ -f "$work/fair-$name/$f" ]; then log "($f not rewritten by this call)"; fi
    done
  done
fi
[ "${mps:-0}" = 1 ] && { echo quit | nvidia-cuda-mps-control; }
# Pack everything but the summary and the model (the device returns at most 8 files); the runs'
# model folders are not written (--no-save-model), predictions and records are.
# A run stopped at the budget can leave a half-published checkpoint (.staging-*) or temporary files: not packed.
tar czf "$out/results.tgz" -C "$work" --exclude='*/checkpoint' --exclude='*/model' --exclude='*/.staging-*' --exclude='*.tmp-*' \
  --exclude='./pretrain-deep/train.jsonl' --exclude='./pretrain-deep/valid.jsonl' . 2>/dev/null
size=$(stat -c %s "$out/results.tgz")
[ "$size" -lt 16000000 ] || log "results.tgz is $size bytes: over the 16 MiB a file may have to come back from the device; pack less"
ls -la "$out" | tee -a "$out/summary.txt"
