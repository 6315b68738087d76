"""The page every paper shares, and `Story`, the API the paper modules write their content through.

The page: A4 portrait, number top right, "第 N 页 共 M 页", seal area, QR. Every piece of
text a paper prints goes through `Story`, which keeps it for the digest that the QR code
signs: one digest per section (a section ends at its seal area), and one digest of the whole
paper for the `paper_printed` event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

from station_app.documents.closing import KeepWithTail
from station_app.documents.flow import (
    BottomBlock,
    CutLine,
    QrCode,
    SealArea,
    TitleLine,
    draw_text,
    field_table,
    grid_table,
    para,
)
from station_app.documents.fmt import cn_date
from station_app.documents.fonts import FONT_NAME, printable, register_fonts
from station_app.documents.payload import PaperKind, QrFields, digest, format_paper_no, make_payload
from station_app.domain.enums import DEPARTMENT_SHORT, Department

PAGE_W, PAGE_H = A4
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 25 * mm, 25 * mm, 28 * mm, 20 * mm
TEXT_W = PAGE_W - MARGIN_L - MARGIN_R


@dataclass(frozen=True)
class StationInfo:
    """The station as papers print it: its 12-digit code, name, town, phone and address."""

    code: str
    name: str
    town: str
    phone: str
    address: str


@dataclass(frozen=True)
class PaperContext:
    """Everything a paper needs besides its case: number, issue time, station, settings, signer."""

    kind: PaperKind
    year: int
    seq: int
    issued_at: datetime
    reprint: int
    station: StationInfo
    handler: str
    settings: Mapping[str, Any]
    sign: Callable[[bytes], bytes]
    case_no: str = ""
    deadline: date | None = None
    deadline_estimated: bool = False
    options: Mapping[str, str] = field(default_factory=dict)
    draft: bool = False  # a screen preview: marked 样稿, nothing recorded
    recipient: str = ""  # internal papers: the receiving department code, or `station` (五(三))
    recipient_line: str = ""  # printed above each seal: the receiver and the approval it rests on
    accounts: Mapping[str, str] = field(default_factory=dict)  # this store's accounts: name -> display name

    @property
    def paper_no(self) -> str:
        """The paper's number as printed, e.g. `漠西调受〔2025〕12号`."""
        return format_paper_no(self.station.code, self.kind, self.year, self.seq)

    @property
    def citizen(self) -> bool:
        """Whether the paper goes to a citizen (identifiers masked, no recipient line)."""
        return self.kind.citizen_facing

    @property
    def issued_text(self) -> str:
        """The issue day in the paper's date style (2025年11月3日)."""
        return cn_date(self.issued_at)


@dataclass(frozen=True)
class Built:
    """A rendered paper: the PDF bytes, its page count, the QR payloads, and digests.

    `digest` covers the whole paper's text (for the `paper_printed` event); `sections` holds one
    digest per section.
    """

    pdf: bytes
    pages: int
    payloads: tuple[str, ...]
    digest: str
    sections: tuple[str, ...] = ()


class Story:
    """The content of one paper, written top to bottom.

    Built from the paper's `PaperContext`; registers the fonts on first use.
    """

    def __init__(self, ctx: PaperContext) -> None:
        register_fonts()
        self.ctx = ctx
        self.flow: list[Flowable] = []
        self._texts: list[str] = []
        self.payloads: list[str] = []
        self.digests: list[str] = []
        self._recipient_noted = False

    def _keep(self, *texts: str) -> None:
        for text in texts:
            printable(text)  # refused here, naming the character, before anything is laid out
        self._texts.extend(texts)

    # -- content -------------------------------------------------------------------------
    def title(self, text: str, subtitle: str | None = None) -> None:
        """The paper's centred title, with an optional subtitle under it."""
        self._keep(text)
        self.flow.append(TitleLine(text))
        if subtitle:
            self._keep(subtitle)
            self.flow.append(para(subtitle, "subtitle"))
        else:
            self.flow.append(Spacer(1, 6))

    def addressee(self, text: str) -> None:
        """The addressee line (`某某:`), flush left."""
        self._keep(text)
        self.flow.append(para(text, "addressee"))

    def para(self, text: str, kind: str = "body") -> None:
        """Prose; each line of `text` is its own paragraph so long text splits across pages."""
        self._keep(text)
        for line in text.split("\n") or [""]:
            if line.strip():
                self.flow.append(para(line.strip(), kind))

    def heading(self, text: str) -> None:
        """A section heading; it starts a new page when less than 30 mm is left on this one."""
        self._keep(text)
        self.flow.append(CondPageBreak(30 * mm))
        self.flow.append(para(text, "heading"))

    def long_text(self, heading: str, text: str, empty: str = "(无)") -> None:
        """A heading and a free text under it; `empty` when the text is blank."""
        self.heading(heading)
        self.para(text.strip() or empty)

    def bullets(self, items: Sequence[str], numbered: bool = True) -> None:
        """One paragraph per item, numbered `1.` or, without `numbered`, bulleted `·`."""
        for n, item in enumerate(items, 1):
            text = f"{n}. {item}" if numbered else f"· {item}"
            self._keep(text)
            self.flow.append(para(text, "bullet"))

    def fields(self, rows: Sequence[tuple[str, str]], label_width: float | None = None, pairs: bool = True) -> None:
        """A label/value table; short fields share rows in pairs unless `pairs` is False."""
        for k, v in rows:
            self._keep(k, v)
        width = label_width or (31 * mm if pairs else 32 * mm)
        self.flow.append(field_table(rows, TEXT_W, width, pairs))

    def grid(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths_mm: Sequence[float],
        left: Sequence[int] = (),
        heading: str | None = None,
    ) -> None:
        """A table with a repeated header row; a short one is kept on one page with its heading."""
        self._keep(*header)
        for row in rows:
            self._keep(*row)
        scale = TEXT_W / (sum(widths_mm) * mm)
        table = grid_table(header, rows, [w * mm * scale for w in widths_mm], left)
        if heading is None:
            self.flow.append(table)
            return
        self._keep(heading)
        title = para(heading, "heading")
        self.flow.append(KeepTogether([title, table]) if len(rows) <= 15 else title)
        if len(rows) > 15:
            self.flow.append(table)

    def space(self, height_mm: float) -> None:
        """Vertical space of `height_mm` millimetres."""
        self.flow.append(Spacer(1, height_mm * mm))

    def page_break(self) -> None:
        """Start a new page."""
        self.flow.append(PageBreak())

    def add(self, flowable: Flowable) -> None:
        """A flowable made by the paper module itself (its text must go through `keep`)."""
        self.flow.append(flowable)

    def keep(self, *texts: str) -> None:
        """Count `texts` in the paper's digest without laying anything out: the text of a flowable given to `add`.

        Raises:
            UnprintableText: a character no font can draw, before anything is laid out.
        """
        self._keep(*texts)

    def recipient_note(self, suffix: str = "") -> None:
        """The receiver line of an internal paper (五(三)), once per section.

        `seal` adds it when the paper module did not place it itself. Nothing on citizen papers.
        """
        if self.ctx.recipient_line and not self._recipient_noted:
            self.para(self.ctx.recipient_line + suffix, "small")
            self._recipient_noted = True

    # -- signature and QR -----------------------------------------------------------------
    def payload(self, addressee: str, deadline: date | None) -> str:
        """Close the current section: digest of its text, signed payload for its QR code."""
        section_digest = digest(self._texts)
        self._texts = []
        fields = QrFields(
            station_code=self.ctx.station.code,
            kind=self.ctx.kind,
            year=self.ctx.year,
            seq=self.ctx.seq,
            reprint=self.ctx.reprint,
            case_no=self.ctx.case_no,
            issued=self.ctx.issued_at.date(),
            addressee=addressee,
            deadline=deadline,
            digest=section_digest,
        )
        text = make_payload(fields, self.ctx.sign)
        self.digests.append(section_digest)
        self.payloads.append(text)
        return text

    def seal(
        self, addressee: str, deadline: date | None = None, issuer: str | None = None, date_text: str | None = None
    ) -> None:
        """The signature and seal area with the section's QR code (kept on one page)."""
        issuer = issuer or self.ctx.station.name
        date_text = date_text or self.ctx.issued_text
        self.recipient_note()
        self._recipient_noted = False
        self._keep(issuer, date_text)
        payload = self.payload(addressee, deadline)
        closing: list[Flowable] = [SealArea(payload, issuer, date_text)]
        while len(closing) < 3 and self.flow and _is_note(self.flow[-1]):
            closing.insert(0, self.flow.pop())
        lead = self.flow.pop() if self.flow and isinstance(self.flow[-1], (Paragraph, Table)) else None
        self.flow.append(KeepWithTail(lead, closing, PAGE_H - MARGIN_T - MARGIN_B))

    def stub(
        self,
        title: str,
        rows: Sequence[tuple[str, str]],
        lines: Sequence[str],
        addressee: str,
        deadline: date | None,
        cut_note: str,
    ) -> None:
        """A tear-off return stub at the bottom of the page, with its own QR code."""
        self._keep(title, cut_note, *lines)
        for k, v in rows:
            self._keep(k, v)
        payload = self.payload(addressee, deadline)
        parts: list[Flowable] = [CutLine(cut_note), Spacer(1, 2), TitleLine(title, 14, 0)]
        qr = QrCode(payload, "回执联核验")
        left = TEXT_W - qr.size - 16 * mm
        table = field_table(rows, left, 22 * mm, pairs=True)
        parts.append(
            Table(
                [[table, qr]],
                colWidths=[left, qr.size + 16 * mm],
                style=[
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
                ],
            )
        )
        parts += [para(line, "plain") for line in lines]
        self.flow.append(BottomBlock(parts))

    # -- output ---------------------------------------------------------------------------
    def render(self) -> Built:
        """Lay out the story on A4 pages and return the PDF with its page count, payloads and digests.

        Every page carries the paper number, "第 N 页 共 M 页" and, for a draft, the 样稿 mark.
        """
        buf = BytesIO()
        ctx = self.ctx
        pages: list[int] = []
        doc = BaseDocTemplate(
            buf,
            pagesize=A4,
            leftMargin=MARGIN_L,
            rightMargin=MARGIN_R,
            topMargin=MARGIN_T,
            bottomMargin=MARGIN_B,
            title=f"{ctx.kind.label} {ctx.paper_no}",
            author=ctx.station.name,
            subject=ctx.kind.label,
            creator="station-app",
            pageCompression=1,
            initialFontName=FONT_NAME,  # no unembedded Helvetica in the PDF
        )
        frame = Frame(
            MARGIN_L,
            MARGIN_B,
            TEXT_W,
            PAGE_H - MARGIN_T - MARGIN_B,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        doc.addPageTemplates([PageTemplate(id="paper", frames=[frame], onPage=lambda c, d: _header(c, ctx))])
        doc.build(self.flow, canvasmaker=_numbered_canvas(ctx, pages))
        digests = self.digests + ([digest(self._texts)] if self._texts else [])
        return Built(buf.getvalue(), pages[0] if pages else 0, tuple(self.payloads), digest(digests), tuple(digests))


def _is_note(f: Flowable) -> bool:
    """A small-print note (the receiver line, a notice) that belongs to the closing block."""
    return isinstance(f, Paragraph) and f.style.name == "small"


def _header(canv: Canvas, ctx: PaperContext) -> None:
    canv.saveState()
    top = PAGE_H - 14 * mm
    draw_text(canv, PAGE_W - MARGIN_R, top, ctx.paper_no, 10.5, "right")
    mark = f"补打(第{ctx.reprint}次)" if ctx.reprint else ""
    if ctx.draft:
        mark = "样稿 · 未登记,不作正式文书" + (f" · {mark}" if mark else "")
    if ctx.recipient:
        to = "本站留存 · 不得对外提供" if ctx.recipient == "station" else f"送:{_short(ctx.recipient)}"
        mark = f"{to} · {mark}" if mark else to
    if mark:
        draw_text(canv, PAGE_W - MARGIN_R, top - 5.5 * mm, mark, 10, "right")
    canv.setFillGray(0.35)
    draw_text(canv, MARGIN_L, top, f"{ctx.station.name} · 社会保险费征缴争议联合处置", 9)
    canv.setLineWidth(0.4)
    canv.setStrokeGray(0.5)
    canv.line(MARGIN_L, top - 8 * mm, PAGE_W - MARGIN_R, top - 8 * mm)
    canv.restoreState()


def _short(code: str) -> str:
    try:
        return DEPARTMENT_SHORT[Department(code)]
    except ValueError:
        return code


def _numbered_canvas(ctx: PaperContext, pages: list[int]) -> type[Canvas]:
    """A canvas that holds its pages until the end, then writes 第 N 页 共 M 页 on each."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            pages.append(total)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            self.saveState()
            draw_text(self, PAGE_W / 2, 11 * mm, f"第 {self._pageNumber} 页 共 {total} 页", 9.5, "centre")
            if ctx.case_no:
                self.setFillGray(0.35)
                draw_text(self, MARGIN_L, 11 * mm, f"案件编号 {ctx.case_no}", 8)
                draw_text(self, PAGE_W - MARGIN_R, 11 * mm, ctx.paper_no, 8, "right")
            self.restoreState()

    return NumberedCanvas
