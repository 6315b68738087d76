"""Every refusal class through `sync import`, each leaving the store as it was (DESIGN.md
"Import": exit 2 with `fields.bundle`; "Nothing stored changes")."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from sync.header import BundleKind, Compression
from sync.keys import Signer, key_id
from sync.manifest import Manifest, encode_manifest
from sync.writer import new_bundle_id, write_bundle
from tests.conftest import ADMIN
from tests.factories import refer_intake
from tests.sync.cityhelp import (
    CITY_ADMIN,
    CITY_CODE,
    World,
    cli,
    make_world,
    ok,
    store_digest,
    store_secret,
)
from tests.sync.make_vectors import Spec, build, resign, split

A, B = "232701100001", "232701101001"


def _add_case(data: Path, name: str) -> None:
    stdin = json.dumps(refer_intake(name=name), ensure_ascii=False)
    ok(cli("case", "add", data_dir=data, user=ADMIN, stdin=stdin))


def _export(data: Path, to: Path, user: str = ADMIN) -> Path:
    out = ok(cli("sync", "export", "--to", str(to), data_dir=data, user=user))
    return Path(out["bundles"][-1]["file"])


def _refused(data: Path, user: str, file: Path) -> str:
    result = cli("sync", "import", str(file), data_dir=data, user=user)
    assert result.returncode == 2, (result.stdout, result.stderr)
    doc = json.loads(result.stdout)
    assert set(doc) == {"error", "fields"}
    return str(doc["fields"]["bundle"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = make_world(tmp_path_factory.mktemp("refusals"), (A, B))
    for code in (A, B):
        _add_case(w.stations[code], "王五")
    return w


def _keys(w: World) -> tuple[Ed25519PrivateKey, X25519PublicKey, X25519PrivateKey]:
    signing = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(store_secret(w.stations[A], ADMIN, "ed25519_private")))
    city_box = X25519PrivateKey.from_private_bytes(bytes.fromhex(store_secret(w.city, CITY_ADMIN, "x25519_private")))
    return signing, city_box.public_key(), city_box


def _manifest(kind: BundleKind, seq: int, epoch: str, events: int = 0, keyring_version: int = 0) -> Manifest:
    return Manifest(new_bundle_id(), kind, A, CITY_CODE, seq, epoch, "0.1.0", 8, keyring_version, events=events)


def test_every_refusal_class_changes_nothing(world: World, tmp_path: Path) -> None:
    w = world
    good = _export(w.stations[A], w.stick("a"))
    first = ok(cli("sync", "import", str(good), data_dir=w.city, user=CITY_ADMIN))
    assert first["bundles"] == 1 and first["events"] > 0
    before = store_digest(w.city, CITY_ADMIN)

    again = ok(cli("sync", "import", str(good), data_dir=w.city, user=CITY_ADMIN))
    assert again["already_imported"] == 1 and again["bundles"] == 0 and again["events"] == 0

    data = good.read_bytes()
    signing, city_box, city_box_private = _keys(w)
    epoch = store_secret(w.stations[A], ADMIN, "store_epoch")
    header, header_len, ciphertext = split(data)
    middle = 12 + header_len + len(ciphertext) // 2
    flipped_ct = bytearray(ciphertext)
    flipped_ct[len(ciphertext) // 2] ^= 0x01

    def bomb() -> bytes:
        bundle_id = new_bundle_id()
        manifest = Manifest(bundle_id, BundleKind.EVENTS, A, CITY_CODE, 90, epoch, "0.1.0", 8, 0, events=20_000)
        engine = zlib.compressobj(9)
        line = b'{"pad":"' + b"x" * (60 * 1024) + b'"}\n'
        parts = [engine.compress(encode_manifest(manifest) + b"\n")]
        parts += [engine.compress(line * 16) for _ in range((64 << 20) // (len(line) * 16))]
        compressed = b"".join(parts) + engine.flush()
        spec = Spec(sender=A, recipient=CITY_CODE, box_keys=(city_box_private,), seq=90, bundle_id=bundle_id,
                    compression=Compression.ZLIB, compressed=compressed, sign_with=signing,
                    header_edit=lambda doc: doc.update(sender_kid=key_id(signing.public_key())))  # fmt: skip
        return build("sync-bomb", spec)

    signer = Signer(A, signing)
    cases: dict[str, bytes] = {
        "malformed": b"X" + data[1:],
        "too_large": data[:8] + (0xFFFFFF).to_bytes(4, "big") + data[12:],
        "truncated": data[:-1],
        "bad_signature": data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :],
        "payload_failure": resign(header, bytes(flipped_ct), signing),
        "decompress_limit": bomb(),
    }
    for expect, raw in cases.items():
        path = tmp_path / f"{expect}.msb"
        path.write_bytes(raw)
        assert _refused(w.city, CITY_ADMIN, path) == expect, expect
    replay = write_bundle(tmp_path / "replay.msb", _manifest(BundleKind.KEYRING, 91, epoch), [], signer, [city_box])
    assert _refused(w.city, CITY_ADMIN, replay.path) == "replay"
    fork = write_bundle(
        tmp_path / "fork.msb", _manifest(BundleKind.ACK, 92, "a-restored-store"), [], signer, [city_box]
    )
    assert _refused(w.city, CITY_ADMIN, fork.path) == "fork"
    assert store_digest(w.city, CITY_ADMIN) == before

    status = ok(cli("sync", "status", "--json", data_dir=w.city, user=CITY_ADMIN))
    peer = next(p for p in status["peers"] if p["peer"] == A)
    assert peer["forks"] == 1

    # a bundle for the city, on A's stick, imported at station B: addressed to another store
    station_b = store_digest(w.stations[B], ADMIN)
    assert _refused(w.stations[B], ADMIN, good) == "wrong_recipient"
    assert store_digest(w.stations[B], ADMIN) == station_b

    # a folder: refused files listed with their class, the rest imported, the folder untouched
    folder = w.stick("mixed")
    shutil.copy(tmp_path / "truncated.msb", folder / "a-truncated.msb")
    (folder / "notes.txt").write_text("不是同步包")
    b_bundle = _export(w.stations[B], folder)
    listing = sorted(p.name for p in folder.iterdir())
    mixed = ok(cli("sync", "import", str(folder), data_dir=w.city, user=CITY_ADMIN))
    assert mixed["refused"] == [{"file": str(folder / "a-truncated.msb"), "error": "truncated"}]
    assert mixed["bundles"] == 1 and mixed["events"] > 0
    assert sorted(p.name for p in folder.iterdir()) == listing and b_bundle.is_file()


def test_unknown_and_revoked_senders(world: World, tmp_path: Path) -> None:
    w = world
    root = w.root
    # a station provisioned but never enrolled is unknown to the city
    prov = root / "prov-c.json"
    ok(cli("city", "provision", "--station-code", "232701102001", "--station-name", "阿木尔调解站",
           "--town-code", "232701102", "--out", str(prov), data_dir=w.city, user=CITY_ADMIN))  # fmt: skip
    c = root / "st-c"
    ok(cli("init", "--provision", str(prov), "--admin", ADMIN, data_dir=c))
    stranger = _export(c, w.stick("c"))
    before = store_digest(w.city, CITY_ADMIN)
    assert _refused(w.city, CITY_ADMIN, stranger) == "unknown_sender"

    _add_case(w.stations[B], "赵六")
    late = _export(w.stations[B], w.stick("b-late"))
    revoked = ok(cli("city", "revoke", B, "--reason", "电脑丢失", data_dir=w.city, user=CITY_ADMIN))
    assert revoked["status"] == "revoked" and revoked["station_code"] == B
    before = store_digest(w.city, CITY_ADMIN)
    assert _refused(w.city, CITY_ADMIN, late) == "revoked_sender"
    assert store_digest(w.city, CITY_ADMIN) == before
    stations = {s["station_code"]: s for s in ok(cli("city", "stations", "--json", data_dir=w.city, user=CITY_ADMIN))}
    assert stations[B]["status"] == "revoked" and stations[A]["status"] == "active"
    keyring = root / "keyring.json"
    out = ok(cli("city", "keyring", "--out", str(keyring), data_dir=w.city, user=CITY_ADMIN))
    assert out["file"] == str(keyring) and out["version"] >= 4
    doc = json.loads(keyring.read_text())
    assert {k["status"] for k in doc["keys"] if k["owner"] == B} == {"revoked"}
