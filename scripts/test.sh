#!/usr/bin/env bash
# Sets up and runs every check: ruff, mypy (strict on the core), the whole test suite
# (GUI tests offscreen), and the frozen-build smoke test when FROZEN_CHECK=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check station_app sync ui tests
.venv/bin/ruff format --check station_app sync ui tests
echo "== mypy (strict: station_app, sync)"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
