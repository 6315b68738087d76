#!/usr/bin/env bash
# Saves what the virtual screen of a running station app shows as a PNG.
#   bash scripts/look.sh :99 screen.png      (scripts/run.sh prints the display number)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 2 ]; then echo "用法: bash scripts/look.sh :显示号 输出.png" >&2; exit 2; fi
out=$(realpath -m "$2")
exec .venv/bin/python -m ui.grab "$1" "$out"
