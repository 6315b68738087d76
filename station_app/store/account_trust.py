"""Accounts and roles that do not rest on the database key alone.

Whoever holds the store key (every account unwraps it) can edit any table. What must still
hold is that nobody adds an account, raises a role, disables or re-keys an account without an
admin's password. So the events that carry that authority are signed with the author's own
Ed25519 key (user_keys.py; its private half is wrapped under the author's password), and
`audit verify` replays them: every signature must be an active admin's (the first admin signs
its own creation at init; an account may set its first key itself, at its first login after
the upgrade), and the `users` table must equal the replay, so a role edited in place is caught.
Events written before signing existed (no `sig`) are accepted until the first signed event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from station_app.store.db import get_meta
from station_app.store.events import canonical_json, own_origin
from station_app.store.user_keys import verify_signature

SIGNED_TYPES = ("user_added", "user_changed", "password_changed", "user_key_set")
ADMIN = "admin"
# The city root key's signature on a recovery answer covers this domain and the answer's
# canonical JSON without `signature` (sync/recovery.py writes it; a `store_recovered` event
# carries the answer, and the answer names the new admin's signing key).
RECOVERY_RESPONSE_DOMAIN = b"msync/v1/recovery-response\x00"


def recovery_answer_valid(response: object, root_public: str, station_code: str, sign_key: str) -> bool:
    """Whether `response` is the city's signed recovery answer for this station and key.

    True when it names `station_code` and `sign_key` as the new admin's key and carries a valid
    signature of the city root key `root_public` (hex).
    """
    if not isinstance(response, dict) or not root_public:
        return False
    if response.get("station_code") != station_code or response.get("admin_sign_key") != sign_key:
        return False
    body = {k: v for k, v in response.items() if k != "signature"}
    message = RECOVERY_RESPONSE_DOMAIN + canonical_json(body).encode("utf-8")
    return verify_signature(root_public, str(response.get("signature", "")), message)


def account_message(uuid: str, type_: str, origin: str, author: str, at: str, payload: dict[str, Any]) -> bytes:
    """What the author signs: the event's identity, place and payload (without `sig`)."""
    body = {k: v for k, v in payload.items() if k != "sig"}
    return canonical_json(["station-account-event-v1", uuid, type_, origin, author, at, body]).encode("utf-8")


@dataclass(frozen=True)
class AccountProblem:
    """One finding about the accounts.

    An account event that is not an admin's act, or a `users` row that differs from the signed
    record. `event` is the event's uuid (None for a row).
    """

    name: str
    reason: str
    event: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The finding as the CLI prints it."""
        return {"name": self.name, "reason": self.reason, "event": self.event}


UNSIGNED = "账户事件缺少签名(签名启用后写入)"
NOT_ADMIN = "账户事件的签名不是在任管理员的个人密钥所签"
BAD_SELF = "账户自设密钥的签名无效,或该账户已有密钥"
ROW_CHANGED = "用户表与签名的账户记录不符(用户表被直接修改)"
ROW_EXTRA = "用户表中有签名记录里没有的账户"
ROW_MISSING = "签名记录中的账户不在用户表中"
BAD_RECOVERY = "密钥恢复事件没有本站所属市级的有效签名"


@dataclass
class _Account:
    role: str
    active: bool
    key: str | None


def _local(author: str, origin: str) -> str:
    prefix = origin + "/"
    return author[len(prefix) :] if author.startswith(prefix) else author


def verify_accounts(conn: Connection) -> list[AccountProblem]:
    """Replay this store's own account events and compare the result with the `users` table.

    Every signature is checked on the way. Returns the problems found (empty: all good). Reads
    only the account events and the users table.
    """
    origin = own_origin(conn)
    rows = conn.execute(
        text(
            "SELECT uuid, type, origin, author, at, payload FROM events"
            " WHERE origin = :o AND scope = 'store' AND type IN ('user_added', 'user_changed',"
            " 'password_changed', 'user_key_set', 'store_recovered') ORDER BY seq"
        ),
        {"o": origin},
    )
    accounts: dict[str, _Account] = {}
    problems: list[AccountProblem] = []
    signed_era = False
    root_public = str(get_meta(conn, "root_public") or "")
    for uuid, type_, ev_origin, author, at, raw in rows:
        payload = json.loads(raw)
        name = str(payload.get("name", ""))
        if type_ == "store_recovered":  # the city's signed answer is the authority, not an admin
            key = str(payload.get("sign_key", ""))
            if not recovery_answer_valid(payload.get("response"), root_public, origin, key):
                problems.append(AccountProblem(name, BAD_RECOVERY, uuid))
            accounts[name] = _Account(ADMIN, True, key)
            signed_era = True
            continue
        sig = payload.get("sig")
        message = account_message(uuid, type_, ev_origin, author, at, payload)
        signer = accounts.get(_local(author, ev_origin))
        by_admin = (
            sig is not None
            and signer is not None
            and signer.role == ADMIN
            and signer.active
            and signer.key is not None
            and verify_signature(signer.key, sig, message)
        )
        new_key = payload.get("sign_key")
        if sig is not None:
            signed_era = True
        role_bearing = type_ in ("user_added", "user_changed") or new_key is not None
        if role_bearing and not by_admin:
            if sig is None:
                if signed_era:
                    problems.append(AccountProblem(name, UNSIGNED, uuid))
            elif type_ == "user_added" and not accounts and payload.get("role") == ADMIN and new_key:
                if not verify_signature(new_key, sig, message):  # the first admin signs its own creation
                    problems.append(AccountProblem(name, NOT_ADMIN, uuid))
            elif type_ == "user_key_set" and new_key:
                known = accounts.get(name)
                if known is None or known.key is not None or not verify_signature(new_key, sig, message):
                    problems.append(AccountProblem(name, BAD_SELF, uuid))
            else:
                problems.append(AccountProblem(name, NOT_ADMIN, uuid))
        if type_ == "user_added":
            accounts[name] = _Account(str(payload.get("role")), True, new_key)
        elif name in accounts:
            account = accounts[name]
            if "role" in payload and payload["role"] is not None:
                account.role = str(payload["role"])
            if "active" in payload and payload["active"] is not None:
                account.active = bool(payload["active"])
            if new_key is not None:
                account.key = str(new_key)
    table = {
        str(r[0]): _Account(str(r[1]), bool(r[2]), r[3])
        for r in conn.execute(text("SELECT name, role, active, sign_key FROM users"))
    }
    for name in sorted(set(table) | set(accounts)):
        if name not in accounts:
            problems.append(AccountProblem(name, ROW_EXTRA))
        elif name not in table:
            problems.append(AccountProblem(name, ROW_MISSING))
        elif table[name] != accounts[name]:
            problems.append(AccountProblem(name, ROW_CHANGED))
    return problems
