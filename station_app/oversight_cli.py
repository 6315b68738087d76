"""The confidentiality (五(三)) and accountability (五(四)) commands.

`station-app disclosure`, `station-app export cases`, `station-app settings
contacts|confirm-contacts` and `station-app stats`. Registered through
`station_app.cli.EXTRA_COMMANDS`; no rules live here. Incidents are the `incident` case
action (`station-app case act CASE_NO incident` with `{"kind", "dept", "text"}` on stdin).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from station_app.cli import EXIT_OK, REVEAL_HELP, _out, _session
from station_app.errors import ValidationError


def cmd_disclosure_approve(args: argparse.Namespace) -> int:
    """`station-app disclosure approve --to DEPT --purpose TEXT [--case CASE_NO]`: a head's approval (五(三)).

    Approves giving material with personal data to a body outside the station; without `--case`
    the approval is for one export of the case list. Prints the approval as JSON.

    Raises:
        ValidationError: an unknown recipient code (checked before a password is asked).
    """
    from station_app.services.disclosure_service import approve_disclosure, parse_recipient

    parse_recipient(args.to)  # refuse a bad code before asking for a password
    session = _session(args)
    try:
        approval = approve_disclosure(session, args.to, args.purpose, args.case)
    finally:
        session.close()
    _out(approval.to_json())
    return EXIT_OK


def cmd_disclosure_list(args: argparse.Namespace) -> int:
    """`station-app disclosure list [--case CASE_NO]`: the disclosure approvals on record, as JSON."""
    from station_app.services.disclosure_service import list_approvals

    session = _session(args)
    try:
        approvals = list_approvals(session, args.case)
    finally:
        session.close()
    _out([a.to_json() for a in approvals])
    return EXIT_OK


def cmd_export_cases(args: argparse.Namespace) -> int:
    """`station-app export cases --to DEPT --out FILE.xlsx`: the case list as an Excel file (五(三)).

    `--to` is `station` (本站留存) or a department code; a department needs an unused case-list
    approval by a head (五(三) 报批), which the export uses. Identifiers are masked unless
    `--reveal`. Prints the recipient, the approval, the row count and the file.

    Raises:
        ValidationError: an unknown recipient or status, a file not ending in .xlsx, or a file
            that cannot be written (exit 2).
    """
    from station_app.services.disclosure_service import parse_recipient
    from station_app.services.export_service import export_case_list
    from station_app.services.query_service import CaseQuery

    parse_recipient(args.to)
    if args.status:
        from station_app.domain.enums import Status

        try:
            Status(args.status)
        except ValueError:
            raise ValidationError({"status": "未知状态"}) from None
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise ValidationError({"out": "输出文件应以 .xlsx 结尾"})
    session = _session(args)
    try:
        query = CaseQuery(search=args.search, status=args.status)
        result = export_case_list(session, query, args.to, args.limit, reveal=args.reveal)
    finally:
        session.close()
    from station_app.store.atomic import atomic_write_bytes

    try:
        atomic_write_bytes(out, result.xlsx)
    except OSError as exc:
        raise ValidationError({"out": f"无法写入输出文件:{exc.strerror or exc}"}) from None
    _out({"recipient": result.recipient, "approval": result.approval, "count": result.count, "out": str(out)})
    return EXIT_OK


def cmd_settings_contacts(args: argparse.Namespace) -> int:
    """`station-app settings contacts`: each department's contact and when it was last confirmed."""
    from station_app.services.settings_service import contacts_status

    session = _session(args)
    try:
        rows = contacts_status(session)
    finally:
        session.close()
    _out([r.to_json() for r in rows])
    return EXIT_OK


def cmd_settings_confirm_contacts(args: argparse.Namespace) -> int:
    """`station-app settings confirm-contacts [--dept CODE...]`: record the contacts as checked today."""
    from station_app.services.settings_service import confirm_department_contacts

    session = _session(args)
    try:
        rows = confirm_department_contacts(session, args.dept or None)
    finally:
        session.close()
    _out([r.to_json() for r in rows])
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    """`station-app stats --from DATE --to DATE [--xlsx FILE]`: 绩效考评 (五(四)) of the cases received in the period.

    Per station, department (lead and co) and worker, as JSON (`Performance.to_json`); both
    dates inclusive, by the day a case was received. With `--xlsx`, the statistics screen's
    workbook (`stats_workbook`) is written to FILE instead and `{"file"}` printed.

    Raises:
        ValidationError: a malformed or reversed period (`from`, `to`), or a workbook path that
            does not end in .xlsx, names a folder, lies in a missing folder or cannot be written
            (`xlsx`); exit 2, before the password is asked where the input alone shows it.
    """
    from station_app.services.performance_service import compute_performance, parse_period

    first, last = parse_period(args.date_from, args.date_to)  # refused before the password
    if args.xlsx is not None:
        return _stats_workbook(args, first, last)
    session = _session(args)
    try:
        performance = compute_performance(session, first, last)
    finally:
        session.close()
    _out(performance.to_json())
    return EXIT_OK


def _stats_workbook(args: argparse.Namespace, first: date, last: date) -> int:
    """Write the statistics of the period as a workbook to `--xlsx`; print `{"file"}`."""
    from station_app.services.stats_service import compute_stats
    from station_app.services.stats_workbook import check_workbook_path, write_stats_workbook

    path = check_workbook_path(Path(args.xlsx))  # refused before the password
    session = _session(args)
    try:
        stats = compute_stats(session, first, last)
    finally:
        session.close()
    _out({"file": str(write_stats_workbook(stats, path))})
    return EXIT_OK


def register(sub: Any) -> None:
    """Add the `stats`, `disclosure`, `export` and `settings` commands to the subparsers `sub`."""
    p = sub.add_parser("stats", help="绩效考评统计(五(四)):按调解站、部门(牵头/协办)、工作人员")
    p.add_argument("--from", dest="date_from", required=True, help="开始日期 YYYY-MM-DD(按受理日期)")
    p.add_argument("--to", dest="date_to", required=True, help="结束日期 YYYY-MM-DD(含)")
    p.add_argument("--json", action="store_true", help="输出JSON(默认即为JSON)")
    p.add_argument("--xlsx", metavar="FILE", help="改为导出统计Excel工作簿(与统计界面导出相同)")
    p.set_defaults(func=cmd_stats)

    disclosure = sub.add_parser("disclosure", help="对外提供信息报批(五(三))").add_subparsers(
        dest="disclosure_command", required=True
    )
    p = disclosure.add_parser("approve", help="站长批准向本站以外单位提供载有个人信息的材料")
    p.add_argument("--to", required=True, help="接收单位(部门代码)")
    p.add_argument("--purpose", required=True, help="用途")
    p.add_argument("--case", help="案件编号;缺省为一次案件清单导出")
    p.set_defaults(func=cmd_disclosure_approve)
    p = disclosure.add_parser("list", help="报批记录")
    p.add_argument("--case", help="案件编号;缺省为案件清单导出的报批")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_disclosure_list)

    export = sub.add_parser("export", help="导出").add_subparsers(dest="export_command", required=True)
    p = export.add_parser("cases", help="案件清单(Excel;身份证号和电话默认遮蔽,--reveal 显示完整并记录)")
    p.add_argument("--to", required=True, help="接收单位:部门代码,或 station(本站留存)")
    p.add_argument("--out", required=True, help="输出 .xlsx 文件")
    p.add_argument("--search")
    p.add_argument("--status")
    p.add_argument("--limit", type=int, default=10_000)
    p.add_argument("--reveal", action="store_true", help=REVEAL_HELP)
    p.set_defaults(func=cmd_export_cases)

    settings = sub.add_parser("settings", help="设置").add_subparsers(dest="settings_command", required=True)
    p = settings.add_parser("contacts", help="部门联系方式及确认状态")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_settings_contacts)
    p = settings.add_parser("confirm-contacts", help="管理员确认部门联系方式(确认前文书标注“示例”)")
    p.add_argument("--dept", action="append", help="部门代码,可重复;缺省为全部已填写的部门")
    p.set_defaults(func=cmd_settings_confirm_contacts)
