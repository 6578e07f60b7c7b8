#!/usr/bin/env bash
# Submits a dataset's parts as one Slurm job array and, after them, the job that merges them
# (--dependency=afterok). The result is the same bytes as one `cli.ts generate` with the same
# flags. Prints the two job ids as shell assignments:
#   PARTS_JOB=123
#   MERGE_JOB=124
#
# usage: deploy/slurm/submit_generate.sh [--logs DIR] [--preview K] OUT N [generate flags]
#   OUT            the dataset folder, shared by every node
#   N              parts (array tasks 0..N-1, one core each)
#   generate flags the dataset's flags, the same for every part (--system, --train, --test, ...)
#   --preview K    the merge's preview frames (cli.ts generate --merge --preview)
#   --logs DIR     the jobs' output files (default OUT.slurm)
# Partition, time limit and memory come from sbatch's environment variables (SBATCH_PARTITION,
# SBATCH_TIMELIMIT, SBATCH_MEM_PER_CPU). Env: DENO (the deno binary on the nodes).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LOGS=""
PREVIEW=()
while [ $# -gt 0 ]; do
  case "$1" in
    --logs) LOGS=$2; shift 2 ;;
    --preview) PREVIEW=(--preview "$2"); shift 2 ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "submit_generate.sh: usage: [--logs DIR] [--preview K] OUT N [generate flags]" >&2; exit 2; }
OUT=$(realpath -m "$1")
N=$2
shift 2
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "submit_generate.sh: N must be a positive integer, got '$N'" >&2; exit 2; }
LOGS=$(realpath -m "${LOGS:-$OUT.slurm}")
mkdir -p "$OUT" "$LOGS"
parts=$(sbatch --parsable --array="0-$((N - 1))" --chdir="$REPO" --output="$LOGS/part-%A_%a.out" \
  "$HERE/generate_part.sbatch" "$OUT" "$N" "$@")
parts=${parts%%;*}
merge=$(sbatch --parsable --dependency="afterok:$parts" --kill-on-invalid-dep=yes --chdir="$REPO" \
  --output="$LOGS/merge-%j.out" "$HERE/generate_merge.sbatch" "$OUT" "${PREVIEW[@]}")
merge=${merge%%;*}
echo "PARTS_JOB=$parts"
echo "MERGE_JOB=$merge"
