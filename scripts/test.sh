#!/usr/bin/env bash
# Sets up and runs every check: ruff (lint and format), mypy (strict on the core, sync, the
# launcher and the GUI), the whole test suite (GUI tests offscreen). `.ci/run` adds the
# frozen-build smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check station_app sync ui station_launcher tests
.venv/bin/ruff format --check station_app sync ui station_launcher tests
echo "== mypy (strict: station_app, sync, station_launcher, ui)"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
