"""Chinese line breaking for paragraphs (避头尾).

No line starts with closing punctuation and no line ends with an opening one; numbers and
Latin words are not cut when a break can move. reportlab's own CJK wrap knows only part of the
closing marks (not ，：；？！》”) and hangs at most one of them past the margin, so `）。` at a
line end put `。` at the head of the next line, and a hanging mark crossed a table cell's
border. Here a break that would do either moves back: the character before it goes down with
the mark, and nothing leaves the measure.
"""

from __future__ import annotations

from typing import Any

from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import ParaLines, cjkU, makeCJKParaLine
from reportlab.rl_config import _FUZZ

CANNOT_START = frozenset(
    "，。、；：？！）」』】〕〉》”’…‥·・〃々〗〙〛｝］％‰℃°"  # full-width closing marks
    "!),.:;?]}%'\""  # ASCII closing marks
    "ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"  # small kana and the prolonged sound mark
)
CANNOT_END = frozenset("（「『【〔〈《“‘〖〘〚｛［([{$￥¥#@§")
_MOVE_LIMIT = 0.5  # never move back more than half a line to keep a number or a word whole


def _glued(before: str, after: str) -> bool:
    """True when a break between the two characters would cut a number or a Latin word."""
    return before.isascii() and after.isascii() and before.isalnum() and after.isalnum()


def break_point(chars: list[str], start: int, brk: int) -> int:
    """Where to break a line that would run from `start` to before `brk` (`chars[brk]` overflows).

    Moves back past closing marks at the next line's head, opening marks at this line's end and
    the inside of numbers and words (at most half a line for those); never empties the line.
    """

    def bad(k: int) -> bool:
        return chars[k] in CANNOT_START or chars[k - 1] in CANNOT_END

    limit = max(start + 1, brk - int((brk - start) * _MOVE_LIMIT))
    for k in range(brk, limit - 1, -1):
        if not bad(k) and not _glued(chars[k - 1], chars[k]):
            return k
    for k in range(brk, start, -1):
        if not bad(k):
            return k
    return brk


def _width(u: Any, max_width: float) -> float:
    w = u.width
    if hasattr(w, "normalizedValue"):
        w._normalizer = max_width
        w = w.normalizedValue(max_width)
    return float(w)


def kinsoku_split(frags: list[Any], max_widths: list[float], calc_bounds: bool) -> Any:
    """The `cjkFragSplit` of reportlab, with the line-breaking rules above."""
    units: list[Any] = []
    for f in frags:
        text = f.text.decode("utf8") if isinstance(f.text, bytes) else f.text
        units.extend(cjkU(t, f, "utf8") for t in text) if text else units.append(cjkU(text, f, "utf8"))
    lines: list[Any] = []
    start = i = 0
    used = 0.0
    max_width = max_widths[0]

    def emit(end: int, line_break: bool) -> None:
        nonlocal start, used, max_width
        width = sum(_width(u, max_width) for u in units[start:end])
        lines.append(makeCJKParaLine(units[start:end], max_width, width, max_width - width, line_break, calc_bounds))
        max_width = max_widths[min(len(lines), len(max_widths) - 1)]
        start, used = end, 0.0

    while i < len(units):
        u = units[i]
        if hasattr(u.frag, "lineBreak"):
            emit(i + 1, True)
            i += 1
            continue
        w = _width(u, max_width)
        if used + w > max_width + _FUZZ and i > start:
            brk = break_point([str(x) for x in units], start, i)
            emit(brk, False)
            i = brk
            continue
        used += w
        i += 1
    if used > 0 or start < len(units):
        width = sum(_width(u, max_width) for u in units[start:])
        lines.append(makeCJKParaLine(units[start:], max_width, width, max_width - width, False, calc_bounds))
    return ParaLines(kind=1, lines=lines)


class CjkParagraph(Paragraph):  # type: ignore[misc]
    """A Paragraph that breaks Chinese lines by the rules above (style `wordWrap="CJK"`)."""

    def breakLinesCJK(self, maxWidths: Any) -> Any:
        """Break the paragraph into lines of at most `maxWidths` points with `kinsoku_split`."""
        if not isinstance(maxWidths, (list, tuple)):
            maxWidths = [maxWidths]
        if hasattr(self, "blPara") and getattr(self, "_splitpara", False):
            return self.blPara
        if not self.frags:
            return super().breakLinesCJK(maxWidths)
        self.height = 0
        auto = getattr(self, "autoLeading", getattr(self.style, "autoLeading", ""))
        return kinsoku_split(self.frags, list(maxWidths), auto not in ("", "off"))
