#!/usr/bin/env bash
# Sets up the station app on Debian/Ubuntu: system packages, a virtualenv in .venv, the Python
# packages. Two profiles:
#   bash scripts/setup.sh run   what running the app needs (Qt's libraries, a CJK font, Xvfb)
#   bash scripts/setup.sh dev   the above plus what the checks and the frozen build need
#                               (pytest, mypy, ruff, PyInstaller, binutils, libpython, poppler, zbar,
#                               PostgreSQL for the relay's tests)
# Safe to run again and offline once set up: it installs only what is missing, and pip runs only
# when pyproject.toml, the interpreter or the profile changed since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${1:-dev}"
case "$PROFILE" in run|dev) ;; *) echo "用法: bash scripts/setup.sh [run|dev]" >&2; exit 2 ;; esac
PYTHON="${PYTHON:-python3}"

say() { echo "== $*"; }

# -- system packages ----------------------------------------------------------------------------
RUN_PACKAGES=(python3 python3-venv python3-pip libgl1 libegl1 libfontconfig1 libxkbcommon0 libdbus-1-3
  libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-shape0 libxkbcommon-x11-0 libxcb-xkb1 xvfb xauth fonts-wqy-microhei)
# poppler and zbar read back PDFs and QR codes in tests; binutils (objdump) and the interpreter's
# shared library are what PyInstaller needs to freeze the app. PostgreSQL's server binaries run
# the relay's tests on a private throwaway cluster (the package's own cluster is not used).
DEV_PACKAGES=(poppler-utils zbar-tools binutils postgresql)

libpython_package() {
  # Debian's python3 links libpython statically; PyInstaller needs the shared library, packaged
  # as libpythonX.Y. Named from the interpreter in use, and only when that interpreter is Debian's
  # and its shared library is not already on the machine.
  command -v "$PYTHON" >/dev/null 2>&1 || return 0
  local info
  info=$("$PYTHON" -c 'import sys, sysconfig
print(f"{sys.version_info[0]}.{sys.version_info[1]}", sysconfig.get_config_var("INSTSONAME") or "", sysconfig.get_config_var("LIBDIR") or "")')
  local version soname libdir
  read -r version soname libdir <<<"$info"
  if [ -n "$soname" ] && { [ -e "$libdir/$soname" ] || ldconfig -p 2>/dev/null | grep -q "$soname"; }; then
    return 0
  fi
  if dpkg -S "$(readlink -f "$(command -v "$PYTHON")")" >/dev/null 2>&1; then
    echo "libpython$version"
  fi
}

PACKAGES=("${RUN_PACKAGES[@]}")
if [ "$PROFILE" = dev ]; then
  PACKAGES+=("${DEV_PACKAGES[@]}")
  lib=$(libpython_package)
  [ -n "$lib" ] && PACKAGES+=("$lib")
fi

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    say "系统软件包: 缺 ${#missing[@]} 个 (${missing[*]}),正在更新软件源 (apt-get update)"
    $SUDO apt-get update -q
    say "系统软件包: 正在安装 ${#missing[@]} 个及其依赖 (apt-get install)"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" \
      | grep -E --line-buffered '^(Need to get|Setting up|Unpacking)' || true
    say "系统软件包: 已装好"
  else
    say "系统软件包: ${#PACKAGES[@]} 个均已安装"
  fi
else
  say "不是 Debian/Ubuntu:请自行安装 Qt 6 运行库、中文字体 (文泉驿微米黑) 和 Xvfb"
fi

# -- virtualenv and Python packages -------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "建立虚拟环境 .venv ($("$PYTHON" --version 2>&1))"
  "$PYTHON" -m venv .venv
fi

# A stamp of what the last successful install was made from: the project file, the interpreter
# (path and version) and the profile. Equal stamps mean nothing to do, and no network is needed.
stamp_of() {
  {
    sha256sum pyproject.toml
    readlink -f .venv/bin/python
    .venv/bin/python -c 'import sys; print(sys.version)'
    echo "$1"
  } | sha256sum | cut -d' ' -f1
}
STAMP_FILE=.venv/.station-setup-$PROFILE
want=$(stamp_of "$PROFILE")
have=$(cat "$STAMP_FILE" 2>/dev/null || true)
# A dev install covers run: no reinstall when switching from dev to run.
if [ "$PROFILE" = run ] && [ "$(cat .venv/.station-setup-dev 2>/dev/null || true)" = "$(stamp_of dev)" ]; then
  have=$want
fi
if [ "$want" = "$have" ]; then
  say "Python 包: 已是最新 (pyproject.toml 与解释器未变,不联网)"
  exit 0
fi

TARGET="."
[ "$PROFILE" = dev ] && TARGET=".[dev]"
count=$(.venv/bin/python - "$PROFILE" <<'EOF'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
deps = project["dependencies"] + (project["optional-dependencies"]["dev"] if sys.argv[1] == "dev" else [])
print(len(deps))
EOF
)
say "Python 包: 安装 $count 个直接依赖及其依赖 ($PROFILE),下面是 pip 的进度"
PIP=(.venv/bin/python -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
# The project itself is installed editable from the checkout (a .pth file, see pyproject.toml).
set +e
"${PIP[@]}" install --progress-bar on -e "$TARGET" 2>&1 \
  | grep -E --line-buffered -v '^(WARNING: Location|  Requirement already satisfied|Requirement already satisfied)'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || { echo "pip 安装失败 (退出码 $rc,见上面的输出)" >&2; exit 1; }
.venv/bin/python -c 'import station_app, sqlcipher3, PySide6.QtWidgets, reportlab' \
  || { echo "Python 包安装失败 (见上面 pip 的输出)" >&2; exit 1; }
if [ "$PROFILE" = dev ]; then
  .venv/bin/python -c 'import pytest, pytestqt, hypothesis, PyInstaller, mypy' \
    || { echo "开发工具安装失败 (见上面 pip 的输出)" >&2; exit 1; }
fi
echo "$want" >"$STAMP_FILE"
say "Python 包: 已装好 ($(du -sh .venv | cut -f1))"
