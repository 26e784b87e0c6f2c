#!/bin/bash
# The GPU-speed check in one go, for a lent GPU machine (see ../shared/GPU.md; run it from the
# repository root with .gpu-debs carried): builds the CLI against the LibTorch inside PyTorch, then
# on one GPU, in one run,
#   0. `greentrainer bench --only attention`: SDPA (causal flash path, masked path) vs the eager reference
#      (outputs, gradients; fp32, bf16); `--only optimizer`: fused AdamW vs our _foreach_ AdamW;
#   1. `greentrainer bench --only step` on the OPT-1.3B shape, batch 4 x 512, in fp32, bf16-mixed,
#      bf16-true and fp16-mixed: s/step, tokens/s, MFU, peak memory of Full FT and GT rho 0.5, measured
#      GT/Full time ratio vs the predicted FLOPs ratio, energy per step (NVML + RAPL, 2 s of steps each);
#   1b. the same in bf16-mixed with --gradient-checkpointing (peak memory, recompute time);
#   2. tests/bench/eager_reference.py: PyTorch eager + transformers (SDPA, autocast bf16, AdamW) on
#      the same shape, Full FT and the same GT tensors; then both in bf16-mixed on EXTRA_SHAPES
#      (opt-350m llama-1b);
#   3. 100 steps of the demo model in fp32, bf16-mixed and bf16-true (learning check), bf16-mixed
#      with --pad-to-multiple-of 0 (a new length every batch: 5x slower in bf16 on 2026-11-27) and
#      fp32 with 64, with each run's median ms/step over steps 1-10, 11-50, 51-100.
# PARTS (default "parity step gc eager shapes learn") and PRECISIONS (of the step part) pick a subset:
# PARTS="step learn" PRECISIONS=fp16-mixed rechecks the fp16 unscale, the epoch clock and the exit crash
# in about two minutes after the build.
# Results go to $OUT (or ./gpu-out): summary.txt, and results.tgz with one JSON per measurement, the
# demo runs' records and the logs (the device returns only a few files, so they travel packed).
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out"
log() { echo "$*" | tee -a "$out/summary.txt"; }
shape=${SHAPE:-opt-1.3b}
device=${DEVICE:-cuda}        # DEVICE=cpu SHAPE=small-llama BATCH=1 SEQ=32 LEARN_EXAMPLES=40 smoke-tests it on a CPU
batch=${BATCH:-4}
seq=${SEQ:-512}
gt=${GT_BIN:-/tmp/build/app/greentrainer}
[ -x "$gt" ] || OUT="$out" bash tests/bench/gpu_build.sh || exit 1
export LD_LIBRARY_PATH=/tmp/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | tee -a "$out/summary.txt"

part() { [[ " ${PARTS:-parity step gc eager shapes learn} " == *" $1 "* ]]; }
if part parity; then
  "$gt" bench --only attention --device "$device" --json > "$out/attention.json" 2>> "$out/summary.txt" || log "attention parity failed"
  "$gt" bench --only optimizer --device "$device" --json > "$out/optimizer.json" 2>> "$out/summary.txt" || log "optimizer parity failed"
fi

# ours SHAPE PRECISION: `bench --only step` into ours-SHAPE-PRECISION.json, one summary line.
ours() {
  local f="$out/ours-$1-$2.json"
  "$gt" bench --only step --device "$device" --shape "$1" --batch "$batch" --seq "$seq" --rounds 6 --precision "$2" --energy-seconds 2 --json \
    > "$f" 2> "${f%.json}.err" || { log "ours $1 $2 failed:"; tail -5 "${f%.json}.err" | tee -a "$out/summary.txt"; }
  python3 - "$f" "$1 $2" <<'PY' | tee -a "$out/summary.txt"
import json, sys
try:
    s = json.load(open(sys.argv[1]))["step"]
except Exception as e:
    print(f"ours {sys.argv[2]}: no result ({e})"); raise SystemExit
f = lambda v: "-" if v is None else f"{v:.1f}"
print(f"ours  {sys.argv[2]:19s} Full {s['full_s_median']:.4f} s/step {s['full_tokens_per_s']:.0f} tok/s MFU {f(s['full_mfu_percent'])}% "
      f"peak {s['full_peak_memory_bytes']/1e9:.2f} GB | GT {s['gt_s_median']:.4f} s/step {s['gt_tokens_per_s']:.0f} tok/s MFU {f(s['gt_mfu_percent'])}% "
      f"peak {s['gt_peak_memory_bytes']/1e9:.2f} GB | GT/Full time {s['measured_ratio']:.3f} vs predicted {s['predicted_flops_ratio']:.3f}")
if s.get("full_energy_j_per_step") is not None:
    print(f"      energy per step ({s['energy_sources']}): Full {s['full_energy_j_per_step']:.2f} J, GT {s['gt_energy_j_per_step']:.2f} J, "
          f"GT/Full {f(s['energy_ratio'] and 100 * s['energy_ratio'])}%")
else:
    print(f"      energy: not measured ({s.get('energy_note', '')})")
PY
}
# eager SHAPE PRECISION: tests/bench/eager_reference.py (same GT tensors as ours SHAPE bf16-mixed), ratio to ours.
eager() {
  local f="$out/eager-$1-$2.json"
  python3 tests/bench/eager_reference.py --shape "$1" --batch "$batch" --seq "$seq" --rounds 6 --precision "$2" \
    --frozen-from "$out/ours-$1-bf16-mixed.json" > "$f" 2> "${f%.json}.err" || { log "eager $1 $2 failed:"; tail -5 "${f%.json}.err" | tee -a "$out/summary.txt"; }
  python3 - "$f" "$out/ours-$1-$2.json" "$1 $2" <<'PY' | tee -a "$out/summary.txt"
import json, sys
try:
    e = json.load(open(sys.argv[1])); o = json.load(open(sys.argv[2]))["step"]
except Exception as ex:
    print(f"eager {sys.argv[3]}: no result ({ex})"); raise SystemExit
print(f"eager {sys.argv[3]:19s} Full {e['full_s_median']:.4f} s/step {e['full_tokens_per_s']:.0f} tok/s peak {e['full_peak_memory_bytes']/1e9:.2f} GB"
      f" | GT {e.get('gt_s_median', float('nan')):.4f} s/step | ours/eager tokens/s: Full {o['full_tokens_per_s']/e['full_tokens_per_s']:.2f}x"
      + (f", GT {o['gt_tokens_per_s']/e['gt_tokens_per_s']:.2f}x" if 'gt_tokens_per_s' in e else ""))
PY
}

if part step; then for p in ${PRECISIONS:-bf16-mixed fp32 bf16-true fp16-mixed}; do ours "$shape" "$p"; done; fi
# Activation checkpointing: peak memory against the bf16-mixed run above, and the recompute's time.
if part gc; then
"$gt" bench --only step --device "$device" --shape "$shape" --batch "$batch" --seq "$seq" --rounds 6 --precision bf16-mixed \
  --gradient-checkpointing --energy-seconds 0 --json > "$out/ours-bf16-mixed-gc.json" 2> "$out/ours-bf16-mixed-gc.err" || log "ours gradient checkpointing failed"
python3 - "$out/ours-bf16-mixed-gc.json" "$out/ours-$shape-bf16-mixed.json" <<'PY' | tee -a "$out/summary.txt"
import json, sys
try:
    g = json.load(open(sys.argv[1]))["step"]; b = json.load(open(sys.argv[2]))["step"]
except Exception as e:
    print(f"gradient checkpointing: no result ({e})"); raise SystemExit
print(f"ours  bf16-mixed + gradient checkpointing: Full {g['full_s_median']:.4f} s/step (x{g['full_s_median']/b['full_s_median']:.2f}), peak "
      f"{g['full_peak_memory_bytes']/1e9:.2f} GB (x{g['full_peak_memory_bytes']/b['full_peak_memory_bytes']:.2f}); GT peak {g['gt_peak_memory_bytes']/1e9:.2f} GB; "
      f"GT/Full time {g['measured_ratio']:.3f} vs predicted {g['predicted_flops_ratio']:.3f}")
PY
fi

if part eager; then for p in bf16-mixed fp32; do eager "$shape" "$p"; done; fi
# The issue's other shapes, bf16-mixed, ours and eager side by side (EXTRA_SHAPES="" skips them).
if part shapes; then for sh in ${EXTRA_SHAPES-opt-350m llama-1b}; do ours "$sh" bf16-mixed; eager "$sh" bf16-mixed; done; fi
if part learn; then
# P alone: the default batch lengths (on CUDA, bf16/fp16 pad to multiples of 64, fp32 not);
# P+padN: --pad-to-multiple-of N (pad0: one new length per batch, as before the default).
# Every `train --device cuda` so far ended with SIGSEGV after its record was written (docs/gpu-speed.md),
# while the run folder's checkpoint was removed (std::filesystem::remove_all, since replaced by POSIX
# calls in core/util/file_tree.cpp). PyTorch's wheels export libstdc++'s std::filesystem from a static
# copy (pytorch/pytorch#133437): count those symbols, and record where the first run's std::filesystem
# calls bind (LD_DEBUG=bindings).
torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)
[ -f "$torch_lib/libtorch_cpu.so" ] && log "libtorch_cpu.so exports $(nm -D --defined-only "$torch_lib/libtorch_cpu.so" | grep -c 'St10filesystem') std::filesystem symbols"
for v in fp32 bf16-mixed bf16-true bf16-mixed+pad0 fp32+pad64; do
  p=${v%%+pad*}; pad=-1
  [ "$v" = "$p" ] || pad=${v##*+pad}
  bindings=(); [ "$v" = fp32 ] && bindings=(LD_DEBUG=bindings LD_DEBUG_OUTPUT=/tmp/ld-bindings)
  env "${bindings[@]}" "$gt" train --model resources/demo/model --data resources/demo/debian-descriptions.jsonl --split train --method full --epochs 1 \
    --batch-size 4 --max-train-examples ${LEARN_EXAMPLES:-400} --lr 2e-5 --schedule constant --precision "$p" --device "$device" --checkpoint-every 0 \
    --pad-to-multiple-of "$pad" --out "/tmp/learn-$v" --overwrite > "$out/learn-$v.out" 2> "$out/learn-$v.err"
  rc=$?
  [ $rc = 0 ] || { log "train $v exited with status $rc:"; grep -A40 "fatal signal" "$out/learn-$v.err" | head -40 | tee -a "$out/summary.txt"; }
  cp "/tmp/learn-$v/run.json" "$out/learn-$v.json" 2>/dev/null
  if [ "$v" = fp32 ]; then
    log "std::filesystem bindings of train (from -> to, symbol):"
    grep -h 'St10filesystem' /tmp/ld-bindings.* 2>/dev/null | sed -E 's/^ *[0-9]+:[[:space:]]*binding file //; s/ \[[0-9]+\]//g; s/: normal symbol//' \
      | sort -u | grep -E 'libtorch|greentrainer' | head -30 | tee -a "$out/summary.txt"
    rm -f /tmp/ld-bindings.*
  fi
  python3 - "$out/learn-$v.json" "$v" <<'PY' | tee -a "$out/summary.txt"
import json, statistics, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"learning: no record ({e})"); raise SystemExit
s = r["steps"]
ms = [x['forward_ms'] + x['backward_ms'] + x['optimizer_ms'] for x in s]  # each step's three phases
steps_s = sum(ms) / 1000
epoch_s = sum(e['seconds'] for e in r['epochs'])
print(f"demo {len(s)} steps {sys.argv[2]:16s} loss first 10 {statistics.mean(x['loss'] for x in s[:10]):.4f} last 10 "
      f"{statistics.mean(x['loss'] for x in s[-10:]):.4f}, {1000 * steps_s / len(s):.1f} ms/step; epoch clock {epoch_s:.3f} s vs "
      f"sum of step times {steps_s:.3f} s (x{epoch_s / steps_s:.3f}); per step forward "
      f"{statistics.mean(x['forward_ms'] for x in s):.1f} backward {statistics.mean(x['backward_ms'] for x in s):.1f} "
      f"optimizer {statistics.mean(x['optimizer_ms'] for x in s):.1f} ms")
# Each step's whole wall time (step_ms): what it holds beyond the three phases is per-step work outside
# them (moving the batch, masking, FLOPs bookkeeping, the observer); what the epoch clock holds beyond
# the sum of step_ms is per-epoch work (building the batches).
if all(x.get('step_ms', 0) > 0 for x in s):
    whole = [x['step_ms'] for x in s]
    outside = [w - m for w, m in zip(whole, ms)]
    print(f"demo {sys.argv[2]:16s} sum of whole steps {sum(whole) / 1000:.3f} s (epoch clock x{epoch_s / (sum(whole) / 1000):.3f}); "
          f"outside the phases per step: median {statistics.median(outside):.2f} ms, mean {statistics.mean(outside):.2f}, "
          f"max {max(outside):.1f}; epoch clock beyond the whole steps {epoch_s - sum(whole) / 1000:.3f} s")
# Warm-up against steady state: each batch has its own length, and a new shape can mean new kernels
# (lazy module loading, cuBLASLt/flash kernel choice); the median over later steps shows the steady cost.
parts = [(a, b) for a, b in ((0, 10), (10, 50), (50, len(ms))) if b > a and a < len(ms)]
seen, new, again = set(), [], []
for x, m in zip(s, ms):
    (again if x['seq'] in seen else new).append(m)
    seen.add(x['seq'])
print(f"demo {sys.argv[2]:16s} median ms/step " + ", ".join(f"steps {a + 1}-{min(b, len(ms))} {statistics.median(ms[a:b]):.1f}" for a, b in parts)
      + f"; {len(seen)} distinct sequence lengths: median {statistics.median(new):.1f} ms at a new length, "
      + (f"{statistics.median(again):.1f} ms at one seen before" if again else "none repeated"))
PY
done
fi
# The device returns only a few files from $OUT: keep summary.txt and pack the rest into one archive.
tar czf /tmp/gpu-speed-results.tgz -C "$out" . && find "$out" -type f ! -name summary.txt -delete && mv /tmp/gpu-speed-results.tgz "$out/results.tgz"
