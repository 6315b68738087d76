"""`station-app relay serve`: run the relay (registered through `station_app.cli.EXTRA_COMMANDS`).

Importing this module is cheap: FastAPI, uvicorn and the database drivers load only when the
command runs, so the desktop app's command line never pays for them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from station_app.cli import EXIT_OK, CliError
from station_app.errors import ValidationError

DEFAULT_DB_NAME = "relay.db"
DEFAULT_BLOBS_NAME = "blobs"
#: `--expire-days`: at most 60, so that an expired bundle's id is still remembered for a month
#: (tombstones are kept 90 days from storing) and a late re-create answers `expired`.
EXPIRE_DAYS_DEFAULT, EXPIRE_DAYS_MAX = 30, 60


def storage_locations(db: str | None, blobs: str | None, default_root: Path) -> tuple[str, Path]:
    """The database URL and blob folder from the `--db` and `--blobs` options.

    `--db` defaults to `relay.db` beside the blob folder; `--blobs` to `blobs/` beside a SQLite
    file; with neither, both go in `default_root`. A `--db` that is not a URL is a SQLite file.

    Raises:
        ValidationError: `blobs` missing with a PostgreSQL URL (there is no file to put it beside).
    """
    from sync.relay.db import is_postgresql, sqlite_url

    if db is not None and is_postgresql(db):
        if blobs is None:
            raise ValidationError({"blobs": "使用 PostgreSQL 时须指定 --blobs 目录"})
        return db, Path(blobs)
    if db is None:
        folder = Path(blobs) if blobs is not None else default_root / DEFAULT_BLOBS_NAME
        return sqlite_url(folder.parent / DEFAULT_DB_NAME), folder
    db_file = Path(db.removeprefix("sqlite:///")) if db.startswith("sqlite:///") else Path(db)
    if "://" in db and not db.startswith("sqlite:///"):
        raise ValidationError({"db": "应为 SQLite 文件或 postgresql:// 地址"})
    folder = Path(blobs) if blobs is not None else db_file.parent / DEFAULT_BLOBS_NAME
    return sqlite_url(db_file), folder


def cmd_relay_serve(args: argparse.Namespace) -> int:
    """`station-app relay serve --keyring FILE`: run the relay until stopped.

    Storage defaults to the data folder's `relay` (SQLite and blobs) unless `--db` and `--blobs`
    say otherwise. `--expire-days` is how long an unfetched bundle waits (30 days by default).

    Raises:
        ValidationError: the keyring file is missing or not signed by a city root, or
            `--expire-days` is outside 1 to 60 (exit 2).
        CliError: the database or blob folder cannot be opened, or the port cannot be listened on.
    """
    from station_app.paths import default_data_dir

    keyring = Path(args.keyring)
    if not keyring.is_file():
        raise ValidationError({"keyring": "找不到密钥环文件"})
    if not 1 <= args.expire_days <= EXPIRE_DAYS_MAX:
        raise ValidationError({"expire_days": f"应为 1 到 {EXPIRE_DAYS_MAX} 天"})
    root = Path(args.data_dir) / "relay" if args.data_dir else default_data_dir() / "relay"
    db_url, blobs = storage_locations(args.db, args.blobs, root)
    if not db_url.startswith("postgresql"):
        Path(db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    from sqlalchemy.exc import SQLAlchemyError

    from sync.errors import BundleError
    from sync.relay.server import build_service, serve
    from sync.relay.settings import DAY_S, RelaySettings

    settings = RelaySettings(bundle_ttl_s=args.expire_days * DAY_S)
    try:
        service = build_service(keyring, db_url, blobs, settings)
    except BundleError:
        raise ValidationError({"keyring": "密钥环文件无效(格式或市级根密钥签名不符)"}) from None
    except SQLAlchemyError as exc:
        raise CliError(f"无法打开中转数据库:{type(exc).__name__}") from None
    except OSError as exc:
        raise CliError(f"无法读写中转数据目录:{exc.strerror}") from None
    try:
        serve(service, args.host, args.port)
    except OSError as exc:
        raise CliError(f"无法监听 {args.host}:{args.port}:{exc.strerror}") from None
    return EXIT_OK


def cmd_relay_migrate(args: argparse.Namespace) -> int:
    """`station-app relay migrate --from DB --to DB`: copy the relay's metadata to another database.

    Prints the row count of each table copied.

    Raises:
        ValidationError: a database given neither as a SQLite file nor as a postgresql:// URL.
        CliError: the copy was refused (`copy_relay_db`) or a database cannot be opened or written.
    """
    import json

    from sqlalchemy.exc import SQLAlchemyError

    from sync.relay.db import is_postgresql, sqlite_url
    from sync.relay.migrate import MigrationRefused, copy_relay_db

    def url(value: str, field: str) -> str:
        if is_postgresql(value) or value.startswith("sqlite:///"):
            return value
        if "://" in value:
            raise ValidationError({field: "应为 SQLite 文件或 postgresql:// 地址"})
        if field == "from" and not Path(value).is_file():
            raise ValidationError({field: "找不到该 SQLite 文件"})
        return sqlite_url(Path(value))

    source, target = url(args.source, "from"), url(args.target, "to")
    try:
        copied = copy_relay_db(source, target)
    except MigrationRefused as exc:
        raise CliError(str(exc)) from None
    except SQLAlchemyError as exc:
        raise CliError(f"无法打开或写入中转数据库:{type(exc).__name__}") from None
    print(json.dumps({"tables": {c.table: c.rows for c in copied}}, ensure_ascii=False))
    return EXIT_OK


def register(sub: Any) -> None:
    """Add `relay serve` and `relay migrate` to the command line."""
    relay = sub.add_parser("relay", help="同步中转服务").add_subparsers(dest="relay_command", required=True)
    p = relay.add_parser("serve", help='运行中转服务(就绪后输出 {"listening": URL})')
    p.add_argument("--keyring", required=True, help="市级签名的密钥环文件")
    p.add_argument("--db", help="数据库:SQLite 文件或 postgresql:// 地址(默认:blobs 目录旁的 relay.db)")
    p.add_argument("--blobs", help="数据包目录(默认:SQLite 文件旁的 blobs 目录)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--expire-days",
        type=int,
        default=EXPIRE_DAYS_DEFAULT,
        help=f"未取走的同步包保留天数(默认 {EXPIRE_DAYS_DEFAULT},最多 {EXPIRE_DAYS_MAX})",
    )
    p.set_defaults(func=cmd_relay_serve)
    p = relay.add_parser("migrate", help="停机后把中转元数据复制到新数据库(如 SQLite 到 PostgreSQL)")
    p.add_argument("--from", dest="source", required=True, help="现用数据库:SQLite 文件或地址")
    p.add_argument("--to", dest="target", required=True, help="新数据库:postgresql:// 地址或 SQLite 文件(须为空)")
    p.set_defaults(func=cmd_relay_migrate)
