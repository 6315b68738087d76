"""Move the relay's metadata from one database to another (SQLite to PostgreSQL, usually).

The relay holds mailbox metadata only (uploads in progress, published bundles and their
tombstones, recent request nonces, installed keyrings); bundle bytes stay in the blob folder,
which the new database keeps using. The copy runs with the relay stopped: every row of every
table, in batches, into a target that must be empty, then the counts are compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, insert, select

from sync.relay.db import make_engine, metadata

BATCH = 2000


class MigrationRefused(Exception):
    """The copy cannot start (the target holds rows) or did not come out whole; nothing counts."""


@dataclass(frozen=True)
class CopiedTable:
    """One table after the copy: its name and the rows now in the target."""

    table: str
    rows: int


def copy_relay_db(
    source_url: str, target_url: str, progress: Callable[[str, int], None] | None = None
) -> list[CopiedTable]:
    """Copy every relay table from `source_url` to `target_url`.

    Both are SQLAlchemy URLs or a `postgresql://` URL, as `relay serve --db` takes them. The
    target's schema is created if missing; the whole copy is one transaction on the target, so a
    failure leaves it as it was. `progress(table, rows_so_far)` is called after each batch.

    Returns the tables with their row counts, in schema order.

    Raises:
        MigrationRefused: the source and target are the same URL, the target already holds
            relay rows, or a table's count differs after the copy.
        sqlalchemy.exc.SQLAlchemyError: a database cannot be reached or written.
    """
    if source_url == target_url:
        raise MigrationRefused("源数据库与目标数据库相同")
    source = make_engine(source_url)
    target = make_engine(target_url)
    try:
        return _copy(source, target, progress)
    finally:
        source.dispose()
        target.dispose()


def _copy(source: Engine, target: Engine, progress: Callable[[str, int], None] | None) -> list[CopiedTable]:
    tables = list(metadata.sorted_tables)
    with target.begin() as dst:
        for table in tables:
            if dst.execute(select(func.count()).select_from(table)).scalar_one():
                raise MigrationRefused(f"目标数据库的 {table.name} 表已有数据:只能迁移到空数据库")
        copied: list[CopiedTable] = []
        with source.connect() as src:
            for table in tables:
                rows = 0
                result = src.execution_options(stream_results=True).execute(select(table))
                while batch := result.fetchmany(BATCH):
                    dst.execute(insert(table), [dict(r._mapping) for r in batch])
                    rows += len(batch)
                    if progress is not None:
                        progress(table.name, rows)
                held = dst.execute(select(func.count()).select_from(table)).scalar_one()
                if held != rows:
                    raise MigrationRefused(f"{table.name} 表复制后行数不符({held} ≠ {rows})")
                copied.append(CopiedTable(table.name, rows))
    return copied
