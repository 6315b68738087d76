"""Every event carries its author's key id and an Ed25519 signature over its hash.

Someone holding the store key can rewrite an event and recompute every hash after it, but
cannot sign in another user's name: `audit verify` names the event. A foreign batch whose
role-bearing event (an account, a role, a key) is not signed by an admin of its origin is
refused whole at import.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from station_app.clock import FixedClock
from station_app.services import audit_service, case_service
from station_app.services.session import Session, login
from station_app.services.user_service import record_signed
from station_app.store import signature_check
from station_app.store.anchor import reanchor
from station_app.store.db import mark_log_appended, read, set_meta, write
from station_app.store.event_sig import EventSigner, store_signer
from station_app.store.events import GENESIS, Envelope, canonical_json, envelope_hash, iter_events, ledger_hash
from station_app.store.log import ForgedEvent, import_foreign
from station_app.store.station_store import db_path
from station_app.store.sync_state import put_peer
from station_app.store.user_keys import key_id
from tests.conftest import ADMIN, ADMIN_PASSWORD, START, WORKER, run_cli
from tests.factories import joint_intake
from tests.store.conftest import export, state

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def _sign_keys(session: Session) -> dict[str, str]:
    with read(session.store.engine) as conn:
        return {str(r[0]): key_id(str(r[1])) for r in conn.execute(text("SELECT name, sign_key FROM users"))}


def _signed(session: Session) -> list[tuple[str, str, str | None]]:
    """(type, author, key_id) of every event, in ledger order."""
    with read(session.store.engine) as conn:
        return [(e.type, e.author, e.key_id) for e in iter_events(conn)]


def _rewrite(
    session: Session, uuid: str, change: Callable[[dict[str, Any]], dict[str, Any]], resign: bool = False
) -> None:
    """Rewrite an event as someone holding the store key can.

    Edit an event's payload in place, recompute the hashes of its chain from there and the
    whole ledger, move the heads and sign a new anchor. With `resign`, the edited event is
    signed again with the store key (no user's key at hand).
    """
    with write(session.store.engine) as conn:
        target = next(e for e in iter_events(conn) if e.uuid == uuid)
        chain = sorted(
            (e for e in iter_events(conn) if (e.origin, e.stream) == (target.origin, target.stream)),
            key=lambda e: e.origin_seq,
        )
        prev = GENESIS
        signer = store_signer(conn)
        assert signer is not None
        for ev in chain:
            env = ev.envelope()
            if ev.origin_seq >= target.origin_seq:
                if ev.uuid == uuid:
                    env = replace(env, payload=change(dict(env.payload)))
                digest = envelope_hash(prev, env)
                sig = signer.sign(digest) if resign and ev.uuid == uuid else ev.sig
                kid = signer.key_id if resign and ev.uuid == uuid else ev.key_id
                conn.execute(
                    text(
                        "UPDATE events SET payload = :p, prev_hash = :prev, hash = :h, sig = :s, key_id = :k"
                        " WHERE uuid = :u"
                    ),
                    {"p": canonical_json(env.payload), "prev": prev, "h": digest, "s": sig, "k": kid, "u": ev.uuid},
                )
                prev = digest
            else:
                prev = ev.hash
        conn.execute(
            text("UPDATE chain_heads SET hash = :h WHERE origin = :o AND stream = :s"),
            {"h": prev, "o": target.origin, "s": target.stream},
        )
        _relink_ledger(conn)
    reanchor(session.store.engine, db_path(session.data_dir))  # the anchor is the store key's to sign too


def _relink_ledger(conn: Connection) -> None:
    lhash, last = GENESIS, 0
    for seq, digest, bundle in conn.execute(text("SELECT seq, hash, bundle_id FROM events ORDER BY seq")).all():
        lhash = ledger_hash(lhash, int(seq), digest, bundle)
        conn.execute(text("UPDATE events SET ledger_hash = :l WHERE seq = :s"), {"l": lhash, "s": seq})
        last = int(seq)
    set_meta(conn, "ledger_head", f"{last}:{lhash}")
    mark_log_appended(conn)


def _audit(data_dir: Path, password: str = ADMIN_PASSWORD) -> dict[str, Any]:
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN, password=password)
    assert proc.stdout, proc.stderr
    out = json.loads(proc.stdout)
    assert proc.returncode == (0 if out["ok"] else 1), proc.stderr
    out["stderr"] = proc.stderr
    return out


def test_intake_and_lifecycle_events_carry_the_acting_users_key_id(
    station: Session, worker: Session, data_dir: Path
) -> None:
    """The worker's intake carries the worker's key id, the admin's routing the admin's; all verify."""
    no = case_service.intake(worker, joint_intake(name="张伟")).case_no
    case_service.perform(station, no, "route", {"reason": "站长分流"})
    case_service.perform(station, no, "sign", {"dept": "tax"})
    keys = _sign_keys(station)
    events = _signed(station)
    by_type = {t: (a, k) for t, a, k in events}
    assert by_type["case_registered"] == (f"{station.station_code}/{WORKER}", keys[WORKER])
    assert by_type["case_routed"] == (f"{station.station_code}/{ADMIN}", keys[ADMIN])
    assert all(k is not None for _, _, k in events)  # a new store has no unsigned event
    report = audit_service.signatures(station)
    assert (report.ok, report.checked, report.unsigned, report.unverifiable) == (True, len(events), 0, 0)
    assert _audit(data_dir)["ok"] is True


def test_a_payload_edited_with_recomputed_hashes_but_without_the_authors_key_is_caught(
    station: Session, worker: Session, data_dir: Path
) -> None:
    """The chains hold after the rewrite; the signature does not, and `audit verify` names the event."""
    no = case_service.intake(worker, joint_intake(name="张伟")).case_no
    case_service.perform(station, no, "route", {"reason": "站长分流"})
    with read(station.store.engine) as conn:
        [registered] = [e for e in iter_events(conn) if e.type == "case_registered"]

    def claim_more(payload: dict[str, Any]) -> dict[str, Any]:
        payload["intake"]["claim"] = "要求退还全部社保费"
        return payload

    _rewrite(station, registered.uuid, claim_more)
    chains = audit_service.verify(station)
    assert chains.ok, chains  # every hash recomputes: the chains alone cannot tell
    report = audit_service.signatures(station)
    [finding] = report.findings
    assert (finding.uuid, finding.type, finding.reason) == (
        registered.uuid, "case_registered", signature_check.BAD_SIGNATURE,
    )  # fmt: skip
    out = _audit(data_dir)
    assert out["ok"] is False and out["bad_uuid"] == registered.uuid
    assert out["reason"] == signature_check.BAD_SIGNATURE
    assert registered.uuid in out["stderr"]


def test_an_event_re_signed_with_the_store_key_in_a_users_name_is_caught(
    station: Session, worker: Session, data_dir: Path
) -> None:
    """The store key may not sign for a user who has a personal key."""
    no = case_service.intake(worker, joint_intake(name="张伟")).case_no
    case_service.perform(station, no, "route", {"reason": "站长分流"})
    with read(station.store.engine) as conn:
        routed = [e for e in iter_events(conn) if e.type == "case_routed"][-1]
    _rewrite(station, routed.uuid, lambda p: {**p, "note": "改写"}, resign=True)
    assert audit_service.verify(station).ok
    out = _audit(data_dir)
    assert out["ok"] is False and out["bad_uuid"] == routed.uuid
    assert out["reason"] == signature_check.STORE_KEY_IN_USER_NAME
    [finding] = out["signatures"]["findings"]
    assert (finding["bad_uuid"], finding["type"]) == (routed.uuid, "case_routed")


def test_an_unsigned_event_after_its_chain_was_signed_is_caught(station: Session, data_dir: Path) -> None:
    """A signature stripped from an event of a signed chain is a finding."""
    no = case_service.intake(station, joint_intake(name="张伟")).case_no
    with read(station.store.engine) as conn:
        [registered] = [e for e in iter_events(conn) if e.type == "case_registered"]
    with write(station.store.engine) as conn:
        conn.execute(text("UPDATE events SET sig = NULL, key_id = NULL WHERE uuid = :u"), {"u": registered.uuid})
    assert no
    out = _audit(data_dir)
    assert out["ok"] is False and out["bad_uuid"] == registered.uuid
    assert out["reason"] == signature_check.UNSIGNED


def _refused(peer: Session, batch: list[Envelope], uuid: str, reason: str) -> None:
    before = state(peer)
    with pytest.raises(ForgedEvent) as caught:
        import_foreign(peer.store.engine, batch)
    assert (caught.value.uuid, caught.value.why) == (uuid, reason)
    assert uuid in str(caught.value)
    assert state(peer) == before  # nothing stored


def test_a_user_added_signed_by_a_non_admin_is_refused_at_import(
    station: Session, worker: Session, peer: Session
) -> None:
    """A worker's own signature on a new admin account is refused at import.

    A worker holding the store key adds an admin account signed with their own key: their
    station records it (its `audit verify` names it), the receiver refuses the whole batch.
    """
    with write(worker.store.engine) as conn:
        record_signed(worker, conn, "user_added", {"name": "ghost", "role": "admin", "display_name": "ghost",
                                                   "sign_key": os.urandom(32).hex()})  # fmt: skip
    batch = export(station)
    [forged] = [e for e in batch if e.type == "user_added" and e.payload["name"] == "ghost"]
    _refused(peer, batch, forged.uuid, signature_check.NOT_ADMIN)


@pytest.mark.parametrize("damage", ["garbage", "missing", "store key"])
def test_a_user_added_with_a_bad_signature_is_refused_at_import(
    station: Session, worker: Session, peer: Session, damage: str
) -> None:
    """Garbage, a missing signature or the store key on `user_added`: the batch is refused whole."""
    batch = export(station)
    index, honest = next((i, e) for i, e in enumerate(batch) if e.type == "user_added" and e.payload["name"] == WORKER)
    with read(station.store.engine) as conn:
        signer: EventSigner | None = store_signer(conn)
    assert signer is not None
    if damage == "garbage":
        forged = replace(honest, sig=os.urandom(64).hex())
        reason = signature_check.BAD_SIGNATURE
    elif damage == "missing":
        forged = replace(honest, sig=None, key_id=None)
        reason = signature_check.UNSIGNED
    else:  # signed again with the station's key, which the receiver knows, in its admin's name
        with write(peer.store.engine) as conn:
            put_peer(conn, station.station_code, "station", identity=json.dumps({"signing": signer.public}))
        forged = replace(honest, key_id=signer.key_id, sig=signer.sign(honest.hash))
        reason = signature_check.STORE_KEY_IN_USER_NAME
    batch[index] = forged
    _refused(peer, batch, honest.uuid, reason)
    result = import_foreign(peer.store.engine, export(station))  # the honest batch goes in
    assert result.committed and result.new


def test_signatures_travel_in_the_envelope_and_an_ill_formed_one_is_malformed(station: Session) -> None:
    """`key_id` and `sig` round-trip through JSON; an old envelope reads unsigned; bad hex is refused."""
    from station_app.store.log import MalformedEvent

    [first, *_] = export(station)
    data = first.to_json()
    assert len(data["key_id"]) == 16 and len(data["sig"]) == 128
    assert Envelope.from_json(data) == first
    old = {k: v for k, v in data.items() if k not in ("key_id", "sig")}
    assert Envelope.from_json(old).sig is None  # events written before signing read as unsigned
    with pytest.raises(MalformedEvent):
        import_foreign(station.store.engine, [{**data, "uuid": "x", "sig": "not hex"}])


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_an_old_golden_store_still_verifies_its_unsigned_history(tmp_path: Path, name: str) -> None:
    """A store written before signing verifies, and its new events are signed from the upgrade on."""
    from tests.store.test_golden import _pw

    target = tmp_path / name
    shutil.copytree(GOLDEN / name, target)
    session = login(target, ADMIN, _pw(target), FixedClock(START))  # the first login signs from now on
    try:
        report = audit_service.signatures(session)
        assert report.ok and report.unsigned > 0, report
        case_service.intake(session, joint_intake(name="周杰"))
        report = audit_service.signatures(session)
        assert report.ok and report.checked >= 2, report
    finally:
        session.close()
    assert _audit(target, _pw(target))["ok"] is True
