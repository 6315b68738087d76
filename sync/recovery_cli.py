"""Key recovery from the command line (DESIGN.md "Key recovery"; sync/recovery.py).

`station-app recovery request|apply` (station) and `city recover` (city). Registered by the
launcher after `sync.cli`, whose `city` group it extends.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station_app.cli import EXIT_OK, _data_dir, _out, _session, read_password

NEW_PASSWORD_ENV = "STATION_NEW_PASSWORD"
RECOVERY_ENV = "STATION_RECOVERY_PASSPHRASE"


def _kdf() -> Any:
    from station_app.store.keystore import default_kdf_params

    return default_kdf_params()


def _say_fingerprint(label: str, fingerprint: str) -> None:
    from sync.provisioning import fingerprint_groups

    if sys.stderr.isatty():
        print(f"{label}(电话核对):{fingerprint_groups(fingerprint)}", file=sys.stderr)


def cmd_recovery_request(args: argparse.Namespace) -> int:
    """`station-app recovery request --out FILE`: write a recovery request; no password needed.

    Asks for the new admin password (twice), needed again to apply the answer. Prints the request
    as JSON and its fingerprint on stderr, to read to the city on the phone.
    """
    from sync.recovery import make_request

    password = read_password("新管理员密码(应用答复时还要输入): ", env=NEW_PASSWORD_ENV, confirm=True)
    made = make_request(_data_dir(args), password, Path(args.out), kdf=_kdf())
    _out(made.to_json())
    _say_fingerprint("恢复申请指纹", made.fingerprint)
    return EXIT_OK


def cmd_recovery_apply(args: argparse.Namespace) -> int:
    """`station-app recovery apply RESPONSE --admin NAME`: apply the city's answer (`apply_response`).

    Asks for the new admin password chosen at the request; prints the result as JSON.
    """
    from sync.recovery import apply_response

    password = read_password("申请恢复时设定的新管理员密码: ", env=NEW_PASSWORD_ENV)
    _out(apply_response(_data_dir(args), Path(args.response), args.admin, password, kdf=_kdf()).to_json())
    return EXIT_OK


def cmd_city_recover(args: argparse.Namespace) -> int:
    """`station-app city recover REQUEST --out FILE`: answer a station's recovery request (city admin).

    Asks for the recovery key's passphrase; prints the answer as JSON and the request's
    fingerprint on stderr, to compare with the one read on the phone.
    """
    from sync.recovery import answer_request

    session = _session(args)
    try:
        passphrase = read_password("恢复密钥口令: ", env=RECOVERY_ENV)
        answered = answer_request(session, Path(args.request), passphrase, Path(args.out))
    finally:
        session.close()
    _out(answered.to_json())
    _say_fingerprint("已答复的恢复申请指纹", answered.fingerprint)
    return EXIT_OK


def register(sub: Any) -> None:
    """Add `recovery request|apply` and, when the city commands are there, `city recover`."""
    from sync.cli import CITY_COMMANDS

    recovery = sub.add_parser("recovery", help="密码全部遗失时,由市级恢复本站数据").add_subparsers(
        dest="recovery_command", required=True
    )
    p = recovery.add_parser("request", help="生成恢复申请文件(无需旧密码;新管理员密码此时设定)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_recovery_request)
    p = recovery.add_parser("apply", help="应用市级的恢复答复,设立新管理员")
    p.add_argument("response")
    p.add_argument("--admin", required=True)
    p.set_defaults(func=cmd_recovery_apply)
    for city in CITY_COMMANDS:
        p = city.add_parser("recover", help="答复调解站的恢复申请(管理员,并需恢复密钥口令)")
        p.add_argument("request")
        p.add_argument("--out", required=True)
        p.set_defaults(func=cmd_city_recover)
