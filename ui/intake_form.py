"""The desk form's fields, in the order a conversation goes, and the intake JSON they make.

The form only collects and shows: validation is `check_field` as the user types and
`parse_intake` (through the services) when routing or saving.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime, QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.enums import (
    CATEGORY_LABELS,
    CATEGORY_POLICY_TEXT,
    CHANNEL_LABELS,
    FLAG_LABELS,
    INSURANCE_LABELS,
    PROCEEDING_LABELS,
    TOWNS,
    Category,
)
from station_app.domain.validation import IdKind, id_birth_date, id_sex, received_at_range, valid_id_kind
from ui.fields import Cell, CheckedLine, TabbingDateTimeEdit
from ui.i18n import TR
from ui.period_editor import PeriodEditor
from ui.widgets import ErrorLabel, muted


def _grid(box: QGroupBox, cells: list[list[Cell | QWidget | None]]) -> QGridLayout:
    grid = QGridLayout(box)
    grid.setHorizontalSpacing(16)
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            if cell is not None:
                grid.addWidget(cell, r, c)
    for c in range(3):
        grid.setColumnStretch(c, 1)
    return grid


def _text_box(height: int) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setFixedHeight(height)
    return box


class IntakeForm(QWidget):
    """All fields of an intake; `changed` fires on every edit."""

    changed = Signal()
    employer_picked = Signal(str)

    def __init__(self, default_town: str = "", now: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.default_town = default_town
        self.now = now or datetime.now
        self.known_uscc: dict[str, str] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        # 受理信息
        self.channel = QComboBox()
        for channel, label in CHANNEL_LABELS.items():
            self.channel.addItem(label, channel.value)
        self.received_at = TabbingDateTimeEdit(self._now())
        self.received_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.town = QComboBox()
        for code, name in TOWNS.items():
            self.town.addItem(name, code)
        basics = QGroupBox(TR.intake_basics)
        c_channel, c_received, c_town = (
            Cell(TR.intake_channel, self.channel),
            Cell(TR.intake_received_at, self.received_at),
            Cell(TR.intake_town, self.town),
        )
        _grid(basics, [[c_channel, c_received, c_town]])
        # 申请人
        self.applicant_kind = QComboBox()
        self.applicant_kind.addItem(TR.intake_person, "person")
        self.applicant_kind.addItem(TR.intake_employer, "employer")
        self.applicant_name = QLineEdit()
        # No length cap shorter than the validator's: `232701 19800101 0012` and a USCC with
        # dashes are cut by nothing; the check says what is wrong.
        self.applicant_id = CheckedLine("id_number")
        self.applicant_uscc = CheckedLine("uscc")
        self.applicant_contact = QLineEdit()
        self.applicant_phone = CheckedLine("phone")
        self.id_facts = muted()
        applicant = QGroupBox(TR.intake_applicant)
        self.c_kind = Cell(TR.intake_kind, self.applicant_kind)
        self.c_name = Cell(TR.intake_name, self.applicant_name)
        self.c_id = Cell(TR.intake_id_number, self.applicant_id)
        self.c_uscc = Cell(TR.intake_uscc, self.applicant_uscc)
        self.c_contact = Cell(TR.intake_contact, self.applicant_contact)
        self.c_phone = Cell(TR.intake_phone + TR.required_mark, self.applicant_phone)
        grid = _grid(applicant, [[self.c_kind, self.c_name, self.c_id], [self.c_phone, self.c_uscc, self.c_contact]])
        grid.addWidget(self.id_facts, 2, 0, 1, 3)
        self.applicant_id.error, self.applicant_uscc.error = self.c_id.error, self.c_uscc.error
        self.applicant_phone.error = self.c_phone.error
        # 被申请人
        self.respondent_name = QLineEdit()
        self.respondent_uscc = CheckedLine("uscc")
        self.employer_hint = muted()
        respondent = QGroupBox(TR.intake_respondent)
        self.c_resp_name = Cell(TR.intake_respondent_name, self.respondent_name)
        self.c_resp_uscc = Cell(TR.intake_uscc, self.respondent_uscc)
        grid = _grid(respondent, [[self.c_resp_name, self.c_resp_uscc, self.employer_hint]])
        grid.setColumnStretch(0, 2)
        self.respondent_uscc.error = self.c_resp_uscc.error
        # 争议事项
        self.category = QComboBox()
        self.category.addItem(TR.intake_category_pick, None)
        for cat, label in CATEGORY_LABELS.items():
            self.category.addItem(f"{int(cat)} {label}", int(cat))
        self.category_help = muted()
        self.insurance = {t.value: QCheckBox(label) for t, label in INSURANCE_LABELS.items()}
        insurance_row = QWidget()
        ins_layout = QGridLayout(insurance_row)
        ins_layout.setContentsMargins(0, 0, 0, 0)
        for i, box in enumerate(self.insurance.values()):
            ins_layout.addWidget(box, 0, i)
        self.periods = PeriodEditor()
        self.amount = CheckedLine("amount")  # full-width digits and 12,000.00 are typed as they are
        self.group_size = QSpinBox()
        self.group_size.setRange(1, 1_000_000)
        self.flags = {f.value: QCheckBox(label) for f, label in FLAG_LABELS.items()}
        flags_box = QWidget()
        flag_grid = QGridLayout(flags_box)
        flag_grid.setContentsMargins(0, 0, 0, 0)
        for i, box in enumerate(self.flags.values()):
            flag_grid.addWidget(box, i // 3, i % 3)
        self.proceeding_kind = QComboBox()
        self.proceeding_kind.addItem(TR.intake_proceeding_none, None)
        for kind, label in PROCEEDING_LABELS.items():
            self.proceeding_kind.addItem(label, kind.value)
        self.proceeding_body = QLineEdit()
        self.proceeding_body.setMaxLength(100)
        self.proceeding_case_no = QLineEdit()
        self.proceeding_case_no.setMaxLength(64)
        self.proceeding_dismissed = QCheckBox(TR.intake_proceeding_dismissed)
        proceeding_box = QGroupBox(TR.intake_proceeding)
        self.c_proceeding_kind = Cell(TR.intake_proceeding_kind, self.proceeding_kind)
        self.c_proceeding_body = Cell(TR.intake_proceeding_body, self.proceeding_body)
        self.c_proceeding_case_no = Cell(TR.intake_proceeding_case_no, self.proceeding_case_no)
        _grid(
            proceeding_box,
            [
                [self.c_proceeding_kind, self.c_proceeding_body, self.c_proceeding_case_no],
                [self.proceeding_dismissed, None, None],
            ],
        )
        self.summary = _text_box(90)
        self.claim = _text_box(60)
        matter = QGroupBox(TR.intake_matter)
        self.c_category = Cell(TR.intake_category, self.category)
        self.c_insurance = Cell(TR.intake_insurance, insurance_row)
        self.c_periods = Cell(TR.intake_periods, self.periods)
        self.c_amount = Cell(TR.intake_amount, self.amount)
        self.amount.error = self.c_amount.error
        self.c_group = Cell(TR.intake_group, self.group_size)
        self.c_flags = Cell(TR.intake_flags, flags_box)
        self.c_summary = Cell(TR.intake_summary + TR.required_mark, self.summary)
        self.c_claim = Cell(TR.intake_claim, self.claim)
        grid = QGridLayout(matter)
        grid.addWidget(self.c_category, 0, 0, 1, 2)
        grid.addWidget(self.category_help, 1, 0, 1, 3)
        grid.addWidget(self.c_insurance, 2, 0, 1, 3)
        grid.addWidget(self.c_periods, 3, 0, 1, 3)
        grid.addWidget(self.c_amount, 4, 0)
        grid.addWidget(self.c_group, 4, 1)
        grid.addWidget(self.c_flags, 5, 0, 1, 3)
        grid.addWidget(proceeding_box, 6, 0, 1, 3)
        grid.addWidget(self.c_summary, 7, 0, 1, 3)
        grid.addWidget(self.c_claim, 8, 0, 1, 3)
        for c in range(3):
            grid.setColumnStretch(c, 1)
        for group in (basics, applicant, respondent, matter):
            column.addWidget(group)
        column.addStretch(1)
        self.general_error = ErrorLabel()
        column.addWidget(self.general_error)
        self._employer_names = QStringListModel(self)
        self._completer = QCompleter(self._employer_names, self)
        self._completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.activated.connect(self._on_completer_activated)
        self.respondent_name.setCompleter(self._completer)
        self.errors: dict[str, ErrorLabel] = {
            "channel": c_channel.error,
            "received_at": c_received.error,
            "town_code": c_town.error,
            "applicant": self.c_name.error,
            "applicant.kind": self.c_kind.error,
            "applicant.name": self.c_name.error,
            "applicant.id_number": self.c_id.error,
            "applicant.uscc": self.c_uscc.error,
            "applicant.contact": self.c_contact.error,
            "applicant.phone": self.c_phone.error,
            "respondent": self.c_resp_name.error,
            "respondent.name": self.c_resp_name.error,
            "respondent.uscc": self.c_resp_uscc.error,
            "category": self.c_category.error,
            "insurance_types": self.c_insurance.error,
            "periods": self.c_periods.error,
            "amount_claimed": self.c_amount.error,
            "group_size": self.c_group.error,
            "flags": self.c_flags.error,
            "summary": self.c_summary.error,
            "claim": self.c_claim.error,
            "proceeding": self.c_proceeding_kind.error,
            "proceeding.kind": self.c_proceeding_kind.error,
            "proceeding.body": self.c_proceeding_body.error,
            "proceeding.case_no": self.c_proceeding_case_no.error,
        }
        self._connect()
        self.clear()

    def _connect(self) -> None:
        for combo in (self.channel, self.town, self.applicant_kind, self.category, self.proceeding_kind):
            combo.currentIndexChanged.connect(self.changed)
        for line in (
            self.applicant_name,
            self.applicant_id,
            self.applicant_uscc,
            self.applicant_contact,
            self.applicant_phone,
            self.respondent_name,
            self.respondent_uscc,
            self.amount,
            self.proceeding_body,
            self.proceeding_case_no,
        ):
            line.textChanged.connect(self.changed)
        self.proceeding_dismissed.toggled.connect(self.changed)
        for box in (*self.insurance.values(), *self.flags.values()):
            box.toggled.connect(self.changed)
        self.received_at.dateTimeChanged.connect(self.changed)
        self.group_size.valueChanged.connect(self.changed)
        self.summary.textChanged.connect(self.changed)
        self.claim.textChanged.connect(self.changed)
        self.periods.changed.connect(self.changed)
        self.applicant_kind.currentIndexChanged.connect(self._on_kind_changed)
        self.applicant_id.textChanged.connect(self._on_id_changed)
        self.category.currentIndexChanged.connect(self._on_category_changed)

    def _now(self) -> QDateTime:
        now = self.now().replace(tzinfo=None, second=0, microsecond=0)
        return QDateTime(now)

    def refresh_time_range(self) -> None:
        """受理时间 may only be set inside `received_at_range` (no future, no decades back by
        a stray key in the year section)."""
        earliest, latest = received_at_range(self.now())
        self.received_at.setDateTimeRange(
            QDateTime(earliest.replace(tzinfo=None, second=0, microsecond=0)),
            QDateTime(latest.replace(tzinfo=None, microsecond=0)),
        )

    # -- known employers ---------------------------------------------------------------------
    def set_employers(self, employers: list[tuple[str, str]]) -> None:
        self.known_uscc = dict(reversed(employers))
        self._employer_names.setStringList([name for name, _ in employers])

    def _on_completer_activated(self, name: str) -> None:
        uscc = self.known_uscc.get(name)
        if uscc:
            self.respondent_uscc.setText(uscc)
            self.employer_hint.setText(TR.intake_employer_known)
            self.employer_picked.emit(name)

    # -- derived display -----------------------------------------------------------------------
    def _on_kind_changed(self) -> None:
        person = self.applicant_kind.currentData() == "person"
        self.c_id.setVisible(person)
        self.id_facts.setVisible(person)
        self.c_uscc.setVisible(not person)
        self.c_contact.setVisible(not person)
        self.c_name.label.setText(TR.intake_name if person else TR.intake_employer_name)

    def _on_id_changed(self) -> None:
        value = self.applicant_id.text().strip()
        try:
            kind = valid_id_kind(value)
            facts = TR.intake_born if kind is IdKind.RESIDENT else TR.intake_born_document
            born = id_birth_date(value).isoformat()
            self.id_facts.setText(facts.format(kind=kind.label, born=born, sex=id_sex(value)))
        except ValueError:
            self.id_facts.setText("")

    def _on_category_changed(self) -> None:
        code = self.category.currentData()
        self.category_help.setText(CATEGORY_POLICY_TEXT[Category(code)] if code else "")

    # -- data ------------------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        """The intake JSON of what is typed so far (empty fields left out)."""
        person = self.applicant_kind.currentData() == "person"
        applicant: dict[str, Any] = {
            "kind": "person" if person else "employer",
            "name": self.applicant_name.text().strip(),
            "phone": self.applicant_phone.text().strip(),
        }
        if person:
            applicant["id_number"] = self.applicant_id.text().strip()
        else:
            applicant["uscc"] = self.applicant_uscc.text().strip()
            applicant["contact"] = self.applicant_contact.text().strip()
        respondent = None
        if self.respondent_name.text().strip() or self.respondent_uscc.text().strip():
            respondent = {
                "kind": "employer",
                "name": self.respondent_name.text().strip(),
                "uscc": self.respondent_uscc.text().strip(),
            }
        received: datetime = self.received_at.dateTime().toPython()  # type: ignore[assignment]
        return {
            "received_at": received.strftime("%Y-%m-%dT%H:%M:00"),
            "channel": self.channel.currentData(),
            "town_code": self.town.currentData(),
            "applicant": {k: v for k, v in applicant.items() if v},
            "respondent": {k: v for k, v in respondent.items() if v} if respondent else None,
            "category": self.category.currentData(),
            "insurance_types": [k for k, box in self.insurance.items() if box.isChecked()],
            "periods": self.periods.periods(),
            "amount_claimed": self.amount.text().strip() or None,
            "group_size": self.group_size.value(),
            "summary": self.summary.toPlainText().strip(),
            "claim": self.claim.toPlainText().strip(),
            "flags": {k: box.isChecked() for k, box in self.flags.items()},
            "proceeding": self._proceeding(),
        }

    def _proceeding(self) -> dict[str, Any] | None:
        """The proceeding block, or None when nothing of it is filled in."""
        data: dict[str, Any] = {
            "kind": self.proceeding_kind.currentData(),
            "body": self.proceeding_body.text().strip(),
            "case_no": self.proceeding_case_no.text().strip(),
            "dismissed": self.proceeding_dismissed.isChecked(),
        }
        if not any(data.values()):
            return None
        return {k: v for k, v in data.items() if v not in (None, "")}

    def set_towns(self, towns: dict[str, str]) -> None:
        """Offer the station's jurisdiction (setting `jurisdiction_towns`) in the town list."""
        current = self.town.currentData()
        self.town.blockSignals(True)
        self.town.clear()
        for code, name in towns.items():
            self.town.addItem(name, code)
        self._set_combo(self.town, current if current in towns else self.default_town)
        self.town.blockSignals(False)

    def load_data(self, data: dict[str, Any]) -> None:
        """Fill the form from an intake JSON (a draft)."""
        self.blockSignals(True)
        try:
            self._set_combo(self.channel, data.get("channel"))
            self._set_combo(self.town, data.get("town_code"))
            received = QDateTime.fromString(str(data.get("received_at", ""))[:16], "yyyy-MM-ddTHH:mm")
            if received.isValid():
                self.received_at.setDateTime(received)
            applicant = data.get("applicant") or {}
            self._set_combo(self.applicant_kind, applicant.get("kind", "person"))
            self.applicant_name.setText(str(applicant.get("name", "")))
            self.applicant_id.setText(str(applicant.get("id_number", "")))
            self.applicant_uscc.setText(str(applicant.get("uscc", "")))
            self.applicant_contact.setText(str(applicant.get("contact", "")))
            self.applicant_phone.setText(str(applicant.get("phone", "")))
            respondent = data.get("respondent") or {}
            self.respondent_name.setText(str(respondent.get("name", "")))
            self.respondent_uscc.setText(str(respondent.get("uscc", "")))
            self._set_combo(self.category, data.get("category"))
            for key, box in self.insurance.items():
                box.setChecked(key in (data.get("insurance_types") or []))
            self.periods.set_periods(list(data.get("periods") or []))
            self.amount.setText(str(data.get("amount_claimed") or ""))
            self.group_size.setValue(int(data.get("group_size") or 1))
            for key, box in self.flags.items():
                box.setChecked(bool((data.get("flags") or {}).get(key)))
            proceeding = data.get("proceeding") or {}
            self.proceeding_kind.setCurrentIndex(max(self.proceeding_kind.findData(proceeding.get("kind")), 0))
            self.proceeding_body.setText(str(proceeding.get("body", "")))
            self.proceeding_case_no.setText(str(proceeding.get("case_no", "")))
            self.proceeding_dismissed.setChecked(bool(proceeding.get("dismissed")))
            self.summary.setPlainText(str(data.get("summary", "")))
            self.claim.setPlainText(str(data.get("claim", "")))
        finally:
            self.blockSignals(False)
        self.changed.emit()

    @staticmethod
    def _set_combo(combo: QComboBox, value: Any) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    def clear(self) -> None:
        self.refresh_time_range()
        self.load_data({"town_code": self.default_town, "channel": "visit"})
        self.received_at.setDateTime(self._now())
        self.employer_hint.setText("")
        self.show_errors({})
        self._on_kind_changed()

    def is_blank(self) -> bool:
        data = self.to_data()
        applicant = data["applicant"]
        return not (
            applicant.get("name")
            or applicant.get("id_number")
            or applicant.get("phone")
            or data["summary"]
            or data["category"]
        )

    # -- errors --------------------------------------------------------------------------------------
    def error_lines(self, fields: dict[str, str]) -> list[str]:
        """Each refused field as "label:why", so that a message such as 必填 says which field
        it is about ("姓名:必填", "第2个期间:结束月份必填"); a message without a field as it is."""
        labels = {path: self._label_of(label) for path, label in self.errors.items()}
        lines = []
        for path, why in fields.items():
            if path.startswith("periods["):
                n, rest = int(path[8 : path.index("]")]) + 1, path[path.index("]") + 1 :]
                end = {".from": TR.intake_period_from_name, ".to": TR.intake_period_to_name}.get(rest, "")
                lines.append(TR.intake_period_error.format(n=n, why=end + why))
            elif labels.get(path) and labels[path] not in why:
                lines.append(f"{labels[path]}:{why}")
            else:
                lines.append(why)
        return lines

    def _label_of(self, error: ErrorLabel) -> str:
        """The label of the cell that shows `error` (its required mark left out)."""
        cell = error.parentWidget()
        label = getattr(cell, "label", None)
        return label.text().removesuffix(TR.required_mark) if isinstance(label, QLabel) else ""

    def show_errors(self, fields: dict[str, str]) -> QWidget | None:
        """Show each refused field's message next to it; return the first field to fix."""
        for label in self.errors.values():
            label.show_error(None)
        self.general_error.show_error(None)
        extra: list[str] = []
        for path, why in fields.items():
            key = path.split("[")[0] if path.startswith("periods[") else path
            found = self.errors.get(key)
            if found is None:
                extra.append(why)
                continue
            if path.startswith("periods["):
                why = TR.intake_period_error.format(n=int(path[8 : path.index("]")]) + 1, why=why)
            found.show_error(why)
        self.general_error.show_error("\n".join(extra) or None)
        order = (
            ("applicant", self.applicant_name),
            ("respondent", self.respondent_name),
            ("category", self.category),
            ("periods", self.periods.focus_target()),
            ("amount", self.amount),
        )
        for prefix, widget in order:
            if any(p.startswith(prefix) for p in fields):
                return widget
        return None
