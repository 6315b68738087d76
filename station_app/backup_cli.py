"""`station-app backup --to DIR` and `station-app restore FILE [--yes]`.

Registered through `station_app.cli.EXTRA_COMMANDS`; the work is in
`services/backup_service.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from station_app.cli import EXIT_OK, CliError, _data_dir, _out, _session, read_password


def cmd_backup(args: argparse.Namespace) -> int:
    """`station-app backup --to DIR`: write an encrypted backup into the existing folder `DIR`.

    Prints the backup's JSON summary; exit 0.

    Raises:
        ValidationError: `DIR` is not an existing folder (checked before a password is asked;
            the folder is never created).
    """
    from station_app.errors import ValidationError
    from station_app.services.backup_service import backup

    to_dir = Path(args.to)
    if not to_dir.is_dir():  # refused before a password is asked; never created
        raise ValidationError({"to": "文件夹不存在(不会自动创建)"})
    session = _session(args)
    try:
        result = backup(session, to_dir)
    finally:
        session.close()
    _out(result.to_json())
    return EXIT_OK


def _confirmed(data_dir: Path) -> bool:
    question = (
        f"恢复将用备份替换 {data_dir} 中的调解站数据(当前数据移到 replaced-时间 文件夹,不会删除)。确认恢复请输入 yes: "
    )
    try:
        with open("/dev/tty", "r+", encoding="utf-8") as tty:
            tty.write(question)
            tty.flush()
            return tty.readline().strip().lower() in ("yes", "y", "是")
    except OSError:
        raise CliError("恢复会替换当前数据:请在终端中确认,或加 --yes") from None


def cmd_restore(args: argparse.Namespace) -> int:
    """`station-app restore FILE [--yes]`: replace the station's data by the backup `FILE`.

    The current data is moved aside, never deleted. Without `--yes` the user confirms first.
    Asks for the password of an admin recorded in the backup; prints the result as JSON; exit 0.

    Raises:
        ValidationError: `FILE` does not exist.
        CliError: the user did not confirm (the data is unchanged).
    """
    from station_app.errors import ValidationError
    from station_app.input_file import MISSING, InputFileError, check_regular
    from station_app.services.backup_service import restore

    file = Path(args.file)
    try:
        check_regular(file)
    except InputFileError as exc:
        raise ValidationError({"file": "备份文件不存在" if exc.kind == MISSING else f"备份{exc}"}) from None
    data_dir = _data_dir(args)
    if not args.yes and not _confirmed(data_dir):
        raise CliError("已取消,数据未改变")
    password = read_password("备份中管理员的密码: ")
    user = args.user or os.environ.get("STATION_USER")
    result = restore(data_dir, file, user, password)
    _out(result.to_json())
    print("已恢复;下次同步时市级将核对本站记录(新的存储纪元)", file=sys.stderr)
    return EXIT_OK


def register(sub: Any) -> None:
    """Add the `backup` and `restore` commands to the subparsers `sub` (an argparse subparsers action)."""
    p = sub.add_parser("backup", help="备份数据(加密,可在使用中进行)")
    p.add_argument("--to", required=True, help="备份文件夹(须已存在)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="从备份恢复数据(当前数据移到一旁,不删除)")
    p.add_argument("file", help="备份文件(.stbak)")
    p.add_argument("--yes", action="store_true", help="不再询问,直接恢复")
    p.set_defaults(func=cmd_restore)
