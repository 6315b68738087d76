"""The fonts every paper uses, registered once: WenQuanYi Micro Hei and a fallback for rare characters.

The fallback covers the CJK extensions WenQuanYi lacks (刘䶮, 𬌗); both come from
`resources/fonts`. reportlab embeds a TrueType font as subsets of the glyphs actually used,
so a paper prints the same on a PC without any Chinese font. (reportlab cannot embed CFF/OTF
fonts such as Noto CJK; WenQuanYi Micro Hei is TrueType and ships under Apache-2.0: see its
LICENSE.) The fallback is a subset of Hanazono Mincho (Extension A whole, Extensions B to F
where a character has a Mandarin reading; `scripts/make_fallback_font.py` makes it; Hanazono
Font License or SIL OFL 1.1: see hanazono.copyright). A character neither font has is refused
with its name (`UnprintableText`), never printed as a box or dropped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from station_app.domain.id_numbers import invisible_char
from station_app.errors import ValidationError
from station_app.resources import resource_path

FONT_NAME = "WenQuanYi"
FONT_FILE = ("fonts", "wqy-microhei.ttc")
FONT_LICENSE = ("fonts", "LICENSE")
FALLBACK_NAME = "HanazonoExt"
FALLBACK_FILE = ("fonts", "hanazono-ext-subset.ttf")
FALLBACK_LICENSE = ("fonts", "hanazono.copyright")

_lock = threading.Lock()
_registered = False
_main: frozenset[int] = frozenset()
_fallback: frozenset[int] = frozenset()


class UnprintableText(ValidationError):
    """Text holds a character that no paper font can draw; the message names it.

    Built from the characters concerned; refused on the field `paper`.
    """

    def __init__(self, chars: list[str]) -> None:
        named = "、".join(f"“{c}”(U+{ord(c):04X})" for c in chars)
        why = f"打印字体缺少字符{named},无法打印。请核对该字的写法,或改用通用规范汉字后再打印"
        super().__init__({"paper": why}, why)
        self.chars = tuple(chars)


_WIDE_ENTRY = re.compile(r"<([0-9A-F]{2})> <([0-9A-F]{5,6})>")
_plain_cmap = ttfonts.makeToUnicodeCMap


def _utf16(match: re.Match[str]) -> str:
    code = int(match.group(2), 16) - 0x10000
    return f"<{match.group(1)}> <{0xD800 + (code >> 10):04X}{0xDC00 + (code & 0x3FF):04X}>"


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """The ToUnicode map of reportlab, with characters beyond U+FFFF written as UTF-16 pairs.

    The PDF format asks for pairs: reportlab writes `<2C317>`, which readers reject, and the text
    layer (copy, search, pypdf) loses every character of Extensions B to G.
    """
    return _WIDE_ENTRY.sub(_utf16, _plain_cmap(fontname, subset))


def _register(name: str, parts: tuple[str, str], index: int) -> frozenset[int]:
    path = resource_path(*parts)
    if not path.exists():
        raise FileNotFoundError(f"缺少打印字体文件:{path}")
    font = TTFont(name, str(path), subfontIndex=index)
    pdfmetrics.registerFont(font)
    return frozenset(font.face.charToGlyph)


def register_fonts() -> str:
    """Register the paper font and its fallback, and return the paper font's name.

    The first call takes about 0.3 s; later calls are free.
    """
    global _registered, _main, _fallback
    if _registered:
        return FONT_NAME
    with _lock:
        if not _registered:
            ttfonts.makeToUnicodeCMap = _to_unicode_cmap
            _main = _register(FONT_NAME, FONT_FILE, 0)
            _fallback = _register(FALLBACK_NAME, FALLBACK_FILE, 0)
            _registered = True
    return FONT_NAME


def invisible(char: str) -> bool:
    """Whether `char` has no glyph by design and is left out of the print.

    Format characters (zero-width space, BOM, bidi marks), variation selectors, Hangul fillers:
    what intake strips from codes (`id_numbers.invisible_char`).
    """
    return invisible_char(char)


def font_for(char: str) -> str | None:
    """The font that draws `char`: the paper font, the fallback, or None when neither can."""
    register_fonts()
    code = ord(char)
    if code in _main or char in "\n\r\t":
        return FONT_NAME
    if code in _fallback:
        return FALLBACK_NAME
    return None


def has_glyph(char: str) -> bool:
    """Whether a paper font can draw `char` (tests use it to rule out boxes)."""
    return font_for(char) is not None


def printable(text: str) -> str:
    """`text` without its invisible characters.

    Raises:
        UnprintableText: naming every character that no font can draw.
    """
    kept = "".join(ch for ch in text if not invisible(ch))
    missing = sorted({ch for ch in kept if font_for(ch) is None}, key=kept.index)
    if missing:
        raise UnprintableText(missing)
    return kept


def runs(text: str) -> Iterator[tuple[str, str]]:
    """The `(font name, text)` runs of printable `text`.

    The paper font, with fallback runs for the characters only the fallback has.

    Raises:
        UnprintableText: a character neither font has.
    """
    text = printable(text)
    start = 0
    current = FONT_NAME
    for i, ch in enumerate(text):
        font = FONT_NAME if ch.isspace() else font_for(ch) or FONT_NAME
        if font != current:
            if i > start:
                yield current, text[start:i]
            start, current = i, font
    if start < len(text):
        yield current, text[start:]


def text_width(text: str, size: float) -> float:
    """Width of `text` in points at `size`, each run measured in its own font."""
    return float(sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in runs(text)))
