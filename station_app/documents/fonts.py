"""The CJK font every paper uses: WenQuanYi Micro Hei from `resources/fonts`, registered once.

reportlab embeds a TrueType font as subsets of the glyphs actually used, so a paper prints
the same on a PC without any Chinese font. (reportlab cannot embed CFF/OTF fonts such as
Noto CJK; WenQuanYi Micro Hei is TrueType and ships under Apache-2.0: see its LICENSE.)
"""

from __future__ import annotations

import threading

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from station_app.resources import resource_path

FONT_NAME = "WenQuanYi"
FONT_FILE = ("fonts", "wqy-microhei.ttc")
FONT_LICENSE = ("fonts", "LICENSE")

_lock = threading.Lock()
_registered = False


def register_fonts() -> str:
    """Register the paper font (first call ~0.2 s, later calls free); return its name."""
    global _registered
    if _registered:
        return FONT_NAME
    with _lock:
        if not _registered:
            path = resource_path(*FONT_FILE)
            if not path.exists():
                raise FileNotFoundError(f"缺少打印字体文件:{path}")
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            _registered = True
    return FONT_NAME


def has_glyph(char: str) -> bool:
    """Whether the paper font can draw `char` (tests use it to rule out boxes)."""
    register_fonts()
    font = pdfmetrics.getFont(FONT_NAME)
    return ord(char) in font.face.charToGlyph
