#!/usr/bin/env bash
# Builds the one-folder bundle with `pyinstaller build.spec` and runs the frozen app's
# selfcheck offscreen: a packaging break fails here the day it happens.
# Set SKIP_BUILD=1 to reuse an existing dist/station-app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
export QT_QPA_PLATFORM=offscreen
BUNDLE=dist/station-app
if [ "${SKIP_BUILD:-0}" != "1" ] || [ ! -x "$BUNDLE/station-app" ]; then
  echo "== pyinstaller build.spec"
  start=$(date +%s)
  .venv/bin/pyinstaller build.spec --noconfirm --clean --log-level WARN
  echo "构建用时 $(( $(date +%s) - start )) s"
fi
echo "== 打包体积: $(du -sh "$BUNDLE" | cut -f1)"
echo "== frozen selfcheck"
# A home of its own: the frozen app must not need (or touch) anything outside the bundle.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
env -i HOME="$home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen LANG=C.UTF-8 "$BUNDLE/station-app" selfcheck
# The routing contract through the frozen CLI: category 4 spanning 2024-04-01 is joint, tax leads.
intake='{"received_at": "2025-11-20T09:30:00+08:00", "channel": "visit", "town_code": "232701100",
 "applicant": {"kind": "employer", "name": "漠河市北极林业有限公司", "uscc": "9123272312H3BJ1G65",
   "contact": "王会计", "phone": "0457-2812345"},
 "category": 4, "insurance_types": ["pension"], "periods": [{"from": "2023-10", "to": "2024-06"}],
 "group_size": 1, "summary": "缴费基数争议", "claim": "请求核实"}'
decision=$(printf '%s' "$intake" | env -i HOME="$home" PATH=/usr/bin:/bin LANG=C.UTF-8 "$BUNDLE/station-app" route) || {
  echo "冻结程序的 route 拒绝了输入: $decision" >&2; exit 1; }
echo "$decision"
echo "$decision" | grep -q '"track": "joint", "lead": "tax", "co": \["hrss"\]'
echo "冻结程序自检通过"
