#!/usr/bin/env bash
# Starts (or stops) a real single-host Slurm cluster for tests and benchmarks, everything in DIR:
#   scripts/slurm-cluster.sh start DIR [NODES]   → slurm.conf in DIR, slurmctld + NODES slurmd (node1..N)
#   scripts/slurm-cluster.sh stop DIR            → stops the daemons (and any job left running)
# Partitions: debug (default, PriorityTier=1, PreemptMode=REQUEUE: low priority) and high
# (PriorityTier=10). No munge (auth/none), no accounting; settings that make scheduling fast.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?folder}; nodes=${3:-4}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
if [ "$cmd" = stop ]; then
  for f in "$dir"/slurmd-*.pid "$dir"/slurmctld.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0; for f in "$dir"/slurmd-*.pid "$dir"/slurmctld.pid; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break; sleep 0.1
  done
  for f in "$dir"/slurmd-*.pid "$dir"/slurmctld.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
  exit 0
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ctl=$(free_port); first=$(free_port)
# slurmd ports are a contiguous range; find one whose ports are free.
for _ in $(seq 1 20); do
  ok=1; for i in $(seq 0 $((nodes-1))); do python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$((first+i))))" 2>/dev/null || ok=0; done
  [ $ok = 1 ] && break; first=$(( (RANDOM % 20000) + 30000 ))
done
mkdir -p "$dir/state" "$dir/spool"
cat > "$dir/slurm.conf" <<CONF
ClusterName=hangar-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctl
SlurmdPort=$first
AuthType=auth/none
CredType=cred/none
AuthInfo=cred_expire=5
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1,bf_interval=1
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
KillWait=2
MinJobAge=300
ReturnToService=2
SlurmdParameters=config_overrides
MpiDefault=none
NodeName=node[1-$nodes] NodeHostname=localhost NodeAddr=127.0.0.1 Port=$first-$((first+nodes-1)) CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=node[1-$nodes] Default=YES MaxTime=INFINITE State=UP PriorityTier=1 PreemptMode=REQUEUE
PartitionName=high Nodes=node[1-$nodes] MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF
CONF
export SLURM_CONF="$dir/slurm.conf"
/usr/sbin/slurmctld -f "$SLURM_CONF" -i
for i in $(seq 1 "$nodes"); do /usr/sbin/slurmd -f "$SLURM_CONF" -N "node$i"; done
for _ in $(seq 1 100); do
  idle=$(sinfo -h -p debug -t idle -o '%D' 2>/dev/null | head -1 || true)
  [ "${idle:-0}" = "$nodes" ] && { echo "$SLURM_CONF"; exit 0; }
  sleep 0.1
done
echo "slurm did not come up; see $dir/*.log" >&2; sinfo >&2 || true; exit 1
