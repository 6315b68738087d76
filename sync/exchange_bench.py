"""The bundle figures of `station-app bench` through the full path (DESIGN.md "Performance budgets").

A station store with N synthetic cases of six events each, exported to the city (store read,
encode, compress, encrypt, sign, file, read back, verify) and imported there (copy, verify,
decrypt, chain checks, projection, one transaction per bundle).

`python -m sync.exchange_bench N` prints one JSON line: `bundle_export_s`, `bundle_import_s`,
`bundle_bytes` (all bundles of the export), `bundle_events`, `bundle_files`, `bundle_cases`.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from station_app.clock import CHINA_TZ, FixedClock
from station_app.services.case_service import bulk_intake
from station_app.services.session import Session
from station_app.store.db import write
from station_app.store.keystore import KdfParams
from station_app.synthetic import make_intake

BENCH_PASSWORD = "bench-pass-123"
RECOVERY = "bench-recovery-456"
FOLLOW_UPS = 5  # events per case after its registration
STATION_CODE = "232701100001"
CHEAP_KDF = KdfParams(memory_kib=8192, iterations=1, lanes=1)  # unlocking is not what is timed


def _follow_ups(session: Session, case_uuids: list[str]) -> None:
    """Five callback notes per case, through the recorder (chain, base, projection), in batches."""
    for start in range(0, len(case_uuids), 1000):
        with write(session.store.engine) as conn:
            for case_uuid in case_uuids[start : start + 1000]:
                for n in range(FOLLOW_UPS):
                    payload = {"satisfaction": "满意", "text": f"第{n + 1}次回访,已告知办理进度。", "set": {}}
                    session.record(conn, "callback_recorded", payload, case_uuid)


@dataclass
class _World:
    """A city and one station bound to it, the station holding a backlog of synthetic cases."""

    city: Session
    station: Session
    stick: Path

    def close(self) -> None:
        """Close both stores."""
        self.station.close()
        self.city.close()


def _world(cases: int, root: Path, station_code: str = STATION_CODE) -> _World:
    """Build a city and a bound station under `root` and load `cases` cases with their follow-ups."""
    import random

    from sqlalchemy import text

    from station_app.store.db import read
    from sync.provisioning import enroll_station, init_city, init_from_provision, provision_station, write_identity

    clock = FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ))
    city, _ = init_city(root / "city", "232700", "漠河市", "cadmin", BENCH_PASSWORD, RECOVERY, clock, CHEAP_KDF)
    provision_station(city, station_code, "基准测试调解站", station_code[:9], None, root / "prov.json")
    station, _ = init_from_provision(root / "station", root / "prov.json", "admin", BENCH_PASSWORD, clock, CHEAP_KDF)
    write_identity(station, root / "id.json")
    enroll_station(city, root / "id.json")
    rng = random.Random(7)
    bulk_intake(station, [make_intake(rng) for _ in range(cases)])
    with read(station.store.engine) as conn:
        uuids = [str(r[0]) for r in conn.execute(text("SELECT uuid FROM cases ORDER BY id"))]
    _follow_ups(station, uuids)
    stick = root / "stick"
    stick.mkdir()
    return _World(city, station, stick)


def bundle_figures(cases: int, root: Path) -> dict[str, Any]:
    """Build a city and a bound station under `root`, load `cases`, time export and import.

    `bundle_checkpoint_s` is how long the WAL checkpoint went on after the import had returned
    (`checkpoint_after`): not part of what a user waits for, reported so it is seen.
    """
    from station_app.store.db import settle
    from sync.exchange import export_due, import_path

    world = _world(cases, root)
    try:
        t0 = time.perf_counter()
        exported = export_due(world.station, world.stick)
        export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = import_path(world.city, world.stick)
        import_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        settle(world.city.store.engine)
        checkpoint_s = time.perf_counter() - t0
    finally:
        world.close()
    if summary.refused or summary.bundles != len(exported.bundles):
        raise RuntimeError("the benchmark's bundles were not all imported")
    return {
        "bundle_export_s": round(export_s, 3),
        "bundle_import_s": round(import_s, 3),
        "bundle_checkpoint_s": round(checkpoint_s, 3),
        "bundle_bytes": sum(b.bytes for b in exported.bundles),
        "bundle_events": sum(b.events for b in exported.bundles),
        "bundle_files": len(exported.bundles),
        "bundle_cases": cases,
    }


def city_import_figures(session: Session) -> dict[str, Any]:
    """`city_bundle_import_s`: a backlog of 10,000 cases imported into `session`'s large store.

    The backlog is a tenth of the store's cases when that is fewer (a small store in a test).

    For `station-app bench --profile city` (registered by the launcher through
    `station_app.bench_city.register_city_figures`), on a throwaway copy of its store of many
    stations. A station of its own (code 232701100099, not one of the benchmark's) exports its
    backlog as bundles; the timed part opens each one (copy, verify, decrypt, parse) and imports
    its events into the large store with `import_foreign`, one transaction a bundle, each next
    bundle opened while the one before commits (`ReadAhead`), as `sync import` does. The large
    store is not a real city (it has no sync identity to open a bundle with), so the bundles are
    opened with the small city's keys and the peer checks of `sync import` (replay, epoch, acks:
    a few reads) are left out. `city_bundle_events` counts
    the events imported: six a case and the station's own first events. As `sync import` does
    (`import_window`), the search indexes' merging and the WAL checkpoint are left to a thread
    after the import; `city_bundle_checkpoint_s` is how long that went on after it returned.

    Raises:
        RuntimeError: a bundle's events were not all imported.
    """
    from station_app.services.query_service import CaseQuery, count_cases
    from station_app.store.db import read, settle
    from station_app.store.log import CheckedEvents, import_foreign
    from sync.exchange import ReadAhead, export_due, import_window, open_checked, own_name
    from sync.provisioning import bundle_keyring, own_recipient

    cases = min(10_000, max(1, count_cases(session, CaseQuery()) // 10))
    root = Path(tempfile.mkdtemp(prefix="city-import-bench-"))
    try:
        world = _world(cases, root, "232701100099")
        try:
            export_due(world.station, world.stick)
            with read(world.city.store.engine) as conn:
                me = own_name(conn)
                keyring, recipient = bundle_keyring(conn), own_recipient(conn, me)
        finally:
            world.close()
        temp = root / "tmp"
        temp.mkdir()
        files = sorted(world.stick.iterdir())
        imported = 0
        reader = ReadAhead()
        try:
            t0 = time.perf_counter()
            with import_window(session.store.engine, sum(f.stat().st_size for f in files)):  # as `sync import`
                for index, file in enumerate(files):
                    reader.next_file = files[index + 1] if index + 1 < len(files) else None
                    ahead = reader.take(file, keyring, recipient)
                    got = ahead.result() if ahead is not None else open_checked(file, me, keyring, recipient, temp)
                    if got is None or not isinstance(got.events, CheckedEvents):
                        raise RuntimeError("a bundle of the backlog could not be read")
                    result = import_foreign(
                        session.store.engine,
                        got.events,
                        got.opened.manifest.bundle_id,
                        lambda _conn, _result: reader.start(me, keyring, recipient, temp),  # as `sync import`
                    )
                    if not result.committed or len(result.new) != len(got.events.envelopes):
                        raise RuntimeError("the backlog's events were not all imported")
                    imported += len(result.new)
        finally:
            reader.close()
        seconds = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        settle(session.store.engine)
        checkpoint = round(time.perf_counter() - t0, 3)
        return {
            "city_bundle_import_s": seconds,
            "city_bundle_events": imported,
            "city_bundle_cases": cases,
            "city_bundle_checkpoint_s": checkpoint,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    """Measure the bundle figures for N cases (the first argument, default 10,000) and print them as one JSON line."""
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    root = Path(tempfile.mkdtemp(prefix="bundle-bench-"))
    try:
        print(json.dumps(bundle_figures(cases, root)))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
