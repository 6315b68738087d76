"""Property: whatever arrives as a bundle at the city (bytes changed, cut or added anywhere; a
header edited and signed again; event lines with any JSON, correctly signed and encrypted by an
enrolled station), `sync import` imports it or refuses it with its class, never crashes; and on
any refusal nothing stored changes (DESIGN.md: the ledger and chain heads, every projection's
digest and every counter as before).

A real city and station (made through the command line); the imports run in this process, on
the city's real encrypted store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station_app.errors import StationError
from station_app.store.db import read
from sync.errors import BundleError
from sync.exchange import import_path
from sync.header import BundleKind
from sync.keys import Signer
from sync.manifest import Manifest
from sync.provisioning import bundle_keyring, own_recipient
from sync.reader import open_bundle
from sync.writer import new_bundle_id, write_bundle
from tests.conftest import ADMIN, loop_count
from tests.factories import refer_intake
from tests.services.test_hostile_property import JSON, TEXT
from tests.sync.cityhelp import CITY_ADMIN, CITY_CODE, cli, make_world, ok, open_store, session_digest, store_secret
from tests.sync.make_vectors import resign, split

A = "232701100001"
EXAMPLES = loop_count(25, 200)


class Scene:
    """The city's session, a bundle station A exported and the keys to forge well-formed ones."""

    def __init__(self, root: Path) -> None:
        world = make_world(root, (A,))
        for name in ("王五", "赵六"):
            stdin = json.dumps(refer_intake(name=name), ensure_ascii=False)
            ok(cli("case", "add", data_dir=world.stations[A], user=ADMIN, stdin=stdin))
        stick = world.stick()
        out = ok(cli("sync", "export", "--to", str(stick), data_dir=world.stations[A], user=ADMIN))
        self.bundle = Path(out["bundles"][-1]["file"]).read_bytes()
        private = bytes.fromhex(store_secret(world.stations[A], ADMIN, "ed25519_private"))
        self.signing = Ed25519PrivateKey.from_private_bytes(private)
        box = bytes.fromhex(store_secret(world.city, CITY_ADMIN, "x25519_private"))
        self.city_box = X25519PrivateKey.from_private_bytes(box).public_key()
        self.epoch = store_secret(world.stations[A], ADMIN, "store_epoch")
        self.folder = root / "incoming"
        self.folder.mkdir()
        self.session = open_store(world.city, CITY_ADMIN)
        with read(self.session.store.engine) as conn:
            keyring, recipient = bundle_keyring(conn), own_recipient(conn, CITY_CODE)
        path = self.folder / "honest.msb"
        path.write_bytes(self.bundle)
        opened = open_bundle(path, keyring, recipient, temp_dir=self.folder)
        self.manifest: Manifest = opened.manifest
        self.events: list[dict[str, Any]] = [dict(e) for e in opened.events]
        self.seq = 1000

    def write(self, data: bytes) -> Path:
        path = self.folder / "t.msb"
        path.write_bytes(data)
        return path

    def forged(self, events: list[Any], *, honest_chains: bool) -> Path:
        """A bundle of `events` from A, well signed and encrypted, with a sequence not seen yet."""
        self.seq += 1
        manifest = Manifest(
            new_bundle_id(), BundleKind.EVENTS, A, CITY_CODE, self.seq, self.epoch, "0.1.0", self.manifest.schema,
            self.manifest.keyring_version, self.manifest.chains if honest_chains else (), (),
        )  # fmt: skip
        return write_bundle(self.folder / "f.msb", manifest, events, Signer(A, self.signing), [self.city_box]).path


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    s = Scene(tmp_path_factory.mktemp("bundle-property"))
    yield s
    s.session.close()


def _import_or_refuse(scene: Scene, path: Path) -> None:
    """Import `path` at the city: either it is imported, or it is refused and nothing changed."""
    before = session_digest(scene.session)
    try:
        import_path(scene.session, path)
    except (BundleError, StationError):
        assert session_digest(scene.session) == before
    # anything else (TypeError, KeyError, RecursionError, ...) fails the test


CHANGES = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES, cut=st.one_of(st.none(), st.floats(0, 1)), extra=st.binary(max_size=64))
def test_changed_cut_or_lengthened_bytes_are_refused_and_change_nothing(
    scene: Scene, changes: list[tuple[float, int]], cut: float | None, extra: bytes
) -> None:
    data = bytearray(scene.bundle)
    for where, value in changes:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    _import_or_refuse(scene, scene.write(bytes(data) + extra))


HEADER_KEYS = ["v", "kind", "bundle_id", "sender", "sender_kid", "recipient", "sender_seq", "compression", "nonce",
               "stanzas", "payload_len", "zzz"]  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(HEADER_KEYS), value=JSON)
def test_a_header_edited_and_signed_again_is_refused_or_imported_never_a_crash(
    scene: Scene, key: str, value: Any
) -> None:
    header, _, ciphertext = split(scene.bundle)
    header[key] = value
    try:
        forged = resign(header, ciphertext, scene.signing)
    except ValueError:  # a value JSON cannot carry (NaN): no such file can exist
        return
    _import_or_refuse(scene, scene.write(forged))


EVENT_FIELDS = ["uuid", "case_uuid", "type", "payload", "author", "origin", "stream", "origin_seq", "at", "hash",
                "prev_hash", "sig", "base", "seq", "zzz"]  # fmt: skip
RAW_LINE = st.one_of(
    st.binary(max_size=200).map(lambda b: b"{" + b.replace(b"\n", b" ") + b"}"),
    TEXT.map(lambda t: ("{" + t.replace("\n", " ") + "}").encode("utf-8", "surrogatepass")),
    st.integers(1, 3000).map(lambda n: b"{" + b'"a":[' * n + b"]" * n + b"}"),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, 100), st.sampled_from(EVENT_FIELDS), JSON), min_size=1, max_size=3),
    raw=st.lists(RAW_LINE, max_size=2),
    honest_chains=st.booleans(),
)
def test_signed_events_with_any_json_are_refused_or_imported_never_a_crash(
    scene: Scene, edits: list[tuple[int, str, Any]], raw: list[bytes], honest_chains: bool
) -> None:
    events: list[Any] = [dict(e) for e in scene.events]
    for index, field, value in edits:
        event = events[index % len(events)]
        if isinstance(value, float) and value != value:  # NaN: not JSON, no writer can put it in a line
            value = None
        event[field] = value
    try:
        path = scene.forged([*events, *raw], honest_chains=honest_chains)
    except (ValueError, TypeError, RecursionError):  # the writer itself refuses to write such a line
        return
    _import_or_refuse(scene, path)
