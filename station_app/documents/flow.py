"""Styles and flowables shared by the papers: titles, field tables, QR code, seal area, cut line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from station_app.documents.fonts import FONT_NAME, runs, text_width
from station_app.documents.wrap import CjkParagraph

BODY_SIZE = 11.0
GRID = colors.Color(0.25, 0.25, 0.25)
FAINT = colors.Color(0.55, 0.55, 0.55)
LABEL_BG = colors.Color(0.94, 0.94, 0.94)


def style(name: str, size: float = BODY_SIZE, **kw: Any) -> ParagraphStyle:
    """A paragraph style in the paper font at `size` points (leading 1.5x, CJK wrapping); `kw` overrides."""
    base: dict[str, Any] = {
        "fontName": FONT_NAME,
        "bulletFontName": FONT_NAME,
        "fontSize": size,
        "leading": round(size * 1.5, 1),
        "wordWrap": "CJK",
        "alignment": TA_LEFT,
    }
    base.update(kw)
    return ParagraphStyle(name, **base)


STYLES: dict[str, ParagraphStyle] = {
    "body": style("body", firstLineIndent=2 * BODY_SIZE, spaceAfter=2),
    "plain": style("plain", spaceAfter=2),
    "addressee": style("addressee", spaceBefore=4, spaceAfter=4),
    "heading": style("heading", 12, spaceBefore=8, spaceAfter=3),
    "cell": style("cell", 10.5, leading=15),
    "cell_label": style("cell_label", 10, leading=14),
    "cell_center": style("cell_center", 10, leading=14, alignment=TA_CENTER),
    "cell_grid": style("cell_grid", 10, leading=14),
    "small": style("small", 9, leading=13, textColor=colors.Color(0.2, 0.2, 0.2)),
    "subtitle": style("subtitle", 11, alignment=TA_CENTER, spaceAfter=8),
    "right": style("right", alignment=TA_RIGHT),
    "bullet": style("bullet", leftIndent=2 * BODY_SIZE, firstLineIndent=-1 * BODY_SIZE, spaceAfter=2),
}


_CJK = "[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’\U00020000-\U0003134f]"
_HAS_CJK = re.compile(_CJK)
_PUNCT = (
    (re.compile(rf"\(([^()]*{_CJK}[^()]*)\)"), "（\\1）"),  # a bracketed Chinese aside
    (re.compile(r"(?<!\d),\s*|,\s*(?!\d{3}(?!\d))"), "，"),  # all but a thousands separator
    (re.compile(r";\s*"), "；"),
    (re.compile(r"(?<!\d):(?!//)\s*|(?<=\d):(?!\d)\s*"), "："),  # times such as 9:30 keep theirs
    (re.compile(rf"(?<={_CJK})\?"), "？"),
    (re.compile(rf"(?<={_CJK})!"), "！"),
    (re.compile(rf"(?<={_CJK})\.(?=\s|$|{_CJK})"), "。"),
    (re.compile(rf"(?<={_CJK})\(|\((?={_CJK})"), "（"),
    (re.compile(rf"(?<={_CJK})\)|\)(?={_CJK})"), "）"),
)


def cjk_punct(text: str) -> str:
    """`text` with ASCII , ; : ( ) ? ! . made full-width when it is Chinese, as printed Chinese expects.

    Thousands separators (12,000.00), times (9:30) and text without Chinese keep theirs.
    """
    if not _HAS_CJK.search(text):
        return text
    for pattern, repl in _PUNCT:
        text = pattern.sub(repl, text)
    return text


def esc(text: str) -> str:
    """User text as Paragraph markup, printable as typed.

    Escaped, with full-width punctuation, line breaks and runs of spaces kept; characters only
    the fallback font has are set in it.

    Raises:
        UnprintableText: a character no font has.
    """
    out = []
    for font, chunk in runs(cjk_punct(text)):
        chunk = escape(chunk).replace("  ", "\u3000").replace("\n", "<br/>")
        out.append(chunk if font == FONT_NAME else f'<font name="{font}">{chunk}</font>')
    return "".join(out)


def para(text: str, key: str = "body") -> CjkParagraph:
    """A paragraph of `text` in the style `key`, broken by the Chinese line-breaking rules."""
    return CjkParagraph(esc(text), STYLES[key])


def draw_text(canv: Any, x: float, y: float, text: str, size: float, anchor: str = "left") -> None:
    """Draw one line on a canvas at `size` points, rare characters in the fallback font.

    `anchor` is left, right or centre. Chinese text gets full-width punctuation, as in `esc`.
    """
    text = cjk_punct(text)
    width = text_width(text, size)
    x -= width if anchor == "right" else width / 2 if anchor == "centre" else 0
    t = canv.beginText(x, y)
    for font, chunk in runs(text):
        t.setFont(font, size)
        t.textOut(chunk)
    canv.drawText(t)


class TitleLine(Flowable):  # type: ignore[misc]
    """A centred title in a heavier stroke (the font has no bold face); shrinks to fit.

    Built from the `text`, its `size` in points (shrunk down to 12 to fit the width) and the
    space after it in points.
    """

    def __init__(self, text: str, size: float = 20.0, space_after: float = 6.0) -> None:
        super().__init__()
        self.text = cjk_punct(text)
        self.size = size
        self.spaceAfter = space_after

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        """Shrink the title until it fits `aw` points; gives its width and height."""
        while self.size > 12 and text_width(self.text, self.size) > aw:
            self.size -= 1
        self.width = aw
        return aw, self.size * 1.5

    def draw(self) -> None:
        """Draw the title centred, stroked to look bold."""
        c = self.canv
        c.saveState()
        c.setLineWidth(self.size * 0.025)
        t = c.beginText()
        t.setTextRenderMode(2)
        w = text_width(self.text, self.size)
        t.setTextOrigin((self.width - w) / 2, self.size * 0.35)
        for font, chunk in runs(self.text):
            t.setFont(font, self.size)
            t.textOut(chunk)
        c.drawText(t)
        c.restoreState()


QR_MODULE = 0.56 * mm  # 3.3 pixels at 150 dpi; read at 120 dpi, most codes at 110 dpi
QR_QUIET = 2  # modules of white drawn around the code; the page around it is white too


class QrCode(Flowable):  # type: ignore[misc]
    """A QR code drawn as vector squares (crisp on any printer), with a caption under it.

    Built from the `payload` text and the `caption`. Error correction L and a fixed module size:
    the code grows with its payload instead of shrinking its modules below what a 150 dpi scan
    resolves.
    """

    def __init__(self, payload: str, caption: str = "扫码核验") -> None:
        super().__init__()
        self.payload = payload
        self.caption = caption
        qr = segno.make(payload, error="l", micro=False)
        self.matrix: list[bytearray] = [bytearray(row) for row in qr.matrix]
        self.size = (len(self.matrix) + 2 * QR_QUIET) * QR_MODULE

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        """The code's width (with room for the caption) and height, in points."""
        return self.size + 12, self.size

    def draw(self) -> None:
        """The code, its caption standing upright beside its lower right corner."""
        draw_qr(self.canv, self.matrix, 0, 0, self.size)
        self.canv.setFillColor(colors.black)
        for k, ch in enumerate(reversed(self.caption)):
            draw_text(self.canv, self.size + 6, 2 + k * 9, ch, 8, "centre")


def draw_qr(canv: Any, matrix: list[bytearray], x: float, y: float, size: float) -> None:
    """Draw `matrix` with its quiet zone into the square of side `size` at (x, y)."""
    n = len(matrix) + 2 * QR_QUIET
    cell = size / n
    path = canv.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                # rows overlap a little: no anti-aliased seam between them for a scanner to trip on
                top = y + size - (r + QR_QUIET + 1) * cell
                path.rect(x + (start + QR_QUIET) * cell, top - cell * 0.02, (c - start) * cell, cell * 1.02)
            else:
                c += 1
    canv.saveState()
    canv.setFillColor(colors.black)
    canv.drawPath(path, stroke=0, fill=1)
    canv.restoreState()


class SealArea(Flowable):  # type: ignore[misc]
    """QR code at the left; issuer and date at the right under a dashed circle for the seal.

    Built from the QR `payload`, the issuer's name, the printed date and the note in the circle.
    """

    def __init__(self, payload: str, issuer: str, date_text: str, note: str = "(盖章)") -> None:
        super().__init__()
        self.qr = QrCode(payload)
        self.issuer = cjk_punct(issuer)
        self.date_text = date_text
        self.note = cjk_punct(note)

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        """Take the full width `aw`; the height fits the QR code and the seal circle (at least 33 mm)."""
        self.width = aw
        self.height = max(self.qr.size + 1 * mm, 33 * mm)
        return aw, self.height

    def draw(self) -> None:
        """Draw the QR code, then the issuer and date under the seal circle, shrunk to fit."""
        c = self.canv
        self.qr.canv = c
        self.qr.drawOn(c, 0, 1 * mm)
        size = 12.0
        room = self.width - self.qr.size - 12 * mm
        for text in (self.issuer, self.date_text):
            while size > 8 and text_width(text, size) > room:
                size -= 0.5
        right = self.width - 4 * mm
        cx = right - max(text_width(self.issuer, size), 34 * mm) / 2
        c.saveState()
        c.setStrokeColor(FAINT)
        c.setLineWidth(0.6)
        c.setDash(3, 2)
        c.circle(cx, 17 * mm, 15.5 * mm, stroke=1, fill=0)
        c.setDash()
        c.setFillColor(FAINT)
        draw_text(c, cx, 28 * mm, self.note, 9, "centre")
        c.setFillColor(colors.black)
        draw_text(c, right, 18 * mm, self.issuer, size, "right")
        draw_text(c, right, 11 * mm, self.date_text, size, "right")
        c.restoreState()


class CutLine(Flowable):  # type: ignore[misc]
    """A dashed line across the page with a note: where the return stub is torn off.

    Built from the note printed in the gap of the line.
    """

    def __init__(self, note: str) -> None:
        super().__init__()
        self.note = cjk_punct(note)

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        """Take the full width `aw` and 16 points of height."""
        self.width = aw
        return aw, 16

    def draw(self) -> None:
        """Draw the dashed line with the note centred in its gap."""
        c = self.canv
        c.saveState()
        w = text_width(self.note, 9) + 12
        c.setDash(4, 3)
        c.setLineWidth(0.7)
        c.line(0, 8, (self.width - w) / 2, 8)
        c.line((self.width + w) / 2, 8, self.width, 8)
        c.setDash()
        draw_text(c, self.width / 2, 5, self.note, 9, "centre")
        c.restoreState()


class BottomBlock(Flowable):  # type: ignore[misc]
    """Flowables kept together and pushed to the bottom of the page (a tear-off stub).

    Built from the `content` flowables.
    """

    def __init__(self, content: Sequence[Flowable]) -> None:
        super().__init__()
        self.content = list(content)
        self._sizes: list[tuple[float, float]] = []
        self._inner = 0.0

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        """Measure the content; the block takes the rest of the frame (`ah`) when the content fits in it."""
        self._sizes = [f.wrap(aw, ah) for f in self.content]
        self._inner = sum(h + f.getSpaceBefore() + f.getSpaceAfter() for f, (_, h) in zip(self.content, self._sizes))
        self.width = aw
        self.height = max(self._inner, ah - 1) if self._inner <= ah else self._inner
        return aw, self.height

    def draw(self) -> None:
        """Draw the content at the bottom of the block."""
        y = self._inner
        for f, (_, h) in zip(self.content, self._sizes):
            y -= f.getSpaceBefore() + h
            f.drawOn(self.canv, 0, y)
            y -= f.getSpaceAfter()


_CELL_PAD = 12.0  # left + right padding of a value cell
_LABEL_PAD = 6.0  # of a label cell


def _fits(text: str, width: float, key: str = "cell") -> bool:
    pad = _LABEL_PAD if key == "cell_label" else _CELL_PAD
    return "\n" not in text and text_width(cjk_punct(text), STYLES[key].fontSize) <= width - pad


def field_table(
    rows: Sequence[tuple[str, str]], width: float, label_width: float = 32 * mm, pairs: bool = False
) -> Table:
    """Label/value rows as a table `width` points wide, labels `label_width` wide.

    With `pairs`, two short fields share a row (four columns) and a long value spans the row.
    Values wrap, and a tall row may split across pages.
    """

    def p(text: str, key: str = "cell") -> Paragraph:
        return para(text, key)

    spans: list[int] = []
    if pairs:
        value_w = (width - 2 * label_width) / 2
        widths = [label_width, value_w, label_width, value_w]
        data: list[list[Any]] = []
        pending: tuple[str, str] | None = None

        def flush() -> None:
            nonlocal pending
            if pending is not None:
                spans.append(len(data))
                data.append([p(pending[0], "cell_label"), p(pending[1]), "", ""])
                pending = None

        for k, v in rows:
            if _fits(v, value_w) and _fits(k, label_width, "cell_label"):
                if pending is None:
                    pending = (k, v)
                else:
                    data.append([p(pending[0], "cell_label"), p(pending[1]), p(k, "cell_label"), p(v)])
                    pending = None
            else:
                flush()
                spans.append(len(data))
                data.append([p(k, "cell_label"), p(v), "", ""])
        flush()
    else:
        widths = [label_width, width - label_width]
        data = [[p(k, "cell_label"), p(v)] for k, v in rows]
    t = Table(data, colWidths=widths, splitInRow=1, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (0, -1), LABEL_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    label_cols = (0, 2) if pairs else (0,)
    for col in label_cols:
        commands += [("LEFTPADDING", (col, 0), (col, -1), 3), ("RIGHTPADDING", (col, 0), (col, -1), 3)]
    if pairs:
        commands.append(("BACKGROUND", (2, 0), (2, -1), LABEL_BG))
        for row in spans:
            commands += [("SPAN", (1, row), (3, row)), ("BACKGROUND", (2, row), (2, row), colors.white)]
    t.setStyle(TableStyle(commands))
    t.spaceBefore = 3
    t.spaceAfter = 5
    return t


def grid_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], left: Sequence[int] = ()
) -> Table:
    """A table with a header row repeated on each page; columns in `left` are left-aligned."""
    data = [[para(h, "cell_center") for h in header]]
    data += [[para(v, "cell_grid" if i in left else "cell_center") for i, v in enumerate(row)] for row in rows]
    t = Table(data, colWidths=list(widths), repeatRows=1, splitInRow=1, hAlign="CENTER")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    t.spaceBefore = 4
    t.spaceAfter = 6
    return t
