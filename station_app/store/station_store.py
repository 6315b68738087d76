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

from station_app.errors import StationError
from station_app.store.anchor import open_anchor
from station_app.store.db import get_meta, make_engine, read, set_meta, write
from station_app.store.keystore import KdfParams, Keystore
from station_app.store.migrations import migrate

DB_NAME = "station.db"
KEYS_NAME = "keys.json"


def db_path(data_dir: Path) -> Path:
    return data_dir / DB_NAME


def keys_path(data_dir: Path) -> Path:
    return data_dir / KEYS_NAME


def station_exists(data_dir: Path) -> bool:
    return keys_path(data_dir).exists() and db_path(data_dir).exists()


@dataclass
class OpenStore:
    """An unlocked store: the engine plus the keystore it was unlocked from."""

    data_dir: Path
    engine: Engine
    keystore: Keystore
    key: bytes

    def close(self) -> None:
        self.engine.dispose()

    def meta(self, key: str) -> str | None:
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
    the encrypted database, so wrapped under the store key)."""
    if keys_path(data_dir).exists() or db_path(data_dir).exists():
        raise StationError("该数据目录中已存在调解站数据")
    data_dir.mkdir(parents=True, exist_ok=True)
    db_key = os.urandom(32)
    keystore = Keystore.create(keys_path(data_dir), station_code, station_name)
    if profile != "station":
        keystore.set_section("profile", profile)
    keystore.wrap(admin, password, db_key, kdf)
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
            ("created_at", datetime.now().isoformat()),
            ("origin", origin or station_code),
        ):
            conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": k, "v": v})
    open_anchor(engine, db_path(data_dir))
    keystore.save()  # the key file last: a half-made store is never offered for login
    return OpenStore(data_dir, engine, keystore, db_key)


def unlock_store(data_dir: Path, user: str, password: str, now: datetime) -> OpenStore:
    """Unwrap the key with the user's password (counting failures) and open the database.

    The database is checked against its anchor (anchor.py): AnchorError, with what happened
    and what to do, when its log is behind the last anchored head."""
    keystore = Keystore.load(keys_path(data_dir))
    db_key = keystore.unwrap(user, password, now)
    engine = make_engine(db_path(data_dir), db_key)
    migrate(engine, db_path(data_dir))
    try:
        open_anchor(engine, db_path(data_dir))  # a log behind its anchor refuses normal work
    except StationError:
        engine.dispose()
        raise
    with keystore.locked():
        attempts = keystore.take_attempts()
        if attempts:
            with write(engine) as conn:
                conn.execute(
                    text("INSERT INTO login_attempts (user_name, at, ok) VALUES (:u, :at, :ok)"),
                    [{"u": a["user"], "at": a["at"], "ok": bool(a["ok"])} for a in attempts],
                )
            keystore.save()
    return OpenStore(data_dir, engine, keystore, db_key)


def plain_store(path: Path) -> Engine:
    """A plain (unencrypted) SQLite database with the same schema: the benchmark's baseline."""
    engine = make_engine(path, None)
    migrate(engine, path)
    return engine
