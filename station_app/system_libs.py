"""Which Debian/Ubuntu package provides a system library that Qt failed to load.

A station PC on Linux needs a few system libraries for the desktop (README, "Linux station
PCs"). When one is missing, Python reports only the library's file name; the user needs the
package to install. Qt-free: the selfcheck and the GUI launcher use it before Qt is importable.
"""

from __future__ import annotations

import re

# Library file (soname) -> Debian/Ubuntu package, for every library Qt's xcb and offscreen
# platforms load that a minimal Debian lacks.
PACKAGES: dict[str, str] = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libcups.so.2": "libcups2",
}

_MISSING = re.compile(r"(lib[\w.+-]+\.so(?:\.\d+)*): cannot open shared object file")


def missing_library_hint(message: str) -> str | None:
    """A Chinese one-line hint for a "cannot open shared object file" error, else None.

    `message` is the text of the ImportError/OSError. The hint names the library and, when
    known, the package that provides it: "缺少系统库 libGL.so.1:请安装软件包 libgl1 (...)".
    """
    m = _MISSING.search(message)
    if m is None:
        return None
    library = m.group(1)
    package = PACKAGES.get(library)
    if package is None:
        return f"缺少系统库 {library}:请安装提供它的系统软件包(见 README 的 Linux 调解站电脑一节)"
    return f"缺少系统库 {library}:请安装软件包 {package}(sudo apt-get install {package})"
