"""Rotating the database key: `PRAGMA rekey` under a new random key, every wrap redone.

Crash-safe in three steps, so that a kill at any point leaves the old or the new key working:
1. `keys.json.next` is written (atomically) beside `keys.json`: a copy of it with the new key
   sealed to every account that has access (and any other wrap a registered hook redoes).
2. The database is rekeyed: SQLCipher rewrites every page in one transaction (all or nothing),
   then the WAL is checkpointed.
3. `keys.json.next` replaces `keys.json` (one rename: the switch).
At every unlock (`open_engine`) the key from `keys.json` is tried first; when it does not open
the database and `keys.json.next` exists, the key sealed there to the same account is tried, and
the switch is finished (`finish_or_drop_rotation`). When the old key opens the database, a
leftover `keys.json.next` never reached it and is dropped.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, text

from station_app.errors import StationError
from station_app.store import recovery_wrap
from station_app.store.atomic import fsync_dir
from station_app.store.db import make_engine, read
from station_app.store.environment import EnvironmentProblem
from station_app.store.keystore import Keystore
from station_app.store.user_keys import UserKeys

STAGED_SUFFIX = ".next"
# Other modules that keep a wrap of the database key in keys.json register how to redo it:
# hook(staged_data, old_key, new_key) changes the staged copy in place (keeping its shape).
ROTATION_HOOKS: list[Callable[[dict[str, Any], bytes, bytes], None]] = []
CANNOT_OPEN = "数据库无法打开:密钥不符或文件已损坏"


def staged_path(keys_path: Path) -> Path:
    """Where the staged key file of a rotation lives (`keys.json.next`)."""
    return keys_path.with_name(keys_path.name + STAGED_SUFFIX)


def _opens(db_path: Path, key: bytes) -> Engine | None:
    engine = make_engine(db_path, key)
    try:
        with read(engine) as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
    except EnvironmentProblem:  # a full disk or a missing file is not a wrong key
        engine.dispose()
        raise
    except StationError:
        engine.dispose()
        return None
    return engine


def open_engine(keystore: Keystore, db_path: Path, user: str, key: bytes, keys: UserKeys) -> tuple[Engine, bytes, bool]:
    """An engine on the database with the key that opens it.

    Tries `key` (from keys.json), then the key a cut-short rotation sealed to `user` in
    `keys.json.next`.

    Returns:
        `(engine, key, True when it was the staged key)`.

    Raises:
        StationError: neither opens it (a wrong key file or a damaged database).
    """
    engine = _opens(db_path, key)
    if engine is not None:
        return engine, key, False
    staged = staged_path(keystore.path)
    if staged.exists():
        new_key = Keystore.load(staged).open_with(user, keys)
        if new_key is not None:
            engine = _opens(db_path, new_key)
            if engine is not None:
                return engine, new_key, True
    raise StationError(CANNOT_OPEN)


def finish_or_drop_rotation(keystore: Keystore, rekeyed: bool) -> None:
    """Finish or drop a staged rotation once the database opened.

    A rotation whose rekey went through (`rekeyed`: the staged key opened it) is finished by
    switching to the staged file; a staged file that never reached the database (the old key
    opened it) is dropped.
    """
    staged = staged_path(keystore.path)
    if not staged.exists():
        return
    with keystore.locked():
        if not staged.exists():
            return
        if rekeyed:
            _switch(keystore, staged, Keystore.load(staged).data)
        else:
            staged.unlink(missing_ok=True)
            fsync_dir(staged.parent)


def _switch(keystore: Keystore, staged: Path, data: dict[str, Any]) -> None:
    """Make the staged file the key file, keeping the lockout state and attempts recorded since."""
    current = keystore.data
    data = copy.deepcopy(data)
    data["attempts"] = list(current.get("attempts", []))
    data["lockout"] = current.get("lockout", data.get("lockout"))
    for name, entry in data.get("users", {}).items():
        now = current.get("users", {}).get(name)
        if now is not None:
            entry["failures"] = now.get("failures", 0)
            entry["locked_until"] = now.get("locked_until")
    Keystore(keystore.path, data).save()
    staged.unlink(missing_ok=True)
    fsync_dir(staged.parent)
    keystore.reload()


def rekey(db_path: Path, old_key: bytes, new_key: bytes) -> None:
    """Re-encrypt the database under `new_key` (one transaction) and checkpoint the WAL.

    No other connection of this process may be open on it.
    """
    conn = sqlcipher3.dbapi2.connect(str(db_path), isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{old_key.hex()}'\"")
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute(f"PRAGMA rekey = \"x'{new_key.hex()}'\"")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()


def rotate(keystore: Keystore, db_path: Path, old_key: bytes) -> tuple[bytes, list[str]]:
    """Rotate the database key; returns (the new key, the accounts it was sealed to).

    The caller has disposed of every engine on the database. Raises StationError, nothing
    changed, when an account that has access still has a `wrap_v` 1 entry (its key can only be
    re-wrapped with its password: it must log in once, or an admin resets its password).
    """
    with keystore.locked():
        staged_path(keystore.path).unlink(missing_ok=True)
        names = [n for n in keystore.user_names() if keystore.has_access(n)]
        legacy = [n for n in names if keystore.public_keys(n) is None]
        if legacy:
            raise StationError(
                "以下账户还没有个人密钥,无法为其重新封装数据库密钥:"
                + "、".join(legacy)
                + "。请这些用户先登录一次,或由管理员重设其密码,然后再轮换密钥。"
            )
        new_key = os.urandom(32)
        staged = Keystore(staged_path(keystore.path), copy.deepcopy(keystore.data))
        for name in names:
            staged.seal_for(name, new_key)
        for hook in ROTATION_HOOKS:
            hook(staged.data, old_key, new_key)
        recovery_wrap.rewrap(staged.data, new_key)  # the city can still give the new key back
        staged.save()  # 1. the new wraps beside the old ones
        rekey(db_path, old_key, new_key)  # 2. all or nothing
        _switch(keystore, staged.path, staged.data)  # 3. the switch
        return new_key, names
