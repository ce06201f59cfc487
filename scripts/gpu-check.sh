#!/usr/bin/env bash
# The one GPU check for a machine with an NVIDIA GPU (CI has none; the integration tests use a fake
# nvidia-smi). Starts a Hangar server and a local GPU node, trains a small PyTorch model as a
# Hangar job and the same script directly, and reports: the GPU the job saw (CUDA_VISIBLE_DEVICES,
# torch's device name), its utilisation samples (GpuUtilization…), the node's GPU gauges on
# GET /metrics, and the training time as a job against the direct run.
#
# Needs: the built CLI (npx tsc -p tsconfig.json → dist/), Node 20+ (NODE=…; a Debian nodejs
# package unpacked anywhere will do), a Python with torch and CUDA (PYTHON=…), nvidia-smi.
# Usage: scripts/gpu-check.sh            (STEPS=1500 SIZE=Standard_NC6 OUT=dir to change)
# Exit code 0 when the job completed on the GPU and samples arrived; the report is on stdout and
# in $OUT/report.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE=${NODE:-node}
PYTHON=${PYTHON:-python3}
STEPS=${STEPS:-1500}
SIZE=${SIZE:-Standard_NC6}
OUT=${OUT:-$(mktemp -d /tmp/hangar-gpu-check-XXXXXX)}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/hangar-gpu-work-XXXXXX)
HOME_DIR=$WORK/home
mkdir -p "$HOME_DIR" "$WORK/job/src"
say() { echo "$*" | tee -a "$OUT/report.txt"; }
fail() { say "FAIL: $*"; exit 1; }

command -v nvidia-smi >/dev/null || fail "nvidia-smi is not on PATH"
[ -f "$ROOT/dist/cli/main.js" ] || fail "build first: npx tsc -p tsconfig.json"
"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || fail "Node 20+ needed (NODE=$NODE)"
PYTHON=$(command -v "$PYTHON") || fail "no Python at PYTHON"
"$PYTHON" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' ||
  fail "$PYTHON has no torch with CUDA"
# A root agent runs jobs as hangar-job (or nobody): the interpreter and its packages must be readable by them.
if [ "$(id -u)" = 0 ] && ! su -s /bin/sh nobody -c "test -x '$PYTHON'" 2>/dev/null; then
  say "WARNING: jobs run as an unprivileged user and may not be able to run $PYTHON (mode of its folders)"
fi
say "== GPUs on this host"
nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader | tee -a "$OUT/report.txt"

cat > "$WORK/job/src/train.py" <<'PY'
# A small MLP on synthetic data: enough work to show on nvidia-smi, a few seconds on any GPU.
import json, os, sys, time
import torch
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
dev = torch.device("cuda")
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(1024, 4096), torch.nn.ReLU(), torch.nn.Linear(4096, 4096),
                            torch.nn.ReLU(), torch.nn.Linear(4096, 10)).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn(4096, 1024, device=dev)
y = torch.randint(0, 10, (4096,), device=dev)
for _ in range(20):  # warm-up: kernels and allocator, not timed
    opt.zero_grad(); torch.nn.functional.cross_entropy(model(x), y).backward(); opt.step()
torch.cuda.synchronize()
t0 = time.perf_counter()
for _ in range(steps):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
torch.cuda.synchronize()
print("RESULT " + json.dumps({
    "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    "device_count": torch.cuda.device_count(),
    "device_name": torch.cuda.get_device_name(0),
    "steps": steps, "seconds": round(time.perf_counter() - t0, 3), "loss": round(loss.item(), 4),
}), flush=True)
PY

say "== direct run"
"$PYTHON" "$WORK/job/src/train.py" "$STEPS" | tee "$OUT/direct.txt" | grep RESULT | tee -a "$OUT/report.txt"
DIRECT=$(grep RESULT "$OUT/direct.txt" | sed 's/^RESULT //')

SANDBOX=false
command -v bwrap >/dev/null || SANDBOX=true # no bubblewrap here: run the job unsandboxed (a throwaway box)
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$HOME_DIR/config.yaml" <<EOF
reconcileIntervalMs: 250
jobs: { heartbeatIntervalMs: 500, insecureNoSandbox: $SANDBOX }
metrics: { sampleIntervalSeconds: 1, token: '$TOKEN' }
EOF
"$NODE" "$ROOT/dist/cli/main.js" server --home "$HOME_DIR" --port 0 >"$OUT/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  for f in "$HOME_DIR"/nodes/*/agent.pid; do [ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null || true; done
  cp "$HOME_DIR"/nodes/*/agent.log "$OUT/" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -f "$HOME_DIR/server.json" ] && grep -q listening "$OUT/server.log" && break; sleep 0.2; done
[ -f "$HOME_DIR/server.json" ] || fail "the server did not start; see $OUT/server.log"
export HANGAR_URL
HANGAR_URL=$("$NODE" -e 'console.log(require(process.argv[1]).url)' "$HOME_DIR/server.json")
export HANGAR_TOKEN
HANGAR_TOKEN=$("$NODE" -e 'console.log(require(process.argv[1]).token)' "$HOME_DIR/admin-credentials.json")
hangar() { "$NODE" "$ROOT/dist/cli/main.js" "$@"; }

say "== server $HANGAR_URL; cluster of $SIZE"
hangar compute create -n gpu --type amlcompute --size "$SIZE" --min-instances 1 --max-instances 1 -o none
cat > "$WORK/job/job.yml" <<EOF
code: ./src
command: $PYTHON train.py $STEPS
compute: azureml:gpu
EOF
START=$(date +%s.%N)
hangar job create -f "$WORK/job/job.yml" --name train --stream >"$OUT/job-stream.txt" 2>&1 || true
END=$(date +%s.%N)
STATUS=$(hangar job show -n train -o json | "$NODE" -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).properties.status))' || echo unknown)
say "== job: $STATUS ($(awk "BEGIN{printf \"%.1f\", $END - $START}") s from submission to the end, node start included)"
grep RESULT "$OUT/job-stream.txt" | tee -a "$OUT/report.txt" || say "(no RESULT line: see $OUT/job-stream.txt)"
JOB=$(grep RESULT "$OUT/job-stream.txt" | sed 's/^RESULT //' || true)

say "== the job's utilisation samples"
hangar job metrics --system -n train -o table 2>&1 | tee -a "$OUT/report.txt"
hangar job metrics --system -n train -o json >"$OUT/job-system-metrics.json"
NODE_ID=$(hangar compute list-nodes -n gpu --query '[0].nodeId' -o tsv 2>/dev/null || true)
if [ -n "$NODE_ID" ]; then
  say "== node $NODE_ID"
  hangar compute show-metrics -n gpu --node-id "$NODE_ID" -o table 2>&1 | tee -a "$OUT/report.txt"
fi
say "== GET /metrics (GPU gauges)"
curl -fsS -H "Authorization: Bearer $TOKEN" "$HANGAR_URL/metrics" >"$OUT/metrics.txt"
grep -E '^hangar_node_gpu|^hangar_node_gpus' "$OUT/metrics.txt" | tee -a "$OUT/report.txt"

say "== summary"
"$NODE" -e '
  const [direct, job, file] = process.argv.slice(1);
  const d = JSON.parse(direct), j = job ? JSON.parse(job) : undefined;
  const m = JSON.parse(require("fs").readFileSync(file, "utf8"));
  const gpu = m.value.find((s) => s.name === "GpuUtilization" && s.gpu === undefined);
  const pts = gpu ? gpu.points.map((p) => p.value) : [];
  console.log(`job saw CUDA_VISIBLE_DEVICES=${j?.cuda_visible_devices} (${j?.device_count} device: ${j?.device_name})`);
  console.log(`GPU utilisation samples: ${pts.length}, mean ${pts.length ? (pts.reduce((a, b) => a + b, 0) / pts.length).toFixed(1) : "-"}%, max ${pts.length ? Math.max(...pts) : "-"}%`);
  console.log(`training ${d.steps} steps: direct ${d.seconds} s, as a Hangar job ${j?.seconds ?? "-"} s (${j ? ((j.seconds / d.seconds - 1) * 100).toFixed(1) : "-"}% difference)`);
  process.exit(j && pts.length > 0 ? 0 : 1);
' "$DIRECT" "$JOB" "$OUT/job-system-metrics.json" | tee -a "$OUT/report.txt"
