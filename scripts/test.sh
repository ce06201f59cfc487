#!/usr/bin/env bash
# The project's test command: installs what the tests need, builds, checks types, lint and formatting, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-debian-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
npm run typecheck
npm run lint
# Formatting drift fails the run (fix with: npx prettier --write src test bench studio/src).
npm run format
npx vitest run "$@"
