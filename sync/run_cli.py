"""`station-app sync run [--relay URL]`: one sync round through the relay.

DESIGN.md "Sync and city command line". Registered through `station_app.cli.EXTRA_COMMANDS`.

Prints `{"sent": [...], "received": {...}}`. The relay cannot be reached: one line on stderr,
exit 1, nothing lost or marked sent. No relay configured and none given: one line, exit 1.
"""

from __future__ import annotations

import argparse
from typing import Any

from station_app.cli import EXIT_OK, CliError, _out, _session
from station_app.errors import ValidationError

#: The client's retry policy for one command-line round: four tries over a few seconds.
CLI_ATTEMPTS = 4


def cmd_sync_run(args: argparse.Namespace) -> int:
    """`station-app sync run [--relay URL]`: one round through the relay (see the module docstring).

    Raises:
        ValidationError: a malformed `--relay` address (exit 2).
        CliError: the station is not bound, no relay is known, the relay cannot be reached,
            another round is running, or the relay refused (exit 1).
    """
    from sync.relay_client import Backoff, RelayUnreachable
    from sync.run import SyncBusy, SyncRefused
    from sync.station_sync import check_relay_url, describe_refusal, is_bound, relay_url_of, sync_round

    given = args.relay
    if given is not None:
        problem = check_relay_url(given)
        if problem:
            raise ValidationError({"relay": problem})
    session = _session(args)
    try:
        if not is_bound(session):
            raise CliError("本站尚未与市级绑定,无法同步(请先用开通文件绑定:sync bind --provision FILE)")
        url = given or relay_url_of(session)
        if not url:
            raise CliError("未配置同步中转地址:请用 --relay 指定,或使用含中转地址的开通文件")
        try:
            result = sync_round(session, url, Backoff(attempts=CLI_ATTEMPTS, base_s=0.5, max_s=4.0))
        except RelayUnreachable:
            raise CliError(f"无法连接同步中转 {url}:请检查网络后重试(数据未丢失,可改用U盘同步)") from None
        except SyncBusy:
            raise CliError("另一次同步正在进行,请稍后再试") from None
        except SyncRefused as exc:
            raise CliError(describe_refusal(exc.error, exc.bundle_class)) from None
    finally:
        session.close()
    _out(result.to_json())
    return EXIT_OK


def _sync_group(sub: Any) -> Any:
    """The `sync` command group's subparsers, made here when no other module made it yet."""
    parser = sub.choices.get("sync")
    if parser is None:
        parser = sub.add_parser("sync", help="同步(U盘或中转)")
        return parser.add_subparsers(dest="sync_command", required=True)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="sync_command", required=True)


def register(sub: Any) -> None:
    """Add `sync run` to the command line (into the `sync` group wherever it was made)."""
    p = _sync_group(sub).add_parser("run", help="通过中转上传待同步数据并接收导入")
    p.add_argument("--relay", help="中转地址(默认:开通文件中的地址)")
    p.set_defaults(func=cmd_sync_run)
