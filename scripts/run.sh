#!/usr/bin/env bash
# Sets up and opens the station app. With no station on this PC it makes a demo station
# (about 300 synthetic cases) and opens it; otherwise it opens the station's login window.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A station on this PC opens at its login window; otherwise the demo station opens.
CMD=(demo)
if .venv/bin/python -c "import sys; from station_app.paths import default_data_dir; from station_app.store.station_store import station_exists; sys.exit(0 if station_exists(default_data_dir()) else 1)"; then
  CMD=()
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "没有图形显示:在虚拟屏幕(Xvfb)中运行" >&2
  exec xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/station-app "${CMD[@]}" "$@"
fi
exec .venv/bin/station-app "${CMD[@]}" "$@"
