"""Station accounts: add, change password, role, disable and enable, unlock, list.

Passwords only wrap each account's keys (keystore.py); the events that carry authority over
accounts are signed with the acting admin's own key (store/account_trust.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from station_app.domain.enums import Role
from station_app.domain.password_policy import MIN_LENGTH, password_problem
from station_app.domain.safe_input import line_problem
from station_app.errors import NotFound, StationError, ValidationError
from station_app.services.permissions import Act, require
from station_app.services.session import Session
from station_app.store.account_trust import account_message
from station_app.store.db import read, set_meta, write
from station_app.store.events import qualify
from station_app.store.ids import new_uuid
from station_app.store.keystore import KdfParams, LockoutPolicy
from station_app.store.log import append_local
from station_app.store.read_model.station import account, account_names, active_names
from station_app.store.read_model.station import display_names as stored_display_names

MIN_PASSWORD = MIN_LENGTH


@dataclass(frozen=True)
class UserInfo:
    """One account as the users screen and `users list` show it.

    Attributes:
        locked_until: ISO time until which failed logins lock the account, or None.
    """

    name: str
    role: Role
    display_name: str
    active: bool
    locked_until: str | None


def check_user_name(name: str) -> str | None:
    """Why an account name is refused (1-32 letters, digits, Chinese characters or `._-`), or None.

    A run of seven digits or more is refused too: an account's name is kept in clear (the key
    file, the log, every event's author), and such a run is an ID or a phone number.
    """
    if not name or not re.fullmatch(r"[\w.\-]{1,32}", name):
        return "用户名为1-32位字母、数字、汉字或 ._-"
    if re.search(r"\d{7,}", name, re.ASCII):
        return "用户名不能含身份证号、电话号码等个人信息(连续7位以上数字)"
    return None


def check_password(password: str, user: str = "", context: tuple[str, ...] = ()) -> str | None:
    """Why a new password is refused (domain/password_policy.py), or None.

    The one check that `init`, `users add`, `users passwd` and the GUI's dialogs all reach through
    this module.

    `user` is the account it is for; `context` the station's name and codes and the account's
    display name (words the password must not contain).
    """
    return password_problem(password, user=user, context=context)


def station_words(session: Session) -> tuple[str, ...]:
    """The station's name, code and town code: words no password of this station may contain."""
    town = session.store.meta("town_code") or ""
    return (session.station_name, session.station_code, town)


def record_signed(session: Session, conn: Connection, type_: str, payload: dict[str, Any]) -> None:
    """Append an account event signed with the session user's own key (account_trust.py).

    In the caller's transaction. Without a key (a session not opened with a password) it is
    recorded unsigned, and `audit verify` reports it.
    """
    origin = session.origin or session.station_code
    at = session.now_iso()
    event_uuid = new_uuid()  # time-ordered, as every event id
    data = {k: v for k, v in payload.items() if v is not None}
    if session.keys is not None:
        message = account_message(event_uuid, type_, origin, qualify(origin, session.user), at, data)
        data["sig"] = session.keys.sign(message)
    done = append_local(
        conn, type_, data, origin=origin, author=session.user, at=at, event_uuid=event_uuid, signer=session.signer()
    )
    session.drop_caches(done.changes)


def record_own_key(session: Session) -> None:
    """Record the session user's signing key, signed with it.

    The first login of an account made before per-account keys; `audit verify` accepts it only for
    an account without a key.
    """
    assert session.keys is not None
    with write(session.store.engine) as conn:
        record_signed(session, conn, "user_key_set", {"name": session.user, "sign_key": session.keys.sign_public})


def add_user(
    session: Session,
    name: str,
    role: Role | str,
    password: str,
    display_name: str | None = None,
    kdf: KdfParams | None = None,
) -> UserInfo:
    """Add an account (admin only) with its own keys.

    The `user_added` event carries its public signing key and is signed by the admin.

    Raises:
        PermissionDenied: not an admin.
        ValidationError: on `name` (format, taken), `role`, `password` (the password policy).
    """
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
    if (why := check_password(password, name, (*station_words(session), display_name or ""))) is not None:
        fields["password"] = why
    if display_name and (problem := line_problem(display_name.strip())):  # shown and printed as the author
        fields["display_name"] = f"姓名{problem}"
    if fields:
        raise ValidationError(fields)
    role = Role(role)
    keystore = session.store.keystore
    keys = keystore.wrap(name, password, session.store.key, kdf)
    with write(session.store.engine) as conn:
        payload = {"name": name, "role": role.value, "display_name": display_name or name, "sign_key": keys.sign_public}
        record_signed(session, conn, "user_added", payload)
        keystore.save()
    return _info(session, name)


def change_password(session: Session, name: str, new_password: str, kdf: KdfParams | None = None) -> None:
    """Re-wrap the account's keys under a new password (the database is not re-encrypted).

    The user's own change keeps their keys. An admin's reset of another account cannot open
    that account's keys: it gets new ones, and the event (signed by the admin) carries the new
    public key. A disabled account stays without access.

    Raises:
        PermissionDenied: another user's password, and not an admin.
        NotFound: no such account.
        ValidationError: on `password` (the password policy).
    """
    if name != session.user:
        require(session, Act.MANAGE_USERS)
    keystore = session.store.keystore
    with keystore.locked():
        if not keystore.has_user(name):
            raise NotFound("无此用户")
        words = (*station_words(session), display_name(session, name))
        if (why := check_password(new_password, name, words)) is not None:
            raise ValidationError({"password": why})
        own = name == session.user and session.keys is not None
        db_key = session.store.key if _active(session, name) else None
        keys = keystore.wrap(name, new_password, db_key, kdf, keys=session.keys if own else None)
        with write(session.store.engine) as conn:
            record_signed(
                session, conn, "password_changed", {"name": name, "sign_key": None if own else keys.sign_public}
            )
            keystore.save()


def unlock_user(session: Session, name: str) -> None:
    """Lift a lockout after failed logins before it runs out.

    Raises:
        PermissionDenied: a role that may not unlock accounts.
        NotFound: no such account.
    """
    require(session, Act.UNLOCK_USERS)
    keystore = session.store.keystore
    with keystore.locked():
        if not keystore.has_user(name):
            raise NotFound("无此用户")
        keystore.unlock_user(name)
        with write(session.store.engine) as conn:
            session.record(conn, "user_unlocked", {"name": name})
            keystore.save()


def _active(session: Session, name: str) -> bool:
    with read(session.store.engine) as conn:
        found = account(conn, name)
    return found.active if found else False


def _active_admins(session: Session) -> list[str]:
    with read(session.store.engine) as conn:
        return active_names(conn, Role.ADMIN.value)


def set_role(session: Session, name: str, role: Role | str) -> UserInfo:
    """Change an account's role (admin only; signed by the admin).

    Raises:
        PermissionDenied: not an admin.
        ValidationError: on `role`.
        NotFound: no such account.
        StationError: it would leave the station without an active admin.
    """
    require(session, Act.MANAGE_USERS)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError({"role": "角色应为 worker、head 或 admin"}) from None
    if not session.store.keystore.has_user(name):
        raise NotFound("无此用户")
    if role is not Role.ADMIN and _active_admins(session) == [name]:
        raise StationError("不能更改唯一一名在用管理员的角色:请先设另一名管理员")
    with write(session.store.engine) as conn:
        record_signed(session, conn, "user_changed", {"name": name, "role": role.value})
    return _info(session, name)


def disable_user(session: Session, name: str) -> UserInfo:
    """Disable an account (admin only).

    Kept with its history for the audit, but its password no longer opens the database key and it
    cannot log in. Signed by the admin.

    Raises:
        PermissionDenied: not an admin.
        NotFound: no such account.
        StationError: the admin's own account, an account already disabled, or the last
            active admin.
    """
    require(session, Act.MANAGE_USERS)
    keystore = session.store.keystore
    with keystore.locked():
        if not keystore.has_user(name) or not _exists(session, name):
            raise NotFound("无此用户")
        if name == session.user:
            raise StationError("不能停用自己正在使用的账户")
        if not _active(session, name):
            raise StationError(f"账户 {name} 已停用")
        if _active_admins(session) == [name]:
            raise StationError("不能停用唯一一名在用管理员")
        keystore.seal_for(name, None)
        with write(session.store.engine) as conn:
            record_signed(session, conn, "user_changed", {"name": name, "active": False})
            keystore.save()
    return _info(session, name)


def enable_user(session: Session, name: str) -> UserInfo:
    """Enable a disabled account again (admin only).

    The current database key is sealed to its public key, so its own password works again. Signed by
    the admin.

    Raises:
        PermissionDenied: not an admin.
        NotFound: no such account.
        StationError: the account is active, or has no personal key yet (reset its password first).
    """
    require(session, Act.MANAGE_USERS)
    keystore = session.store.keystore
    with keystore.locked():
        if not keystore.has_user(name) or not _exists(session, name):
            raise NotFound("无此用户")
        if _active(session, name):
            raise StationError(f"账户 {name} 未停用")
        if not keystore.seal_for(name, session.store.key):
            raise StationError(f"账户 {name} 还没有个人密钥:请先为其重设密码,再启用")
        with write(session.store.engine) as conn:
            record_signed(session, conn, "user_changed", {"name": name, "active": True})
            keystore.save()
    return _info(session, name)


def _exists(session: Session, name: str) -> bool:
    with read(session.store.engine) as conn:
        return account(conn, name) is not None


def set_lockout(session: Session, policy: LockoutPolicy) -> None:
    """Set how many failed logins lock an account and for how long (admin only).

    Raises:
        PermissionDenied: not an admin.
    """
    require(session, Act.MANAGE_USERS)
    with session.store.keystore.locked():
        session.store.keystore.set_lockout(policy)


def list_users(session: Session) -> list[UserInfo]:
    """Every account of the store by name, with its role, display name, state and lockout."""
    session.store.keystore.reload()
    with read(session.store.engine) as conn:
        names = account_names(conn)
    return [_info(session, n) for n in names]


def display_names(session: Session) -> dict[str, str]:
    """Each account's display name (王丽), for screens that name who did something."""
    with read(session.store.engine) as conn:
        names = stored_display_names(conn)
    return {name: str(shown or name) for name, shown in names.items()}


def display_name(session: Session, name: str) -> str:
    """The display name of one account (its account name when it has none or is unknown)."""
    return display_names(session).get(name, name)


def _info(session: Session, name: str) -> UserInfo:
    with read(session.store.engine) as conn:
        found = account(conn, name)
    if found is None:
        raise NotFound("无此用户")
    until = session.store.keystore.locked_until(name, session.clock.now())
    return UserInfo(
        found.name, Role(found.role), found.display_name, found.active, until.isoformat() if until else None
    )


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
