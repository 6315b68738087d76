"""A folder of several bundles: each is read while the one before it commits, and each still
stands or falls on its own (DESIGN.md "Import": refused files are listed, the rest imported)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.header import BundleKind
from sync.keys import Signer
from sync.manifest import Manifest
from sync.writer import new_bundle_id, write_bundle
from tests.conftest import ADMIN
from tests.factories import refer_intake
from tests.sync.cityhelp import CITY_ADMIN, CITY_CODE, cli, make_world, ok, store_secret

A = "232701100001"


def _add_case(data: Path, name: str) -> None:
    ok(cli("case", "add", data_dir=data, user=ADMIN, stdin=json.dumps(refer_intake(name=name), ensure_ascii=False)))


def _found_at_city(city: Path, name: str) -> int:
    return len(ok(cli("case", "list", "--json", "--station", A, "--search", name, data_dir=city, user=CITY_ADMIN)))


def test_a_bad_bundle_between_two_good_ones_is_refused_alone(tmp_path: Path) -> None:
    w = make_world(tmp_path, (A,))
    stick = w.stick()
    _add_case(w.stations[A], "王五")
    first = ok(cli("sync", "export", "--to", str(stick), data_dir=w.stations[A], user=ADMIN))["bundles"][0]
    _add_case(w.stations[A], "赵六")
    ok(cli("sync", "export", "--to", str(stick), data_dir=w.stations[A], user=ADMIN))

    # signed by the station and addressed to the city, sorted between the two: one event that is not one
    signing = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(store_secret(w.stations[A], ADMIN, "ed25519_private")))
    box = X25519PrivateKey.from_private_bytes(bytes.fromhex(store_secret(w.city, CITY_ADMIN, "x25519_private")))
    epoch = store_secret(w.stations[A], ADMIN, "store_epoch")
    manifest = Manifest(new_bundle_id(), BundleKind.EVENTS, A, CITY_CODE, 9, epoch, "0.1.0", 8, 0, events=1)
    bad = Path(first["file"]).with_name(Path(first["file"]).stem + "-z.msb")
    event = {"uuid": "not-an-event", "origin": A, "stream": A, "type": "case_registered"}
    write_bundle(bad, manifest, [json.dumps(event).encode()], Signer(A, signing), [box.public_key()])

    out = ok(cli("sync", "import", str(stick), data_dir=w.city, user=CITY_ADMIN))
    assert out["bundles"] == 2
    assert [(Path(r["file"]).name, r["error"]) for r in out["refused"]] == [(bad.name, "malformed")]
    assert (_found_at_city(w.city, "王五"), _found_at_city(w.city, "赵六")) == (1, 1)

    again = ok(cli("sync", "import", str(stick), data_dir=w.city, user=CITY_ADMIN))
    assert again["already_imported"] == 2 and again["events"] == 0
    assert [r["error"] for r in again["refused"]] == ["malformed"]
