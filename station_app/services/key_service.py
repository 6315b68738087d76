"""Rotating the store key (admin): the database re-encrypted under a new random key.

Every account with access gets the new key sealed to its own public key (no password needed),
a disabled account gets none, and the rotation is crash-safe (store/rotation.py). Afterwards a
copy of the old key, or of an old `keys.json`, no longer opens the database. Backups made
before (the `backups/` folder, copies elsewhere) stay under the old key.
"""

from __future__ import annotations

from dataclasses import dataclass

from station_app.domain.enums import Role
from station_app.services.session import Session
from station_app.store.anchor import open_anchor
from station_app.store.db import dispose, make_engine
from station_app.store.rotation import rotate
from station_app.store.station_store import db_path


@dataclass(frozen=True)
class Rotated:
    """The outcome of a rotation: the accounts the new key was sealed to."""

    accounts: tuple[str, ...]


def rotate_store_key(session: Session) -> Rotated:
    """Re-encrypt the store under a new random 256-bit key and redo every wrap (admin only).

    Other programs must not have the station open. The session goes on with the new key.

    Raises:
        PermissionDenied: not an admin.
        StationError: an account with access has no personal key yet (it must log in once or
            have its password reset first); nothing changed.
    """
    session.require(Role.ADMIN)
    store = session.store
    path = db_path(store.data_dir)
    dispose(store.engine)  # no connection of ours may stay open on the old key
    new_key, names = rotate(store.keystore, path, store.key)
    engine = make_engine(path, new_key)
    open_anchor(engine, path)
    store.engine, store.key = engine, new_key
    session.record_one("store_key_rotated", {"accounts": len(names)})
    return Rotated(tuple(names))
