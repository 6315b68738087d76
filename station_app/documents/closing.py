"""The closing block of a paper (notes, seal, signatures) kept with the last lines before it.

A seal alone at the top of a page seals nothing: the reader cannot tell what it closes. When
the text before it reaches the foot of a page, the last lines of that text move to the next
page with the closing block; when the text is too long for one page, it splits as usual and
only its tail travels with the seal.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.platypus import Flowable, Paragraph, Table

TAIL_LINES = 2  # lines of text that always stand on the seal's page


def _outer(f: Flowable, aw: float, ah: float) -> float:
    return float(f.wrap(aw, ah)[1] + f.getSpaceBefore() + f.getSpaceAfter())


def _tail_height(lead: Flowable, height: float) -> float:
    """The height of the last lines (a paragraph) or the last row (a table) of `lead`."""
    if isinstance(lead, Paragraph):
        return float(min(height, TAIL_LINES * lead.style.leading + lead.getSpaceAfter()))
    rows = getattr(lead, "_rowHeights", None)
    if isinstance(lead, Table) and rows:
        return float(min(height, rows[-1] + lead.getSpaceAfter()))
    return height


class KeepWithTail(Flowable):  # type: ignore[misc]
    """`lead` followed by `closing`, which never starts a page without the last lines of `lead` above it.

    Built from `lead` (a paragraph or a table, or None), the `closing` flowables and the frame's
    `page_height` in points.
    """

    def __init__(self, lead: Flowable | None, closing: Sequence[Flowable], page_height: float) -> None:
        super().__init__()
        self.lead = lead
        self.closing = list(closing)
        self.page_height = page_height
        self._lead_h = 0.0
        self._close_h = 0.0

    def _parts(self) -> list[Flowable]:
        return ([self.lead] if self.lead is not None else []) + self.closing

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        """Measure the block in `aw` x `ah` points; gives its width and height."""
        self._lead_h = _outer(self.lead, aw, ah) if self.lead is not None else 0.0
        self._close_h = sum(_outer(f, aw, ah) for f in self.closing)
        self.width, self.height = aw, self._lead_h + self._close_h
        return aw, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        """Split to fit `ah` points: the head of `lead` here, its tail with the closing block after.

        Gives [] to move everything to the next page, or the parts when the closing block alone is
        taller than a page.
        """
        self.wrap(aw, ah)
        if self.height <= ah:
            return [self]
        room = ah - self._close_h
        if self.lead is not None and room > 0:
            target = min(room, self._lead_h - _tail_height(self.lead, self._lead_h))
            parts = self.lead.split(aw, target) if target > 0 else []
            if len(parts) == 2:
                return [parts[0], KeepWithTail(parts[1], self.closing, self.page_height)]
        if ah < self.page_height - 1:
            return []  # all of it to the next page, where the split above has a whole page
        return self._parts()  # a closing block taller than a page: let it flow

    def draw(self) -> None:
        """Draw `lead` then the closing flowables, top to bottom."""
        y = self.height
        for f in self._parts():
            _, h = f.wrap(self.width, self.height)
            y -= f.getSpaceBefore() + h
            f.drawOn(self.canv, 0, y)
            y -= f.getSpaceAfter()
