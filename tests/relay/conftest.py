"""The relay under test: a real uvicorn server on 127.0.0.1, on SQLite and on a real PostgreSQL.

Every test that takes `relay` runs twice, once per database. PostgreSQL is a private cluster
started once for the session in a temp folder (Debian's binaries; as the `postgres` user when the
tests run as root) and stopped at the end; each test gets a fresh database on it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.header import BundleKind
from sync.keyring_doc import KeyEntry, KeyRole, sign_keyring
from sync.keys import KeyStatus, Signer, raw_public
from sync.manifest import Manifest
from sync.relay.pgtemp import TempPostgres
from sync.relay.server import RelayThread, build_service
from sync.relay.settings import RelaySettings
from sync.relay_client import Backoff, RelayClient
from sync.writer import WrittenBundle, new_bundle_id, write_bundle
from tests.conftest import ROOT as REPO_ROOT
from tests.conftest import cli_env

CITY = "232700"
STATION_A = "232701100001"
STATION_B = "232701100002"
STATION_REVOKED = "232701100003"
STATION_UNKNOWN = "232701100004"
CANARY_NAME = "金丝雀测试人"
CANARY_ID = "230027199001011234"
CANARY_PHONE = "13912345678"
CANARY_SUMMARY = "金丝雀摘要:拖欠社保费九个月未补缴"


def ed(name: str) -> Ed25519PrivateKey:
    """A fixed Ed25519 key for a name."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"relay test\x00" + name.encode()).digest())


def box(name: str) -> X25519PrivateKey:
    """A fixed X25519 key for a name."""
    return X25519PrivateKey.from_private_bytes(hashlib.sha256(b"relay test box\x00" + name.encode()).digest())


ROOT = ed("root")


def entries(revoked: tuple[str, ...] = (STATION_REVOKED,)) -> list[KeyEntry]:
    """Keyring entries for the city and stations A, B and the revoked one (D is never enrolled)."""
    out = []
    for owner in (CITY, STATION_A, STATION_B, STATION_REVOKED):
        status = KeyStatus.REVOKED if owner in revoked else KeyStatus.ACTIVE
        at = 1_763_600_000 if status is KeyStatus.REVOKED else None
        out.append(KeyEntry(owner, KeyRole.SIGNING, raw_public(ed("sign:" + owner).public_key()), status, at))
        out.append(KeyEntry(owner, KeyRole.TRANSPORT, raw_public(ed("transport:" + owner).public_key()), status, at))
        out.append(KeyEntry(owner, KeyRole.BOX, raw_public(box(owner).public_key())))
    return out


def keyring_bytes(version: int = 1, revoked: tuple[str, ...] = (STATION_REVOKED,), root: Any = None) -> bytes:
    """A keyring signed by the test root (or `root`)."""
    return sign_keyring(root or ROOT, CITY, version, 1_763_600_000, entries(revoked))


_seq = itertools.count(1)


def make_bundle(
    folder: Path, sender: str = STATION_A, recipient: str = CITY, events: int = 3, pad: int = 0, signer_name: str = ""
) -> WrittenBundle:
    """A real signed, encrypted bundle from `sender` to `recipient` holding canary events.

    `pad` adds that many incompressible-looking bytes per event so a bundle spans several chunks.
    """
    seq = next(_seq)
    manifest = Manifest(new_bundle_id(), BundleKind.EVENTS, sender, recipient, seq, "epoch1", "test", 1, 1)
    lines = []
    for n in range(events):
        filler = hashlib.sha512(f"{seq}-{n}".encode()).hexdigest() * (pad // 128 + 1) if pad else ""
        lines.append(
            {
                "uuid": f"00000000-0000-4000-8000-{seq:06d}{n:06d}",
                "type": "case_registered",
                "payload": {
                    "name": CANARY_NAME,
                    "id_number": CANARY_ID,
                    "phone": CANARY_PHONE,
                    "summary": CANARY_SUMMARY,
                    "filler": filler[:pad],
                },
            }
        )
    signer = Signer(sender, ed("sign:" + (signer_name or sender)))
    path = folder / f"{manifest.bundle_id}.msb"
    return write_bundle(path, manifest, lines, signer, [box(recipient).public_key()])


@dataclass
class MovableClock:
    """A clock tests can move forward (Unix seconds)."""

    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Relay:
    """A running relay and what the tests need around it."""

    url: str
    thread: RelayThread
    clock: MovableClock
    blobs: Path
    db_url: str
    backend: str
    folder: Path
    clients: list[RelayClient] = field(default_factory=list)

    def client(self, owner: str = STATION_A, **kwargs: Any) -> RelayClient:
        """A client signing with `owner`'s transport key (fast backoff)."""
        kwargs.setdefault("backoff", Backoff(attempts=4, base_s=0.01, max_s=0.05))
        client = RelayClient(self.url, ed("transport:" + owner), **kwargs)
        self.clients.append(client)
        return client


@pytest.fixture(scope="session")
def postgres() -> Iterator[TempPostgres]:
    with TempPostgres() as cluster:
        yield cluster


_db_names = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def relay_settings() -> RelaySettings:
    """Override in a test module (or parametrize indirectly) to change limits."""
    return RelaySettings(sweep_every_s=0.2)


@pytest.fixture
def relay(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, relay_settings: RelaySettings
) -> Iterator[Relay]:
    clock = MovableClock()
    settings = replace(relay_settings, clock=clock)
    keyring_file = tmp_path / "keyring.json"
    keyring_file.write_bytes(keyring_bytes())
    blobs = tmp_path / "relay" / "blobs"
    if backend == "postgresql":
        db_url = request.getfixturevalue("postgres").create_database(f"relay_{next(_db_names)}")
    else:
        db_url = f"sqlite:///{tmp_path / 'relay' / 'relay.db'}"
        blobs.parent.mkdir(parents=True)
    service = build_service(keyring_file, db_url, blobs, settings)
    work = tmp_path / "work"
    work.mkdir()
    with RelayThread(service) as thread:
        relay = Relay(thread.url, thread, clock, blobs, db_url, backend, work)
        yield relay
        for client in relay.clients:
            client.close()


def start_relay(words: list[str]) -> tuple[subprocess.Popen[str], str]:
    """Run `station-app WORDS` (a `relay serve` on port 0) and read the address it listens on.

    Returns the process (the caller stops it) and the URL. Raises AssertionError with what the
    server wrote to stderr when it printed nothing.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "station_launcher", *words],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=cli_env(None),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        _out, err = proc.communicate(timeout=30)
        raise AssertionError(err or "no output")
    return proc, json.loads(line)["listening"]
