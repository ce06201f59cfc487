#!/usr/bin/env bash
# Installs the Debian packages Hangar's jobs and tests need; does nothing when they are present.
# - python3-venv, python3-pip: system-managed environments (venv + pip from a wheel folder)
#   (they pull in /usr/bin/python3, which also runs the pty helper of instance terminals and SSH sessions: no native node-pty build)
# - python3-setuptools, python3-wheel: building the local test wheels
# - python3-sklearn: examples/sklearn-iris
# - python3-pandas: typed run() input of deployments (PandasParameterType; numpy comes with sklearn)
# - openssh-client, openssh-sftp-server: ssh/scp into compute instances (the client in tests, sftp-server for scp)
# - jupyter-notebook: Jupyter on compute instances
# - bubblewrap: the job sandbox (own PID namespace; jobs cannot read HANGAR_HOME nor the agent's files)
# Also creates the unprivileged `hangar-job` user that root agents run jobs as (never root).
# - slurm-wlm: a real single-host Slurm cluster for the Slurm provider tests (scripts/slurm-cluster.sh)
# - openssh-server: sshd for attached-machine tests
# - chromium: the studio's end-to-end tests (driven by playwright-core; its own browser download cannot reach its CDN here)
# - iproute2, procps: network namespaces (ip, ss) and pgrep/pkill in the several-hosts and SSH tests
# - python3-azure, python3-azure-storage, openssl: the Azure ML Python SDK v2 tests (azure-ai-ml over TLS; openssl makes the server's CA)
# - postgresql: the PostgreSQL store's tests and the replica tests (they start their own server in a temp folder; the package's own cluster is not used)
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
ensure_job_user() {
  getent passwd hangar-job >/dev/null && return 0
  echo "creating the system user hangar-job (jobs of root agents run as it)" >&2
  $sudo useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin hangar-job
}
packages=(python3-venv python3-pip python3-setuptools python3-wheel python3-sklearn python3-pandas openssh-client openssh-sftp-server jupyter-notebook bubblewrap slurm-wlm openssh-server iproute2 procps chromium python3-azure python3-azure-storage openssl postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then ensure_job_user; exit 0; fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
ensure_job_user
