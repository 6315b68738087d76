"""Key recovery: a station whose every password is lost gets its store key back from the city.

From the city and from nobody else (DESIGN.md "Key recovery"; docs/key-recovery.md). At
provisioning the station's store key was wrapped to the city's recovery public key
(`provisioning.wrap_store_key`, kept in the station's keys.json as `recovery_wrap`). Three steps:

1. **Request** (station, no password): a fresh X25519 key pair and a new admin's own keys are
   made; their private halves are kept in keys.json (`recovery_pending`) wrapped under the new
   admin password chosen now; the request file carries the station's code, the recovery wrap,
   the ephemeral public key and the new admin's public signing key. Its fingerprint is read to
   the city on the phone.
2. **Answer** (city admin *and* the recovery key's own passphrase): the recovery wrap is opened
   and the store key re-wrapped to the request's ephemeral key (X25519 + HKDF-SHA256 +
   ChaCha20-Poly1305, bound to the station code and the request id), signed by the city's root
   key, and recorded in the city's log (`recovery_answered`).
3. **Apply** (station, the same new password): the store key is opened, shown to open this
   station's database, the city's signature checked against the root key the station was
   provisioned with; the new admin gets the store key and a `store_recovered` event (the
   authority `audit verify` accepts for that admin); the pending request is consumed, so an
   answer works once; the store key is rotated (the city no longer knows it) and the store takes
   a new epoch.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid as uuid_mod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from station_app.clock import Clock, SystemClock
from station_app.domain.enums import Role
from station_app.errors import PermissionDenied, StationError, ValidationError
from station_app.input_file import TOO_LARGE, InputFileError, read_input_file
from station_app.services.key_service import rotate_store_key
from station_app.services.session import Session
from station_app.services.user_service import check_password, check_user_name
from station_app.store.account_trust import RECOVERY_RESPONSE_DOMAIN, recovery_answer_valid
from station_app.store.atomic import atomic_write_bytes
from station_app.store.backup import new_epoch
from station_app.store.db import get_meta, make_engine, read, write
from station_app.store.keystore import KdfParams, Keystore, default_kdf_params
from station_app.store.recovery_wrap import RECOVERY_WRAP_FORMAT, unwrap_store_key
from station_app.store.station_store import OpenStore, db_path, keys_path
from station_app.store.user_keys import UserKeys, new_user_keys
from sync.header import canonical_json
from sync.provisioning import (
    list_stations,
    open_recovery_key,
    require_admin,
    require_city,
)

REQUEST_FORMAT = "msync-recovery-request/1"
RESPONSE_FORMAT = "msync-recovery-response/1"
PENDING = "recovery_pending"
WRAP = "recovery_wrap"
REQUEST_DOMAIN = b"msync/v1/recovery-request\x00"
RESPONSE_DOMAIN = RECOVERY_RESPONSE_DOMAIN  # what the city root key signs
ANSWER_DOMAIN = b"msync/v1/recovery-answer-key\x00"  # what the answer's key and ciphertext are bound to
PENDING_DOMAIN = b"msync/v1/recovery-pending\x00"
MAX_FILE = 64 * 1024
HEX32 = 64


# -- files ----------------------------------------------------------------------------------------


def _read_doc(path: Path, field: str, fmt: str) -> dict[str, Any]:
    """A small JSON file of format `fmt`; ValidationError on `field` otherwise."""
    try:
        raw = read_input_file(path, MAX_FILE)
    except InputFileError as exc:
        if exc.kind == TOO_LARGE:
            raise ValidationError({field: "不是有效的恢复文件"}) from None
        raise ValidationError({field: "文件不存在或无法读取"}) from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValidationError({field: "不是有效的恢复文件"}) from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise ValidationError({field: "不是有效的恢复文件(格式不符)"})
    return doc


def _hexfield(doc: dict[str, Any], key: str, field: str, length: int = HEX32) -> bytes:
    value = doc.get(key)
    try:
        if not isinstance(value, str) or len(value) != length:
            raise ValueError
        return bytes.fromhex(value)
    except ValueError:
        raise ValidationError({field: f"恢复文件的 {key} 字段无效"}) from None


def _text(doc: dict[str, Any], key: str, field: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ValidationError({field: f"恢复文件缺少 {key} 字段"})
    return value


def request_fingerprint(request: dict[str, Any]) -> str:
    """SHA-256 (64 hex digits) over the request's canonical JSON: read to the city on the phone."""
    return hashlib.sha256(REQUEST_DOMAIN + canonical_json(request)).hexdigest()


def _raw_public(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _kek(password: str, salt: bytes, params: KdfParams) -> bytes:
    return Argon2id(
        salt=salt, length=32, iterations=params.iterations, lanes=params.lanes, memory_cost=params.memory_kib
    ).derive(password.encode("utf-8"))


def _answer_key(shared: bytes, city_eph: bytes, station_eph: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=city_eph + station_eph, info=info).derive(shared)


def _binding(station_code: str, request_id: str) -> bytes:
    """What the answer's key and ciphertext are bound to: this station and this request."""
    return ANSWER_DOMAIN + station_code.encode("utf-8") + b"\x00" + request_id.encode("ascii")


# -- 1. the station's request -------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryFile:
    """A request (`recovery request`) or an answer (`city recover`) written.

    The file, the station, the request id and the request's fingerprint, read out on the phone.
    """

    file: Path
    station_code: str
    request_id: str
    fingerprint: str

    def to_json(self) -> dict[str, Any]:
        """`{"file", "station_code", "request_id", "fingerprint"}`."""
        return {
            "file": str(self.file),
            "station_code": self.station_code,
            "request_id": self.request_id,
            "fingerprint": self.fingerprint,
        }


def make_request(
    data_dir: Path, new_password: str, out: Path, clock: Clock | None = None, kdf: KdfParams | None = None
) -> RecoveryFile:
    """Write a recovery request for the station in `data_dir` (no login: every password is lost).

    `new_password` is the new admin's password, chosen now; it wraps the request's private keys
    in keys.json and is asked again by `apply_response`. A second request replaces the first
    (an answer to the first then no longer applies).

    Raises:
        ValidationError: `password` fails the password policy; `out` cannot be written.
        StationError: no station here, a city store, or a station never provisioned by a city
            (no recovery wrap).
    """
    clock = clock or SystemClock()
    if (why := check_password(new_password)) is not None:
        raise ValidationError({"password": why})
    keystore = Keystore.load(keys_path(data_dir))
    if keystore.section("profile") == "city":
        raise StationError("市级数据不能申请恢复:恢复密钥由市级自己保管")
    wrap = keystore.section(WRAP)
    if not isinstance(wrap, dict) or wrap.get("format") != RECOVERY_WRAP_FORMAT:
        raise StationError("本站未经市级开通,没有可由市级恢复的密钥封装:无法申请恢复")
    eph, admin = X25519PrivateKey.generate(), new_user_keys()
    request_id = str(uuid_mod.uuid4())
    request = {
        "format": REQUEST_FORMAT,
        "request_id": request_id,
        "station_code": keystore.station_code,
        "station_name": keystore.station_name,
        "city_code": str(wrap.get("city_code", "")),
        "created_at": clock.now().isoformat(timespec="seconds"),
        "eph": _raw_public(eph.public_key()).hex(),
        "admin_sign_key": admin.sign_public,
        "recovery_wrap": wrap,
    }
    params = kdf or default_kdf_params()
    salt, nonce = os.urandom(16), os.urandom(12)
    secret = json.dumps({"eph": eph.private_bytes_raw().hex(), "seed": admin.seed.hex()}).encode("ascii")
    aad = PENDING_DOMAIN + keystore.station_code.encode("utf-8") + request_id.encode("ascii")
    pending = {
        "request_id": request_id,
        "created_at": request["created_at"],
        "kdf": {"m": params.memory_kib, "t": params.iterations, "p": params.lanes, "salt": salt.hex()},
        "nonce": nonce.hex(),
        "wrapped": AESGCM(_kek(new_password, salt, params)).encrypt(nonce, secret, aad).hex(),
    }
    try:
        atomic_write_bytes(out, canonical_json(request))
    except OSError:
        raise ValidationError({"out": "无法写入该文件"}) from None
    with keystore.locked():
        keystore.set_section(PENDING, pending)
        keystore.save()
    return RecoveryFile(out, keystore.station_code, request_id, request_fingerprint(request))


# -- 2. the city's answer ----------------------------------------------------------------------------


def answer_request(session: Session, request_path: Path, passphrase: str, out: Path) -> RecoveryFile:
    """Answer a station's recovery request (city admin, with the recovery key's passphrase).

    Refused unless the request is for an enrolled, active station of this city and its recovery
    wrap opens with this city's recovery key. Records `recovery_answered` (station, request id
    and fingerprint, who) in the city's log.

    Raises:
        StationError: not a city store; the station is unknown or revoked.
        PermissionDenied: not an admin; the passphrase does not open the recovery key.
        ValidationError: `request` malformed or not for this city; `out` cannot be written.
    """
    require_city(session)
    require_admin(session)
    request = _read_doc(request_path, "request", REQUEST_FORMAT)
    code, request_id = _text(request, "station_code", "request"), _text(request, "request_id", "request")
    station_eph = _hexfield(request, "eph", "request")
    admin_key = _text(request, "admin_sign_key", "request")
    wrap = request.get("recovery_wrap")
    with read(session.store.engine) as conn:
        city_code = str(get_meta(conn, "city_code") or "")
        root_hex = str(get_meta(conn, "root_private") or "")
    if request.get("city_code") != city_code or not isinstance(wrap, dict) or wrap.get("station_code") != code:
        raise ValidationError({"request": "该申请不是本市调解站的恢复申请"})
    station = next((s for s in list_stations(session) if s["station_code"] == code), None)
    if station is None:
        raise StationError(f"调解站 {code} 未在本市登记,不能为其恢复")
    if station["status"] == "revoked":
        raise StationError(f"调解站 {code} 已被吊销,不能为其恢复")
    recovery = open_recovery_key(session, passphrase)
    try:
        store_key = unwrap_store_key(wrap, recovery)
    except (ValueError, KeyError, TypeError):
        raise ValidationError({"request": "申请中的密钥封装无法用本市恢复密钥打开"}) from None
    fingerprint = request_fingerprint(request)
    city_eph = X25519PrivateKey.generate()
    city_eph_pub = _raw_public(city_eph.public_key())
    binding = _binding(code, request_id)
    key = _answer_key(city_eph.exchange(X25519PublicKey.from_public_bytes(station_eph)), city_eph_pub,
                      station_eph, binding)  # fmt: skip
    nonce = os.urandom(12)
    body = {
        "format": RESPONSE_FORMAT,
        "request_id": request_id,
        "request_fingerprint": fingerprint,
        "station_code": code,
        "city_code": city_code,
        "answered_at": session.now_iso(),
        "answered_by": session.user,
        "admin_sign_key": admin_key,
        "eph": city_eph_pub.hex(),
        "nonce": nonce.hex(),
        "wrapped": ChaCha20Poly1305(key).encrypt(nonce, store_key, binding).hex(),
    }
    root = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(root_hex))
    body["signature"] = root.sign(RESPONSE_DOMAIN + canonical_json(body)).hex()
    try:
        atomic_write_bytes(out, canonical_json(body))
    except OSError:
        raise ValidationError({"out": "无法写入该文件"}) from None
    with write(session.store.engine) as conn:
        session.record(
            conn,
            "recovery_answered",
            {"station_code": code, "request_id": request_id, "request_fingerprint": fingerprint},
        )
    return RecoveryFile(out, code, request_id, fingerprint)


# -- 3. the station applies it -------------------------------------------------------------------------


def response_signed_by(response: dict[str, Any], root_public_hex: str) -> bool:
    """Whether `response` carries a valid signature of the city root key `root_public_hex`.

    The signature is over `RECOVERY_RESPONSE_DOMAIN` and the response's canonical JSON without
    `signature`.
    """
    return recovery_answer_valid(
        response, root_public_hex, str(response.get("station_code")), str(response.get("admin_sign_key"))
    )


@dataclass(frozen=True)
class Recovered:
    """What `recovery apply` did.

    The station, its new admin, whether the store key was rotated (and why not), and the store's
    new epoch.
    """

    station_code: str
    admin: str
    rotated: bool
    store_epoch: str
    note: str = ""
    request_id: str = ""
    fingerprint: str = ""

    def to_json(self) -> dict[str, Any]:
        """The result as `recovery apply` prints it.

        `{"station_code", "admin", "rotated", "store_epoch", "request_id", "fingerprint"}` (the
        answered request's fingerprint, as `recovery request` and `city recover` print it) plus
        `note` when not rotated.
        """
        out: dict[str, Any] = {
            "station_code": self.station_code,
            "admin": self.admin,
            "rotated": self.rotated,
            "store_epoch": self.store_epoch,
            "request_id": self.request_id,
            "fingerprint": self.fingerprint,
        }
        if self.note:
            out["note"] = self.note
        return out


def _open_pending(keystore: Keystore, pending: dict[str, Any], password: str) -> tuple[X25519PrivateKey, UserKeys]:
    try:
        kdf = pending["kdf"]
        params = KdfParams(int(kdf["m"]), int(kdf["t"]), int(kdf["p"]))
        if not (8 <= params.memory_kib <= 1 << 20 and 1 <= params.iterations <= 16 and 1 <= params.lanes <= 16):
            raise ValueError("Argon2id parameters out of bounds")
        aad = PENDING_DOMAIN + keystore.station_code.encode("utf-8") + str(pending["request_id"]).encode("ascii")
        secret = AESGCM(_kek(password, bytes.fromhex(kdf["salt"]), params)).decrypt(
            bytes.fromhex(pending["nonce"]), bytes.fromhex(pending["wrapped"]), aad
        )
        keys = json.loads(secret)
        return X25519PrivateKey.from_private_bytes(bytes.fromhex(keys["eph"])), UserKeys(bytes.fromhex(keys["seed"]))
    except InvalidTag:
        raise ValidationError({"password": "与申请恢复时设定的新密码不符"}) from None
    except (KeyError, ValueError, TypeError):
        raise StationError("密钥文件中的恢复申请已损坏:请重新申请恢复") from None


def apply_response(
    data_dir: Path,
    response_path: Path,
    admin: str,
    new_password: str,
    clock: Clock | None = None,
    kdf: KdfParams | None = None,
) -> Recovered:
    """Apply the city's answer to this station's pending request. The answer works once.

    `admin` becomes an admin with `new_password` (the one chosen at the request).

    Raises:
        ValidationError: `response` malformed, for another station or another request, not
            signed by this station's city, or its key does not open this store; `admin`
            invalid; `password` not the one chosen at the request.
        StationError: no pending request (never made, or its answer was already applied).
    """
    clock = clock or SystemClock()
    if (why := check_user_name(admin)) is not None:
        raise ValidationError({"admin": why})
    response = _read_doc(response_path, "response", RESPONSE_FORMAT)
    keystore = Keystore.load(keys_path(data_dir))
    pending = keystore.section(PENDING)
    if not isinstance(pending, dict):
        raise StationError("本站没有待处理的恢复申请:恢复答复只能使用一次,请重新申请")
    if response.get("station_code") != keystore.station_code:
        raise ValidationError({"response": "此恢复答复是为另一个调解站制作的"})
    if response.get("request_id") != pending.get("request_id"):
        raise ValidationError({"response": "此恢复答复不属于本站当前的恢复申请(已用过,或已重新申请)"})
    eph, admin_keys = _open_pending(keystore, pending, new_password)
    if response.get("admin_sign_key") != admin_keys.sign_public:
        raise ValidationError({"response": "恢复答复与本站的申请不符"})
    binding = _binding(keystore.station_code, str(pending["request_id"]))
    city_eph = _hexfield(response, "eph", "response")
    station_eph = _raw_public(eph.public_key())
    try:
        key = _answer_key(eph.exchange(X25519PublicKey.from_public_bytes(city_eph)), city_eph, station_eph, binding)
        store_key = ChaCha20Poly1305(key).decrypt(
            _hexfield(response, "nonce", "response", 24), _hexfield(response, "wrapped", "response", 96), binding
        )
    except InvalidTag:
        raise ValidationError({"response": "恢复答复已损坏或被改动,无法打开"}) from None
    path = db_path(data_dir)
    engine = make_engine(path, store_key)
    try:
        with read(engine) as conn:
            code = get_meta(conn, "station_code")
            root = str(get_meta(conn, "root_public") or "")
            done = conn.execute(
                text("SELECT 1 FROM events WHERE type = 'store_recovered' AND payload LIKE :p"),
                {"p": f'%"request_id":"{pending["request_id"]}"%'},
            ).first()
    except DBAPIError:
        engine.dispose()
        raise ValidationError({"response": "恢复答复中的密钥打不开本站数据库"}) from None
    if code != keystore.station_code or not root or not response_signed_by(response, root):
        engine.dispose()
        raise ValidationError({"response": "恢复答复没有本站所属市级的有效签名"})
    with keystore.locked():
        keystore.wrap(admin, new_password, store_key, kdf, keys=admin_keys)
        keystore.unlock_user(admin)
        keystore.save()
    store = OpenStore(data_dir, engine, keystore, store_key, admin_keys)
    session = Session(store, admin, Role.ADMIN, clock, origin=keystore.station_code, keys=admin_keys)
    if done is None:
        with write(engine) as conn:
            session.record(
                conn,
                "store_recovered",
                {
                    "name": admin,
                    "role": Role.ADMIN.value,
                    "sign_key": admin_keys.sign_public,
                    "request_id": str(pending["request_id"]),
                    "city_code": str(response.get("city_code", "")),
                    "response": response,
                },
            )
    with keystore.locked():
        keystore.set_section(PENDING, None)
        keystore.save()
    rotated, note = True, ""
    try:
        rotate_store_key(session)
    except (StationError, PermissionDenied) as exc:
        rotated, note = False, f"密钥未能轮换:{exc}。请其他账户登录一次后,由管理员运行 keys rotate"
    epoch = new_epoch(session.store.engine)
    session.close()
    return Recovered(keystore.station_code, admin, rotated, epoch, note, str(pending["request_id"]),
                     str(response.get("request_fingerprint", "")))  # fmt: skip
