"""The station's data folder: `keys.json` (wrapped keys, lockout) and `station.db` (SQLCipher)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Engine, text

from station_app.clock import CHINA_TZ
from station_app.errors import StationError
from station_app.paths import make_private_dir, restrict
from station_app.store.anchor import open_anchor
from station_app.store.db import dispose, get_meta, make_engine, read, set_meta, write
from station_app.store.environment import MISSING, EnvironmentProblem
from station_app.store.keystore import KdfParams, Keystore
from station_app.store.migrations import migrate
from station_app.store.rotation import finish_or_drop_rotation, open_engine
from station_app.store.search_index import merges_left_held, release_merges
from station_app.store.user_keys import UserKeys

DB_NAME = "station.db"
KEYS_NAME = "keys.json"


def db_path(data_dir: Path) -> Path:
    """The station database in `data_dir` (`station.db`)."""
    return data_dir / DB_NAME


def keys_path(data_dir: Path) -> Path:
    """The key file in `data_dir` (`keys.json`)."""
    return data_dir / KEYS_NAME


STORE_FILES = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", KEYS_NAME, "keys.lock", "station.anchor")


def tighten(data_dir: Path) -> None:
    """The data folder 0700 and the store's files in it 0600 (see `station_app.paths`)."""
    restrict(data_dir)
    for name in STORE_FILES:
        restrict(data_dir / name)


def station_exists(data_dir: Path) -> bool:
    """Whether `data_dir` holds a station: both its key file and its database."""
    return keys_path(data_dir).exists() and db_path(data_dir).exists()


@dataclass
class OpenStore:
    """An unlocked store: the engine plus the keystore it was unlocked from."""

    data_dir: Path
    engine: Engine
    keystore: Keystore
    key: bytes
    user_keys: UserKeys | None = None  # the keys of the account that unlocked it
    upgraded: bool = False  # that account was given its keys at this unlock

    def close(self) -> None:
        """Dispose of the engine and its connections (after its pending checkpoint)."""
        dispose(self.engine)

    def meta(self, key: str) -> str | None:
        """The `meta` value at `key`, or None."""
        with read(self.engine) as conn:
            return get_meta(conn, key)


def _raw(key: Ed25519PrivateKey | X25519PrivateKey) -> tuple[str, str]:
    private = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return private.hex(), public.hex()


def create_store(
    data_dir: Path,
    station_code: str,
    station_name: str,
    admin: str,
    password: str,
    kdf: KdfParams | None = None,
    *,
    profile: str = "station",
    origin: str | None = None,
) -> OpenStore:
    """Make a new encrypted store with a random key wrapped for the first admin.

    `profile` is `station` or `city` (docs/sync.md); `origin` the name its events carry (the
    station code by default; `city:<code>` for the city). The store gets an Ed25519 signing key,
    an X25519 box key, an Ed25519 transport key and a random store epoch, all in `meta` (inside
    the encrypted database, so wrapped under the store key).
    """
    if keys_path(data_dir).exists() or db_path(data_dir).exists():
        raise StationError("该数据目录中已存在调解站数据")
    make_private_dir(data_dir, parents=True)
    db_key = os.urandom(32)
    keystore = Keystore.create(keys_path(data_dir), station_code, station_name)
    if profile != "station":
        keystore.set_section("profile", profile)
    user_keys = keystore.wrap(admin, password, db_key, kdf)
    # made 0600 before SQLite opens it: the WAL and SHM files take the database file's mode
    os.close(os.open(db_path(data_dir), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    engine = make_engine(db_path(data_dir), db_key)
    migrate(engine, db_path(data_dir))
    sign_priv, sign_pub = _raw(Ed25519PrivateKey.generate())
    box_priv, box_pub = _raw(X25519PrivateKey.generate())
    transport_priv, transport_pub = _raw(Ed25519PrivateKey.generate())
    with write(engine) as conn:
        set_meta(conn, "profile", profile)
        for k, v in (
            ("ed25519_private", sign_priv),
            ("ed25519_public", sign_pub),
            ("x25519_private", box_priv),
            ("x25519_public", box_pub),
            ("transport_private", transport_priv),
            ("transport_public", transport_pub),
            ("created_at", datetime.now(CHINA_TZ).isoformat(timespec="seconds")),
            ("origin", origin or station_code),
        ):
            conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": k, "v": v})
    open_anchor(engine, db_path(data_dir))
    keystore.save()  # the key file last: a half-made store is never offered for login
    tighten(data_dir)
    return OpenStore(data_dir, engine, keystore, db_key, user_keys)


def unlock_store(data_dir: Path, user: str, password: str, now: datetime, check_anchor: bool = True) -> OpenStore:
    """Unwrap the key with the user's password (counting failures) and open the database.

    A key rotation cut short is finished or dropped here (rotation.py). The key file must
    belong to this database (its station code and name are the database's): StationError
    otherwise. The database is checked against its anchor (anchor.py): AnchorError, with what
    happened and what to do, when its log is behind the last anchored head (`check_anchor`
    False: not checked and not registered; only for `audit accept-rollback`).
    """
    keystore = Keystore.load(keys_path(data_dir))
    if not db_path(data_dir).is_file():  # never let SQLite make an empty database in its place
        raise EnvironmentProblem(MISSING, str(db_path(data_dir)))
    unlocked = keystore.unlock(user, password, now)
    tighten(data_dir)  # a store made by an older version, or files copied in with open modes
    engine, db_key, rekeyed = open_engine(keystore, db_path(data_dir), user, unlocked.key, unlocked.keys)
    try:
        migrate(engine, db_path(data_dir))
        _release_held_merges(engine)
        _check_binding(engine, keystore)
        if check_anchor:
            open_anchor(engine, db_path(data_dir))  # a log behind its anchor refuses normal work
    except StationError:
        engine.dispose()
        raise
    finish_or_drop_rotation(keystore, rekeyed)
    with keystore.locked():
        attempts = keystore.take_attempts()
        if attempts:
            with write(engine) as conn:
                conn.execute(
                    text(
                        "INSERT OR IGNORE INTO login_attempts (user_name, at, ok, attempt_id)"
                        " VALUES (:u, :at, :ok, :id)"
                    ),
                    [{"u": a["user"], "at": a["at"], "ok": bool(a["ok"]), "id": a["id"]} for a in attempts],
                )
            keystore.save()
    return OpenStore(data_dir, engine, keystore, db_key, unlocked.keys, unlocked.upgraded)


def _release_held_merges(engine: Engine) -> None:
    """An import that did not end left the search indexes' merging held: let it go on."""
    with read(engine) as conn:
        held = merges_left_held(conn)
    if held:
        with write(engine) as conn:
            release_merges(conn)


def _check_binding(engine: Engine, keystore: Keystore) -> None:
    """Refuse a key file whose station code or name is not the database's (edited, or copied from another station)."""
    with read(engine) as conn:
        code, name = get_meta(conn, "station_code"), get_meta(conn, "station_name")
    if code is not None and code != keystore.station_code:
        raise StationError(
            "密钥文件 keys.json 中的调解站编码(station_code)与数据库不符:该文件被改动或来自另一个调解站。"
            "请从备份恢复本站的 keys.json。"
        )
    if name is not None and name != keystore.station_name:
        raise StationError(
            "密钥文件 keys.json 中的调解站名称(station_name)与数据库不符:该文件被改动或来自另一个调解站。"
            "请从备份恢复本站的 keys.json。"
        )


def plain_store(path: Path) -> Engine:
    """A plain (unencrypted) SQLite database with the same schema: the benchmark's baseline."""
    engine = make_engine(path, None)
    migrate(engine, path)
    return engine
