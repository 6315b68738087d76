"""Today's work: due today, overdue, waiting for opinions, mine; one click filters the list."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout

from station_app.domain.enums import DEPARTMENT_SHORT, Department
from station_app.services.query_service import CaseQuery
from station_app.services.queue_service import DeskOverview, desk_overview, work_queues
from station_app.services.session import Session
from ui import theme
from ui.case_table_model import COLUMN_INDEX, CasePage, CaseTableModel, load_first_page
from ui.i18n import TR
from ui.ops import Runner
from ui.page import Page
from ui.widgets import heading, muted

ATTENTION = CaseQuery(open_only=True, order_by="due_date", descending=False)
WIDE_TILES = 6  # tiles per row at normal text; large text reflows to fewer per row


@dataclass(frozen=True)
class DashboardData:
    overview: DeskOverview
    attention: CasePage


def load_dashboard(session: Session) -> DashboardData:
    return DashboardData(desk_overview(session), load_first_page(session, ATTENTION, 50))


def late_text(late: tuple[tuple[Department, int], ...]) -> str:
    """ "逾期未提交书面意见的部门:税务局 2件、医保局 1件" (empty when none is late)."""
    if not late:
        return ""
    return TR.dash_late_departments.format(
        departments="、".join(TR.dash_late_department.format(dept=DEPARTMENT_SHORT[d], count=n) for d, n in late)
    )


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
        new_intake.setVisible(not session.is_city)  # the city takes in no case
        top.addWidget(new_intake)
        column.addLayout(top)
        grid = QGridLayout()
        self.tiles: dict[str, QPushButton] = {}
        self.counts: dict[str, QLabel] = {}
        per_row = WIDE_TILES if theme.current_scale() <= 1.6 else 3
        for i, queue in enumerate(work_queues(session)):
            tile = QPushButton()
            tile.setObjectName("tile")
            inner = QVBoxLayout(tile)
            caption = QLabel(queue.label)
            caption.setWordWrap(True)
            count = QLabel("…")
            count.setObjectName("big")
            for part in (caption, count):
                part.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
                inner.addWidget(part)
            tile.setMinimumHeight(inner.sizeHint().height())
            tile.setToolTip(queue.label)
            tile.clicked.connect(lambda _=False, q=queue.query: self.filter_requested.emit(q))
            grid.addWidget(tile, i // per_row, i % per_row)
            self.tiles[queue.name] = tile
            self.counts[queue.name] = count
        column.addLayout(grid)
        self.late_label = QLabel()
        self.late_label.setObjectName("banner")
        self.late_label.setWordWrap(True)
        self.late_label.hide()
        column.addWidget(self.late_label)
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
        header = self.table.horizontalHeader()
        for position, key in enumerate(("case_no", "due", "status")):  # what is late, first
            header.moveSection(header.visualIndex(COLUMN_INDEX[key]), position)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.activated.connect(self._on_table_double_clicked)
        column.addWidget(self.table, 1)

    def refresh(self) -> None:
        self.runner.run(lambda: load_dashboard(self.session), self._on_loaded, key="dashboard")

    def _on_loaded(self, data: DashboardData) -> None:
        for item in data.overview.queues:
            name, count = item.queue.name, item.count
            self.counts[name].setText(TR.dash_count.format(count=count))
            alarm = name in ("overdue", "due_today", "approval", "submitted", "conflicts") and count > 0
            colour = theme.RED.name() if name == "overdue" else theme.AMBER.name()
            self.counts[name].setStyleSheet(f"color: {colour};" if alarm else "")
        self.late_label.setText(late_text(data.overview.late_departments))
        self.late_label.setVisible(bool(data.overview.late_departments))
        self.model.apply_page(data.attention)

    def _on_table_double_clicked(self, index: object) -> None:
        case = self.model.case_at(self.table.currentIndex().row())
        if case is not None:
            self.case_opened.emit(case.case_no)
