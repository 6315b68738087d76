"""The command line: the contract in DESIGN.md. Mirrors the services; no rules live here."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, cast

from station_app import __version__
from station_app.errors import AuthError, StationError, ValidationError

log = logging.getLogger("station_app.cli")

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 2
REVEAL_HELP = "显示完整身份证号和电话(每次查看均记录在案)"


class CliError(Exception):
    """A one-line failure (exit 1)."""


def _out(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=None) + "\n")


def _read_stdin_bytes() -> bytes:
    """All of stdin as bytes (at most one byte over the input limit, so that it is refused)."""
    from station_app.domain.safe_input import MAX_INPUT_BYTES

    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream put in place of stdin
        return sys.stdin.read(MAX_INPUT_BYTES + 1).encode("utf-8", "surrogatepass")
    return bytes(buffer.read(MAX_INPUT_BYTES + 1))


def _read_stdin_json() -> Any:
    """Standard input as JSON, through `safe_input.load_json`.

    Raises:
        ValidationError: exit 2 with the field named, when it is not UTF-8, too deep, not finite
            or carries control characters.
    """
    from station_app.domain.safe_input import load_json

    return load_json(_read_stdin_bytes())


def _read_file(path: str, field: str = "file", *, max_bytes: int = 8 * 1024 * 1024) -> str:
    """The text of a file named on the command line, at most `max_bytes` bytes of UTF-8.

    Raises:
        ValidationError: on `field` (exit 2) when it is missing, a folder, a pipe or a device,
            unreadable, too large or not UTF-8 text. The path is not repeated (it may name a
            person).
    """
    from station_app.domain.safe_input import decode_text, size_text
    from station_app.input_file import TOO_LARGE, InputFileError, read_input_file

    try:
        raw = read_input_file(path, max_bytes)
    except InputFileError as exc:
        if exc.kind == TOO_LARGE:
            raise ValidationError({field: f"文件不能超过{size_text(max_bytes)}"}) from None
        raise ValidationError({field: str(exc)}) from None
    return decode_text(raw, field, max_bytes=max_bytes)


def _controlling_terminal() -> bool:
    """Whether getpass can prompt on a terminal (else it would read piped stdin, echoing)."""
    try:
        with open("/dev/tty", "rb"):
            return True
    except OSError:
        return False


def read_password(prompt: str = "密码: ", env: str = "STATION_PASSWORD", confirm: bool = False) -> str:
    """From the environment when there is no terminal, else from a prompt; never argv."""
    value = os.environ.get(env)
    if value is not None and not sys.stdin.isatty():
        return value
    try:
        if not (sys.stdin.isatty() or _controlling_terminal()):
            raise CliError(f"需要密码:请在终端输入,或设置环境变量 {env}")
        first = getpass.getpass(prompt)
        if confirm and getpass.getpass("再次输入: ") != first:
            raise CliError("两次输入的密码不一致")
        return first
    except (EOFError, OSError):
        if value is not None:
            return value
        raise CliError(f"需要密码:请在终端输入,或设置环境变量 {env}") from None


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir:
        return Path(args.data_dir)
    from station_app.paths import default_data_dir

    return default_data_dir()


def _session(args: argparse.Namespace) -> Any:
    from station_app.paths import setup_logging
    from station_app.services.session import login
    from station_app.store.keystore import Keystore
    from station_app.store.station_store import keys_path

    data_dir = _data_dir(args)
    setup_logging(data_dir)
    user = args.user or os.environ.get("STATION_USER")
    if not user:
        names = Keystore.load(keys_path(data_dir)).user_names()
        if len(names) != 1:
            raise CliError("请用 --user 指定用户")
        user = names[0]
    return login(data_dir, user, read_password())


# -- commands -----------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    """`station-app init`: create the station's encrypted store and its first admin.

    Takes the station code (12 digits), its name, its town code and the admin's name; asks for
    the admin's password twice. Prints the station as JSON; exit 0.

    Raises:
        ValidationError: a field missing or malformed (exit 2).
    """
    from station_app.services.station_service import check_station, init_station

    missing = [k for k in ("station_code", "station_name", "town_code", "admin") if getattr(args, k, None) is None]
    if missing:  # optional only beside --provision (registered by the sync package)
        raise ValidationError({k: "必填" for k in missing})
    fields = check_station(args.station_code, args.station_name, args.town_code)
    if fields:
        raise ValidationError(fields)
    password = read_password("管理员密码: ", confirm=True)
    session = init_station(_data_dir(args), args.station_code, args.station_name, args.town_code, args.admin, password)
    _out(
        {
            "station_code": session.station_code,
            "station_name": session.station_name,
            "admin": args.admin,
            "data_dir": str(session.data_dir),
        }
    )
    session.close()
    return EXIT_OK


def cmd_route(args: argparse.Namespace) -> int:
    """`station-app route`: read an intake as JSON on stdin and print its routing decision.

    With `--data-dir`: the station's settings, jurisdiction and calendar (after login);
    otherwise the defaults. Prints the decision, plus `warnings` when there are any.
    """
    from station_app.domain.validation import IntakeRules, intake_warnings, parse_intake
    from station_app.rules.routing import route

    data = _read_stdin_json()
    if not args.data_dir:
        parsed = parse_intake(data)
        decision = route(parsed)
    else:
        from station_app.services.case_service import coerce_intake, decide

        parse_intake(data, IntakeRules(towns=None))  # refuse bad input before asking for a password
        session = _session(args)
        try:
            parsed = coerce_intake(data, session)
            decision = decide(session, parsed)
        finally:
            session.close()
    out = decision.to_json()
    if warnings := intake_warnings(parsed):
        out["warnings"] = list(warnings)
    _out(out)
    return EXIT_OK


def cmd_case_add(args: argparse.Namespace) -> int:
    """`station-app case add`: register the intake read as JSON on stdin; prints the new case.

    The input is checked before a password is asked, and again against the station's towns.

    Raises:
        ValidationError: the intake is refused (exit 2).
        CliError: the store is a city's, which takes no intake (exit 1).
    """
    from station_app.domain.validation import IntakeRules, parse_intake
    from station_app.services.case_service import intake
    from station_app.store.keystore import Keystore
    from station_app.store.station_store import keys_path

    key_file = keys_path(_data_dir(args))
    if key_file.exists() and Keystore.load(key_file).profile == "city":  # a refused precondition: exit 1
        raise CliError("市级数据不能登记案件:案件由调解站受理后同步上来")
    data = _read_stdin_json()
    parse_intake(data, IntakeRules(towns=None))  # refuse bad input before asking for a password
    session = _session(args)
    try:
        _out(intake(session, data).to_json())  # checked again against the station's towns
    finally:
        session.close()
    return EXIT_OK


def cmd_case_list(args: argparse.Namespace) -> int:
    """`station-app case list`: one line per case (number, status, track, due day), or JSON.

    Filters: `--search`, `--status`, `--overdue`, `--station`; at most `--limit` rows (0-100000).

    Raises:
        ValidationError: an unknown status or a limit out of range (exit 2).
    """
    from station_app.domain.enums import Status
    from station_app.services.query_service import CaseQuery, list_cases
    from station_app.services.reveal_service import list_json

    if args.status:
        try:
            Status(args.status)
        except ValueError:
            raise ValidationError({"status": "未知状态"}) from None
    if not 0 <= args.limit <= 100_000:
        raise ValidationError({"limit": "条数应在0至100000之间"})
    session = _session(args)
    try:
        query = CaseQuery(search=args.search, status=args.status, overdue=args.overdue, station=args.station)
        if args.json:
            _out(list_json(session, query, args.limit, reveal=args.reveal))
            return EXIT_OK
        rows = list_cases(session, query, limit=args.limit)
    finally:
        session.close()
    for r in rows:
        print(f"{r.case_no}  {r.status.label}  {r.track.label}  {r.due_date or ''}")
    return EXIT_OK


def cmd_case_show(args: argparse.Namespace) -> int:
    """`station-app case show CASE_NO`: the case's status, track, lead and routing reasons.

    `--json` prints the case as JSON with identifiers masked; `--reveal` unmasked (recorded as
    a reveal).

    Raises:
        NotFound: no such case.
        PermissionDenied: `--reveal` by a role that may not.
    """
    from station_app.services.query_service import get_case
    from station_app.services.reveal_service import case_json

    session = _session(args)
    try:
        if args.json or args.reveal:
            _out(case_json(session, args.case_no, reveal=args.reveal))
            return EXIT_OK
        detail = get_case(session, args.case_no)
    finally:
        session.close()
    s = detail.summary
    print(f"{s.case_no} {s.status.label} {s.track.label} 牵头:{s.lead.full_name if s.lead else '无'}")
    for reason in detail.routing.reasons:
        print("  " + reason)
    return EXIT_OK


def cmd_case_act(args: argparse.Namespace) -> int:
    """`station-app case act CASE_NO ACTION`: take a lifecycle action with its data as JSON on stdin.

    Prints the case's number, new status and due day. With `--form`, prints the action's form
    instead (`_print_action_form`).

    Raises:
        ValidationError: the input is not a JSON object, or the action refuses it (exit 2).
    """
    from station_app.services.case_service import perform

    if args.form:
        return _print_action_form(args)
    data = _read_stdin_json() if not sys.stdin.isatty() else {}
    if not isinstance(data, dict):
        raise ValidationError({"_": "输入应为JSON对象"})
    session = _session(args)
    try:
        detail = perform(session, args.case_no, args.action, data)
    finally:
        session.close()
    _out(
        {"case_no": detail.summary.case_no, "status": detail.summary.status.value, "due_date": detail.summary.due_date}
    )
    return EXIT_OK


def _print_action_form(args: argparse.Namespace) -> int:
    """`case act CASE ACTION --form`: the inputs the action asks for on this case.

    Printed as the desk's dialog draws them: `{"case_no", "action", "label", "fields": [...]}`.
    """
    from station_app.domain.lifecycle import ACTIONS
    from station_app.services.action_forms import action_form
    from station_app.services.query_service import get_case

    if args.action not in ACTIONS:
        raise ValidationError({"action": "未知的办理操作"})
    session = _session(args)
    try:
        detail = get_case(session, args.case_no)
        fields = action_form(session, detail, args.action)
    finally:
        session.close()
    _out(
        {
            "case_no": detail.summary.case_no,
            "action": args.action,
            "label": ACTIONS[args.action].label,
            "allowed": args.action in detail.allowed_actions,
            "fields": [f.to_json() for f in fields],
        }
    )
    return EXIT_OK


def _verify_progress() -> Callable[[int, int], None] | None:
    """A one-line progress display on a terminal's stderr (none when stderr is not a terminal)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\r核验事件签名 {done}/{total}", end="\n" if done >= total else "", file=sys.stderr, flush=True)

    return show


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """`station-app audit verify`: check the database pages, every chain, the accounts and every event's signature.

    Prints `{"ok": true, "events", "integrity"}` and exits 0 when all hold; otherwise exit 1 with
    what broke (`bad_seq`, `bad_uuid`, `reason`, the broken chains, the accounts' problems, the
    `signatures` findings), and a line on stderr for a damaged page, a bad account or a bad
    signature. On a terminal, the signature check shows its progress on stderr.
    """
    from station_app.services.audit_service import audit_all

    session = _session(args)
    try:
        audit = audit_all(session, _verify_progress())
    finally:
        session.close()
    pages, report, damaged = audit.pages, audit.chain, audit.damaged
    problems, sigs = list(audit.accounts), audit.signatures
    checked = {"ok": not problems, "problems": [p.to_json() for p in problems]}
    signed = sigs.to_json() if sigs is not None else None
    bad_sig = sigs.findings[0] if sigs is not None and sigs.findings else None
    if damaged:
        print("数据库文件损坏:" + "、".join(damaged) + " 报告了问题,请恢复最新的备份或联系市级管理员", file=sys.stderr)
    if problems:
        print(f"账户记录有问题:{problems[0].name} {problems[0].reason}", file=sys.stderr)
    if bad_sig is not None:
        print(f"事件签名有问题:事件 {bad_sig.uuid}({bad_sig.type}) {bad_sig.reason}", file=sys.stderr)
    if report is not None and report.ok and not damaged and not problems and bad_sig is None:
        _out({"ok": True, "events": report.count, "integrity": pages})
        return EXIT_OK
    if report is None:
        _out({"ok": False, "integrity": pages})
        return EXIT_ERROR
    if report.ok:  # the chains hold; an account event, the users table or a signature does not
        first = problems[0] if problems else None
        bad_uuid = first.event if first else bad_sig.uuid if bad_sig else None
        reason = first.reason if first else bad_sig.reason if bad_sig else None
        _out({"ok": False, "events": report.count, "integrity": pages, "accounts": checked, "signatures": signed,
              "bad_uuid": bad_uuid, "reason": reason})  # fmt: skip
        return EXIT_ERROR
    _out(
        {
            "ok": False,
            "events": report.count,
            "integrity": pages,
            "accounts": checked,
            "signatures": signed,
            "bad_seq": report.bad_seq,
            "bad_uuid": report.bad_uuid,
            "reason": report.reason,
            "broken": [c.to_json() for c in report.broken],
            "ledger": report.ledger.to_json() if report.ledger else None,
        }
    )
    return EXIT_ERROR


def cmd_audit_rebuild(args: argparse.Namespace) -> int:
    """`station-app audit rebuild`: rebuild the projections from the event log and compare.

    Prints the comparison; exit 0 when the rebuilt tables are identical, 1 otherwise.
    """
    from station_app.services.audit_service import rebuild_projections

    session = _session(args)
    try:
        result = rebuild_projections(session)
    finally:
        session.close()
    _out(result)
    return EXIT_OK if result["identical"] else EXIT_ERROR


def cmd_audit_accept_rollback(args: argparse.Namespace) -> int:
    """`station-app audit accept-rollback --reason TEXT`: an admin accepts the store as it is.

    For when the anchor refuses to open a store older than the last one seen and no newer copy
    can be found. Prints the anchored and found sequence numbers; exit 0.

    Raises:
        CliError: no `--user` given.
    """
    from station_app.paths import setup_logging
    from station_app.services.recovery_service import accept_rollback

    data_dir = _data_dir(args)
    setup_logging(data_dir)
    user = args.user or os.environ.get("STATION_USER")
    if not user:
        raise CliError("请用 --user 指定管理员账户")
    result = accept_rollback(data_dir, user, read_password(), args.reason)
    _out({"accepted": True, "reason": result.reason, "anchored_seq": result.anchored_seq,
          "found_seq": result.found_seq, "counters_raised": result.counters_raised})  # fmt: skip
    return EXIT_OK


def cmd_calendar_add(args: argparse.Namespace) -> int:
    """`station-app calendar add-working-days DATE DAYS`: print the day `DAYS` working days after `DATE`.

    With `--data-dir`, the station's imported calendar; otherwise the bundled one. A note on
    stderr when a year counted has no holiday schedule (Mon-Fri less festivals estimated).

    Raises:
        ValidationError: `DATE` not YYYY-MM-DD or outside 2000-2100, or `DAYS` outside 0-3650 (exit 2).
    """
    from station_app.domain.validation import EARLIEST_RECEIVED, MAX_YEAR
    from station_app.rules.calendar import load_default_calendar

    try:
        start = date.fromisoformat(args.date)
    except ValueError:
        raise ValidationError({"date": "日期格式应为YYYY-MM-DD"}) from None
    if not EARLIEST_RECEIVED.year <= start.year <= MAX_YEAR:  # year 1 or 9999 is a typo (9999 overflowed)
        raise ValidationError({"date": f"日期应在{EARLIEST_RECEIVED.year}-{MAX_YEAR}年之间"})
    if not 0 <= args.days <= 3650:
        raise ValidationError({"days": "工作日数应在0至3650之间"})
    if args.data_dir:  # the station's imported calendar
        session = _session(args)
        try:
            calendar = session.calendar()
        finally:
            session.close()
    else:
        calendar = load_default_calendar()
    due, estimated = calendar.add_working_days(start, args.days)
    print(due.isoformat())
    if estimated:
        print("注意:该年度节假日安排尚未导入,按周一至周五并扣除法定节日估算", file=sys.stderr)
    return EXIT_OK


def cmd_calendar_import(args: argparse.Namespace) -> int:
    """`station-app calendar import FILE`: import a holiday schedule (JSON or CSV) into the station."""
    from station_app.services.calendar_service import import_schedule

    text_ = _read_file(args.file)
    session = _session(args)
    try:
        _out(import_schedule(session, text_, source=Path(args.file).name))
    finally:
        session.close()
    return EXIT_OK


def cmd_users_add(args: argparse.Namespace) -> int:
    """`station-app users add NAME --role ROLE`: add an account; asks for its password twice.

    Raises:
        ValidationError: a bad name or an unknown role (exit 2).
        CliError: a coordinator on a station's store, which only a city may have (exit 1).
    """
    from station_app.services.user_service import add_user, check_user_name
    from station_app.store.keystore import Keystore
    from station_app.store.station_store import keys_path

    fields = {}
    if (why := check_user_name(args.name)) is not None:
        fields["name"] = why
    if args.role not in ("worker", "head", "admin", "coordinator"):
        fields["role"] = "角色应为 worker、head、admin 或 coordinator"
    if fields:
        raise ValidationError(fields)
    city = Keystore.load(keys_path(_data_dir(args))).profile == "city"
    if args.role == "coordinator" and not city:
        raise CliError("市级协调员(coordinator)只能在市级数据中添加")
    if city and args.role in ("worker", "head"):
        raise CliError("市级数据只能添加 coordinator 或 admin 账户")
    session = _session(args)
    try:
        new_password = read_password(f"{args.name} 的新密码: ", env="STATION_NEW_PASSWORD", confirm=True)
        info = add_user(session, args.name, args.role, new_password, args.display_name)
    finally:
        session.close()
    _out({"name": info.name, "role": info.role.value})
    return EXIT_OK


def cmd_users_passwd(args: argparse.Namespace) -> int:
    """`station-app users passwd NAME`: set a new password (asked twice) for the account `NAME`."""
    from station_app.services.user_service import change_password

    session = _session(args)
    try:
        new_password = read_password(f"{args.name} 的新密码: ", env="STATION_NEW_PASSWORD", confirm=True)
        change_password(session, args.name, new_password)
    finally:
        session.close()
    _out({"name": args.name, "password_changed": True})
    return EXIT_OK


def cmd_users_unlock(args: argparse.Namespace) -> int:
    """`station-app users unlock NAME`: lift the lockout after too many wrong passwords."""
    from station_app.services.user_service import unlock_user

    session = _session(args)
    try:
        unlock_user(session, args.name)
    finally:
        session.close()
    _out({"name": args.name, "unlocked": True})
    return EXIT_OK


def cmd_users_disable(args: argparse.Namespace) -> int:
    """`station-app users disable|enable NAME`: stop or allow the account's logins; prints `active`."""
    from station_app.services.user_service import disable_user, enable_user

    session = _session(args)
    try:
        info = (disable_user if args.users_command == "disable" else enable_user)(session, args.name)
    finally:
        session.close()
    _out({"name": info.name, "active": info.active})
    return EXIT_OK


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """`station-app keys rotate`: re-encrypt the store under a new key; prints the accounts re-wrapped.

    Every other program must have closed the station first.
    """
    from station_app.services.key_service import rotate_store_key

    session = _session(args)
    try:
        result = rotate_store_key(session)
    finally:
        session.close()
    _out({"rotated": True, "accounts": list(result.accounts)})
    return EXIT_OK


def cmd_users_list(args: argparse.Namespace) -> int:
    """`station-app users list`: every account with its role, whether active, and any lockout end."""
    from station_app.services.user_service import list_users

    session = _session(args)
    try:
        users = list_users(session)
    finally:
        session.close()
    _out([{"name": u.name, "role": u.role.value, "active": u.active, "locked_until": u.locked_until} for u in users])
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    """`station-app bench`: run the performance benchmark and print its figures.

    `--profile city` measures the city console's store instead; progress goes to stderr.
    """
    from station_app.bench import run_bench

    progress = (lambda m: print(m, file=sys.stderr)) if not args.json or sys.stderr.isatty() else None
    if args.profile == "city":
        from station_app.bench_city import run_city_bench

        result = run_city_bench(args.cases, Path(args.workdir) if args.workdir else None, progress, not args.no_gui)
    else:
        result = run_bench(
            cases=args.cases,
            workdir=Path(args.workdir) if args.workdir else None,
            progress=progress,
            gui=not args.no_gui,
        )
    if args.json:
        _out(result)
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return EXIT_OK


_OPTION = re.compile(r"--?[A-Za-z][\w-]*")  # an option's name, never a value typed with it


def _field(option: str) -> str:
    return option.strip().lstrip("-").replace("-", "_")


def usage_fields(message: str) -> dict[str, str]:
    """The refused fields of an argparse error, in Chinese, as `{field: reason}`.

    The values typed are never echoed (a stray argument may be an ID number).
    """
    if m := re.match(r"argument ([^:]+): invalid (\w+) value", message):
        kind = m.group(2)
        return {_field(m.group(1).split("/")[-1]): "应为整数" if kind == "int" else "取值无效"}
    if m := re.match(r"argument ([^:]+): invalid choice: .*\(choose from (.*)\)", message):
        return {_field(m.group(1).split("/")[-1]): f"取值无效,可选:{m.group(2)}"}
    if m := re.match(r"argument ([^:]+): expected one argument", message):
        return {_field(m.group(1).split("/")[-1]): "缺少取值"}
    if m := re.match(r"the following arguments are required: (.*)", message):
        return {_field(name): "必填" for name in m.group(1).split(",")}
    if m := re.match(r"unrecognized arguments: (.*)", message):
        options = [o.group(0) for a in m.group(1).split() if (o := _OPTION.match(a))]
        return {"arguments": "无法识别的参数" + (":" + " ".join(options) if options else "")}
    return {"arguments": "命令行参数有误"}


class ContractParser(argparse.ArgumentParser):
    """Usage errors are refused input too: exit 2 with the JSON error naming the field."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and the refused fields as JSON, then exit 2 (refused input)."""
        self.print_usage(sys.stderr)
        _out({"error": "输入有误", "fields": usage_fields(message)})
        raise SystemExit(EXIT_REFUSED)


def build_parser() -> argparse.ArgumentParser:
    """The `station-app` parser with the core's commands and those in `EXTRA_COMMANDS`."""
    parser = ContractParser(prog="station-app", description="社保费争议调解站 受理与流转")
    parser.add_argument("--version", action="version", version=f"station-app {__version__}")
    parser.add_argument("--data-dir", help="数据目录(默认:系统用户数据目录)")
    parser.add_argument("--user", help="登录用户名")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("init", help="初始化调解站")
    p.add_argument("--station-code")
    p.add_argument("--station-name")
    p.add_argument("--town-code")
    p.add_argument("--admin")
    p.set_defaults(func=cmd_init)

    sub.add_parser("route", help="读取受理JSON,输出分流决定(指定 --data-dir 时按本站设置,需登录)").set_defaults(
        func=cmd_route
    )

    case = sub.add_parser("case", help="案件").add_subparsers(dest="case_command", required=True)
    p = case.add_parser("add")
    p.set_defaults(func=cmd_case_add)
    p = case.add_parser("list")
    p.add_argument("--search")
    p.add_argument("--status")
    p.add_argument("--overdue", action="store_true")
    p.add_argument("--station", help="只列出该调解站的案件(市级)")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true")
    p.add_argument("--reveal", action="store_true", help=REVEAL_HELP)
    p.set_defaults(func=cmd_case_list)
    p = case.add_parser("show")
    p.add_argument("case_no")
    p.add_argument("--json", action="store_true")
    p.add_argument("--reveal", action="store_true", help=REVEAL_HELP)
    p.set_defaults(func=cmd_case_show)
    p = case.add_parser("act", help="办理操作(数据JSON从标准输入读取)")
    p.add_argument("case_no")
    p.add_argument("action")
    p.add_argument("--form", action="store_true", help="只输出该操作需要填写的项目(与办理对话框相同),不执行")
    p.set_defaults(func=cmd_case_act)

    audit = sub.add_parser("audit").add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify").set_defaults(func=cmd_audit_verify)
    audit.add_parser("rebuild").set_defaults(func=cmd_audit_rebuild)
    p = audit.add_parser("accept-rollback", help="锚点拒绝打开、且找不到更新的数据时,由管理员确认从当前状态继续")
    p.add_argument("--reason", required=True, help="原因(记入事件日志)")
    p.set_defaults(func=cmd_audit_accept_rollback)

    cal = sub.add_parser("calendar").add_subparsers(dest="calendar_command", required=True)
    p = cal.add_parser("add-working-days")
    p.add_argument("date")
    p.add_argument("days", type=int)
    p.set_defaults(func=cmd_calendar_add)
    p = cal.add_parser("import")
    p.add_argument("file")
    p.set_defaults(func=cmd_calendar_import)

    users = sub.add_parser("users").add_subparsers(dest="users_command", required=True)
    p = users.add_parser("add")
    p.add_argument("name")
    p.add_argument("--role", default="worker")
    p.add_argument("--display-name")
    p.set_defaults(func=cmd_users_add)
    p = users.add_parser("passwd")
    p.add_argument("name")
    p.set_defaults(func=cmd_users_passwd)
    p = users.add_parser("unlock")
    p.add_argument("name")
    p.set_defaults(func=cmd_users_unlock)
    users.add_parser("list").set_defaults(func=cmd_users_list)
    for verb, text_ in (("disable", "停用账户(保留记录,不能再登录)"), ("enable", "重新启用已停用的账户")):
        p = users.add_parser(verb, help=text_)
        p.add_argument("name")
        p.set_defaults(func=cmd_users_disable)

    keys = sub.add_parser("keys", help="密钥").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("rotate", help="轮换数据库密钥(管理员;其他程序须已关闭本站)").set_defaults(func=cmd_keys_rotate)

    p = sub.add_parser("bench", help="性能基准")
    p.add_argument("--json", action="store_true")
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--workdir")
    p.add_argument("--no-gui", action="store_true", help="不测量桌面程序启动")
    p.add_argument(
        "--profile", choices=("station", "city"), default="station", help="city:多个调解站案件的市级库(建好后缓存)"
    )
    p.set_defaults(func=cmd_bench)

    for extra in EXTRA_COMMANDS:
        extra(sub)
    return parser


# Other packages add their subcommands here: the core's own (paper, oversight) through
# `_load_extras`, everything above the core (sync, the desktop app) through the launcher
# (`station_launcher`), which is the composition root and the console script's target.
EXTRA_COMMANDS: list[Callable[[Any], None]] = []
# What runs when no command is given (the launcher puts the desktop app here); with none, a
# missing command is refused input.
DEFAULT_COMMAND: list[Callable[[argparse.Namespace], int]] = []


def _load_extras() -> None:
    for module in (
        "station_app.documents.cli",
        "station_app.oversight_cli",
        "station_app.backup_cli",
    ):
        register = getattr(__import__(module, fromlist=["register"]), "register", None)
        if register is not None and register not in EXTRA_COMMANDS:
            EXTRA_COMMANDS.append(register)


def installed_main() -> Callable[[], int]:
    """The `station-app` entry point to run for `python -m station_app`.

    The installed app's entry (the launcher, which adds the commands of the packages above the
    core), so that `python -m station_app` runs the whole app; this module's `main` when the
    installed entry is this module or cannot be loaded.
    """
    from importlib.metadata import entry_points

    for entry in entry_points(group="console_scripts", name="station-app"):  # the first install on the path
        if entry.value.replace(" ", "") == "station_app.cli:main":
            return main
        try:
            return cast("Callable[[], int]", entry.load())
        except ImportError:
            return main
    return main


def _early_logging(argv: Sequence[str] | None) -> None:
    """Set up what must hold before anything can fail.

    Log to the data folder's log when the folder exists (a mistyped --data-dir is never
    created), to nowhere otherwise (never to stderr); make stdout and stderr unable to fail on a
    character; route uncaught errors of any thread to the log with a one-line message.
    """
    from station_app.paths import setup_logging

    logging.getLogger("station_app").addHandler(logging.NullHandler())  # never Python's last resort
    logging.raiseExceptions = False  # a log that cannot be written (disk full) prints nothing
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    args = list(sys.argv[1:] if argv is None else argv)
    given = next((a.split("=", 1)[1] for a in args if a.startswith("--data-dir=")), None)
    if given is None and "--data-dir" in args and args.index("--data-dir") + 1 < len(args):
        given = args[args.index("--data-dir") + 1]
    try:
        from station_app.paths import default_data_dir

        folder = Path(given) if given else default_data_dir()
        if folder.is_dir():
            setup_logging(folder)
    except (OSError, ValueError):
        pass

    def hook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        frames = "".join(traceback.format_tb(tb))
        log.error("uncaught %s\n%s", kind.__name__, frames)
        print(f"内部错误:{kind.__name__}", file=sys.stderr)

    sys.excepthook = hook
    threading.excepthook = lambda a: hook(a.exc_type, a.exc_value or a.exc_type(), a.exc_traceback)
    sys.unraisablehook = lambda u: log.error("unraisable %s", type(u.exc_value).__name__)


# What the command line reads from the environment, and the field a refusal names.
_ENV_FIELDS = {
    "STATION_USER": "user",
    "STATION_PASSWORD": "password",
    "STATION_NEW_PASSWORD": "new_password",
    "STATION_RECOVERY_PASSPHRASE": "recovery_passphrase",
}


def _undecodable(text_: str) -> bool:
    """Whether `text_` came from bytes that were not UTF-8 (Python keeps them as lone surrogates)."""
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text_)


def _check_invocation(argv: Sequence[str] | None) -> bool:
    """Refuse arguments and settings that are not UTF-8 text; give a closed stdin no input.

    A closed stdout is given a sink too (the desktop app may be started without one); the
    caller refuses a command when this returns True.

    Returns:
        Whether standard output was closed.

    Raises:
        ValidationError: naming `arguments` or the setting's field (never its value), exit 2.
    """
    closed = sys.stdout is None
    if closed:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stdin is None:  # started with stdin closed: read as empty input
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    fields = {field: f"环境变量 {name} 不是有效的UTF-8文本" for name, field in _ENV_FIELDS.items()
              if _undecodable(os.environ.get(name, ""))}  # fmt: skip
    if any(_undecodable(a) for a in (sys.argv[1:] if argv is None else argv)):
        fields["arguments"] = "命令行参数不是有效的UTF-8文本"
    if fields:
        raise ValidationError(fields)
    return closed


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command (DESIGN.md "Command line") and give its exit code.

    Exit 0 done, 2 refused input (JSON error on stdout), 1 anything else with one line on
    stderr; never a stack trace on stderr.
    """
    args: argparse.Namespace | None = None
    try:
        from station_app.paths import private_umask

        private_umask()  # the store, its WAL and SHM, logs and exports: 0600 in 0700 folders
        _early_logging(argv)
        stdout_closed = _check_invocation(argv)
        _load_extras()
        parser = build_parser()
        args = parser.parse_args(argv)
        if stdout_closed and getattr(args, "func", None) is not None:  # its result could not be told
            raise CliError("标准输出已关闭:命令的结果无法输出,未执行")
        if os.environ.get("STATION_TEST_KDF"):  # the test suite's cheap key wrap: refused outside a test run
            from station_app.store.keystore import default_kdf_params

            default_kdf_params()
        if getattr(args, "func", None) is None:
            if not DEFAULT_COMMAND:
                parser.error("the following arguments are required: command")
            return int(DEFAULT_COMMAND[0](args))
        return int(args.func(args))
    except ValidationError as exc:
        log.info("refused input to %s: fields %s", getattr(args, "command", None), sorted(exc.fields))
        _out(exc.to_json())
        return EXIT_REFUSED
    except (AuthError, StationError, CliError) as exc:  # the message is for the user; the log gets the kind
        log.warning("command %s failed: %s", getattr(args, "command", None), type(exc).__name__)
        print(str(exc), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception as exc:  # the environment (disk full, ...) or our bug: one line for the user
        from station_app.store.environment import as_environment_problem

        data_dir = _data_dir(args) if args is not None else None
        if (problem := as_environment_problem(exc, data_dir)) is not None:
            log.warning("command %s: environment problem %s", getattr(args, "command", None), problem.kind)
            print(str(problem), file=sys.stderr)
            return EXIT_ERROR
        # our bug: the traceback (no data) in the log
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unexpected %s in command %s\n%s", type(exc).__name__, getattr(args, "command", None), frames)
        print(f"内部错误:{type(exc).__name__}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    # Run the imported module's `main`, not this `__main__` copy: the commands registered from
    # other modules import `station_app.cli`, and its CliError must be the one caught here.
    from station_app.cli import installed_main

    sys.exit(installed_main()())
