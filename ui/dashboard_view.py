"""Today's work: due today, overdue, waiting for opinions, mine; one click filters the list."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout

from station_app.services.query_service import CaseQuery, count_cases
from station_app.services.session import Session
from ui import theme
from ui.case_table_model import COLUMN_INDEX, CasePage, CaseTableModel, load_first_page
from ui.i18n import TR
from ui.ops import Runner
from ui.page import Page
from ui.widgets import heading, muted

TILES: tuple[tuple[str, str, CaseQuery], ...] = (
    ("due_today", TR.dash_due_today, CaseQuery(due_today=True, order_by="due_date", descending=False)),
    ("overdue", TR.dash_overdue, CaseQuery(overdue=True, order_by="due_date", descending=False)),
    ("waiting", TR.dash_waiting, CaseQuery(waiting_opinions=True, order_by="due_date", descending=False)),
    ("mine", TR.dash_mine, CaseQuery(mine=True, order_by="due_date", descending=False)),
)
ATTENTION = CaseQuery(open_only=True, order_by="due_date", descending=False)


@dataclass(frozen=True)
class DashboardData:
    counts: dict[str, int]
    attention: CasePage


def load_dashboard(session: Session) -> DashboardData:
    counts = {name: count_cases(session, query) for name, _, query in TILES}
    return DashboardData(counts, load_first_page(session, ATTENTION, 50))


class DashboardView(Page):
    filter_requested = Signal(object)  # CaseQuery
    case_opened = Signal(str)
    intake_requested = Signal()

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__(session, runner)
        column = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading(TR.dash_title))
        today = session.today()
        top.addWidget(muted(TR.dash_today.format(date=today.isoformat(), weekday=TR.weekdays[today.weekday()])))
        top.addStretch(1)
        new_intake = QPushButton(TR.dash_new_intake)
        new_intake.setObjectName("primary")
        new_intake.clicked.connect(self.intake_requested)
        top.addWidget(new_intake)
        column.addLayout(top)
        grid = QGridLayout()
        self.tiles: dict[str, QPushButton] = {}
        self.counts: dict[str, QLabel] = {}
        for i, (name, label, query) in enumerate(TILES):
            tile = QPushButton()
            tile.setObjectName("tile")
            inner = QVBoxLayout(tile)
            caption = QLabel(label)
            count = QLabel("…")
            count.setObjectName("big")
            for part in (caption, count):
                part.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
                inner.addWidget(part)
            tile.setMinimumHeight(inner.sizeHint().height())
            tile.setToolTip(label)
            tile.clicked.connect(lambda _=False, q=query: self.filter_requested.emit(q))
            grid.addWidget(tile, 0, i)
            self.tiles[name] = tile
            self.counts[name] = count
        column.addLayout(grid)
        column.addWidget(heading(TR.dash_attention, 2))
        self.model = CaseTableModel(session, 50, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        for key in ("id", "phone", "town", "category"):
            self.table.setColumnHidden(COLUMN_INDEX[key], True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.activated.connect(self._on_table_double_clicked)
        column.addWidget(self.table, 1)

    def refresh(self) -> None:
        self.runner.run(lambda: load_dashboard(self.session), self._on_loaded, key="dashboard")

    def _on_loaded(self, data: DashboardData) -> None:
        for name, _, _ in TILES:
            count = data.counts[name]
            self.counts[name].setText(TR.dash_count.format(count=count))
            alarm = name in ("overdue", "due_today") and count > 0
            colour = theme.RED.name() if name == "overdue" else theme.AMBER.name()
            self.counts[name].setStyleSheet(f"color: {colour};" if alarm else "")
        self.model.apply_page(data.attention)

    def _on_table_double_clicked(self, index: object) -> None:
        case = self.model.case_at(self.table.currentIndex().row())
        if case is not None:
            self.case_opened.emit(case.case_no)
