"""The case's intake at a glance; ID and phone masked until revealed (each reveal recorded)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from station_app.domain.enums import (
    CHANNEL_LABELS,
    FLAG_LABELS,
    INSURANCE_LABELS,
    OBJECTION_LABELS,
    TOWNS,
    Channel,
    Flag,
    InsuranceType,
    ObjectionRoute,
)
from station_app.domain.masking import mask_id, mask_phone
from station_app.dto.case import CaseDetail
from station_app.services.case_service import SATISFACTION
from station_app.services.session import Session
from ui.errors import show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.widgets import heading


def _value(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _Revealable(QWidget):
    """A masked identifier with a button that shows it in full (through the service)."""

    def __init__(self, owner: CaseSummaryWidget, field: str) -> None:
        super().__init__()
        self.owner, self.field = owner, field
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = _value()
        self.button = QPushButton(TR.detail_reveal)
        self.button.clicked.connect(self._on_button_clicked)
        row.addWidget(self.label)
        row.addWidget(self.button)
        row.addStretch(1)

    def show_masked(self, masked: str) -> None:
        self.label.setText(masked)
        self.button.setVisible(bool(masked))

    @property
    def busy(self) -> bool:
        """Whether the reveal is on its way (the button is disabled until it lands)."""
        return not self.button.isEnabled()

    def _on_button_clicked(self) -> None:
        from station_app.services.case_service import reveal

        session, case_no, field = self.owner.session, self.owner.case_no, self.field
        masked_at = self.owner.masked_count
        self.button.setEnabled(False)
        self.owner.runner.run(
            lambda: reveal(session, case_no, field),
            lambda value: self._on_reveal_done(case_no, masked_at, str(value)),
            self._on_reveal_failed,
            write=True,
        )

    def _on_reveal_done(self, case_no: str, masked_at: int, value: str) -> None:
        self.button.setEnabled(True)
        if case_no != self.owner.case_no or masked_at != self.owner.masked_count:
            return  # another case is on screen by now, or the screen was locked meanwhile
        self.label.setText(value)
        self.button.hide()

    def _on_reveal_failed(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        show_error(self, exc)


class CaseSummaryWidget(QWidget):
    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__()
        self.session, self.runner = session, runner
        self.case_no = ""
        self.masked_count = 0
        self._masked: dict[str, str] = {}
        self.form = QFormLayout(self)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.addRow(heading(TR.detail_summary, 2))
        self.values: dict[str, QLabel] = {}
        rows = (
            ("received", TR.detail_received),
            ("channel", TR.detail_channel),
            ("town", TR.intake_town),
            ("applicant", TR.intake_applicant),
        )
        for key, label in rows:
            self.values[key] = _value()
            self.form.addRow(label, self.values[key])
        self.id_number = _Revealable(self, "applicant_id")
        self.form.addRow(TR.intake_id_number, self.id_number)
        self.phone = _Revealable(self, "applicant_phone")
        self.form.addRow(TR.intake_phone, self.phone)
        more = (
            ("respondent", TR.intake_respondent),
            ("category", TR.intake_category),
            ("insurance", TR.intake_insurance),
            ("periods", TR.intake_periods),
            ("amount", TR.intake_amount),
            ("group", TR.intake_group),
            ("flags", TR.intake_flags),
            ("summary", TR.intake_summary),
            ("claim", TR.intake_claim),
            ("handler", TR.detail_handler),
            ("state", TR.detail_state),
        )
        for key, label in more:
            self.values[key] = _value()
            self.form.addRow(label, self.values[key])

    def show_case(self, detail: CaseDetail, handler_name: str = "") -> None:
        s, intake = detail.summary, detail.intake
        self.case_no = s.case_no
        applicant: dict[str, Any] = intake.get("applicant") or {}
        respondent: dict[str, Any] = intake.get("respondent") or {}
        person = applicant.get("kind") == "person"
        v = self.values
        v["received"].setText(s.received_at[:16].replace("T", " "))
        v["channel"].setText(CHANNEL_LABELS.get(Channel(intake["channel"]), "") if intake.get("channel") else "")
        v["town"].setText(TOWNS.get(s.town_code, s.town_code))
        name = applicant.get("name", "")
        if not person:
            name = f"{name}({TR.intake_employer},{applicant.get('uscc', '')}){applicant.get('contact') or ''}"
        v["applicant"].setText(name)
        self._masked = {"id": mask_id(s.applicant_id), "phone": mask_phone(s.applicant_phone)}
        self.mask_again()
        v["respondent"].setText(" ".join(x for x in (respondent.get("name"), respondent.get("uscc")) if x))
        v["category"].setText(f"{int(s.category)} {s.category.label}")
        types = intake.get("insurance_types") or []
        v["insurance"].setText("、".join(INSURANCE_LABELS[InsuranceType(t)] for t in types))
        periods = intake.get("periods") or []
        v["periods"].setText(";".join(f"{p['from']} {TR.intake_period_to} {p['to']}" for p in periods))
        v["amount"].setText(str(intake.get("amount_claimed") or ""))
        v["group"].setText(str(intake.get("group_size") or 1))
        flags = [FLAG_LABELS[Flag(k)] for k, on in (intake.get("flags") or {}).items() if on]
        v["flags"].setText("、".join(flags) or TR.none)
        v["summary"].setText(intake.get("summary") or "")
        v["claim"].setText(intake.get("claim") or "")
        v["handler"].setText(handler_name or s.handler)
        state = [TR.detail_extended] if s.extended else []
        if detail.approved:
            state.append(TR.detail_approved)
        if detail.objection_route:
            state.append(f"{TR.detail_objection}:{OBJECTION_LABELS[ObjectionRoute(detail.objection_route)]}")
        if detail.satisfaction:
            state.append(f"{TR.detail_satisfaction}:{SATISFACTION.get(detail.satisfaction, detail.satisfaction)}")
        v["state"].setText(";".join(state) or TR.none)

    def needed_width(self) -> int:
        """The width at which the widest label and a masked number with its 显示 button fit."""
        labels = [self.form.itemAt(row, QFormLayout.ItemRole.LabelRole) for row in range(self.form.rowCount())]
        label_width = max((item.sizeHint().width() for item in labels if item is not None), default=0)
        field_width = max(self.id_number.sizeHint().width(), self.phone.sizeHint().width())
        margins = self.form.contentsMargins()
        return label_width + self.form.horizontalSpacing() + field_width + margins.left() + margins.right()

    def mask_again(self) -> None:
        self.masked_count += 1  # a reveal still on its way is not shown
        self.id_number.show_masked(self._masked.get("id", ""))
        self.phone.show_masked(self._masked.get("phone", ""))
