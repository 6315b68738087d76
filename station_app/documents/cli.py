"""`station-app print`, `station-app report monthly` and `station-app paper verify`.

Registered through `station_app.cli.EXTRA_COMMANDS`; reportlab is imported only when a
command runs, so other commands start fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station_app.cli import EXIT_ERROR, EXIT_OK, _out, _read_stdin_bytes, _session
from station_app.errors import ValidationError
from station_app.services.paper_rules import CASE_PAPERS as PAPERS
from station_app.services.paper_rules import PROCEEDINGS


def _out_path(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() != ".pdf":
        raise ValidationError({"out": "输出文件应以 .pdf 结尾"})
    if path.exists() and path.is_dir():
        raise ValidationError({"out": "输出路径是一个文件夹"})
    return path


def _write(path: Path, data: bytes) -> None:
    from station_app.store.atomic import atomic_write_bytes

    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise ValidationError({"out": f"无法写入输出文件:{exc.strerror or exc}"}) from None


def cmd_print(args: argparse.Namespace) -> int:
    """`station-app print CASE_NO --paper KIND --out FILE.pdf`: print a case's paper to a PDF file.

    `--proceedings` names the proceeding on a refusal; `--to` the receiver of an internal paper.
    Prints the paper's number, reprint count, pages, size and file as JSON.

    Raises:
        ValidationError: an unknown paper kind, proceeding or receiver, or a file that cannot be
            written (exit 2).
    """
    fields: dict[str, str] = {}
    if args.paper not in PAPERS:
        fields["paper"] = f"文书种类应为:{'、'.join(PAPERS)}"
    if args.proceedings and args.proceedings not in PROCEEDINGS:
        fields["proceedings"] = f"程序应为:{'、'.join(PROCEEDINGS)}"
    from station_app.services.disclosure_service import parse_recipient

    if args.to:
        try:
            parse_recipient(args.to)
        except ValidationError as exc:
            fields.update(exc.fields)
    if fields:
        raise ValidationError(fields)
    out = _out_path(args.out)
    from station_app.services.paper_service import print_paper

    session = _session(args)
    try:
        options = {"proceedings": args.proceedings} if args.proceedings else {}
        if args.to:
            options["to"] = args.to
        result = print_paper(session, args.case_no, args.paper, options)
    finally:
        session.close()
    _write(out, result.pdf)
    head = {"case_no": args.case_no, "paper": result.kind}
    if result.recipient:
        head["recipient"] = result.recipient
    _out_printed(head, result, out)
    return EXIT_OK


def _out_printed(head: dict[str, Any], result: Any, out: Path) -> None:
    """What a print command reports: which paper, its number, reprint count, pages, size, file."""
    _out(
        head
        | {
            "paper_no": result.paper_no,
            "reprint": result.reprint,
            "pages": result.pages,
            "bytes": len(result.pdf),
            "out": str(out),
        }
    )


def cmd_report_monthly(args: argparse.Namespace) -> int:
    """`station-app report monthly --month YYYY-MM --out FILE.pdf`: the monthly statistics report.

    The month is checked before a password is asked. Prints the paper's number, pages, size and
    file as JSON.
    """
    from station_app.services.stats_service import month_range, print_monthly_report

    month_range(args.month)  # refuse a malformed month before asking for a password
    out = _out_path(args.out)
    session = _session(args)
    try:
        result = print_monthly_report(session, args.month)
    finally:
        session.close()
    _write(out, result.pdf)
    _out_printed({"month": args.month}, result, out)
    return EXIT_OK


def cmd_paper_verify(args: argparse.Namespace) -> int:
    """Read a scanned payload (a hand scanner types it, then Enter) and say whether it is valid."""
    from station_app.services.paper_service import verify_payload

    if sys.stdin.isatty():
        text = sys.stdin.readline()
    else:  # refused (exit 2) when not UTF-8 or carrying control characters
        from station_app.domain.safe_input import decode_text

        text = decode_text(_read_stdin_bytes(), "payload", max_bytes=64 * 1024)
    if not text.strip():
        raise ValidationError({"payload": "请扫描或粘贴文书上的二维码内容"})
    session = _session(args)  # the keys this store knows: its own and the city's keyring
    try:
        result = verify_payload(session, text)
    finally:
        session.close()
    _out(result.to_json())
    return EXIT_OK if result.valid else EXIT_ERROR


def register(sub: Any) -> None:
    """Add the `print`, `report monthly` and `paper verify` commands to the subparsers `sub`."""
    p = sub.add_parser("print", help="打印文书(PDF)")
    p.add_argument("case_no", help="案件编号")
    p.add_argument("--paper", required=True, help="|".join(PAPERS))
    p.add_argument("--out", required=True, help="输出PDF文件")
    p.add_argument("--proceedings", help="不予受理告知书:事项所处程序 " + "|".join(PROCEEDINGS))
    p.add_argument(
        "--to",
        help="内部文书(交办单、报送单、纪要、案卷)的接收单位:部门代码,或 station(本站留存,默认);"
        "向本站以外提供须经站长报批(disclosure approve)",
    )
    p.set_defaults(func=cmd_print)

    report = sub.add_parser("report", help="统计报表").add_subparsers(dest="report_command", required=True)
    p = report.add_parser("monthly", help="统计月报(PDF)")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--out", required=True, help="输出PDF文件")
    p.set_defaults(func=cmd_report_monthly)

    paper = sub.add_parser("paper", help="文书核验").add_subparsers(dest="paper_command", required=True)
    p = paper.add_parser("verify", help="核验文书二维码(从标准输入读取扫描内容;按本站及市级密钥清单中的公钥核验)")
    p.set_defaults(func=cmd_paper_verify)
