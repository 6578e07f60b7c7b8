#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying the job scripts beside it before a real
# cluster (and for tests/deploy/slurm_test.ts): munged, slurmctld and slurmd on localhost, every
# file (key, socket, config, state, logs) under DIR, nothing in /etc touched. Needs root (slurmd
# runs the jobs as the submitting user) and Debian's slurm-wlm and munge packages.
#
#   deploy/slurm/single_node.sh start DIR   # prints: export SLURM_CONF=DIR/slurm.conf
#   deploy/slurm/single_node.sh stop DIR
#
# Then, with SLURM_CONF exported, sbatch/squeue/scontrol talk to this cluster only. The node offers
# every core of the machine (nproc) and its memory; one partition, "local", is the default.
set -euo pipefail
cmd=${1:-}
DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "usage: single_node.sh start|stop DIR" >&2; exit 2; }

stop() {
  local f pid
  for f in slurmd slurmctld munged; do
    [ -f "$DIR/$f.pid" ] || continue
    pid=$(cat "$DIR/$f.pid")
    kill "$pid" 2> /dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null || true
    rm -f "$DIR/$f.pid"
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "single_node.sh: unknown command '$cmd' (start or stop)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "single_node.sh: needs root (slurmd starts jobs as their user)" >&2; exit 1; }
for b in munged slurmctld slurmd sbatch; do
  command -v "$b" > /dev/null || {
    echo "single_node.sh: $b not found; install Debian's slurm-wlm and munge" >&2
    exit 1
  }
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge"
chmod 700 "$DIR/munge"

# munge: a fresh key and a private socket, so that a system munged (if any) is left alone
head -c 1024 /dev/urandom > "$DIR/munge/munge.key"
chmod 600 "$DIR/munge/munge.key"
munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
  --pid-file="$DIR/munged.pid" --log-file="$DIR/munged.log" --seed-file="$DIR/munge/seed"

# two free TCP ports for slurmctld and slurmd
read -r CTLD_PORT SLURMD_PORT < <(python3 - << 'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
NODE=$(hostname -s)
CPUS=$(nproc)
MEM=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
cat > "$DIR/slurm.conf" << CONF
ClusterName=hgn-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
JobRequeue=1
MinJobAge=600
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$DIR/slurm.conf
slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  if sinfo -h -o '%T' 2> /dev/null | grep -qE '^idle'; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "single_node.sh: the node did not come up in 20 s; logs in $DIR (slurmctld.log, slurmd.log)" >&2
stop
exit 1
