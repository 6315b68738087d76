#!/usr/bin/env bash
# Sets up and opens the station app. With no station on this PC it makes a demo station
# (about 300 synthetic cases) and opens it; otherwise it opens the station's login window.
# Installs only what running needs (the developer tools come with scripts/test.sh) and, once
# set up, needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
# A station on this PC opens at its login window; otherwise the demo station opens.
CMD=(demo)
if .venv/bin/python -c "import sys; from station_app.paths import default_data_dir; from station_app.store.station_store import station_exists; sys.exit(0 if station_exists(default_data_dir()) else 1)"; then
  CMD=()
fi
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || [ -n "${QT_QPA_PLATFORM:-}" ]; then
  exec .venv/bin/station-app "${CMD[@]}" "$@"
fi

# No screen: run on a virtual one (Xvfb, 1366x768, the size of a station PC's monitor).
n=99
while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
Xvfb ":$n" -screen 0 1366x768x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
app_pid=""
# On the way out the app goes first (it saves and closes its store), then the virtual screen.
stop() {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
  kill "$xvfb_pid" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
[ -e "/tmp/.X11-unix/X$n" ] || { echo "虚拟屏幕 Xvfb :$n 没有启动" >&2; exit 1; }
cat <<MSG
== 没有图形显示:应用在虚拟屏幕 :$n (Xvfb 1366x768) 中运行
   查看画面: bash scripts/look.sh :$n screen.png   (把当前画面存为 PNG)
   停止:     在本终端按 Ctrl+C,或 kill $$
MSG
DISPLAY=":$n" .venv/bin/station-app "${CMD[@]}" "$@" &
app_pid=$!
wait "$app_pid"
