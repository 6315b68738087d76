"""Check every value of `keys.json` before anything is derived from it.

A hand-edited or damaged key file is refused at load with one clear message that names the
value (`users.admin.kdf.t`) and why, never an internal error, and never after an Argon2id
derivation with absurd parameters has already started (a `t` of 3,000,000 would hang login).
Keys this version does not know are left alone (another version or module may keep its own
entries in the file); the ones it knows are checked strictly.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any

from station_app.errors import StationError

# Argon2id bounds: the cheap test cost is the floor, four times the default memory the ceiling.
KDF_MEMORY_KIB = (8192, 262144)
KDF_ITERATIONS = (1, 10)
KDF_LANES = (1, 16)
LOCKOUT_FAILURES = (1, 100)
LOCKOUT_MINUTES = (1, 24 * 60)
_USER = re.compile(r"[\w.\-]{1,32}")
_CODE = re.compile(r"[0-9A-Za-z:_\-]{1,40}")
_HEX = re.compile(r"[0-9a-f]*")


class KeyFileError(StationError):
    """keys.json holds a value this program refuses; `where` names it (`users.admin.kdf.t`).

    Built from `where` and `why`, the reason; the message tells the user to restore keys.json.
    """

    def __init__(self, where: str, why: str) -> None:
        super().__init__(
            f"密钥文件 keys.json 已损坏或被改动:{where} {why}。"
            "请从备份恢复 keys.json(与 station.db 同一时间的备份),或联系市级管理员。"
        )
        self.where = where
        self.why = why


def _int(value: object, where: str, bounds: tuple[int, int]) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise KeyFileError(where, "应为整数")
    low, high = bounds
    if not low <= value <= high:
        raise KeyFileError(where, f"超出允许范围({low}至{high})")
    return value


def _text(value: object, where: str, pattern: re.Pattern[str] | None = None, max_len: int = 200) -> str:
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise KeyFileError(where, "应为非空文本")
    if pattern is not None and not pattern.fullmatch(value):
        raise KeyFileError(where, "格式不正确")
    return value


def _b64(value: object, where: str, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise KeyFileError(where, "应为 base64 文本")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise KeyFileError(where, "不是有效的 base64 编码") from None
    if size is not None and len(raw) != size:
        raise KeyFileError(where, f"长度应为{size}字节")
    return raw


def _hex(value: object, where: str, size: int) -> None:
    if not isinstance(value, str) or len(value) != 2 * size or not _HEX.fullmatch(value):
        raise KeyFileError(where, f"应为{size}字节的十六进制文本")


def _when(value: object, where: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise KeyFileError(where, "应为时间或 null")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise KeyFileError(where, "不是有效的时间") from None


def _dict(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KeyFileError(where, "应为对象")
    return value


def check_kdf(kdf: object, where: str) -> None:
    """The Argon2id parameters of one wrap: algorithm, bounded costs, a 16-byte salt."""
    kdf = _dict(kdf, where)
    if kdf.get("alg") != "argon2id":
        raise KeyFileError(f"{where}.alg", "应为 argon2id")
    _int(kdf.get("m"), f"{where}.m", KDF_MEMORY_KIB)
    _int(kdf.get("t"), f"{where}.t", KDF_ITERATIONS)
    lanes = _int(kdf.get("p"), f"{where}.p", KDF_LANES)
    if kdf["m"] < 8 * lanes:
        raise KeyFileError(f"{where}.m", "小于并行度所需的内存")
    _b64(kdf.get("salt"), f"{where}.salt", 16)


def check_sealed(value: object, where: str) -> None:
    """A store key sealed to an account's box key (user_keys.seal), or null (no access)."""
    if value is None:
        return
    sealed = _dict(value, where)
    _hex(sealed.get("epk"), f"{where}.epk", 32)
    _hex(sealed.get("nonce"), f"{where}.nonce", 12)
    _hex(sealed.get("wrapped"), f"{where}.wrapped", 48)


def _check_user(name: str, entry: object) -> None:
    where = f"users.{name}"
    entry = _dict(entry, where)
    check_kdf(entry.get("kdf"), f"{where}.kdf")
    _b64(entry.get("nonce"), f"{where}.nonce", 12)
    _b64(entry.get("wrapped"), f"{where}.wrapped", 48)
    failures = entry.get("failures", 0)
    _int(failures, f"{where}.failures", (0, 1000))
    _when(entry.get("locked_until"), f"{where}.locked_until")
    version = entry.get("wrap_v", 1)
    if version not in (1, 2) or isinstance(version, bool):
        raise KeyFileError(f"{where}.wrap_v", "应为 1 或 2")
    if version == 2:
        public = _dict(entry.get("public"), f"{where}.public")
        _hex(public.get("box"), f"{where}.public.box", 32)
        _hex(public.get("sign"), f"{where}.public.sign", 32)
        check_sealed(entry.get("store"), f"{where}.store")


def check_keyfile(data: object, fmt: int) -> dict[str, Any]:
    """Check a parsed keys.json; return it. Raises KeyFileError naming the first bad value."""
    data = _dict(data, "文件")
    if data.get("format") != fmt or isinstance(data.get("format"), bool):
        raise KeyFileError("format", f"应为 {fmt}(本程序支持的格式)")
    _text(data.get("station_code"), "station_code", _CODE)
    _text(data.get("station_name"), "station_name")
    lockout = data.get("lockout")
    if lockout is not None:
        lockout = _dict(lockout, "lockout")
        _int(lockout.get("max_failures", 5), "lockout.max_failures", LOCKOUT_FAILURES)
        _int(lockout.get("minutes", 15), "lockout.minutes", LOCKOUT_MINUTES)
    users = _dict(data.get("users"), "users")
    for name, entry in users.items():
        if not _USER.fullmatch(name):
            raise KeyFileError("users", "含有格式不正确的用户名")
        _check_user(name, entry)
    attempts = data.get("attempts", [])
    if not isinstance(attempts, list):
        raise KeyFileError("attempts", "应为列表")
    for index, attempt in enumerate(attempts):
        where = f"attempts[{index}]"
        attempt = _dict(attempt, where)
        _text(attempt.get("user"), f"{where}.user", max_len=64)
        _when(attempt.get("at"), f"{where}.at")
        if not isinstance(attempt.get("at"), str):
            raise KeyFileError(f"{where}.at", "应为时间")
        if not isinstance(attempt.get("ok"), bool):
            raise KeyFileError(f"{where}.ok", "应为 true 或 false")
    if "name_salt" in data:
        _b64(data["name_salt"], "name_salt", 16)
    return data
