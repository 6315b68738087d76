"""Settings by role: deadlines and thresholds, station details, department contacts, holidays,
text size, users, and the user's own password. Every change goes through a service (an event)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.enums import Department
from station_app.errors import ValidationError
from station_app.services.permissions import permissions
from station_app.services.session import Session
from station_app.services.settings_schema import SPECS, SettingSpec
from ui.audit_panel import AuditPanel
from ui.errors import show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.page import Page
from ui.users_view import AccountPanel, UsersView
from ui.widgets import ErrorLabel, add_field, heading, message, muted

RULE_KEYS = (
    "cutoff_date",
    "group_threshold",
    "amount_threshold",
    "routing_days",
    "opinion_days",
    "opinion_extension_max",
    "major_days",
    "major_extension_max",
    "reply_days",
    "archive_days",
    "warn_ratio",
    "idle_lock_minutes",
    "sync_interval_minutes",
    "lockout_max_failures",
    "lockout_minutes",
    "station_phone",
    "station_address",
)
FONT_SCALES = ((1.0, TR.settings_font_normal), (1.3, TR.settings_font_large), (1.6, TR.settings_font_larger))
CONTACT_FIELDS = (("address", TR.contact_address), ("phone", TR.contact_phone), ("hours", TR.contact_hours))


def editor(spec: SettingSpec, value: Any) -> QWidget:
    """An input for one setting, showing `value`."""
    if spec.kind == "int":
        box = QSpinBox()
        box.setRange(int(spec.minimum or 0), int(spec.maximum or 1_000_000))
        box.setValue(int(value))
        return box
    if spec.kind == "float":
        real = QDoubleSpinBox()
        real.setDecimals(2)
        real.setSingleStep(0.05)
        real.setRange(float(spec.minimum or 0), float(spec.maximum or 1e9))
        real.setValue(float(value))
        return real
    if spec.kind == "date":
        day = QDateEdit(QDate.fromString(str(value), "yyyy-MM-dd"))
        day.setDisplayFormat("yyyy-MM-dd")
        day.setCalendarPopup(True)
        return day
    line = QLineEdit(str(value))
    if spec.kind == "money":
        line.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,13}(\.\d{0,2})?")))
    return line


def editor_value(widget: QWidget) -> Any:
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QDoubleSpinBox):
        return round(widget.value(), 2)
    if isinstance(widget, QDateEdit):
        return widget.date().toString("yyyy-MM-dd")
    assert isinstance(widget, QLineEdit)
    return widget.text().strip()


class SettingsView(Page):
    settings_changed = Signal(object)  # the set of changed keys

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__(session, runner)
        self.allowed = permissions(session)
        self.can_edit = self.allowed.edit_settings
        column = QVBoxLayout(self)
        column.addWidget(heading(TR.settings_title))
        self.tabs = QTabWidget()
        column.addWidget(self.tabs, 1)
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.save_buttons: list[QPushButton] = []
        self.saving = False  # a save on its way: the save buttons are disabled until it lands
        self.tabs.addTab(self._rules_tab(), TR.settings_rules)
        self.tabs.addTab(self._contacts_tab(), TR.settings_contacts)
        self.tabs.addTab(self._calendar_tab(), TR.settings_calendar)
        self.tabs.addTab(self._display_tab(), TR.settings_display)
        from ui.backup_panel import BackupPanel

        self.backup = BackupPanel(session, runner, self.apply, self.errors, self.can_edit)
        self.tabs.addTab(self.backup, TR.backup_tab_due if self.backup.overdue_days() is not None else TR.backup_tab)
        self.backup.backed_up.connect(self._on_backup_backed_up)
        self.audit: AuditPanel | None = None
        if self.allowed.audit:
            self.audit = AuditPanel(session, runner)
            self.tabs.addTab(self.audit, TR.audit_tab)
        self.users: UsersView | None = None
        if self.allowed.sees_users:
            self.users = UsersView(session, runner)
            self.tabs.addTab(self.users, TR.settings_users)
        self.account = AccountPanel(session, runner)
        self.tabs.addTab(self.account, TR.settings_account)

    def _save_row(self, slot: Any) -> QHBoxLayout:
        row = QHBoxLayout()
        if not self.can_edit:
            row.addWidget(muted(TR.settings_read_only))
        row.addStretch(1)
        button = QPushButton(TR.save)
        button.setObjectName("primary")
        button.setEnabled(self.can_edit)
        button.clicked.connect(slot)
        self.save_buttons.append(button)
        row.addWidget(button)
        return row

    def _rules_tab(self) -> QWidget:
        inner = QWidget()
        form = QFormLayout(inner)
        settings = self.session.settings()
        for key in RULE_KEYS:
            spec = SPECS[key]
            widget = editor(spec, settings[key])
            widget.setEnabled(self.can_edit)
            if spec.kind != "str":
                widget.setMaximumWidth(widget.fontMetrics().horizontalAdvance("0" * 18) + 48)
            self.editors[key] = widget
            self.errors[key] = add_field(form, spec.label, widget)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(scroll, 1)
        column.addLayout(self._save_row(self._on_rules_save_clicked))
        return tab

    def _contacts_tab(self) -> QWidget:
        self.contacts = QTableWidget(len(Department), len(CONTACT_FIELDS) + 1)
        self.contacts.setHorizontalHeaderLabels([label for _, label in CONTACT_FIELDS] + [TR.contact_state])
        self.contacts.setVerticalHeaderLabels([d.full_name for d in Department])
        self.contacts.horizontalHeader().setStretchLastSection(True)
        self.contacts.setColumnWidth(0, 380)
        self.contacts.setColumnWidth(1, 150)
        if not self.can_edit:
            self.contacts.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self._fill_contacts()
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(muted(TR.contact_confirm_hint))
        column.addWidget(self.contacts, 1)
        self.contacts_error = ErrorLabel()
        column.addWidget(self.contacts_error)
        row = self._save_row(self._on_contacts_save_clicked)
        self.confirm_button = QPushButton(TR.contact_confirm)
        self.confirm_button.setEnabled(self.allowed.confirm_contacts)  # the service checks it too
        self.confirm_button.clicked.connect(self.confirm_contacts)
        row.insertWidget(row.count() - 1, self.confirm_button)
        column.addLayout(row)
        return tab

    def _fill_contacts(self) -> None:
        from station_app.services.settings_service import contacts_status

        contacts = self.session.setting("department_contacts")
        states = {s.dept: s for s in contacts_status(self.session)}
        for r, dept in enumerate(Department):
            entry = contacts.get(dept.value, {})
            for c, (key, _) in enumerate(CONTACT_FIELDS):
                self.contacts.setItem(r, c, QTableWidgetItem(str(entry.get(key, ""))))
            state = states[dept.value]
            text = (
                TR.contact_confirmed.format(who=state.confirmed_by, at=str(state.confirmed_at)[:10])
                if state.confirmed
                else TR.contact_sample
            )
            item = QTableWidgetItem(text)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.contacts.setItem(r, len(CONTACT_FIELDS), item)

    def contacts_state(self, row: int) -> str:
        """The confirmation state shown for the department in `row`."""
        item = self.contacts.item(row, len(CONTACT_FIELDS))
        return item.text() if item is not None else ""

    def confirm_contacts(self) -> None:
        """Confirm every department's current contact entry (admin; an event)."""
        from station_app.services.settings_service import confirm_department_contacts

        try:
            rows = confirm_department_contacts(self.session)
        except Exception as exc:
            show_error(self, exc)
            return
        self._fill_contacts()
        self.contacts_error.show_error(None)
        self.settings_changed.emit({"department_contacts_confirmed"})
        message(self, TR.settings_contacts, TR.contact_confirm_done.format(count=sum(1 for r in rows if r.confirmed)))

    def _calendar_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(muted(TR.settings_calendar_hint))
        years = sorted(self.session.calendar().years)
        column.addWidget(muted(f"{min(years)}–{max(years)}" if years else TR.none))
        button = QPushButton(TR.settings_calendar_import)
        button.setEnabled(self.can_edit)
        button.clicked.connect(self._on_import_clicked)
        column.addWidget(button)
        column.addStretch(1)
        return tab

    def _display_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.font_scale = QComboBox()
        from station_app.services.user_service import font_scale

        current = font_scale(self.session)
        for scale, label in FONT_SCALES:
            self.font_scale.addItem(label, scale)
        self.font_scale.setCurrentIndex(min(range(len(FONT_SCALES)), key=lambda i: abs(FONT_SCALES[i][0] - current)))
        self.font_scale.activated.connect(self._on_font_scale_activated)
        self.errors["font_scale"] = add_field(form, TR.settings_font_own, self.font_scale)
        if not self.can_edit:
            form.addRow(muted(TR.settings_read_only))
        return tab

    # -- saving ------------------------------------------------------------------------------
    def apply(self, changes: dict[str, Any], then: Callable[[set[str]], None] | None = None) -> None:
        """Save the changed settings on the runner's writer; when the answer lands, show refusals
        next to their fields, emit `settings_changed` with the keys saved and call `then(keys)`."""
        current = self.session.settings()
        todo: dict[str, Any] = {}
        for key, value in changes.items():
            if key in self.errors:
                self.errors[key].show_error(None)
            if not (value == current.get(key) or str(value) == str(current.get(key))):
                todo[key] = value
        session = self.session
        self.saving = True
        for button in self.save_buttons:
            button.setEnabled(False)
        self.runner.run(
            lambda: _save_settings(session, todo),
            lambda outcome: self._on_settings_saved(outcome, then),
            lambda exc: self._on_settings_saved((set(), {"": exc}), then),
            write=True,
        )

    def _on_settings_saved(
        self, outcome: tuple[set[str], dict[str, BaseException]], then: Callable[[set[str]], None] | None
    ) -> None:
        saved, refused = outcome
        self.saving = False
        for button in self.save_buttons:
            button.setEnabled(self.can_edit)
        for key, exc in refused.items():
            if not isinstance(exc, ValidationError):
                show_error(self, exc)
            elif key in self.errors:
                self.errors[key].show_error("、".join(exc.fields.values()))
            else:
                self.contacts_error.show_error("、".join(exc.fields.values()))
        if saved:
            self.settings_changed.emit(saved)
        if then is not None:
            then(saved)

    def _on_rules_save_clicked(self) -> None:
        self.apply({key: editor_value(w) for key, w in self.editors.items()}, self._say_saved)

    def _say_saved(self, saved: set[str]) -> None:
        message(self, TR.settings_title, TR.settings_saved.format(count=len(saved)) if saved else TR.settings_unchanged)

    def _on_contacts_save_clicked(self) -> None:
        contacts: dict[str, dict[str, str]] = {}
        for r, dept in enumerate(Department):
            cells = [self.contacts.item(r, c) for c in range(len(CONTACT_FIELDS))]
            contacts[dept.value] = {
                key: (cell.text().strip() if cell is not None else "") for (key, _), cell in zip(CONTACT_FIELDS, cells)
            }
        self.contacts_error.show_error(None)
        self.apply({"department_contacts": contacts}, self._on_contacts_saved)

    def _on_contacts_saved(self, saved: set[str]) -> None:
        if saved:
            self._fill_contacts()  # a changed entry is a sample again
        self._say_saved(saved)

    def _on_font_scale_activated(self) -> None:
        from station_app.services.user_service import set_font_scale

        session, scale = self.session, float(self.font_scale.currentData())
        self.font_scale.setEnabled(False)  # until the choice is stored
        self.runner.run(
            lambda: set_font_scale(session, scale), self._on_font_scale_saved, self._on_font_scale_failed, write=True
        )

    def _on_font_scale_saved(self, _result: object) -> None:
        self.font_scale.setEnabled(True)
        self.settings_changed.emit({"font_scale"})

    def _on_backup_backed_up(self, _result: object) -> None:
        self.tabs.setTabText(self.tabs.indexOf(self.backup), TR.backup_tab)

    def _on_font_scale_failed(self, exc: BaseException) -> None:
        self.font_scale.setEnabled(True)
        show_error(self, exc)

    def _on_import_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, TR.settings_calendar_import, "", TR.settings_calendar_filter)
        if name:
            self.import_calendar(Path(name))

    def import_calendar(self, path: Path) -> None:
        from station_app.services.calendar_service import import_schedule

        try:
            result = import_schedule(self.session, path.read_text(encoding="utf-8"), source=path.name)
        except Exception as exc:
            show_error(self, exc)
            return
        years = "、".join(str(y) for y in result["years"])
        message(self, TR.settings_calendar, TR.settings_calendar_done.format(years=years, days=result["days"]))
        self.settings_changed.emit({"calendar"})


def _save_settings(session: Session, changes: dict[str, Any]) -> tuple[set[str], dict[str, BaseException]]:
    """On the runner's writer: each setting through `set_setting`; (keys saved, refusal by key)."""
    from station_app.services.settings_service import set_setting

    saved: set[str] = set()
    refused: dict[str, BaseException] = {}
    for key, value in changes.items():
        try:
            set_setting(session, key, value)
        except Exception as exc:
            refused[key] = exc
        else:
            saved.add(key)
    return saved, refused
