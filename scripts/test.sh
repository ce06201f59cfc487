#!/usr/bin/env bash
# The project's test command: installs what the tests need, builds, checks types and lint, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-debian-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
npm run typecheck
npm run lint
npx vitest run "$@"
