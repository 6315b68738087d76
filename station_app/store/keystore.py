"""Per-user wrapping of the random database key, and persisted login lockout.

The database key is 32 random bytes. Each user's password derives (Argon2id) a key that wraps
the user's own seed (user_keys.py) with AES-GCM; the database key is sealed to the seed's X25519
public key (`wrap_v` 2), so that an admin can re-seal a new database key to every account
without their passwords (key rotation, re-enabling an account). Changing a password re-wraps the
seed, never re-encrypts. Entries written before (`wrap_v` 1) wrap the database key directly
under the password; they are upgraded at the account's next login. The keystore file also holds
the lockout state, which must be readable before any database is unlocked. Every value is
checked at load (keyfile_check.py) before anything is derived from it.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
import uuid as uuid_mod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from station_app.errors import AuthError, StationError
from station_app.filelock import try_lock, unlock
from station_app.input_file import MISSING, InputFileError, read_input_file
from station_app.store.atomic import atomic_write_bytes, remove_orphans
from station_app.store.environment import LOCKED, EnvironmentProblem
from station_app.store.keyfile_check import KDF_ITERATIONS, KDF_LANES, KDF_MEMORY_KIB, KeyFileError, check_keyfile
from station_app.store.user_keys import UserKeys, new_user_keys, open_sealed, seal

KEYSTORE_FORMAT = 1
GENERIC_LOGIN_ERROR = "用户名或密码错误,或账户已被临时锁定"
MAX_ATTEMPT_LOG = 1000
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a pipe in the lock file's place must not block the open
MAX_KEYFILE_BYTES = 16 * 1024 * 1024  # a few kB per account and at most MAX_ATTEMPT_LOG attempts
# How an attempt with an unknown account name is recorded: this prefix and a tag, never the name.
UNKNOWN_PREFIX = "?"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost (above OWASP's minimum of 19 MiB, t=2, p=1)."""

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4


TEST_KDF_ENV = "STATION_TEST_KDF"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object of keys.json; a key given twice (only a hand edit does that) is refused."""
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


def default_kdf_params() -> KdfParams:
    """The Argon2id cost for a new wrap: `KdfParams()`, or the test suite's cheap cost.

    The cheap cost applies only when `STATION_TEST_KDF=1` is set in a process started by a
    running test and the test-only module is present (it is absent from the frozen app).
    Raises StationError when the variable is set anywhere else.
    """
    if not os.environ.get(TEST_KDF_ENV):
        return KdfParams()
    refusal = f"{TEST_KDF_ENV} 是测试专用设置,不能用于实际调解站;请从环境中删除它"
    try:
        from station_app.store import kdf_for_tests
    except ImportError as exc:
        raise StationError(refusal) from exc
    if getattr(sys, "frozen", False) or not kdf_for_tests.under_test():
        raise StationError(refusal)
    return KdfParams(kdf_for_tests.MEMORY_KIB, kdf_for_tests.ITERATIONS, kdf_for_tests.LANES)


@dataclass(frozen=True)
class LockoutPolicy:
    """Login lockout: `max_failures` wrong passwords in a row lock the account for `minutes` minutes."""

    max_failures: int = 5
    minutes: int = 15


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _derive(password: str, salt: bytes, params: KdfParams) -> bytes:
    for value, (low, high), name in (
        (params.memory_kib, KDF_MEMORY_KIB, "m"),
        (params.iterations, KDF_ITERATIONS, "t"),
        (params.lanes, KDF_LANES, "p"),
    ):
        if not low <= value <= high:  # never start a derivation that could run for hours
            raise KeyFileError(f"kdf.{name}", f"超出允许范围({low}至{high})")
    kdf = Argon2id(
        salt=salt,
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(password.encode("utf-8"))


def _stored_params(kdf: dict[str, Any]) -> KdfParams:
    """The Argon2id parameters a user's wrap was made with (bounded: `_derive` refuses others)."""
    return KdfParams(int(kdf["m"]), int(kdf["t"]), int(kdf["p"]))


def _aad(user: str) -> bytes:
    return b"station-db-key:" + user.encode("utf-8")


def _seed_aad(user: str) -> bytes:
    return b"station-user-seed:" + user.encode("utf-8")


def _box_aad(user: str) -> bytes:
    return b"station-db-key-box:" + user.encode("utf-8")


@dataclass(frozen=True)
class Unlocked:
    """What a password opened: the database key and the account's own keys.

    `upgraded` is True when the account's entry was converted from `wrap_v` 1 at this login
    (its signing key is new).
    """

    key: bytes
    keys: UserKeys
    upgraded: bool = False


LOCK_WAIT_S = 30.0


def _lock_exclusive(fd: int, wait_s: float = LOCK_WAIT_S, where: Path | None = None) -> None:
    """Wait until this process holds the exclusive lock on `fd`, at most `wait_s` seconds.

    Raises:
        EnvironmentProblem: locked, naming `where` (the key file), when the wait runs out.
    """
    deadline = time.monotonic() + wait_s
    while not try_lock(fd):
        if time.monotonic() > deadline:
            raise EnvironmentProblem(LOCKED, f"密钥文件 {where}" if where else "密钥文件")
        time.sleep(0.02)


class Keystore:
    """The `keys.json` file beside the database.

    Built by `create` or `load` from the file's `path` and its parsed, checked content.
    """

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self._data = data
        self._thread_lock = threading.RLock()  # one thread of this process at a time ...
        self._depth = 0  # ... and how deeply that thread has nested locked()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold `keys.lock` (one process, one thread at a time) and work on a fresh copy of the file.

        Nests within one thread. The login window, the lock screen and the command line may run at
        once; without the lock two failed logins could both count from the same number and lockout
        would lag.
        """
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            try:
                fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | _NONBLOCK, 0o600)
            except IsADirectoryError:  # a folder in the lock file's place: another program holds the name
                raise EnvironmentProblem(LOCKED, str(self.path.with_suffix(".lock"))) from None
            try:
                _lock_exclusive(fd, where=self.path)
                self._depth = 1
                try:
                    remove_orphans(self.path)  # a program killed while writing this file left them
                    if self.path.exists():
                        self.reload()
                    yield
                finally:
                    self._depth = 0
                    unlock(fd)
            finally:
                os.close(fd)

    # -- file ----------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, station_code: str, station_name: str) -> Keystore:
        """A new, empty key file for the station, not saved yet.

        No users, and the default lockout (5 failures, 15 minutes).
        """
        data: dict[str, Any] = {
            "format": KEYSTORE_FORMAT,
            "station_code": station_code,
            "station_name": station_name,
            "lockout": {"max_failures": 5, "minutes": 15},
            "users": {},
            "attempts": [],
            "name_salt": _b64(os.urandom(16)),
        }
        return cls(path, data)

    @classmethod
    def load(cls, path: Path) -> Keystore:
        """The key file at `path`, checked.

        Raises:
            StationError: the file is missing (no station in that folder), not valid JSON or unreadable.
            KeyFileError: a value the program refuses.
        """
        try:
            raw = read_input_file(path, MAX_KEYFILE_BYTES)
        except InputFileError as exc:
            if exc.kind == MISSING:
                raise StationError(
                    f"数据目录 {path.parent} 中没有调解站数据(缺少 {path.name}):"
                    "请先初始化,或用 --data-dir 指定正确的数据目录"
                ) from None
            raise StationError(f"密钥文件 keys.json 无法读取:{exc}") from None
        try:
            data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise StationError(
                "密钥文件 keys.json 已损坏,无法读取(不是有效的 JSON)。请从备份恢复 keys.json。"
            ) from None
        return cls(path, check_keyfile(data, KEYSTORE_FORMAT))

    def reload(self) -> None:
        """Re-read the file before changing it.

        The login window or another program may have recorded attempts or lockouts since this copy
        was loaded.
        """
        self._data = Keystore.load(self.path)._data

    def save(self) -> None:
        """Write the file atomically."""
        atomic_write_bytes(self.path, json.dumps(self._data, ensure_ascii=False, indent=1).encode("utf-8"))

    # -- facts readable before unlock -------------------------------------------
    @property
    def station_code(self) -> str:
        """The station code the file belongs to (12 digits)."""
        return str(self._data["station_code"])

    @property
    def station_name(self) -> str:
        """The station's name as recorded at initialisation."""
        return str(self._data["station_name"])

    @property
    def profile(self) -> str:
        """`station` or `city` (readable before unlock: the command line checks it first)."""
        return str(self._data.get("profile") or "station")

    def section(self, name: str) -> Any:
        """An extra top-level entry of the file (e.g. `recovery_wrap`, `profile`), or None."""
        return self._data.get(name)

    def set_section(self, name: str, value: Any) -> None:
        """Set an extra top-level entry (not saved until `save`). Refuses the keystore's own keys."""
        if name in ("format", "station_code", "station_name", "lockout", "users", "attempts"):
            raise ValueError(f"{name} is not an extra section")
        self._data[name] = value

    def user_names(self) -> list[str]:
        """The accounts with an entry in the file, sorted."""
        return sorted(self._data["users"])

    @property
    def lockout(self) -> LockoutPolicy:
        """The lockout policy in force."""
        raw = self._data.get("lockout") or {}
        return LockoutPolicy(int(raw.get("max_failures", 5)), int(raw.get("minutes", 15)))

    def set_lockout(self, policy: LockoutPolicy) -> None:
        """Set the lockout policy and save the file."""
        self._data["lockout"] = {"max_failures": policy.max_failures, "minutes": policy.minutes}
        self.save()

    # -- wrapping ----------------------------------------------------------------
    def wrap(
        self,
        user: str,
        password: str,
        db_key: bytes | None,
        params: KdfParams | None = None,
        keys: UserKeys | None = None,
    ) -> UserKeys:
        """Wrap `user`'s seed under `password` and seal `db_key` to it; returns the account's keys.

        A new seed is made unless `keys` is given; `db_key` None leaves the account no access to the
        database; `params` sets the Argon2id cost (default: the standard one). Replaces any old
        wrap and keeps the lockout state. Not saved: the caller saves.
        """
        params = params or default_kdf_params()
        keys = keys or new_user_keys()
        salt = os.urandom(16)
        nonce = os.urandom(12)
        kek = _derive(password, salt, params)
        old = self._data["users"].get(user, {})
        self._data["users"][user] = {
            "kdf": {
                "alg": "argon2id",
                "m": params.memory_kib,
                "t": params.iterations,
                "p": params.lanes,
                "salt": _b64(salt),
            },
            "nonce": _b64(nonce),
            "wrapped": _b64(AESGCM(kek).encrypt(nonce, keys.seed, _seed_aad(user))),
            "wrap_v": 2,
            "public": {"box": keys.box_public, "sign": keys.sign_public},
            "store": None if db_key is None else seal(db_key, keys.box_public, _box_aad(user)),
            "failures": 0 if not old else int(old.get("failures", 0)),
            "locked_until": old.get("locked_until") if old else None,
        }
        return keys

    def seal_for(self, user: str, db_key: bytes | None) -> bool:
        """Seal `db_key` to `user`'s public key (None: take the account's access away).

        Needs no password. Returns False for an account without a public key (`wrap_v` 1: it
        gets one at its next login or password reset).
        """
        entry = self._data["users"].get(user)
        if entry is None or entry.get("wrap_v") != 2:
            if entry is not None and db_key is None:
                entry["wrapped"] = _b64(os.urandom(48))  # a direct wrap cannot be re-sealed: void it
            return False
        entry["store"] = None if db_key is None else seal(db_key, entry["public"]["box"], _box_aad(user))
        return True

    def public_keys(self, user: str) -> tuple[str, str] | None:
        """(box, sign) public keys of `user` (hex), or None for a `wrap_v` 1 account."""
        entry = self._data["users"].get(user)
        if entry is None or entry.get("wrap_v") != 2:
            return None
        return str(entry["public"]["box"]), str(entry["public"]["sign"])

    def has_access(self, user: str) -> bool:
        """Whether `user`'s password opens the database key (False once disabled)."""
        entry = self._data["users"].get(user)
        return entry is not None and (entry.get("wrap_v") != 2 or entry.get("store") is not None)

    def open_with(self, user: str, keys: UserKeys) -> bytes | None:
        """The database key sealed to `user` in this file, opened with keys already unwrapped; else None.

        For a rotation's staged file.
        """
        entry = self._data["users"].get(user)
        if entry is None or entry.get("wrap_v") != 2 or entry.get("store") is None:
            return None
        return open_sealed(entry["store"], keys, _box_aad(user))

    @property
    def data(self) -> dict[str, Any]:
        """The file's contents (for key rotation, which writes a re-sealed copy)."""
        return self._data

    def remove(self, user: str) -> None:
        """Drop `user`'s entry (no error when there is none); not saved."""
        self._data["users"].pop(user, None)

    def has_user(self, user: str) -> bool:
        """Whether `user` has an entry in the file."""
        return user in self._data["users"]

    def locked_until(self, user: str, now: datetime) -> datetime | None:
        """When `user`'s lockout ends, or None when the account is not locked at `now`."""
        entry = self._data["users"].get(user)
        if not entry or not entry.get("locked_until"):
            return None
        until = datetime.fromisoformat(entry["locked_until"])
        if (until.tzinfo is None) != (now.tzinfo is None):  # a time written without its offset (by hand)
            until = until.replace(tzinfo=now.tzinfo)
        return until if until > now else None

    def unlock_user(self, user: str) -> None:
        """Lift `user`'s lockout and reset the failure count; not saved."""
        entry = self._data["users"].get(user)
        if entry:
            entry["failures"] = 0
            entry["locked_until"] = None

    def unwrap(self, user: str, password: str, now: datetime) -> bytes:
        """Return the database key, or raise AuthError with one generic message (see `unlock`)."""
        return self.unlock(user, password, now).key

    def unlock(self, user: str, password: str, now: datetime) -> Unlocked:
        """Open the database key and the account's keys with `password`.

        Every attempt is appended to the attempt log (an unknown account without its name); failures
        count towards lockout, and a locked account is refused without trying the password. A
        `wrap_v` 1 entry is upgraded to `wrap_v` 2 on success.

        Raises:
            AuthError: with one generic message, whatever the reason.
        """
        with self.locked():
            return self._unwrap(user, password, now)

    def _unwrap(self, user: str, password: str, now: datetime) -> Unlocked:
        entry = self._data["users"].get(user)
        if entry is None or self.locked_until(user, now) is not None:
            label = self._spend_like_a_real_attempt(user, password, entry)
            self._record(label, now, ok=False)
            self.save()
            raise AuthError(GENERIC_LOGIN_ERROR)
        kdf = entry["kdf"]
        kek = _derive(password, _unb64(kdf["salt"]), _stored_params(kdf))
        version = entry.get("wrap_v", 1)
        try:
            aad = _seed_aad(user) if version == 2 else _aad(user)
            opened = AESGCM(kek).decrypt(_unb64(entry["nonce"]), _unb64(entry["wrapped"]), aad)
        except InvalidTag:
            entry["failures"] = int(entry.get("failures", 0)) + 1
            policy = self.lockout
            if entry["failures"] >= policy.max_failures:
                entry["locked_until"] = (now + timedelta(minutes=policy.minutes)).isoformat()
                entry["failures"] = 0
            self._record(user, now, ok=False)
            self.save()
            raise AuthError(GENERIC_LOGIN_ERROR) from None
        upgraded = False
        if version == 2:
            keys = UserKeys(opened)
            key = open_sealed(entry["store"], keys, _box_aad(user)) if entry.get("store") else None
            if key is None:  # the right password of a disabled account: no access, no lockout
                self._record(user, now, ok=False)
                self.save()
                raise AuthError(GENERIC_LOGIN_ERROR)
        else:  # an entry written before per-account keys: give it its keys now
            key = opened
            keys = self.wrap(user, password, key, _stored_params(kdf))
            entry = self._data["users"][user]
            upgraded = True
        entry["failures"] = 0
        entry["locked_until"] = None
        self._record(user, now, ok=True)
        self.save()
        return Unlocked(key, keys, upgraded)

    def _spend_like_a_real_attempt(self, user: str, password: str, entry: dict[str, Any] | None) -> str:
        """Derive a key that is thrown away, so that an unknown or locked account takes as long as a wrong password.

        The timing then tells nothing about accounts. Returns the name to record: a locked
        account's own name; for an unknown one (perhaps a password typed into the name field) a tag
        derived from it with the same slow Argon2id cost, so that repeated attempts with one name can
        be told apart without the name being kept.
        """
        kdf = entry["kdf"] if entry else next((u["kdf"] for u in self._data["users"].values()), None)
        params = _stored_params(kdf) if kdf else KdfParams()
        if entry is not None:
            _derive(password, os.urandom(16), params)
            return user
        salt = self._data.get("name_salt")
        if salt is None:
            salt = self._data["name_salt"] = _b64(os.urandom(16))
        return UNKNOWN_PREFIX + _derive(user, _unb64(salt), params)[:8].hex()

    # -- attempt log ---------------------------------------------------------------
    def _record(self, user: str, now: datetime, ok: bool) -> None:
        attempts: list[dict[str, Any]] = self._data.setdefault("attempts", [])
        attempts.append({"user": user[:64], "at": now.isoformat(), "ok": ok, "id": uuid_mod.uuid4().hex})
        del attempts[:-MAX_ATTEMPT_LOG]

    def take_attempts(self) -> list[dict[str, Any]]:
        """Hand the pending attempts to the database log and clear them here.

        Each carries an `id`, so that handing them over twice (a crash between the two writes) adds
        no row.
        """
        attempts: list[dict[str, Any]] = [dict(a) for a in self._data.get("attempts", [])]
        for a in attempts:
            a.setdefault("id", uuid_mod.uuid4().hex)
        self._data["attempts"] = []
        return attempts
