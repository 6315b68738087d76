"""Which key may sign which event: checked at import (role-bearing events) and by `audit verify`.

An event's `key_id` must name a key known here that may sign for its author:

- a personal key the author's account was given by an account event of the same origin
  (`user_added`, `password_changed`, `user_key_set`, `store_recovered` carry `sign_key`), or
  the key the event itself gives its own author (the first admin signs its own creation; an
  account sets its first key itself);
- the origin's store key (this store's `ed25519_public`, a peer's signing key from its
  identity), but only for an author who has no personal key: an event signed with the store
  key in the name of a user who has one is someone acting in that user's name.

The signature must then verify over the event's hash (event_sig.py). Events written before
signing existed carry none; a chain's unsigned events are accepted until its first signed one.

Import checks only the role-bearing events (accounts, roles, keys: few), and for those also the
authority the account rules ask for (account_trust.py): users are added and roles changed by an
active admin of the same origin. The bundle's own signature covers the other events in
transport; `audit verify` checks them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, text

from station_app.store.db import get_meta
from station_app.store.event_sig import event_message
from station_app.store.events import Envelope, own_origin
from station_app.store.user_keys import key_id

ACCOUNT_TYPES = ("user_added", "user_changed", "password_changed", "user_key_set", "store_recovered")
ROLE_BEARING = frozenset(ACCOUNT_TYPES)
_ACCOUNT_TYPES_SQL = ", ".join(f"'{t}'" for t in ACCOUNT_TYPES)
ADMIN = "admin"
CITY_PREFIX = "city:"

UNSIGNED = "事件缺少签名(该链此前已有签名事件,此事件在签名启用后写入或被替换)"
UNKNOWN_KEY = "事件的签名密钥不属于其作者,也不是其来源站的密钥"
OTHER_ACCOUNT = "事件由另一账户的个人密钥签名(以他人名义写入)"
STORE_KEY_IN_USER_NAME = "事件以站点密钥签名,但其作者有个人密钥(以他人名义写入)"
BAD_SIGNATURE = "事件签名无效(事件内容在签名后被修改)"
NOT_ADMIN = "账户事件的签名不是该站在任管理员的个人密钥所签"


@dataclass
class _Account:
    role: str | None
    active: bool
    keys: set[str] = field(default_factory=set)  # public keys (hex) the account was ever given


def _local(author: str, origin: str) -> str:
    prefix = origin + "/"
    return author[len(prefix) :] if author.startswith(prefix) else author


@dataclass(frozen=True)
class Signer:
    """Whose key signed an event: an account of `origin` (`user`), or its store key (None)."""

    origin: str
    user: str | None


class KeyBook:
    """The signing keys known here: each origin's store keys and its accounts' personal keys.

    Filled from the account events held here (`learn`) and the store keys (`add_store_key`).
    """

    def __init__(self) -> None:
        """An empty book."""
        self._keys: dict[str, tuple[str, Signer]] = {}  # key id -> (public hex, whose)
        self._accounts: dict[tuple[str, str], _Account] = {}
        self._origins: set[str] = set()  # origins whose account events are held here
        self._public: dict[str, Ed25519PublicKey | None] = {}

    def add_store_key(self, origin: str, public: str) -> None:
        """Know `public` (hex) as the store key of `origin` (this store, or a peer)."""
        if public:
            self._keys.setdefault(key_id(public), (public, Signer(origin, None)))

    def knows_accounts_of(self, origin: str) -> bool:
        """Whether account events of `origin` are held here (else its users' keys are unknown)."""
        return origin in self._origins

    def account(self, origin: str, name: str) -> _Account | None:
        """The replayed account `name` of `origin`, or None."""
        return self._accounts.get((origin, name))

    def learn(self, origin: str, type_: str, payload: dict[str, Any]) -> None:
        """Replay one account event of `origin`: accounts, roles and the keys they were given."""
        if type_ not in ROLE_BEARING:
            return
        self._origins.add(origin)
        name = str(payload.get("name", ""))
        account = self._accounts.get((origin, name))
        if type_ in ("user_added", "store_recovered") or account is None:
            role = ADMIN if type_ == "store_recovered" else payload.get("role")
            account = _Account(None if role is None else str(role), True, account.keys if account else set())
            self._accounts[(origin, name)] = account
        if type_ == "user_changed":
            if payload.get("role") is not None:
                account.role = str(payload["role"])
            if payload.get("active") is not None:
                account.active = bool(payload["active"])
        key = payload.get("sign_key")
        if isinstance(key, str) and key:
            account.keys.add(key)
            try:
                self._keys[key_id(key)] = (key, Signer(origin, name))
            except ValueError:  # not hex: never resolvable, so never a valid signer
                pass

    @staticmethod
    def introduced(origin: str, author: str, type_: str, payload: dict[str, Any] | None) -> str | None:
        """The key an account event gives its own author, or None.

        Such are the first admin's creation, a first key set by the account itself, and a
        recovered admin.
        """
        if payload is None or type_ not in ROLE_BEARING or type_ == "user_changed":
            return None
        key = payload.get("sign_key")
        if not isinstance(key, str) or not key or str(payload.get("name", "")) != _local(author, origin):
            return None
        return key

    def _verify(self, public: str, sig: str, hash_: str) -> bool:
        if public not in self._public:
            try:
                self._public[public] = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public))
            except ValueError:
                self._public[public] = None
        key = self._public[public]
        if key is None:
            return False
        try:
            key.verify(bytes.fromhex(sig), event_message(hash_))
        except (ValueError, InvalidSignature):
            return False
        return True

    def check(
        self,
        origin: str,
        author: str,
        type_: str,
        payload: dict[str, Any] | None,
        hash_: str,
        key_id_: str | None,
        sig: str | None,
    ) -> tuple[str | None, Signer | None]:
        """Whether this event's signature is its author's and verifies over `hash_`.

        The origin's store key counts as the author's for an author without a personal key.

        `payload` is needed for account events only (the key such an event gives its author).

        Returns:
            (None, signer) when good; (reason, None) otherwise, the reason in words for the
            user. An unsigned event gives UNSIGNED: whether that is a finding is the caller's
            (the era rule).
        """
        if sig is None or key_id_ is None:
            return UNSIGNED, None
        name = _local(author, origin)
        own = self.introduced(origin, author, type_, payload)
        if own is not None and _same_key(own, key_id_):
            public, signer = own, Signer(origin, name)
        else:
            known = self._keys.get(key_id_)
            if known is None or known[1].origin != origin:
                return UNKNOWN_KEY, None
            public, signer = known
            if signer.user is None:
                account = self._accounts.get((origin, name))
                if account is not None and account.keys:
                    return STORE_KEY_IN_USER_NAME, None
            elif signer.user != name:
                return OTHER_ACCOUNT, None
        if not self._verify(public, sig, hash_):
            return BAD_SIGNATURE, None
        return None, signer

    def authority(self, env: Envelope, signer: Signer) -> str | None:
        """For an account event whose signature is good: whether its signer had the right to it.

        The rules are account_trust.py's: users are added, roles changed and other accounts'
        keys set by an active admin of the same origin; the first admin may be created with its
        own key or the store key; an account without a key may set its first one itself.

        Returns None when it had, else the reason.
        """
        payload = env.payload
        name = str(payload.get("name", ""))
        first_admin = (
            env.type == "user_added"
            and payload.get("role") == ADMIN
            and not any(o == env.origin for o, _ in self._accounts)
        )
        if first_admin:
            return None
        if env.type == "store_recovered":  # the city's signed answer is its authority (account_trust.py)
            return None if signer.user == name else NOT_ADMIN
        if env.type in ("password_changed", "user_key_set") and signer.user == name:
            account = self._accounts.get((env.origin, name))
            sets_key = payload.get("sign_key") is not None
            if not sets_key or (account is not None and not account.keys):
                return None  # one's own password; one's own first key
        if signer.user is None:
            return NOT_ADMIN
        admin = self._accounts.get((env.origin, signer.user))
        if admin is None or admin.role != ADMIN or not admin.active:
            return NOT_ADMIN
        return None


def _same_key(public: str, key_id_: str) -> bool:
    try:
        return key_id(public) == key_id_
    except ValueError:
        return False


def _peer_keys(conn: Connection) -> Iterable[tuple[str, str]]:
    """(origin, signing public key) of every peer whose identity is held here."""
    rows = conn.execute(text("SELECT peer, kind, identity FROM sync_peers WHERE identity IS NOT NULL")).all()
    out = []
    for peer, kind, raw in rows:
        try:
            public = json.loads(raw).get("signing")
        except (ValueError, AttributeError):
            continue
        if isinstance(public, str):
            out.append(
                (f"{CITY_PREFIX}{peer}" if kind == "city" and not peer.startswith(CITY_PREFIX) else peer, public)
            )
    return out


def key_book(conn: Connection, origins: Iterable[str] | None = None) -> KeyBook:
    """The keys known here.

    This store's and its peers' store keys, and the accounts replayed from the account events
    held here (of `origins` only, when given).
    """
    book = KeyBook()
    book.add_store_key(own_origin(conn), get_meta(conn, "ed25519_public") or "")
    for origin, public in _peer_keys(conn):
        book.add_store_key(origin, public)
    sql = f"SELECT origin, type, payload FROM events WHERE type IN ({_ACCOUNT_TYPES_SQL})"
    params: dict[str, Any] = {}
    if origins is not None:
        wanted = sorted(set(origins))
        if not wanted:
            return book
        sql += " AND origin IN (" + ", ".join(f":o{i}" for i in range(len(wanted))) + ")"
        params = {f"o{i}": o for i, o in enumerate(wanted)}
    for origin, type_, raw in conn.execute(text(sql + " ORDER BY seq"), params):
        book.learn(str(origin), str(type_), json.loads(raw))
    return book


# -- import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureRefused:
    """A role-bearing event of an incoming batch whose signature does not hold.

    Its signature is missing, bad, or not its signer's to give: the batch is refused whole.
    """

    uuid: str
    type: str
    reason: str


_STORED = text("SELECT 1 FROM events WHERE uuid = :u")
_CHAIN_SIGNED = text("SELECT 1 FROM events WHERE origin = :o AND stream = :s AND sig IS NOT NULL LIMIT 1")


def check_role_bearing(conn: Connection, envelopes: list[Envelope]) -> SignatureRefused | None:
    """Check the signatures of the role-bearing events of a batch, in batch order.

    They are checked against the keys known here plus those the batch's earlier good account
    events give.

    An unsigned one is accepted only while its chain has no signed event (here or earlier in
    the batch): events written before signing existed. An event already held here is skipped
    (a duplicate). Reads nothing when the batch holds no role-bearing event. Returns the first
    refused event, or None.
    """
    if not any(env.type in ROLE_BEARING for env in envelopes):
        return None
    book = key_book(conn, {env.origin for env in envelopes if env.type in ROLE_BEARING})
    signed: dict[tuple[str, str], bool] = {}
    for env in envelopes:
        chain = (env.origin, env.stream)
        if env.sig is not None:
            signed[chain] = True
        if env.type not in ROLE_BEARING or conn.execute(_STORED, {"u": env.uuid}).first() is not None:
            continue  # a duplicate (or a fork, which the import reports) was checked when it came
        reason, signer = book.check(env.origin, env.author, env.type, env.payload, env.hash, env.key_id, env.sig)
        if reason == UNSIGNED:
            if chain not in signed:
                signed[chain] = conn.execute(_CHAIN_SIGNED, {"o": env.origin, "s": env.stream}).first() is not None
            if signed[chain]:
                return SignatureRefused(env.uuid, env.type, reason)
        elif reason is not None:
            return SignatureRefused(env.uuid, env.type, reason)
        elif signer is not None and (why := book.authority(env, signer)) is not None:
            return SignatureRefused(env.uuid, env.type, why)
        book.learn(env.origin, env.type, env.payload)
    return None


# -- audit --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureFinding:
    """The first event of a chain whose signature does not hold."""

    origin: str
    stream: str
    origin_seq: int
    seq: int
    uuid: str
    type: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The finding as the CLI prints it."""
        return {
            "origin": self.origin, "stream": self.stream, "origin_seq": self.origin_seq, "bad_seq": self.seq,
            "bad_uuid": self.uuid, "type": self.type, "reason": self.reason,
        }  # fmt: skip


@dataclass(frozen=True)
class SignatureReport:
    """Every event's signature checked.

    `checked` verified, `unsigned` from before signing, `unverifiable` signed by users of
    another store whose accounts are not held here (its bundles' signatures covered them);
    `findings`, the first bad event of each chain.
    """

    checked: int
    unsigned: int
    unverifiable: int
    findings: tuple[SignatureFinding, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether no chain has a bad signature."""
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        """The report as the CLI prints it."""
        return {
            "ok": self.ok, "checked": self.checked, "unsigned": self.unsigned, "unverifiable": self.unverifiable,
            "findings": [f.to_json() for f in self.findings],
        }  # fmt: skip


# the payload is read for account events only (the others' may be long: overflow pages unread)
_ALL = text(
    f"SELECT seq, uuid, origin, stream, origin_seq, type, author,"
    f" CASE WHEN type IN ({_ACCOUNT_TYPES_SQL}) THEN payload END, hash, key_id, sig FROM events"
    " ORDER BY origin, stream, origin_seq"
)
PROGRESS_EVERY = 2000


def verify_signatures(conn: Connection, progress: Callable[[int, int], None] | None = None) -> SignatureReport:
    """Check every event's signature, chain by chain (a read of the whole log).

    In each chain, unsigned events are accepted until its first signed one; after it an
    unsigned event is a finding. A key that is not known here is a finding for this store's
    own events and for origins whose accounts are held here; for other origins (the city's
    users, at a station) the event is counted as unverifiable. The cost is one Ed25519
    verification per event: about 100 µs on a desk computer, some 6 s for 60,000 events.

    Args:
        conn: A connection to the store.
        progress: Called with (events done, events in all) every few thousand events and at
            the end.
    """
    book = key_book(conn)
    origin_here = own_origin(conn)
    total = int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
    findings: list[SignatureFinding] = []
    checked = unsigned = unverifiable = done = 0
    chain: tuple[str, str] | None = None
    signed_era = failed = False
    for seq, uuid, origin, stream, origin_seq, type_, author, raw, hash_, kid, sig in conn.execute(_ALL):
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
        if (origin, stream) != chain:
            chain, signed_era, failed = (origin, stream), False, False
        if failed:
            continue
        payload = json.loads(raw) if raw is not None else None
        reason, _ = book.check(origin, author, type_, payload, hash_, kid, sig)
        if reason == UNSIGNED and not signed_era:
            unsigned += 1
            continue
        signed_era = True
        if reason == UNKNOWN_KEY and origin != origin_here and not book.knows_accounts_of(origin):
            unverifiable += 1
            continue
        if reason is not None:
            findings.append(SignatureFinding(origin, stream, int(origin_seq), int(seq), uuid, type_, reason))
            failed = True
            continue
        checked += 1
    if progress is not None:
        progress(done, total)
    findings.sort(key=lambda f: f.seq)
    return SignatureReport(checked, unsigned, unverifiable, tuple(findings))
