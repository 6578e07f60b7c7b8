#!/usr/bin/env bash
# Submits the table's cells as one Slurm job array and, after them, the job that assembles the
# tables (--dependency=afterok, so it runs only when every cell succeeded; it is cancelled if one
# fails for good). Prints the two job ids as shell assignments:
#   CELLS_JOB=123
#   ASSEMBLE_JOB=124
#
# usage: deploy/slurm/submit_table.sh [--cells LIST] [--logs DIR] OUT [table flags]
#   --cells LIST   array indices (index = 6 * system + model, docs/scale-out.md; default 0-23)
#   --logs DIR     the jobs' output files (default OUT.slurm)
#   OUT            the table folder, shared by every node
#   table flags    the table's settings, the same for every cell: --budget, --protocol, --recipe,
#                  --eval-size, --train-size, --data-seed, --seed, --noise-mode, --kl-warmup,
#                  --backend, --threads N (gradient workers per cell; each task gets N cores;
#                  default 1, pinned so that every node runs the same table)
# Partition, time limit, memory and account come from sbatch's own environment variables
# (SBATCH_PARTITION, SBATCH_TIMELIMIT, SBATCH_MEM_PER_CPU, SBATCH_ACCOUNT). Env: DENO (the deno
# binary on the nodes; default deno on PATH).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CELLS=0-23
LOGS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cells) CELLS=$2; shift 2 ;;
    --logs) LOGS=$2; shift 2 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "submit_table.sh: usage: [--cells LIST] [--logs DIR] OUT [table flags]" >&2; exit 2; }
OUT=$(realpath -m "$1")
shift
THREADS=""
prev=""
for a in "$@"; do
  [ "$prev" = --threads ] && THREADS=$a
  prev=$a
done
flags=("$@")
if [ -z "$THREADS" ]; then
  THREADS=1
  flags+=(--threads 1)
fi
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || { echo "submit_table.sh: --threads must be a positive integer, got '$THREADS'" >&2; exit 2; }
LOGS=$(realpath -m "${LOGS:-$OUT.slurm}")
mkdir -p "$OUT" "$LOGS"
cells=$(sbatch --parsable --array="$CELLS" --cpus-per-task="$THREADS" --chdir="$REPO" \
  --output="$LOGS/cell-%A_%a.out" "$HERE/table_cell.sbatch" "$OUT" "${flags[@]}")
cells=${cells%%;*}
assemble=$(sbatch --parsable --dependency="afterok:$cells" --kill-on-invalid-dep=yes \
  --chdir="$REPO" --output="$LOGS/assemble-%j.out" "$HERE/table_assemble.sbatch" "$OUT" \
  "${flags[@]}")
assemble=${assemble%%;*}
echo "CELLS_JOB=$cells"
echo "ASSEMBLE_JOB=$assemble"
