"""Save what an X display shows as a PNG: `python -m ui.grab :99 screen.png`.

For a station app running on a virtual screen (Xvfb, no monitor): `scripts/run.sh` prints the
command. Exit 0 and the file written, or exit 1 with one line saying why.
"""

from __future__ import annotations

import os
import sys


def grab(display: str, out: str) -> str:
    """Grab the whole screen of X display `display` (such as ":99") into the PNG file `out`.

    Returns a one-line description (size and file). Raises RuntimeError when the display cannot
    be opened or the file cannot be written.
    """
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        raise RuntimeError(f"打不开显示 {display}")
    pixmap = screen.grabWindow(0)
    if pixmap.isNull() or not pixmap.save(out, "PNG"):
        raise RuntimeError(f"无法保存截图到 {out}")
    del app
    return f"已保存 {pixmap.width()}x{pixmap.height()} 截图: {out}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("用法: python -m ui.grab :显示号 输出.png", file=sys.stderr)
        return 2
    try:
        print(grab(argv[0], argv[1]))
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
