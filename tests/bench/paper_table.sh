#!/usr/bin/env bash
# The paper's Table 2 on the demo: Full FT, FT-Top2 (the paper's), top blocks, LISA, BAdam,
# Prefix-T, LoRA and GreenTrainer at rho 0.5 and 0.7, all with the same data, epochs and batch,
# each scored by beam search (ROUGE) on the test split; `greentrainer compare` writes the table
# (Markdown + CSV). With several SEEDS every method runs once per seed (RUN-seedN) and the table
# gives mean ± sample sd per method (`compare --group`).
#   bash tests/bench/paper_table.sh [OUT_DIR] [extra train flags, e.g. --device cuda]
# Environment: EPOCHS (2), SEEDS ("42"; e.g. "42 43 44"), MAX_TRAIN (0 = all 4,000 demo pairs),
# MAX_TEST (0 = all 492), GT_BIN (default build/app/greentrainer), MODEL (resources/demo/model; e.g.
# a deep-thin model folder), METHODS (all, in this order: full top2 top-blocks lisa badam prefix lora
# gt-0.5 gt-0.7; a subset runs in the order given; any GreenTrainer rho as gt-R, and issue #16's
# two changes as gt-R-batchesN (importance on N batches) and gt-R-everyN (re-selection every N
# steps)). On 2 CPU cores a full-size run takes hours (Full FT of the 24-layer deep-thin model: 41 min);
# use MAX_TRAIN/MAX_TEST to scale it down, or a GPU. Reruns replace earlier runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
gt="${GT_BIN:-${GT_BUILD_DIR:-build}/app/greentrainer}"
out="${1:-runs/paper-table}"
shift || true
read -r -a seeds <<< "${SEEDS:-42}"
read -r -a methods <<< "${METHODS:-full top2 top-blocks lisa badam prefix lora gt-0.5 gt-0.7}"
common=(--model "${MODEL:-resources/demo/model}" --data resources/demo/debian-descriptions.jsonl --split train
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
method_flags() {
  case "$1" in
    full) echo "--method full --lr 3e-4" ;;
    top2) echo "--method top2 --lr 3e-4" ;;
    top-blocks) echo "--method top-blocks --top-blocks 2 --lr 3e-4" ;;
    lisa) echo "--method lisa --lisa-layers 2 --lisa-interval 20 --lr 3e-4" ;;
    badam) echo "--method badam --badam-interval 50 --lr 3e-4" ;;
    prefix) echo "--method prefix --lr 1e-2" ;;
    lora) echo "--method lora --lr 2e-3" ;;
    # Issue #16's two changes behind their flags (as in fair_table.sh): gt-R-batchesN measures
    # importance on N batches (--importance-batches), gt-R-everyN re-selects every N steps.
    gt-*-batches*) r=${1#gt-}; echo "--method gt --rho ${r%%-*} --importance-batches ${1##*-batches} --lr 3e-4" ;;
    gt-*-every*) r=${1#gt-}; echo "--method gt --rho ${r%%-*} --reselect-every-steps ${1##*-every} --lr 3e-4" ;;
    gt-*) echo "--method gt --rho ${1#gt-} --lr 3e-4" ;;
    *) echo "unknown method $1 (known: full top2 top-blocks lisa badam prefix lora gt-R, gt-R-batchesN, gt-R-everyN)" >&2; return 2 ;;
  esac
}
for m in "${methods[@]}"; do method_flags "$m" > /dev/null; done  # an unknown name stops before any run
for m in "${methods[@]}"; do
  read -r -a flags <<< "$(method_flags "$m")"
  run "$m" "${flags[@]}"
done
group=()
[ "${#seeds[@]}" -gt 1 ] && group=(--group)
"$gt" compare "${runs[@]}" "${group[@]}" --markdown --csv "$out/table.csv" | tee "$out/table.md"
