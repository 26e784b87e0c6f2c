# Sourced by paper_table.sh and fair_table.sh: one place that maps a method's name to its own
# `greentrainer train` flags (without --lr, which each script chooses its own way).
#   method_flags NAME   prints the flags; an unknown NAME prints the known names and returns 2.
method_flags() {
  case "$1" in
    full) echo "--method full" ;;
    top2) echo "--method top2" ;;
    top-blocks) echo "--method top-blocks --top-blocks 2" ;;
    lisa) echo "--method lisa --lisa-layers 2 --lisa-interval 20" ;;
    badam) echo "--method badam --badam-interval 50" ;;
    lora) echo "--method lora" ;;
    prefix) echo "--method prefix" ;;
    # The two changes of issue #16, behind their flags: gt-R-batchesN measures importance on N
    # batches (--importance-batches), gt-R-everyN re-selects every N steps (--reselect-every-steps).
    gt-*-batches*) r=${1#gt-}; echo "--method gt --rho ${r%%-*} --importance-batches ${1##*-batches}" ;;
    gt-*-every*) r=${1#gt-}; echo "--method gt --rho ${r%%-*} --reselect-every-steps ${1##*-every}" ;;
    # Not a change but a diagnostic: gt-R-epochsN re-selects every N epochs (--reselect-every-epochs;
    # the authors' code uses 2), so with 2 epochs the first selection trains for the whole run.
    gt-*-epochs*) r=${1#gt-}; echo "--method gt --rho ${r%%-*} --reselect-every-epochs ${1##*-epochs}" ;;
    gt-*) echo "--method gt --rho ${1#gt-}" ;;
    *) echo "unknown method $1 (known: full top2 top-blocks lisa badam lora prefix gt-R, gt-R-batchesN, gt-R-everyN, gt-R-epochsN)" >&2; return 2 ;;
  esac
}
