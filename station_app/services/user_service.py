"""Station accounts: add, change password, unlock, list. Passwords only wrap the key."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text

from station_app.domain.enums import Role
from station_app.errors import NotFound, ValidationError
from station_app.services.permissions import Act, require
from station_app.services.session import Session
from station_app.store.db import read, set_meta, write
from station_app.store.keystore import KdfParams, LockoutPolicy

MIN_PASSWORD = 8


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: Role
    display_name: str
    active: bool
    locked_until: str | None


def check_user_name(name: str) -> str | None:
    if not name or not re.fullmatch(r"[\w.\-]{1,32}", name):
        return "用户名为1-32位字母、数字、汉字或 ._-"
    return None


def check_password(password: str) -> str | None:
    if len(password or "") < MIN_PASSWORD:
        return f"密码至少{MIN_PASSWORD}位"
    return None


def add_user(
    session: Session,
    name: str,
    role: Role | str,
    password: str,
    display_name: str | None = None,
    kdf: KdfParams | None = None,
) -> UserInfo:
    require(session, Act.MANAGE_USERS)
    with session.store.keystore.locked():
        return _add_user(session, name, role, password, display_name, kdf)


def _add_user(
    session: Session, name: str, role: Role | str, password: str, display_name: str | None, kdf: KdfParams | None
) -> UserInfo:
    fields: dict[str, str] = {}
    if (why := check_user_name(name)) is not None:
        fields["name"] = why
    elif session.store.keystore.has_user(name):
        fields["name"] = "该用户名已存在"
    try:
        role = Role(role)
    except ValueError:
        fields["role"] = "角色应为 worker、head 或 admin"
    if (why := check_password(password)) is not None:
        fields["password"] = why
    if fields:
        raise ValidationError(fields)
    role = Role(role)
    keystore = session.store.keystore
    keystore.wrap(name, password, session.store.key, kdf)
    with write(session.store.engine) as conn:
        session.record(conn, "user_added", {"name": name, "role": role.value, "display_name": display_name or name})
        keystore.save()
    return _info(session, name)


def change_password(session: Session, name: str, new_password: str, kdf: KdfParams | None = None) -> None:
    """Re-wrap the database key under a new password (the database is not re-encrypted)."""
    if name != session.user:
        require(session, Act.MANAGE_USERS)
    keystore = session.store.keystore
    with keystore.locked():
        if not keystore.has_user(name):
            raise NotFound("无此用户")
        if (why := check_password(new_password)) is not None:
            raise ValidationError({"password": why})
        keystore.wrap(name, new_password, session.store.key, kdf)
        with write(session.store.engine) as conn:
            session.record(conn, "password_changed", {"name": name})
            keystore.save()


def unlock_user(session: Session, name: str) -> None:
    require(session, Act.UNLOCK_USERS)
    keystore = session.store.keystore
    with keystore.locked():
        if not keystore.has_user(name):
            raise NotFound("无此用户")
        keystore.unlock_user(name)
        with write(session.store.engine) as conn:
            session.record(conn, "user_unlocked", {"name": name})
            keystore.save()


def set_role(session: Session, name: str, role: Role | str) -> UserInfo:
    require(session, Act.MANAGE_USERS)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError({"role": "角色应为 worker、head 或 admin"}) from None
    if not session.store.keystore.has_user(name):
        raise NotFound("无此用户")
    session.record_one("user_changed", {"name": name, "role": role.value})
    return _info(session, name)


def set_lockout(session: Session, policy: LockoutPolicy) -> None:
    require(session, Act.MANAGE_USERS)
    with session.store.keystore.locked():
        session.store.keystore.set_lockout(policy)


def list_users(session: Session) -> list[UserInfo]:
    session.store.keystore.reload()
    with read(session.store.engine) as conn:
        names = [r[0] for r in conn.execute(text("SELECT name FROM users ORDER BY name"))]
    return [_info(session, n) for n in names]


def display_names(session: Session) -> dict[str, str]:
    """Each account's display name (王丽), for screens that name who did something."""
    with read(session.store.engine) as conn:
        rows = conn.execute(text("SELECT name, display_name FROM users")).all()
    return {str(r[0]): str(r[1] or r[0]) for r in rows}


def display_name(session: Session, name: str) -> str:
    """The display name of one account (its account name when it has none or is unknown)."""
    return display_names(session).get(name, name)


def _info(session: Session, name: str) -> UserInfo:
    with read(session.store.engine) as conn:
        row = conn.execute(
            text("SELECT name, role, display_name, active FROM users WHERE name = :n"), {"n": name}
        ).first()
    if row is None:
        raise NotFound("无此用户")
    until = session.store.keystore.locked_until(name, session.clock.now())
    return UserInfo(row[0], Role(row[1]), row[2], bool(row[3]), until.isoformat() if until else None)


# -- the user's own display preferences (kept in the encrypted store, per account) ------------

FONT_SCALE_RANGE = (0.8, 2.0)


def _font_key(session: Session) -> str:
    return f"pref:font_scale:{session.user}"


def font_scale(session: Session) -> float:
    """This user's text size (their own choice; the station's `font_scale` until they choose)."""
    raw = session.store.meta(_font_key(session))
    try:
        return float(raw) if raw else float(session.setting("font_scale"))
    except ValueError:
        return float(session.setting("font_scale"))


def set_font_scale(session: Session, scale: float) -> float:
    """Choose this user's text size; every role may choose its own.

    Raises:
        ValidationError: on `font_scale`, outside 0.8 to 2.0.
    """
    low, high = FONT_SCALE_RANGE
    if not low <= float(scale) <= high:
        raise ValidationError({"font_scale": f"字体放大倍数应在{low}至{high}之间"})
    with write(session.store.engine) as conn:
        set_meta(conn, _font_key(session), str(float(scale)))
    return float(scale)
