#!/usr/bin/env bash
# The PyTorch side of bench/gpu/run.sh: bench/hgn_step_torch.py once per rollout length and thread
# count, one JSON line each: {"steps": S, "threads": T, "result": {...hgn_step_torch.py's line}}.
#
# usage: bench/gpu/torch_rows.sh PYTHON cpu|cuda STEPS(comma list) THREADS(comma list) REPS \
#          [hgn_step_torch.py flags, e.g. --width 64 --batch 16]
set -euo pipefail
[ $# -ge 5 ] || { echo "torch_rows.sh: usage: PYTHON cpu|cuda STEPS THREADS REPS [flags]" >&2; exit 2; }
py=$1 device=$2 steps=$3 threads=$4 reps=$5
shift 5
for s in ${steps//,/ }; do
  for t in ${threads//,/ }; do
    line=$(OMP_WAIT_POLICY=PASSIVE "$py" "$(dirname "$0")/../hgn_step_torch.py" --device "$device" \
      --steps "$s" --threads "$t" --reps "$reps" "$@")
    echo "{\"steps\":$s,\"threads\":$t,\"result\":$line}"
  done
done
