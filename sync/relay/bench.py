"""Loopback load test of the relay (DESIGN.md "Performance budgets": request p95 <= 200 ms).

N simulated stations (default 500) each upload a day's bundle (about 64 KiB, a real signed and
encrypted bundle) and poll their mailbox ten times, with at most 16 requests in flight, against
a relay in its own process (`station-app relay serve`) on SQLite and on a private PostgreSQL
cluster. Every request is a real signed request over 127.0.0.1. It stops by itself.

Run: `python -m sync.relay.bench [STATIONS]` prints the figures as one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.header import BundleKind, Compression
from sync.keyring_doc import KeyEntry, KeyRole, sign_keyring
from sync.keys import Signer, raw_public
from sync.manifest import Manifest
from sync.relay.pgtemp import TempPostgres, find_bin_dir
from sync.relay_client import Backoff, RelayClient
from sync.writer import new_bundle_id, write_bundle

CITY = "232700"
BUNDLE_BYTES = 64 * 1024
IN_FLIGHT = 16
POLLS = 10
CODE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class _Station:
    code: str
    transport: Ed25519PrivateKey
    bundle: Path


class _TimedClient(RelayClient):
    """A client that records the wall time of every request (milliseconds)."""

    def __init__(self, *args: Any, times: list[float], lock: threading.Lock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._times, self._times_lock = times, lock

    def request(self, method: str, path: str, body: bytes = b"", headers: Any = None) -> httpx.Response:
        start = time.perf_counter()
        try:
            return super().request(method, path, body, headers)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            with self._times_lock:
                self._times.append(elapsed)


def _stations(count: int, folder: Path) -> tuple[list[_Station], bytes]:
    """`count` stations with keys and one ~64 KiB bundle each, and a keyring naming them all."""
    city_box = X25519PrivateKey.generate()
    root = Ed25519PrivateKey.generate()
    entries = [KeyEntry(CITY, KeyRole.BOX, raw_public(city_box.public_key()))]
    stations = []
    for n in range(count):
        code = f"2327011{n:05d}"
        signing, transport = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        entries.append(KeyEntry(code, KeyRole.SIGNING, raw_public(signing.public_key())))
        entries.append(KeyEntry(code, KeyRole.TRANSPORT, raw_public(transport.public_key())))
        manifest = Manifest(new_bundle_id(), BundleKind.EVENTS, code, CITY, 1, "bench", "bench", 1, 1)
        # Incompressible filler stands for a day's compressed events (~60 events, ~64 KiB).
        events = [{"n": i, "data": os.urandom(BUNDLE_BYTES // 64 // 2).hex()} for i in range(64)]
        path = folder / f"{code}.msb"
        write_bundle(
            path,
            manifest,
            events,
            Signer(code, signing),
            [city_box.public_key()],
            compression=Compression.NONE,
            durable=False,
        )
        stations.append(_Station(code, transport, path))
    return stations, sign_keyring(root, CITY, 1, int(time.time()), entries)


def _serve(keyring: Path, db_url: str, blobs: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "sync.relay", "serve", "--keyring", str(keyring)]
    command += ["--db", db_url, "--blobs", str(blobs), "--port", "0"]
    # The relay runs the same code as this process, wherever that was imported from.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        _out, err = proc.communicate(timeout=60)
        raise RuntimeError(f"the relay did not start: {err[-2000:]}")
    return proc, str(json.loads(line)["listening"])


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def _load(url: str, stations: list[_Station], polls: int, in_flight: int) -> dict[str, Any]:
    times: list[float] = []
    lock = threading.Lock()

    def one_station(station: _Station) -> int:
        with _TimedClient(
            url, station.transport, times=times, lock=lock, backoff=Backoff(attempts=4, base_s=0.2)
        ) as client:
            result = client.upload(station.bundle)
            for _ in range(polls):
                client.mailbox()
            return result.size

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        sizes = list(pool.map(one_station, stations))
    wall = time.perf_counter() - start
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "max_ms": round(times[-1], 1),
        "requests": len(times),
        "wall_s": round(wall, 2),
        "requests_per_s": round(len(times) / wall, 1),
        "upload_mb_s": round(sum(sizes) / 1e6 / wall, 2),
    }


def relay_bench(stations: int = 500, polls: int = POLLS, in_flight: int = IN_FLIGHT) -> dict[str, Any]:
    """Measure relay request latency under `stations` simulated stations, on SQLite and PostgreSQL.

    Args:
        stations: simulated stations (each: create + PATCH of a ~64 KiB bundle, then `polls`
            mailbox listings); CI uses a small number.
        polls: mailbox polls per station.
        in_flight: the most concurrent requests.

    Returns:
        `relay_p95_ms` (the worse of the two databases, milliseconds; budget 200),
        `relay_sqlite_p95_ms`, `relay_postgresql_p95_ms` (None when no PostgreSQL server binaries
        are installed), and per database `relay_<db>_p50_ms`, `..._requests`, `..._wall_s`,
        `..._requests_per_s` and `..._upload_mb_s` (bundle megabytes over the run's wall time),
        plus `relay_stations`.

    Raises:
        RuntimeError: a relay or the PostgreSQL cluster did not start.
    """
    out: dict[str, Any] = {"relay_stations": stations}
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as tmp:
        folder = Path(tmp)
        (folder / "bundles").mkdir()
        population, keyring = _stations(stations, folder / "bundles")
        keyring_file = folder / "keyring.json"
        keyring_file.write_bytes(keyring)
        backends: list[tuple[str, Any]] = [("sqlite", None)]
        backends.append(("postgresql", TempPostgres() if find_bin_dir() is not None else None))
        for name, cluster in backends:
            if name == "postgresql" and cluster is None:
                out["relay_postgresql_p95_ms"] = None
                continue
            try:
                if cluster is not None:
                    cluster.start()
                    db_url = cluster.create_database("relay_bench")
                else:
                    db_url = str(folder / name / "relay.db")
                    (folder / name).mkdir()
                proc, url = _serve(keyring_file, db_url, folder / name / "blobs")
                try:
                    figures = _load(url, population, polls, in_flight)
                finally:
                    _stop(proc)
            finally:
                if cluster is not None:
                    cluster.stop()
            out.update({f"relay_{name}_{key}": value for key, value in figures.items() if key != "max_ms"})
    measured = [v for k, v in out.items() if k.endswith("_p95_ms") and v is not None]
    out["relay_p95_ms"] = max(measured)
    return out


if __name__ == "__main__":
    print(json.dumps(relay_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 500)))
