"""`paper verify` trusts the keys the store knows: its own, and the stations' signing keys in the
city's keyring when the store holds one; never a key typed on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from station_app.clock import FixedClock
from station_app.documents.payload import b64, parse_payload
from station_app.services.case_service import intake
from station_app.services.paper_service import KEYRING_META, print_paper
from station_app.services.session import Session
from station_app.services.station_service import init_station
from station_app.store.db import set_meta, write
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, TOWN_CODE, run_cli
from tests.factories import refer_intake

OTHER_CODE = "232701100002"


def _keyring(session: Session, entries: list[dict[str, str]]) -> None:
    doc = {"format": "msync-keyring/1", "version": 3, "city": "232700", "keys": entries}
    with write(session.store.engine) as conn:
        set_meta(conn, KEYRING_META, json.dumps(doc))


def _entry(owner: str, pub_hex: str, role: str = "signing", status: str = "active") -> dict[str, str]:
    return {"kid": "0" * 32, "owner": owner, "role": role, "pub": pub_hex, "status": status}


def _verify(data_dir: Path, payload: str) -> tuple[int, dict[str, object]]:
    r = run_cli("paper", "verify", data_dir=data_dir, stdin=payload + "\n")
    return r.returncode, json.loads(r.stdout)


def test_a_paper_of_another_station_verifies_only_through_the_citys_keyring(
    station: Session, data_dir: Path, tmp_path: Path, clock: FixedClock
) -> None:
    folder = tmp_path / "other"
    other = init_station(folder, OTHER_CODE, "另一调解站", TOWN_CODE, ADMIN, ADMIN_PASSWORD, clock, FAST_KDF)
    try:
        payload = print_paper(other, intake(other, refer_intake()).case_no, "receipt").payload
        other_pub = other.store.meta("ed25519_public")
    finally:
        other.close()
    assert other_pub

    code, body = _verify(data_dir, payload)  # no keyring: this store knows no key of that station
    assert code == 1 and body["valid"] is False and "无该站公钥" in str(body["reason"])

    stranger = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    _keyring(station, [_entry(OTHER_CODE, stranger), _entry(OTHER_CODE, other_pub, role="transport")])
    code, body = _verify(data_dir, payload)  # the keyring's key for that station did not sign it
    assert code == 1 and body["valid"] is False

    _keyring(station, [_entry(OTHER_CODE, other_pub, status="revoked")])
    code, body = _verify(data_dir, payload)
    assert code == 1 and body["valid"] is False

    _keyring(station, [_entry(OTHER_CODE, stranger), _entry(OTHER_CODE, other_pub)])
    code, body = _verify(data_dir, payload)
    assert code == 0 and body["valid"] is True
    fields = body["fields"]
    assert isinstance(fields, dict) and fields["station_code"] == OTHER_CODE and "recorded" not in fields


def test_a_paper_claiming_this_station_is_checked_against_its_own_key(station: Session, data_dir: Path) -> None:
    """A keyring entry for this station's code cannot stand in for the station's own key being
    wrong: its own papers verify, and a paper signed by a stranger that names it does not."""
    payload = print_paper(station, intake(station, refer_intake()).case_no, "receipt").payload
    code, body = _verify(data_dir, payload)
    assert code == 0 and body["valid"] is True and body["fields"]["recorded"] is True  # type: ignore[index]
    message = parse_payload(payload).message
    forged = message.decode("ascii") + "." + b64(Ed25519PrivateKey.generate().sign(message))
    assert forged != payload and parse_payload(forged).fields == parse_payload(payload).fields
    code, body = _verify(data_dir, forged)
    assert code == 1 and body["valid"] is False
