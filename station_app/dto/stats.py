"""The statistics DTOs, computed by `station_app.services.stats_service`.

Counts by category, town, department, track and status, each department's work for 五(四),
the incidents, and 绩效考评 (per station, per department as lead and as co-handler, per
worker). The definitions of the figures are in `station_app.services.stats_service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from station_app.domain.enums import DEPARTMENT_SHORT, Department, IncidentKind


@dataclass(frozen=True)
class CountRow:
    """One row of a count table: a code, its Chinese label and the number of cases."""

    code: str
    label: str
    count: int


@dataclass(frozen=True)
class DeptWorkRow:
    """One department's figures for 五(四): what it handled, and what went wrong."""

    code: str
    label: str
    cases: int = 0
    returns: int = 0
    extensions: int = 0
    clue_transfers: int = 0
    work_errors: int = 0
    public_opinion: int = 0
    serious: int = 0

    @property
    def incidents(self) -> int:
        """The department's incidents of every kind (五(四)): work errors, public opinion, serious consequences."""
        return self.work_errors + self.public_opinion + self.serious

    FIGURES = ("cases", "returns", "extensions", "clue_transfers", "work_errors", "public_opinion", "serious")

    def cells(self) -> list[str]:
        """The department's name and its figures as text, in `FIGURES` order.

        The monthly report's section 七 and the stats screen's table share it.
        """
        return [self.label, *(str(getattr(self, f)) for f in self.FIGURES)]

    def to_json(self) -> dict[str, Any]:
        """The row as JSON: its counts, the incidents by kind and their total."""
        return {
            "code": self.code,
            "label": self.label,
            "cases": self.cases,
            "returns": self.returns,
            "extensions": self.extensions,
            "clue_transfers": self.clue_transfers,
            "incidents": {
                IncidentKind.WORK_ERROR.value: self.work_errors,
                IncidentKind.PUBLIC_OPINION.value: self.public_opinion,
                IncidentKind.SERIOUS_CONSEQUENCE.value: self.serious,
            },
            "incidents_total": self.incidents,
        }


@dataclass(frozen=True)
class IncidentRow:
    """One recorded incident (no text: it may name people)."""

    at: str
    case_no: str
    dept: str
    kind: IncidentKind

    def to_json(self) -> dict[str, Any]:
        """The incident as `{"at", "case_no", "dept", "kind"}` (no text: it may name people)."""
        return {"at": self.at, "case_no": self.case_no, "dept": self.dept, "kind": self.kind.value}


def share(part: int, whole: int) -> float | None:
    """`part / whole` as a fraction (0.0-1.0), None when `whole` is 0."""
    return part / whole if whole else None


def whole_month(first: date, last: date) -> bool:
    """Whether `first`..`last` (both inclusive) is exactly one calendar month."""
    return (
        first.day == 1
        and (first.year, first.month) == (last.year, last.month)
        and (last + timedelta(days=1)).month != last.month
    )


ROLE_LABELS = {"lead": "牵头", "co": "协办"}


@dataclass(frozen=True)
class DeptRoleRow:
    """One department's written opinions in one role over the period's cases.

    The role is lead 牵头 or co 协办 (五(四) 绩效考评; 四(二) each department's opinion within
    its own time limit). due 应出具 = given + overdue_open + pending; given 已出具 = on_time +
    late; overdue 超期 = late (given after its deadline) + overdue_open (deadline passed while the
    case still waited for it); rates are over the decided opinions (on_time + overdue), None
    when there are none. returns 退回, extensions 延期, clue_transfers 线索移送 count events
    naming the department in this role.
    """

    code: str
    label: str
    role: str  # lead | co
    due: int = 0
    on_time: int = 0
    late: int = 0
    overdue_open: int = 0
    pending: int = 0
    returns: int = 0
    extensions: int = 0
    clue_transfers: int = 0

    @property
    def role_label(self) -> str:
        """The role in Chinese: 牵头 or 协办."""
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def short_label(self) -> str:
        """The department's short name (税务局) for charts and narrow tables."""
        try:
            return DEPARTMENT_SHORT[Department(self.code)]
        except ValueError:
            return self.label

    @property
    def given(self) -> int:
        """Opinions given (已出具): on time plus late."""
        return self.on_time + self.late

    @property
    def overdue(self) -> int:
        """Opinions overdue (超期): given late plus still missing after their deadline."""
        return self.late + self.overdue_open

    @property
    def on_time_rate(self) -> float | None:
        """On-time opinions over the decided ones (0.0-1.0), None when none is decided."""
        return share(self.on_time, self.on_time + self.overdue)

    @property
    def overdue_rate(self) -> float | None:
        """Overdue opinions over the decided ones (0.0-1.0), None when none is decided."""
        return share(self.overdue, self.on_time + self.overdue)

    def to_json(self) -> dict[str, Any]:
        """The row as JSON: its counts, the derived `given` and `overdue`, and both rates."""
        return {
            "code": self.code,
            "label": self.label,
            "role": self.role,
            "due": self.due,
            "given": self.given,
            "on_time": self.on_time,
            "late": self.late,
            "overdue_open": self.overdue_open,
            "overdue": self.overdue,
            "pending": self.pending,
            "on_time_rate": self.on_time_rate,
            "overdue_rate": self.overdue_rate,
            "returns": self.returns,
            "extensions": self.extensions,
            "clue_transfers": self.clue_transfers,
        }


@dataclass(frozen=True)
class WorkerRow:
    """One worker's timeliness over the cases they received.

    首问责任制 四(一): the first receiver registers and routes, and answers for the station's reply
    and archive of the case. Each stage counts on time (done by its working-day deadline) and
    late (done after it, or not done and the deadline passed by the end of the period); rates =
    on time / (on time + late), None when neither. Routing 分类流转 is due `routing_days` (1)
    working day after receipt; reply 答复 is the station's written reply or its answer at the
    desk; archive 归档.
    """

    name: str
    label: str
    cases: int = 0
    routing_on_time: int = 0
    routing_late: int = 0
    reply_on_time: int = 0
    reply_late: int = 0
    archive_on_time: int = 0
    archive_late: int = 0

    @property
    def routing_rate(self) -> float | None:
        """Routings on time over routings decided (0.0-1.0), None when none."""
        return share(self.routing_on_time, self.routing_on_time + self.routing_late)

    @property
    def reply_rate(self) -> float | None:
        """Replies on time over replies decided (0.0-1.0), None when none."""
        return share(self.reply_on_time, self.reply_on_time + self.reply_late)

    @property
    def archive_rate(self) -> float | None:
        """Archivings on time over archivings decided (0.0-1.0), None when none."""
        return share(self.archive_on_time, self.archive_on_time + self.archive_late)

    def to_json(self) -> dict[str, Any]:
        """The row as JSON: each stage's on-time and late counts and its rate."""
        return {
            "name": self.name,
            "label": self.label,
            "cases": self.cases,
            "routing_on_time": self.routing_on_time,
            "routing_late": self.routing_late,
            "routing_rate": self.routing_rate,
            "reply_on_time": self.reply_on_time,
            "reply_late": self.reply_late,
            "reply_rate": self.reply_rate,
            "archive_on_time": self.archive_on_time,
            "archive_late": self.archive_late,
            "archive_rate": self.archive_rate,
        }


@dataclass(frozen=True)
class StationRow:
    """One station's totals over the period's cases (grouped by the cases' station code).

    total, accepted, resolved, concluded, on_time and overdue_open as in the module docstring;
    opinions_on_time / opinions_overdue sum its departments' `DeptRoleRow`s; returns,
    extensions and clue_transfers count the events; routing figures sum its workers'.
    """

    code: str
    label: str
    total: int = 0
    accepted: int = 0
    resolved: int = 0
    concluded: int = 0
    on_time: int = 0
    overdue_open: int = 0
    opinions_on_time: int = 0
    opinions_overdue: int = 0
    returns: int = 0
    extensions: int = 0
    clue_transfers: int = 0
    routing_on_time: int = 0
    routing_late: int = 0

    @property
    def short_label(self) -> str:
        """The name without its common ending (西林吉镇 for 西林吉镇社保费争议调解站), for narrow charts."""
        for ending in ("社保费争议调解站", "调解站"):
            if self.label.endswith(ending) and len(self.label) > len(ending):
                return self.label[: -len(ending)]
        return self.label

    @property
    def resolution_rate(self) -> float | None:
        """Resolved cases over accepted ones (0.0-1.0), None when none was accepted."""
        return share(self.resolved, self.accepted)

    @property
    def on_time_rate(self) -> float | None:
        """Cases concluded on time over cases concluded (0.0-1.0), None when none was concluded."""
        return share(self.on_time, self.concluded)

    @property
    def opinion_on_time_rate(self) -> float | None:
        """Departments' opinions on time over those decided (0.0-1.0), None when none."""
        return share(self.opinions_on_time, self.opinions_on_time + self.opinions_overdue)

    @property
    def routing_rate(self) -> float | None:
        """Routings on time over routings decided (0.0-1.0), None when none."""
        return share(self.routing_on_time, self.routing_on_time + self.routing_late)

    def to_json(self) -> dict[str, Any]:
        """The row as JSON: `STATION_FIGURES`, the code and label, and the four rates."""
        out: dict[str, Any] = {k: getattr(self, k) for k in STATION_FIGURES}
        out.update(
            code=self.code,
            label=self.label,
            resolution_rate=self.resolution_rate,
            on_time_rate=self.on_time_rate,
            opinion_on_time_rate=self.opinion_on_time_rate,
            routing_rate=self.routing_rate,
        )
        return out


STATION_FIGURES = (
    "total",
    "accepted",
    "resolved",
    "concluded",
    "on_time",
    "overdue_open",
    "opinions_on_time",
    "opinions_overdue",
    "returns",
    "extensions",
    "clue_transfers",
    "routing_on_time",
    "routing_late",
)
DEPT_FIGURES = ("due", "on_time", "late", "overdue_open", "pending", "returns", "extensions", "clue_transfers")
WORKER_FIGURES = (
    "cases",
    "routing_on_time",
    "routing_late",
    "reply_on_time",
    "reply_late",
    "archive_on_time",
    "archive_late",
)


@dataclass(frozen=True)
class Column:
    """One column of a 绩效考评 table, shared by the screen, the Excel export and the report.

    `key` is the row's attribute; `kind` says how to show it: text; count, an int; rate, a
    fraction 0.0-1.0 or None, shown as a percentage.
    """

    key: str
    label: str
    kind: str = "count"  # text | count | rate


STATION_COLUMNS = (
    Column("label", "调解站", "text"),
    Column("total", "受理登记"),
    Column("accepted", "受理"),
    Column("resolved", "办结"),
    Column("resolution_rate", "办结率", "rate"),
    Column("concluded", "已答复"),
    Column("on_time", "按时办结"),
    Column("on_time_rate", "按时办结率", "rate"),
    Column("overdue_open", "在办超期"),
    Column("opinions_on_time", "意见按时"),
    Column("opinions_overdue", "意见超期"),
    Column("opinion_on_time_rate", "意见按时率", "rate"),
    Column("routing_rate", "一日内流转率", "rate"),
    Column("returns", "退回"),
    Column("extensions", "延期"),
    Column("clue_transfers", "线索移送"),
)
DEPT_COLUMNS = (
    Column("label", "部门", "text"),
    Column("role_label", "角色", "text"),
    Column("due", "应出具"),
    Column("on_time", "按时出具"),
    Column("late", "逾期出具"),
    Column("overdue_open", "逾期未出具"),
    Column("pending", "未到期"),
    Column("on_time_rate", "按时率", "rate"),
    Column("overdue_rate", "超期率", "rate"),
    Column("returns", "退回"),
    Column("extensions", "延期"),
    Column("clue_transfers", "线索移送"),
)
WORKER_COLUMNS = (
    Column("label", "工作人员", "text"),
    Column("cases", "受理"),
    Column("routing_on_time", "按时流转"),
    Column("routing_late", "流转超期"),
    Column("routing_rate", "一日内流转率", "rate"),
    Column("reply_on_time", "按时答复"),
    Column("reply_late", "答复超期"),
    Column("reply_rate", "按时答复率", "rate"),
    Column("archive_on_time", "按时归档"),
    Column("archive_late", "归档超期"),
    Column("archive_rate", "按时归档率", "rate"),
)


@dataclass(frozen=True)
class PerformanceView:
    """One 绩效考评 table: its title, columns, rows and 合计 rows.

    Rows and totals are DTOs whose attributes the columns name.
    """

    key: str  # stations | departments | workers
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Any, ...]
    totals: tuple[Any, ...]

    def values(self, row: Any) -> list[Any]:
        """The row's cells in column order: str, int, or float/None for a rate."""
        return [getattr(row, c.key) for c in self.columns]

    def text_rows(self, short: bool = False) -> list[list[str]]:
        """The rows then the totals, as text (`format_cell`).

        With `short`, departments and stations go by their short names (税务局, 西林吉镇) for
        narrow tables.
        """
        out = []
        for row in (*self.rows, *self.totals):
            cells = [format_cell(v, c.kind) for v, c in zip(self.values(row), self.columns)]
            if short and isinstance(row, DeptRoleRow | StationRow) and row.code:
                cells[0] = row.short_label
            out.append(cells)
        return out


def format_cell(value: Any, kind: str) -> str:
    """A cell as text: a rate as `75.0%` (— when None), a count as digits."""
    if kind == "rate":
        return "—" if value is None else f"{value * 100:.1f}%"
    return str(value)


@dataclass(frozen=True)
class Performance:
    """绩效考评 (五(四)) of the cases received from `date_from` to `date_to`, both inclusive.

    Per station, per department and role, per worker. Deadlines not yet met count as overdue
    when they passed before `as_of` (the end of the period, or today if earlier).
    """

    date_from: date
    date_to: date
    as_of: date
    stations: tuple[StationRow, ...] = ()
    departments: tuple[DeptRoleRow, ...] = ()
    workers: tuple[WorkerRow, ...] = ()

    def station_total(self) -> StationRow:
        """合计 over every station."""
        return StationRow("", "合计", **{f: sum(getattr(r, f) for r in self.stations) for f in STATION_FIGURES})

    def department_total(self, role: str) -> DeptRoleRow:
        """合计 of the departments in one role (lead | co)."""
        rows = [r for r in self.departments if r.role == role]
        return DeptRoleRow("", "合计", role, **{f: sum(getattr(r, f) for r in rows) for f in DEPT_FIGURES})

    def worker_total(self) -> WorkerRow:
        """合计 over every worker."""
        return WorkerRow("", "合计", **{f: sum(getattr(r, f) for r in self.workers) for f in WORKER_FIGURES})

    def views(self) -> tuple[PerformanceView, ...]:
        """The three tables: per station, per department and role, per worker.

        The department table has the lead rows, then the co rows, each with its 合计.
        """
        lead = tuple(r for r in self.departments if r.role == "lead")
        co = tuple(r for r in self.departments if r.role == "co")
        return (
            PerformanceView("stations", "按调解站", STATION_COLUMNS, self.stations, (self.station_total(),)),
            PerformanceView(
                "departments",
                "按部门(牵头、协办)",
                DEPT_COLUMNS,
                lead + co,
                (self.department_total("lead"), self.department_total("co")),
            ),
            PerformanceView("workers", "按工作人员", WORKER_COLUMNS, self.workers, (self.worker_total(),)),
        )

    def to_json(self) -> dict[str, Any]:
        """The figures as `stats` prints them: the period, `as_of`, and the station, department and worker rows."""
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "as_of": self.as_of.isoformat(),
            "stations": [r.to_json() for r in self.stations],
            "station_total": self.station_total().to_json(),
            "departments": [r.to_json() for r in self.departments],
            "workers": [r.to_json() for r in self.workers],
        }


@dataclass(frozen=True)
class Stats:
    """The figures of the stats screen and the monthly report for cases received in a period.

    `date_from` to `date_to` are both inclusive. The totals (received, accepted, resolved,
    concluded, concluded on time, open and overdue) and the count tables are defined in
    `station_app.services.stats_service`; `performance` holds 绩效考评 (五(四)) when computed.
    """

    date_from: date
    date_to: date
    total: int
    accepted: int
    resolved: int
    concluded: int
    on_time: int
    overdue_open: int
    by_category: tuple[CountRow, ...]
    by_town: tuple[CountRow, ...]
    by_department: tuple[CountRow, ...]
    by_track: tuple[CountRow, ...]
    by_status: tuple[CountRow, ...]
    by_department_work: tuple[DeptWorkRow, ...] = ()
    incidents: tuple[IncidentRow, ...] = ()
    performance: Performance | None = None  # 绩效考评 per station, department and role, worker

    @property
    def incident_count(self) -> int:
        """The incidents recorded in the period (五(四))."""
        return len(self.incidents)

    @property
    def resolution_rate(self) -> float | None:
        """Resolved cases over accepted ones (0.0-1.0), None when none was accepted."""
        return self.resolved / self.accepted if self.accepted else None

    @property
    def on_time_rate(self) -> float | None:
        """Cases concluded on time over cases concluded (0.0-1.0), None when none was concluded."""
        return self.on_time / self.concluded if self.concluded else None

    def work_totals(self) -> list[str]:
        """The 合计 row of `by_department_work`: "合计", then each figure's sum, as text (report section 七)."""
        return ["合计", *(str(sum(getattr(r, f) for r in self.by_department_work)) for f in DeptWorkRow.FIGURES)]

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON: the period, totals, rates, count tables, department work and incidents."""

        def rows(items: tuple[CountRow, ...]) -> list[dict[str, Any]]:
            return [{"code": r.code, "label": r.label, "count": r.count} for r in items]

        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "total": self.total,
            "accepted": self.accepted,
            "resolved": self.resolved,
            "concluded": self.concluded,
            "on_time": self.on_time,
            "overdue_open": self.overdue_open,
            "resolution_rate": self.resolution_rate,
            "on_time_rate": self.on_time_rate,
            "by_category": rows(self.by_category),
            "by_town": rows(self.by_town),
            "by_department": rows(self.by_department),
            "by_track": rows(self.by_track),
            "by_status": rows(self.by_status),
            "by_department_work": [r.to_json() for r in self.by_department_work],
            "incidents": [r.to_json() for r in self.incidents],
            "performance": self.performance.to_json() if self.performance else None,
        }
