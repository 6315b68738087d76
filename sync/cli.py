"""The city and sync commands (DESIGN.md "Sync and city command line").

Registered through `station_app.cli.EXTRA_COMMANDS`: `city
init|provision|enroll|revoke|stations|keyring`, `sync
identity|bind|export|import|status|conflicts|resolve`, and `init --provision`.

`SYNC_COMMANDS` holds the `sync` sub-command group once the parser is built, so that other
modules (the relay transport's `sync run`) add their commands to the same group.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station_app.cli import EXIT_OK, EXIT_REFUSED, _data_dir, _out, _session, read_password
from station_app.errors import ValidationError

SYNC_COMMANDS: list[Any] = []  # [the `sync` subparsers action], filled by `register`
CITY_COMMANDS: list[Any] = []  # the `city` subcommands, for modules that add their own (recovery)

RECOVERY_ENV = "STATION_RECOVERY_PASSPHRASE"


def _init_kdf() -> Any:
    return None  # the default Argon2id cost (the test cost when STATION_TEST_KDF applies)


def cmd_init(args: argparse.Namespace) -> int:
    """`init`, and with `--provision FILE --admin NAME` a station bound to the city."""
    from station_app.cli import cmd_init as plain_init

    if not getattr(args, "provision", None):
        return plain_init(args)
    given = [k for k in ("station_code", "station_name", "town_code") if getattr(args, k, None) is not None]
    if given:
        raise ValidationError({k: "使用 --provision 时由开通文件给出,不能另行指定" for k in given})
    from station_app.services.user_service import check_password, check_user_name
    from sync.provisioning import init_from_provision, read_provision

    read_provision(Path(args.provision))  # refuse a bad file before asking for a password
    if args.admin is None:
        raise ValidationError({"admin": "必填"})
    if (why := check_user_name(args.admin)) is not None:
        raise ValidationError({"admin": why})
    password = read_password("管理员密码: ", confirm=True)
    if (why := check_password(password)) is not None:
        raise ValidationError({"password": why})
    session, out = init_from_provision(_data_dir(args), Path(args.provision), args.admin, password)
    session.close()
    _out(out)
    return EXIT_OK


def cmd_city_init(args: argparse.Namespace) -> int:
    """`station-app city init`: make the city's store, its keys and its first admin.

    Asks for the admin's password and the recovery key's passphrase (different from it), each
    twice. Prints the city's code, name and fingerprint as JSON.

    Raises:
        ValidationError: a bad city code, name or admin name (exit 2).
    """
    from station_app.services.user_service import check_user_name
    from sync.provisioning import check_city, init_city

    fields = check_city(args.city_code, args.city_name)
    if (why := check_user_name(args.admin)) is not None:
        fields["admin"] = why
    if fields:
        raise ValidationError(fields)
    password = read_password("管理员密码: ", confirm=True)
    passphrase = read_password("恢复密钥口令(与登录密码不同,请另行保管): ", env=RECOVERY_ENV, confirm=True)
    session, fingerprint = init_city(_data_dir(args), args.city_code, args.city_name, args.admin, password, passphrase)
    session.close()
    _out(
        {
            "city_code": args.city_code,
            "city_name": args.city_name.strip(),
            "admin": args.admin,
            "data_dir": str(_data_dir(args)),
            "fingerprint": fingerprint,
        }
    )
    _show_fingerprint(fingerprint)
    return EXIT_OK


def _show_fingerprint(fingerprint: str) -> None:
    from sync.provisioning import fingerprint_groups

    if sys.stderr.isatty():
        print("指纹(电话核对):" + fingerprint_groups(fingerprint), file=sys.stderr)


def _run(args: argparse.Namespace, fn: Any, *params: Any) -> Any:
    session = _session(args)
    try:
        return fn(session, *params)
    finally:
        session.close()


def cmd_city_provision(args: argparse.Namespace) -> int:
    """`station-app city provision`: write a station's provisioning file (city admin).

    Prints the file, the station code and the city's fingerprint.
    """
    from sync.provisioning import provision_station

    out = _run(args, provision_station, args.station_code, args.station_name, args.town_code, args.relay,
               Path(args.out))  # fmt: skip
    _out(out)
    return EXIT_OK


def cmd_city_enroll(args: argparse.Namespace) -> int:
    """`station-app city enroll FILE`: register a station's identity file (city admin).

    The file is checked before a password is asked. Prints the station, its fingerprint and the
    new keyring version.
    """
    from sync.provisioning import enroll_station, read_identity

    read_identity(Path(args.file))  # a bad file is refused before the password
    _out(_run(args, enroll_station, Path(args.file)))
    return EXIT_OK


def cmd_city_revoke(args: argparse.Namespace) -> int:
    """`station-app city revoke CODE --reason TEXT`: revoke a station's identity (city admin).

    Raises:
        ValidationError: no reason given (exit 2).
    """
    from sync.provisioning import revoke_station

    if not (args.reason or "").strip():
        raise ValidationError({"reason": "请填写吊销理由"})
    _out(_run(args, revoke_station, args.code, args.reason))
    return EXIT_OK


def cmd_city_stations(args: argparse.Namespace) -> int:
    """`station-app city stations`: one line per station (code, name, status, events held, fingerprint), or JSON."""
    from sync.provisioning import fingerprint_groups, list_stations

    rows = _run(args, list_stations)
    if args.json:
        _out(rows)
    else:
        for r in rows:
            status = "已吊销" if r["status"] == "revoked" else "正常"
            fp = fingerprint_groups(r["fingerprint"]) if r["fingerprint"] else "未登记"
            print(f"{r['station_code']}  {r['station_name']}  {status}  事件 {r['events_held']}  指纹 {fp}")
    return EXIT_OK


def cmd_city_keyring(args: argparse.Namespace) -> int:
    """`station-app city keyring --out FILE`: write the current signed keyring, for the relay."""
    from sync.provisioning import write_keyring

    _out(_run(args, write_keyring, Path(args.out)))
    return EXIT_OK


def cmd_city_relay(args: argparse.Namespace) -> int:
    """`city relay [--set URL | --clear]`: the relay the city syncs through.

    `sync run` without `--relay` and the console use it; setting it is the city admin's.
    Prints `{"relay"}`.
    """
    from sync.city_sync import city_relay, set_relay_url

    if args.set is not None and args.clear:
        raise ValidationError({"set": "--set 与 --clear 只能用一个"})
    if args.set is not None or args.clear:
        relay = _run(args, set_relay_url, None if args.clear else args.set)
    else:
        relay = _run(args, city_relay)
    _out({"relay": relay})
    return EXIT_OK


def cmd_sync_identity(args: argparse.Namespace) -> int:
    """`station-app sync identity --out FILE`: write this station's public identity, for `city enroll`."""
    from sync.provisioning import write_identity

    _out(_run(args, write_identity, Path(args.out)))
    return EXIT_OK


def cmd_sync_bind(args: argparse.Namespace) -> int:
    """`station-app sync bind --provision FILE`: bind an existing station to its city with a provisioning file."""
    from sync.provisioning import bind_station, read_provision

    read_provision(Path(args.provision))
    _out(_run(args, bind_station, Path(args.provision)))
    return EXIT_OK


def cmd_sync_export(args: argparse.Namespace) -> int:
    """`station-app sync export --to DIR`: write every due bundle into `DIR`; prints what was written.

    At the city, `--station` limits the export to one station.
    """
    from sync.exchange import check_export_dir, export_due

    to = check_export_dir(args.to)
    result = _run(args, lambda s: export_due(s, to, args.station))
    _out(result.to_json())
    return EXIT_OK


def cmd_sync_import(args: argparse.Namespace) -> int:
    """`station-app sync import PATH`: import a bundle file, or every bundle in a folder.

    Prints the import summary; a bundle refused whole gives exit 2 with its error class on the
    field `bundle`.
    """
    from sync.errors import BundleError
    from sync.exchange import check_import_path, import_path

    path = check_import_path(args.path)
    try:
        summary = _run(args, lambda s: import_path(s, path))
    except BundleError as exc:
        _out({"error": "同步包被拒收", "fields": {"bundle": exc.error_class.value}})
        return EXIT_REFUSED
    _out(summary.to_json())
    return EXIT_OK


def cmd_sync_status(args: argparse.Namespace) -> int:
    """`station-app sync status`: per peer, events waiting, the last ack, pending events and conflicts."""
    from sync.exchange import sync_status

    status = _run(args, sync_status)
    if args.json:
        _out(status.to_json())
    else:
        for p in status.to_json()["peers"]:
            ack = p["last_ack"]["through_seq"] if p["last_ack"] else "无"
            waiting, pending, conflicts = p["events_waiting"], p["pending"], p["conflicts"]
            print(f"{p['peer']}  待同步 {waiting}  已确认至 {ack}  待处理 {pending}  冲突 {conflicts}")
    return EXIT_OK


def cmd_sync_conflicts(args: argparse.Namespace) -> int:
    """`station-app sync conflicts`: one line per conflict (case, fields, state), or JSON."""
    from sync.exchange import sync_conflicts

    rows = _run(args, sync_conflicts)
    if args.json:
        _out(rows)
    else:
        for r in rows:
            print(f"{r['case_no']}  {'、'.join(r['fields'])}  {r['state']}")
    return EXIT_OK


def cmd_sync_resolve(args: argparse.Namespace) -> int:
    """`station-app sync resolve CASE_NO --choose incoming|local`: settle a case's open conflicts."""
    from sync.exchange import resolve_conflict

    _out(_run(args, resolve_conflict, args.case_no, args.choose, args.reason))
    return EXIT_OK


def cmd_sync_reconcile(args: argparse.Namespace) -> int:
    """`sync reconcile STATION_CODE [--to DIR]`: send a station its own chains back (city)."""
    from sync.reconcile import write_restore

    to = Path(args.to) if args.to else None
    result, closed = _run(args, write_restore, args.station_code, to)
    _out({**result.to_json(), "station_code": args.station_code, "forks_closed": closed})
    return EXIT_OK


def register(sub: Any) -> None:
    """Add the city and sync commands, and `--provision` to `init`."""
    init = sub.choices.get("init")
    if init is not None:
        init.add_argument("--provision", help="市级制作的开通文件(绑定市级的调解站)")
        init.set_defaults(func=cmd_init)

    city = sub.add_parser("city", help="市级:开通、登记、吊销调解站").add_subparsers(dest="city_command", required=True)
    CITY_COMMANDS[:] = [city]
    p = city.add_parser("init", help="建立市级数据和密钥")
    p.add_argument("--city-code", required=True)
    p.add_argument("--city-name", required=True)
    p.add_argument("--admin", required=True)
    p.set_defaults(func=cmd_city_init)
    p = city.add_parser("provision", help="为一个调解站制作开通文件")
    p.add_argument("--station-code", required=True)
    p.add_argument("--station-name", required=True)
    p.add_argument("--town-code", required=True)
    p.add_argument("--relay")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_city_provision)
    p = city.add_parser("enroll", help="登记调解站的身份文件")
    p.add_argument("file")
    p.set_defaults(func=cmd_city_enroll)
    p = city.add_parser("revoke", help="吊销调解站")
    p.add_argument("code")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_city_revoke)
    p = city.add_parser("stations", help="调解站列表")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_city_stations)
    p = city.add_parser("keyring", help="输出当前签名密钥环")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_city_keyring)
    p = city.add_parser("relay", help="市级使用的网络中转地址(查看或设置)")
    p.add_argument("--set", help="中转地址,如 https://relay.mohe.example(管理员)")
    p.add_argument("--clear", action="store_true", help="清除中转地址,只用U盘(管理员)")
    p.set_defaults(func=cmd_city_relay)

    sync = sub.add_parser("sync", help="同步(U盘或中转)").add_subparsers(dest="sync_command", required=True)
    SYNC_COMMANDS[:] = [sync]
    p = sync.add_parser("identity", help="输出本站公开身份文件(供市级登记)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_sync_identity)
    p = sync.add_parser("bind", help="用开通文件把本站绑定到市级")
    p.add_argument("--provision", required=True)
    p.set_defaults(func=cmd_sync_bind)
    p = sync.add_parser("export", help="导出同步包到文件夹")
    p.add_argument("--to", required=True)
    p.add_argument("--station")
    p.set_defaults(func=cmd_sync_export)
    p = sync.add_parser("import", help="导入同步包(文件或文件夹)")
    p.add_argument("path")
    p.set_defaults(func=cmd_sync_import)
    p = sync.add_parser("status", help="同步状态")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sync_status)
    p = sync.add_parser("conflicts", help="同步冲突")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sync_conflicts)
    p = sync.add_parser("resolve", help="处理冲突")
    p.add_argument("case_no")
    p.add_argument("--choose", required=True, choices=("incoming", "local"))
    p.add_argument("--reason")
    p.set_defaults(func=cmd_sync_resolve)
    p = sync.add_parser("reconcile", help="市级:把调解站自己的记录发回(该站恢复备份后)")
    p.add_argument("station_code")
    p.add_argument("--to", help="写入的文件夹(U盘);不给时放入待上传中转的队列")
    p.set_defaults(func=cmd_sync_reconcile)
