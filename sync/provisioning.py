"""Keys, identities and provisioning between the city and its stations.

DESIGN.md "Sync and city command line"; SYNC.md §2.7; docs/sync.md. The city store holds a
root key (signs the versioned keyring and provisioning files), a console signing key (signs
bundles), an X25519 box key (stations encrypt to it), a transport key (relay requests) and a
recovery key whose private half is wrapped under its own passphrase. A station holds a
signing, a box and a transport key. Every private key lives in the store's `meta` table,
inside the SQLCipher database (wrapped under the store key); the recovery key is additionally
wrapped under its passphrase.

Files:
- provisioning file (`msync-provision/1`): the station's code, name and town, the city's public
  keys, its fingerprint, the signed keyring and the relay address, signed by the city's root key.
- identity file (`msync-identity/1`): a station's code, name, town and public keys with their
  fingerprint, for `city enroll`.
- recovery wrap (`msync-recovery-wrap/1`, in the station's keys.json): the store key wrapped to
  the city's recovery public key (X25519 + HKDF-SHA256 + ChaCha20-Poly1305).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from sqlalchemy import Connection

from station_app.clock import Clock, SystemClock
from station_app.domain.enums import Role
from station_app.domain.safe_input import line_problem, text_problem
from station_app.errors import PermissionDenied, StationError, ValidationError
from station_app.input_file import MISSING, TOO_LARGE, InputFileError, read_input_file
from station_app.services.calendar_service import load_seed_payload
from station_app.services.session import Session
from station_app.services.station_service import check_station, init_station
from station_app.services.user_service import check_password, check_user_name, record_signed
from station_app.store import sync_state
from station_app.store.atomic import atomic_write_bytes
from station_app.store.db import get_meta, read, set_meta, write
from station_app.store.keystore import KdfParams, default_kdf_params
from station_app.store.recovery_wrap import RECOVERY_WRAP_FORMAT as RECOVERY_WRAP_FORMAT
from station_app.store.recovery_wrap import unwrap_store_key as unwrap_store_key
from station_app.store.recovery_wrap import wrap_store_key
from station_app.store.station_store import create_store
from sync.header import canonical_json
from sync.keyring_doc import KeyEntry, KeyringDocument, KeyRole, load_keyring, sign_keyring
from sync.keys import IDENTITY_DOMAIN, Keyring, KeyStatus, PublicIdentity, Recipient, SenderKey, Signer, group_hex
from sync.keys import key_id as _key_id

PROVISION_FORMAT = "msync-provision/1"
IDENTITY_FORMAT = "msync-identity/1"
RECOVERY_KEY_FORMAT = "msync-recovery-key/1"
PROVISION_DOMAIN = b"msync/v1/provision\x00"
RECOVERY_KEY_DOMAIN = b"msync/v1/recovery-key\x00"
MAX_FILE = 4 * 1024 * 1024
CITY_CODE_RE = re.compile(r"\d{6}")
CITY_PREFIX = "city:"


def city_origin(city_code: str) -> str:
    """The origin the city's events carry: `city:<code>`."""
    return CITY_PREFIX + city_code


def fingerprint_groups(fingerprint: str) -> str:
    """A fingerprint in groups of four hex digits, as both screens show it for the phone check."""
    return group_hex(fingerprint)


# -- keys of this store ---------------------------------------------------------------------


@dataclass(frozen=True)
class StoreKeys:
    """The private keys of this store (from `meta`)."""

    signing: Ed25519PrivateKey
    box: X25519PrivateKey
    transport: Ed25519PrivateKey


def store_keys(conn: Connection) -> StoreKeys:
    """Read this store's signing, box and transport keys. Raises StationError when missing."""
    values = [get_meta(conn, k) for k in ("ed25519_private", "x25519_private", "transport_private")]
    if any(v is None for v in values):
        raise StationError("本机数据缺少同步密钥,请先升级数据")
    sign, box, transport = (bytes.fromhex(str(v)) for v in values)
    return StoreKeys(
        Ed25519PrivateKey.from_private_bytes(sign),
        X25519PrivateKey.from_private_bytes(box),
        Ed25519PrivateKey.from_private_bytes(transport),
    )


def own_identity(conn: Connection, code: str) -> PublicIdentity:
    """This store's public identity under `code` (the station code, or the city code)."""
    keys = store_keys(conn)
    return PublicIdentity(code, keys.signing.public_key(), keys.box.public_key(), keys.transport.public_key())


def _pub_hex(key: Ed25519PublicKey | X25519PublicKey) -> str:
    from sync.keys import raw_public

    return raw_public(key).hex()


@dataclass(frozen=True)
class CityIdentity:
    """The city's public keys. Its fingerprint covers every one of them (DESIGN.md "Outputs")."""

    code: str
    name: str
    signing: Ed25519PublicKey
    box: X25519PublicKey
    transport: Ed25519PublicKey
    root: Ed25519PublicKey
    recovery: X25519PublicKey

    def to_json(self) -> dict[str, str]:
        """The keys in hex, with code and name."""
        return {
            "code": self.code,
            "name": self.name,
            "signing": _pub_hex(self.signing),
            "box": _pub_hex(self.box),
            "transport": _pub_hex(self.transport),
            "root": _pub_hex(self.root),
            "recovery": _pub_hex(self.recovery),
        }

    @classmethod
    def from_json(cls, doc: object) -> CityIdentity:
        """Read the keys back; raises ValueError for a missing or bad field."""
        if not isinstance(doc, dict):
            raise ValueError("city identity is not an object")
        try:
            return cls(
                str(doc["code"]),
                str(doc["name"]),
                Ed25519PublicKey.from_public_bytes(bytes.fromhex(doc["signing"])),
                X25519PublicKey.from_public_bytes(bytes.fromhex(doc["box"])),
                Ed25519PublicKey.from_public_bytes(bytes.fromhex(doc["transport"])),
                Ed25519PublicKey.from_public_bytes(bytes.fromhex(doc["root"])),
                X25519PublicKey.from_public_bytes(bytes.fromhex(doc["recovery"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"city identity: {type(exc).__name__}") from None

    def fingerprint(self) -> str:
        """64 hex digits: SHA-256 over the identity domain and the canonical keys (no name)."""
        doc = {k: v for k, v in self.to_json().items() if k != "name"}
        return hashlib.sha256(IDENTITY_DOMAIN + canonical_json(doc)).hexdigest()


def city_identity(conn: Connection) -> CityIdentity:
    """At the city: its own public identity. At a bound station: the city's, from provisioning."""
    if sync_state.profile(conn) == sync_state.PROFILE_CITY:
        keys = store_keys(conn)
        return CityIdentity(
            str(get_meta(conn, "city_code")),
            str(get_meta(conn, "city_name")),
            keys.signing.public_key(),
            keys.box.public_key(),
            keys.transport.public_key(),
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(str(get_meta(conn, "root_public")))),
            X25519PublicKey.from_public_bytes(bytes.fromhex(str(get_meta(conn, "recovery_public")))),
        )
    raw = get_meta(conn, "city_identity")
    if raw is None:
        raise StationError("本站尚未绑定市级(请先用市级的开通文件绑定)")
    return CityIdentity.from_json(json.loads(raw))


# -- the keyring ------------------------------------------------------------------------------


def held_keyring(conn: Connection) -> KeyringDocument | None:
    """The signed keyring this store holds (the city's own, or the one it last received)."""
    raw = get_meta(conn, "keyring")
    if raw is None:
        return None
    root = get_meta(conn, "root_public")
    pinned = Ed25519PublicKey.from_public_bytes(bytes.fromhex(root)) if root else None
    return load_keyring(raw.encode("utf-8"), pinned)


def bundle_keyring(conn: Connection) -> Keyring:
    """The sender keys this store trusts for bundles.

    At the city: every provisioned station's signing key, active or revoked as the peer table
    says (so a revoked station's bundles are refused as `revoked_sender`). At a station: the
    city's signing keys from the keyring it holds, and the city's key from provisioning.
    """
    if sync_state.profile(conn) == sync_state.PROFILE_CITY:
        keys = []
        for peer in sync_state.list_peers(conn, "station"):
            if peer.identity is None:
                continue
            doc = json.loads(peer.identity)
            status = KeyStatus.REVOKED if peer.status == "revoked" else KeyStatus.ACTIVE
            keys.append(SenderKey(peer.peer, Ed25519PublicKey.from_public_bytes(bytes.fromhex(doc["signing"])), status))
        return Keyring.of(keys, int(get_meta(conn, "keyring_version") or 0))
    city = city_identity(conn)
    doc = held_keyring(conn)
    keys = [SenderKey(city.code, city.signing)]
    if doc is not None:
        keys += [k for k in doc.bundle_keyring().keys if k.owner == city.code]
    return Keyring.of(keys, doc.version if doc else 0)


def own_recipient(conn: Connection, name: str) -> Recipient:
    """This store as a bundle recipient: its name and box key."""
    return Recipient(name, (store_keys(conn).box,))


def own_signer(conn: Connection, name: str) -> Signer:
    """This store as a bundle sender: its name and signing key."""
    return Signer(name, store_keys(conn).signing)


def _city_entries(city: CityIdentity) -> list[KeyEntry]:
    from sync.keys import raw_public

    return [
        KeyEntry(city.code, KeyRole.SIGNING, raw_public(city.signing)),
        KeyEntry(city.code, KeyRole.TRANSPORT, raw_public(city.transport)),
        KeyEntry(city.code, KeyRole.BOX, raw_public(city.box)),
    ]


def _issue_keyring(conn: Connection, clock: Clock, session: Session | None = None) -> int:
    """Sign a new keyring version and hold it; gives the new version number.

    The keyring holds the city's keys plus every enrolled station's. With a session it is also
    broadcast (`keyring_issued` in the city's `*` stream) so that it goes down to every station
    in the next bundles.
    """
    city = city_identity(conn)
    entries = _city_entries(city)
    for peer in sync_state.list_peers(conn, "station"):
        if peer.identity is None:
            continue
        doc = json.loads(peer.identity)
        revoked = peer.status == "revoked"
        status = KeyStatus.REVOKED if revoked else KeyStatus.ACTIVE
        at = int(_parse_time(peer.revoked_at)) if revoked and peer.revoked_at else None
        for role in (KeyRole.SIGNING, KeyRole.TRANSPORT, KeyRole.BOX):
            entries.append(
                KeyEntry(peer.peer, role, bytes.fromhex(doc[role.value]), status, at, peer.reason if revoked else None)
            )
    version = int(get_meta(conn, "keyring_version") or 0) + 1
    root = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(str(get_meta(conn, "root_private"))))
    raw = sign_keyring(root, city.code, version, int(clock.now().timestamp()), entries)
    set_meta(conn, "keyring", raw.decode("utf-8"))
    set_meta(conn, "keyring_version", str(version))
    if session is not None:
        session.record(conn, "keyring_issued", {"version": version, "document": raw.decode("utf-8")})
    return version


def accept_keyring(conn: Connection, documents: list[str]) -> int | None:
    """At a station: hold the newest of `documents` if it is newer than the held keyring.

    Only a keyring signed by the pinned city root is held; older ones are history and ignored.
    Returns the version now held when it changed, else None.

    Raises:
        KeyringError: class `malformed`, for a document the pinned root did not sign.
    """
    held = held_keyring(conn)
    if held is None:
        return None
    best = held
    for raw in documents:
        doc = load_keyring(raw.encode("utf-8"), held.root)
        if doc.version > best.version:
            best = doc
    if best is held:
        return None
    set_meta(conn, "keyring", best.raw.decode("utf-8"))
    set_meta(conn, "keyring_version", str(best.version))
    return best.version


def _parse_time(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()


# -- the recovery key ---------------------------------------------------------------------------


def _recovery_kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    kdf = Argon2id(salt=salt, length=32, iterations=params.iterations, lanes=params.lanes,
                   memory_cost=params.memory_kib)  # fmt: skip
    return kdf.derive(passphrase.encode("utf-8"))


def wrap_recovery_key(key: X25519PrivateKey, passphrase: str, city_code: str, params: KdfParams) -> dict[str, Any]:
    """The recovery private key wrapped under its own passphrase (Argon2id + AES-256-GCM)."""
    from cryptography.hazmat.primitives import serialization

    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())  # fmt: skip
    salt, nonce = os.urandom(16), os.urandom(12)
    wrapped = AESGCM(_recovery_kek(passphrase, salt, params)).encrypt(
        nonce, raw, RECOVERY_KEY_DOMAIN + city_code.encode("utf-8")
    )
    return {
        "format": RECOVERY_KEY_FORMAT,
        "kdf": {"alg": "argon2id", "m": params.memory_kib, "t": params.iterations, "p": params.lanes,
                "salt": salt.hex()},
        "nonce": nonce.hex(),
        "wrapped": wrapped.hex(),
        "public": _pub_hex(key.public_key()),
    }  # fmt: skip


def open_recovery_key(session: Session, passphrase: str) -> X25519PrivateKey:
    """The city's recovery private key, unwrapped with its passphrase.

    Raises PermissionDenied when the passphrase is wrong, StationError on a store without one.
    """
    with read(session.store.engine) as conn:
        raw = get_meta(conn, "recovery_wrapped")
        city_code = get_meta(conn, "city_code") or ""
    if raw is None:
        raise StationError("本机数据没有恢复密钥(只有市级数据有)")
    doc = json.loads(raw)
    kdf = doc["kdf"]
    params = KdfParams(int(kdf["m"]), int(kdf["t"]), int(kdf["p"]))
    try:
        key = AESGCM(_recovery_kek(passphrase, bytes.fromhex(kdf["salt"]), params)).decrypt(
            bytes.fromhex(doc["nonce"]), bytes.fromhex(doc["wrapped"]), RECOVERY_KEY_DOMAIN + city_code.encode()
        )
    except InvalidTag:
        raise PermissionDenied("恢复密钥口令不正确") from None
    return X25519PrivateKey.from_private_bytes(key)


# -- role checks --------------------------------------------------------------------------------


def require_city(session: Session) -> None:
    """Refuse (exit 1) a city command on a station store."""
    if not session.is_city:
        raise StationError("此命令只能在市级数据中使用")


def require_station(session: Session) -> None:
    """Refuse (exit 1) a station command on the city's store."""
    if session.is_city:
        raise StationError("此命令只能在调解站数据中使用")


def require_admin(session: Session) -> None:
    """Only an admin (exit 1 otherwise)."""
    if session.role is not Role.ADMIN:
        raise PermissionDenied("当前账户无权执行此操作(需要管理员)")


def require_coordinator(session: Session) -> None:
    """At the city: a coordinator or the city's admin (who is also a coordinator)."""
    if session.role not in (Role.COORDINATOR, Role.ADMIN):
        raise PermissionDenied("当前账户无权执行此操作(需要市级协调员)")


# -- city init ------------------------------------------------------------------------------------


def check_city(city_code: str, city_name: str) -> dict[str, str]:
    """Fields refused in `city init` (empty when fine)."""
    fields: dict[str, str] = {}
    if not CITY_CODE_RE.fullmatch(city_code or ""):
        fields["city_code"] = "市级代码应为6位数字"
    if not (city_name or "").strip() or len(city_name) > 60:
        fields["city_name"] = "请填写市名称(60字以内)"
    elif problem := line_problem(city_name.strip()):
        fields["city_name"] = f"市名称{problem}"
    return fields


def init_city(
    data_dir: Path,
    city_code: str,
    city_name: str,
    admin: str,
    password: str,
    recovery_passphrase: str,
    clock: Clock | None = None,
    kdf: KdfParams | None = None,
) -> tuple[Session, str]:
    """Make the city's store (profile `city`, origin `city:<code>`) and its keys.

    Returns:
        `(the admin's session, the city's fingerprint)`.

    Raises:
        ValidationError: naming `city_code`, `city_name`, `admin`, `password` or
            `recovery_passphrase` (at least as long as a password, and different from it).
    """
    fields = check_city(city_code, city_name)
    if (why := check_user_name(admin)) is not None:
        fields["admin"] = why
    if (why := check_password(password)) is not None:
        fields["password"] = why
    if (why := check_password(recovery_passphrase)) is not None:
        fields["recovery_passphrase"] = why.replace("密码", "恢复密钥口令")
    elif recovery_passphrase == password:
        fields["recovery_passphrase"] = "恢复密钥口令不能与登录密码相同"
    if fields:
        raise ValidationError(fields)
    clock = clock or SystemClock()
    name = city_name.strip()
    origin = city_origin(city_code)
    store = create_store(data_dir, city_code, name, admin, password, kdf, profile="city", origin=origin)
    root, recovery = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization

    root_raw = root.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                  serialization.NoEncryption())  # fmt: skip
    wrapped = wrap_recovery_key(recovery, recovery_passphrase, city_code, kdf or default_kdf_params())
    session = Session(store, admin, Role.ADMIN, clock, origin=origin, keys=store.user_keys, profile="city")
    with write(store.engine) as conn:
        for key, value in (
            ("city_code", city_code),
            ("city_name", name),
            ("root_private", root_raw.hex()),
            ("root_public", _pub_hex(root.public_key())),
            ("recovery_public", _pub_hex(recovery.public_key())),
            ("recovery_wrapped", json.dumps(wrapped, sort_keys=True)),
        ):
            set_meta(conn, key, value)
        _issue_keyring(conn, clock)
        fingerprint = city_identity(conn).fingerprint()
        session.record(
            conn, "city_initialised", {"city_code": city_code, "city_name": name, "fingerprint": fingerprint}
        )
        assert session.keys is not None
        user = {"name": admin, "role": Role.ADMIN.value, "display_name": admin, "sign_key": session.keys.sign_public}
        record_signed(session, conn, "user_added", user)  # the first admin signs its own creation
        session.record(conn, "calendar_imported", load_seed_payload())
    return session, fingerprint


# -- provisioning file ------------------------------------------------------------------------------


def _sign_doc(root: Ed25519PrivateKey, doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "signature"}
    return canonical_json({**body, "signature": root.sign(PROVISION_DOMAIN + canonical_json(body)).hex()})


def provision_station(
    session: Session, station_code: str, station_name: str, town_code: str, relay: str | None, out: Path
) -> dict[str, Any]:
    """Write a provisioning file for one station (city admin only) and note the station as a peer.

    Returns `{"file", "station_code", "city_fingerprint"}`.

    Raises:
        ValidationError: the station fields, `relay` or `out`.
        StationError: a station's store, which provisions nobody.
        PermissionDenied: a role other than admin.
    """
    require_city(session)
    require_admin(session)
    fields = check_station(station_code, station_name, town_code)
    if relay is not None and not re.fullmatch(r"https?://[^\s]{1,500}", relay):
        fields["relay"] = "中转地址应以 http:// 或 https:// 开头"
    elif relay is not None and any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in relay):
        fields["relay"] = "中转地址不能含控制字符或不可见字符"
    if not out.parent.is_dir():
        fields["out"] = "目标文件夹不存在"
    if fields:
        raise ValidationError(fields)
    with write(session.store.engine) as conn:
        peer = sync_state.get_peer(conn, station_code)
        if peer is not None and peer.status == "revoked":
            raise StationError("该调解站已被吊销,不能再次开通")
        city = city_identity(conn)
        keyring = str(get_meta(conn, "keyring"))
        doc: dict[str, Any] = {
            "format": PROVISION_FORMAT,
            "station_code": station_code,
            "station_name": station_name.strip(),
            "town_code": town_code,
            "city": city.to_json(),
            "city_fingerprint": city.fingerprint(),
            "keyring": keyring,
            "relay": relay,
            "issued_at": session.now_iso(),
        }
        root = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(str(get_meta(conn, "root_private"))))
        raw = _sign_doc(root, doc)
        try:
            atomic_write_bytes(out, raw)
        except OSError:
            raise ValidationError({"out": "无法写入该文件"}) from None
        sync_state.put_peer(conn, station_code, "station", name=station_name.strip(), town_code=town_code,
                            provisioned_at=session.now_iso())  # fmt: skip
        provisioned = {"station_code": station_code, "station_name": station_name.strip(), "town_code": town_code}
        session.record(conn, "station_provisioned", provisioned)
    return {"file": str(out), "station_code": station_code, "city_fingerprint": city.fingerprint()}


@dataclass(frozen=True)
class Provision:
    """A verified provisioning file."""

    station_code: str
    station_name: str
    town_code: str
    city: CityIdentity
    keyring: KeyringDocument
    relay: str | None


def read_provision(path: Path) -> Provision:
    """Read and verify a provisioning file.

    It must be canonical and signed by the root key it names, hold a keyring that root signed
    and that holds the city's signing key, and its fingerprint must match.

    Raises:
        ValidationError: on `provision` (exit 2) for anything else.
    """

    def bad(why: str) -> ValidationError:
        return ValidationError({"provision": why})

    try:
        raw = read_input_file(path, MAX_FILE)
    except InputFileError as exc:
        raise bad({MISSING: "开通文件不存在", TOO_LARGE: "开通文件过大"}.get(exc.kind, "开通文件无法读取")) from None
    try:
        doc = json.loads(raw.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != PROVISION_FORMAT:
            raise ValueError("format")
        if canonical_json(doc) != raw:
            raise ValueError("not canonical")
        city = CityIdentity.from_json(doc["city"])
        body = {k: v for k, v in doc.items() if k != "signature"}
        city.root.verify(bytes.fromhex(str(doc["signature"])), PROVISION_DOMAIN + canonical_json(body))
        keyring = load_keyring(str(doc["keyring"]).encode("utf-8"), city.root)
        if doc["city_fingerprint"] != city.fingerprint():
            raise ValueError("fingerprint")
        signing = keyring.find(_key_id(city.signing), KeyRole.SIGNING)
        if signing is None or signing.owner != city.code:
            raise ValueError("keyring lacks the city key")
        fields = check_station(str(doc["station_code"]), str(doc["station_name"]), str(doc["town_code"]))
        if fields:
            raise ValueError("station fields")
        relay = doc.get("relay")
        return Provision(str(doc["station_code"]), str(doc["station_name"]), str(doc["town_code"]), city, keyring,
                         relay if isinstance(relay, str) else None)  # fmt: skip
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, InvalidSignature):
        raise bad("开通文件无效(格式不符或市级签名不符)") from None
    except StationError:
        raise
    except Exception as exc:  # a keyring error (MalformedBundle) and the like
        if type(exc).__module__.startswith("sync"):
            raise bad("开通文件无效(密钥环不符)") from None
        raise


def _bind(session: Session, conn: Connection, prov: Provision) -> tuple[str, str]:
    """Store the city binding, the keyring and the recovery wrap (inside the caller's write)."""
    set_meta(conn, "city_code", prov.city.code)
    set_meta(conn, "city_name", prov.city.name)
    set_meta(conn, "city_identity", json.dumps(prov.city.to_json(), sort_keys=True))
    set_meta(conn, "root_public", _pub_hex(prov.city.root))
    set_meta(conn, "keyring", prov.keyring.raw.decode("utf-8"))
    set_meta(conn, "keyring_version", str(prov.keyring.version))
    if prov.relay:
        set_meta(conn, "relay_url", prov.relay)
    city_fp = prov.city.fingerprint()
    sync_state.put_peer(conn, prov.city.code, "city", name=prov.city.name, identity=json.dumps(prov.city.to_json()),
                        fingerprint=city_fp, enrolled_at=session.now_iso())  # fmt: skip
    fingerprint = own_identity(conn, session.station_code).fingerprint()
    session.record(conn, "city_bound",
                   {"city_code": prov.city.code, "city_fingerprint": city_fp, "fingerprint": fingerprint})  # fmt: skip
    keystore = session.store.keystore
    with keystore.locked():
        keystore.set_section(
            "recovery_wrap", wrap_store_key(session.store.key, prov.city.recovery, session.station_code, prov.city.code)
        )
        keystore.save()
    return fingerprint, city_fp


def init_from_provision(
    data_dir: Path, path: Path, admin: str, password: str, clock: Clock | None = None, kdf: KdfParams | None = None
) -> tuple[Session, dict[str, Any]]:
    """`init --provision`: make a station bound to the city (code, name and town from the file).

    Returns:
        `(the admin's session, the init output plus "fingerprint" and "city_fingerprint")`.

    Raises:
        ValidationError: `provision`, `admin` or `password`, before anything is made.
    """
    prov = read_provision(path)
    session = init_station(data_dir, prov.station_code, prov.station_name, prov.town_code, admin, password,
                           clock, kdf)  # fmt: skip
    with write(session.store.engine) as conn:
        fingerprint, city_fp = _bind(session, conn, prov)
    return session, {
        "station_code": session.station_code,
        "station_name": session.station_name,
        "admin": admin,
        "data_dir": str(session.data_dir),
        "fingerprint": fingerprint,
        "city_fingerprint": city_fp,
    }


def bind_station(session: Session, path: Path) -> dict[str, Any]:
    """`sync bind --provision FILE`: bind an existing standalone station to the city (admin).

    Raises ValidationError on `provision` (bad file, or made for another station code),
    StationError when already bound or on the city's store, PermissionDenied for a non-admin.
    """
    require_station(session)
    require_admin(session)
    prov = read_provision(path)
    if prov.station_code != session.station_code:
        raise ValidationError({"provision": "开通文件是为另一个调解站制作的"})
    with write(session.store.engine) as conn:
        if sync_state.bound_city(conn) is not None:
            raise StationError("本站已绑定市级")
        fingerprint, city_fp = _bind(session, conn, prov)
    return {"station_code": session.station_code, "city_code": prov.city.code, "fingerprint": fingerprint,
            "city_fingerprint": city_fp}  # fmt: skip


# -- identity, enrolment, revocation --------------------------------------------------------------


def write_identity(session: Session, out: Path) -> dict[str, Any]:
    """`sync identity --out FILE` (station admin): write the station's public identity for `city enroll`.

    Returns `{"file", "station_code", "fingerprint"}`.
    """
    require_station(session)
    require_admin(session)
    if not out.parent.is_dir():
        raise ValidationError({"out": "目标文件夹不存在"})
    with read(session.store.engine) as conn:
        ident = own_identity(conn, session.station_code)
        town = get_meta(conn, "town_code") or ""
    doc = {
        "format": IDENTITY_FORMAT,
        "station_code": session.station_code,
        "station_name": session.station_name,
        "town_code": town,
        "signing": _pub_hex(ident.signing),
        "box": _pub_hex(ident.box),
        "transport": _pub_hex(ident.transport) if ident.transport else None,
        "fingerprint": ident.fingerprint(),
    }
    try:
        atomic_write_bytes(out, canonical_json(doc))
    except OSError:
        raise ValidationError({"out": "无法写入该文件"}) from None
    return {"file": str(out), "station_code": session.station_code, "fingerprint": ident.fingerprint()}


def read_identity(path: Path) -> tuple[PublicIdentity, dict[str, Any]]:
    """Read an identity file; its fingerprint must match its keys. ValidationError on `file`."""
    try:
        raw = read_input_file(path, MAX_FILE)
    except InputFileError as exc:
        raise ValidationError({"file": "身份文件不存在" if exc.kind == MISSING else "身份文件无效"}) from None
    try:
        doc = json.loads(raw.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != IDENTITY_FORMAT:
            raise ValueError("format")
        ident = PublicIdentity(
            str(doc["station_code"]),
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(doc["signing"])),
            X25519PublicKey.from_public_bytes(bytes.fromhex(doc["box"])),
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(doc["transport"])),
        )
        if ident.fingerprint() != doc.get("fingerprint") or check_station(ident.code, "x", "000000000"):
            raise ValueError("fingerprint")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        raise ValidationError({"file": "身份文件无效"}) from None
    return ident, doc


def enroll_station(session: Session, path: Path) -> dict[str, Any]:
    """`city enroll FILE` (city admin): register a station's identity and issue a new keyring version.

    Returns `{"station_code", "fingerprint"}` (plus `keyring_version`).

    Raises:
        ValidationError: on `file`.
        StationError: the station is revoked, or enrolled with another identity.
    """
    require_city(session)
    require_admin(session)
    ident, doc = read_identity(path)
    fingerprint = ident.fingerprint()
    with write(session.store.engine) as conn:
        peer = sync_state.get_peer(conn, ident.code)
        if peer is not None and peer.status == "revoked":
            raise StationError("该调解站已被吊销,不能再次登记")
        if peer is not None and peer.fingerprint not in (None, fingerprint):
            raise StationError("该调解站已登记另一身份;如需更换,请先吊销")
        if peer is not None and peer.fingerprint == fingerprint:
            return {"station_code": ident.code, "fingerprint": fingerprint}
        identity = {"signing": doc["signing"], "box": doc["box"], "transport": doc["transport"]}
        values: dict[str, Any] = {"identity": json.dumps(identity, sort_keys=True), "fingerprint": fingerprint,
                                  "status": "active", "enrolled_at": session.now_iso()}  # fmt: skip
        if peer is None or not peer.name:
            values.update(name=str(doc.get("station_name") or ""), town_code=str(doc.get("town_code") or ""))
        sync_state.put_peer(conn, ident.code, "station", **values)
        version = _issue_keyring(conn, session.clock, session)
        enrolled = {"station_code": ident.code, "fingerprint": fingerprint, "keyring_version": version}
        session.record(conn, "station_enrolled", enrolled)
    return {"station_code": ident.code, "fingerprint": fingerprint, "keyring_version": version}


def revoke_station(session: Session, code: str, reason: str) -> dict[str, Any]:
    """`city revoke CODE --reason TEXT` (city admin): revoke a station.

    From now on its bundles are refused (`revoked_sender`) and the keyring marks its keys revoked.
    Returns `{"station_code", "fingerprint", "status": "revoked", "keyring_version"}`.

    Raises:
        ValidationError: `reason` empty, or `station_code` unknown.
    """
    require_city(session)
    require_admin(session)
    if problem := text_problem(reason or ""):
        raise ValidationError({"reason": f"吊销理由{problem}"})
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationError({"reason": "请填写吊销理由(500字以内)"})
    with write(session.store.engine) as conn:
        peer = sync_state.get_peer(conn, code)
        if peer is None or peer.kind != "station" or peer.fingerprint is None:
            raise ValidationError({"station_code": "没有登记该调解站"})
        if peer.status == "revoked":
            raise StationError("该调解站已被吊销")
        sync_state.put_peer(conn, code, "station", status="revoked", revoked_at=session.now_iso(), reason=reason)
        version = _issue_keyring(conn, session.clock, session)
        session.record(conn, "station_revoked", {"station_code": code, "fingerprint": peer.fingerprint,
                                                 "reason": reason, "keyring_version": version})  # fmt: skip
    return {"station_code": code, "fingerprint": peer.fingerprint, "status": "revoked", "keyring_version": version}


def list_stations(session: Session) -> list[dict[str, Any]]:
    """`city stations --json` (coordinator): every provisioned or enrolled station.

    Each with its fingerprint, status, last bundle, events held and the sequence the city holds
    (and acks).
    """
    require_city(session)
    require_coordinator(session)
    out = []
    with read(session.store.engine) as conn:
        heads = sync_state.heads_where(conn, None, None)
        for peer in sync_state.list_peers(conn, "station"):
            out.append(
                {
                    "station_code": peer.peer,
                    "station_name": peer.name or "",
                    "town_code": peer.town_code or "",
                    "fingerprint": peer.fingerprint,
                    "status": "revoked" if peer.status == "revoked" else "active",
                    "last_bundle_at": peer.last_bundle_at,
                    "events_held": sync_state.events_held(conn, peer.peer),
                    "acked_seq": heads.get((peer.peer, peer.peer), (0, ""))[0],
                }
            )
    return out


def write_keyring(session: Session, out: Path) -> dict[str, Any]:
    """`city keyring --out FILE` (city admin): write the current signed keyring, as the relay reads it.

    Returns `{"file", "city_code", "fingerprint", "version"}`.
    """
    require_city(session)
    require_admin(session)
    if not out.parent.is_dir():
        raise ValidationError({"out": "目标文件夹不存在"})
    with read(session.store.engine) as conn:
        raw = str(get_meta(conn, "keyring"))
        version = int(get_meta(conn, "keyring_version") or 0)
        city = city_identity(conn)
    try:
        atomic_write_bytes(out, raw.encode("utf-8"))
    except OSError:
        raise ValidationError({"out": "无法写入该文件"}) from None
    return {"file": str(out), "city_code": city.code, "fingerprint": city.fingerprint(), "version": version}
