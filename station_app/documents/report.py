"""统计月报: the month's counts, rates, department work, incidents and 绩效考评 (五(四)).

Counts by category, town, department, track and status; on-time and resolution rates;
per-department work and the incidents recorded for accountability; 绩效考评 tables of the
departments' opinions (lead and co apart), the workers' routing, reply and archive, and the
stations when there are several.
"""

from __future__ import annotations

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.fmt import cn_date
from station_app.domain.enums import DEPARTMENT_SHORT, Department
from station_app.dto.stats import CountRow, Performance, Stats, whole_month

NUMERALS = "一二三四五六七八九十"


def pct(value: float | None) -> str:
    """A rate (0.0-1.0) as a percentage with one decimal, `85.7%`; `—` for None."""
    return "—" if value is None else f"{value * 100:.1f}%"


def _share(n: int, total: int) -> str:
    return f"{n / total * 100:.1f}%" if total else "—"


def _table(s: Story, heading: str, name: str, rows: tuple[CountRow, ...], total: int) -> None:
    body = [[str(k), r.label, str(r.count), _share(r.count, total)] for k, r in enumerate(rows, 1)]
    body.append(["", "合计", str(sum(r.count for r in rows)), _share(sum(r.count for r in rows), total)])
    s.grid(["序号", name, "件数", "占比"], body, [14, 92, 26, 28], left=(1,), heading=heading)


def _short(code: str) -> str:
    try:
        return DEPARTMENT_SHORT[Department(code)]
    except ValueError:
        return code


def _accountability(s: Story, stats: Stats) -> None:
    """七、部门履职和责任追究: per department, then each incident (no text: it may name people)."""
    work = stats.by_department_work
    body = [r.cells() for r in work]
    body.append(stats.work_totals())
    s.grid(
        ["部门", "承办", "退回", "延期", "线索移送", "工作失误", "引发舆情", "严重后果"],
        body,
        [58, 14, 14, 14, 18, 18, 18, 18],
        left=(0,),
        heading="七、部门履职和责任追究(五(四))",
    )
    if stats.incidents:
        rows = [[str(n), i.at[:10], i.case_no, _short(i.dept), i.kind.label] for n, i in enumerate(stats.incidents, 1)]
        s.grid(
            ["序号", "登记日期", "案件编号", "责任部门", "事件类别"],
            rows,
            [12, 26, 52, 30, 30],
            heading=f"责任事件登记({len(rows)}件)",
        )
    else:
        s.para("本期未登记工作失误、引发舆情或造成严重后果的责任事件。", "plain")


def _numeral(n: int) -> str:
    return NUMERALS[n - 1] if n <= 10 else "十" + NUMERALS[n - 11]


def _performance(s: Story, perf: Performance, first: int) -> int:
    """Write the 绩效考评 (五(四)) sections, numbered from `first`; gives the next section number.

    Departments as lead and co, workers, and stations when the store holds more than one.
    """
    views = {v.key: v for v in perf.views()}
    n = first
    dept = views["departments"]
    s.grid(
        [c.label for c in dept.columns],
        dept.text_rows(short=True),
        [20, 11, 12, 13, 13, 15, 12, 14, 14, 10, 10, 13],
        left=(0,),
        heading=f"{_numeral(n)}、部门书面意见时效(五(四)绩效考评,牵头、协办分列)",
    )
    n += 1
    workers = views["workers"]
    s.grid(
        [c.label for c in workers.columns],
        workers.text_rows(),
        [24, 10, 13, 13, 17, 13, 13, 16, 13, 13, 16],
        left=(0,),
        heading=f"{_numeral(n)}、工作人员办理时效(按首问受理人)",
    )
    n += 1
    if len(perf.stations) > 1:
        stations = views["stations"]
        s.grid(
            [c.label for c in stations.columns],
            stations.text_rows(),
            [30, *([10] * (len(stations.columns) - 1))],
            left=(0,),
            heading=f"{_numeral(n)}、按调解站",
        )
        n += 1
    return n


def build(ctx: PaperContext, stats: Stats) -> Built:
    """The report of `stats`: the overall figures, then each count table, the work and the incidents.

    A whole calendar month is titled 统计月报 and its month; any other period 统计报表 and its dates.
    """
    s = Story(ctx)
    first, last = stats.date_from, stats.date_to
    if whole_month(first, last):
        s.title("社会保险费征缴争议处置情况统计月报", f"{first.year}年{first.month}月 · {ctx.station.name}")
    else:  # a chosen period (五(四) 绩效考评 over any span)
        s.title("社会保险费征缴争议处置情况统计报表", f"{cn_date(first)}至{cn_date(last)} · {ctx.station.name}")
    s.heading("一、总体情况")
    s.fields(
        [
            ("统计期间", f"{cn_date(stats.date_from)}至{cn_date(stats.date_to)}(按受理日期)"),
            ("受理登记", f"{stats.total}件"),
            ("其中受理", f"{stats.accepted}件(不含不予受理、撤回)"),
            ("办结", f"{stats.resolved}件"),
            ("办结率", pct(stats.resolution_rate)),
            ("已答复", f"{stats.concluded}件,其中按时{stats.on_time}件"),
            ("按时办结率", pct(stats.on_time_rate)),
            ("在办超期", f"{stats.overdue_open}件"),
            ("责任事件", f"{stats.incident_count}件"),
            *([("时效统计截至", cn_date(stats.performance.as_of))] if stats.performance is not None else []),
        ],
    )
    total = stats.total
    _table(s, "二、按争议类别", "争议类别", stats.by_category, total)
    _table(s, "三、按事项所在辖区", "镇(辖区)", stats.by_town, total)
    _table(s, "四、按牵头部门", "牵头部门", stats.by_department, total)
    _table(s, "五、按办理方式", "办理方式", stats.by_track, total)
    _table(s, "六、按办理状态", "办理状态", stats.by_status, total)
    _accountability(s, stats)
    section = _performance(s, stats.performance, 8) if stats.performance is not None else 8

    s.heading(f"{_numeral(section)}、指标说明")
    s.bullets(
        [
            "统计范围:统计期间内受理登记的全部案件(按受理日期)。",
            "受理件数:全部案件扣除不予受理和撤回的案件。",
            "办结:已书面答复、当场办结或已归档的案件;办结率=办结件数÷受理件数。",
            "按时办结:已答复(含当场办结)的案件中,分类流转、审批、部门书面意见、报送交办、答复各环节均在"
            "规定工作日时限(含依规延期)内完成的;按时办结率=按时办结件数÷已答复件数。",
            "在办超期:统计期末仍在办理且已超过当前环节时限的案件。",
            "部门履职:上述案件中各部门承办(牵头或协办)的件数,及退回、延期、移送纪委监委线索和登记的责任事件"
            "(工作失误、引发舆情、造成严重后果)次数。",
            "部门书面意见时效:各部门按牵头、协办分别统计;应出具=按时出具+逾期出具+逾期未出具+未到期;逾期未出具"
            "指时限已过而案件仍在等待该部门意见;告知转办事项以部门反馈已办结的日期为准;部门退回的不计入应出具,"
            "计入退回;按时率=按时出具÷(按时出具+超期),超期率=超期÷(按时出具+超期)。",
            "工作人员办理时效:按首问受理人统计(四(一)首问责任制);分类流转以受理后"
            "规定工作日(默认1个)为限,答复为书面答复或当场办结,归档以答复后规定工作日为限;未办且已过时限的计为超期。",
        ]
    )
    s.para(f"填报单位:{ctx.station.name}    填报人:{ctx.handler}    联系电话:{ctx.station.phone or '—'}", "plain")
    s.seal("city_gov")
    return s.render()
