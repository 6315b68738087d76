"""The live routing panel beside the desk form: track, lead, co-departments, reasons, deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

from station_app.domain.routing import RoutingDecision
from station_app.services.desk_service import DeadlineHint
from ui import theme
from ui.i18n import TR
from ui.widgets import heading, muted


def _label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class RoutingPanel(QFrame):
    """Shows a RoutingDecision, or what is still missing to make one."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("panel")
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 14, 16, 14)
        column.addWidget(heading(TR.routing_title, 2))
        self.track = QLabel()
        self.track.setObjectName("big")
        self.track.setWordWrap(True)
        column.addWidget(self.track)
        self.lead = _label()
        self.co = _label()
        self.reasons = _label()
        self.deadlines = _label()
        self.status = muted(TR.routing_waiting)
        for widget in (self.lead, self.co, self.reasons, self.deadlines, self.status):
            column.addWidget(widget)
        column.addStretch(1)
        self.decision: RoutingDecision | None = None
        self.show_waiting()

    def show_waiting(self, missing: Sequence[str] = ()) -> None:
        self.decision = None
        self.track.setText("—")
        self.track.setStyleSheet("")
        for widget in (self.lead, self.co, self.reasons, self.deadlines):
            widget.hide()
        text = TR.routing_needs.format(fields=";".join(dict.fromkeys(missing))) if missing else TR.routing_waiting
        self.status.setText(text)
        self.status.show()

    def show_decision(self, decision: RoutingDecision, hints: Sequence[DeadlineHint]) -> None:
        self.decision = decision
        self.track.setText(decision.track.label)
        self.track.setStyleSheet(f"color: {theme.TRACK_COLORS.get(decision.track.value, '#1b2a3a')};")
        lead = decision.lead.full_name if decision.lead else TR.none
        co = "、".join(d.full_name for d in decision.co) or TR.none
        self.lead.setText(f"<b>{TR.routing_lead}</b>:{escape(lead)}")
        self.co.setText(f"<b>{TR.routing_co}</b>:{escape(co)}")
        items = "".join(f"<li>{escape(r)}</li>" for r in decision.reasons)
        self.reasons.setText(f"<b>{TR.routing_reasons}</b><ul style='margin-left:-20px'>{items}</ul>")
        rows = [
            TR.routing_deadline_row.format(
                label=h.label,
                date=h.due_date,
                days=h.working_days,
                estimated=TR.routing_estimated if h.estimated else "",
            )
            for h in hints
        ]
        self.deadlines.setText(f"<b>{TR.routing_deadlines}</b><br>" + "<br>".join(escape(r) for r in rows))
        for widget in (self.lead, self.co, self.reasons):
            widget.show()
        self.deadlines.setVisible(bool(hints))
        self.status.hide()

    def text(self) -> str:
        """Everything the panel shows, as plain text (tests and screen readers)."""
        parts = [self.track.text()]
        if self.decision is not None:
            parts += [self.lead.text(), self.co.text(), self.reasons.text(), self.deadlines.text()]
        else:
            parts.append(self.status.text())
        return "\n".join(parts)
