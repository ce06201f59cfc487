#!/usr/bin/env bash
# README command 1: installs what the example needs, builds, starts the server on the embedded
# default (SQLite in HANGAR_HOME, nodes as local agent processes), creates `cpu-cluster` and runs
# examples/sklearn-iris on it, streaming its log and printing its metrics.
#
# HANGAR_HOME (default ~/.hangar) and HANGAR_PORT (default 7733) are honoured. A server already
# answering on that port is reused and left running; one started here is stopped at the end
# (after the cluster's nodes are gone) unless HANGAR_KEEP_SERVER=1.
set -euo pipefail
cd "$(dirname "$0")/.."
export HANGAR_HOME="${HANGAR_HOME:-$HOME/.hangar}"
port="${HANGAR_PORT:-7733}"
export HANGAR_URL="http://127.0.0.1:$port"
hangar() { node dist/cli/main.js "$@"; }
healthy() { node -e "fetch('$HANGAR_URL/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; }

echo "==> installing Debian packages the example needs (python3-sklearn, venv, pip)"
bash scripts/install-debian-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
echo "==> building"
npm run --silent build

server_pid=""
created_cluster=""
cleanup() {
  local status=$?
  if [ -n "$created_cluster" ] && [ "${HANGAR_KEEP_SERVER:-0}" != "1" ]; then
    echo "==> deleting cpu-cluster (its nodes stop with it)"
    hangar compute delete -n cpu-cluster --yes >/dev/null 2>&1 || true
    for _ in $(seq 1 120); do hangar compute show -n cpu-cluster >/dev/null 2>&1 || break; sleep 0.5; done
  fi
  if [ -n "$server_pid" ]; then
    if [ "${HANGAR_KEEP_SERVER:-0}" = "1" ]; then
      echo "==> server left running at $HANGAR_URL (pid $server_pid; log $HANGAR_HOME/server.log)"
    else
      echo "==> stopping the server"
      kill "$server_pid" 2>/dev/null || true
      wait "$server_pid" 2>/dev/null || true
    fi
  fi
  exit $status
}
trap cleanup EXIT

mkdir -p "$HANGAR_HOME"
if healthy; then
  echo "==> reusing the server already answering at $HANGAR_URL"
else
  echo "==> starting the server at $HANGAR_URL (data in $HANGAR_HOME, log in $HANGAR_HOME/server.log)"
  node dist/cli/main.js server --port "$port" --home "$HANGAR_HOME" >>"$HANGAR_HOME/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do healthy && break; sleep 0.2; done
  healthy || { echo "the server did not start; see $HANGAR_HOME/server.log" >&2; tail -20 "$HANGAR_HOME/server.log" >&2; exit 1; }
fi

if hangar compute show -n cpu-cluster >/dev/null 2>&1; then
  echo "==> using the existing cpu-cluster"
else
  echo "==> creating cpu-cluster (0..2 local nodes, scale down after 120 s idle)"
  hangar compute create --name cpu-cluster --type amlcompute --size STANDARD_D3_V2 \
    --min-instances 0 --max-instances 2 --idle-time-before-scale-down 120 -o table
  created_cluster=1
fi

echo "==> submitting examples/sklearn-iris/job.yml and streaming its log"
job=$(hangar job create -f examples/sklearn-iris/job.yml --query name -o tsv)
hangar job stream -n "$job"
echo "==> metrics of $job"
hangar job metrics -n "$job" -o table
status=$(hangar job show -n "$job" --query status -o tsv)
echo "==> job $job: $status"
[ "$status" = "Completed" ]
