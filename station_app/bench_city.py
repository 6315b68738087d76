"""`station-app bench --profile city`: the city console's figures on a store of many stations.

A city store holds every station's cases for years. This benchmark builds one store with the
station schema holding `cases` synthetic cases of `STATIONS` stations (each case with its own
`station_code`, each station's events in its own chain), bulk-loaded with the same validation,
routing, events and projections as `bulk_intake`, in batched `executemany` statements; then a
plain SQLite copy of it (`sqlcipher_export`) for the encrypted/plain ratio.

Building a million cases takes a long while, so the pair is kept between runs in a folder under
the user cache directory keyed by the number of cases and the schema version
(`city_cache_dir`); a folder is only used once its `built.json` is written, last. The timed work
only reads, so the cached stores stay as built.

Figures (one JSON object): `list_open_ms` (the case list's first page and its total, on a
fresh connection, as the desk opens it), `station_list_open_ms` (the same, filtered to one
station), `search_p50_ms` / `search_p95_ms` (the station benchmark's mix of queries),
their plain counterparts, and `encrypted_vs_plain` (all of that work, encrypted over plain).
`register_city_figures` adds figures measured on a copy of the built store (the import of a
10,000-case bundle once sync has it).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir
from sqlalchemy import text

from station_app.bench import CITY_FIGURES, CityFigures
from station_app.clock import CHINA_TZ, FixedClock
from station_app.domain.enums import TOWNS, Role, Status
from station_app.paths import APP_AUTHOR, APP_NAME
from station_app.rules.routing import route
from station_app.services.case_service import coerce_intake
from station_app.services.query_service import CaseQuery, count_cases, list_cases
from station_app.services.session import Session, login
from station_app.services.station_service import init_station
from station_app.store.db import read, write
from station_app.store.events import append_many
from station_app.store.ids import new_uuid
from station_app.store.keystore import Keystore
from station_app.store.migrations import LATEST
from station_app.store.projection import bulk_register
from station_app.store.station_store import DB_NAME, KEYS_NAME, OpenStore, plain_store
from station_app.synthetic import make_id, make_intake, make_name, make_phone

BENCH_PASSWORD = "bench-password-1"
CITY_CODE = "232701100000"
CITY_NAME = "基准测试市级库"
STATIONS_PER_TOWN = 10
STATIONS = tuple(f"{town}{n:03d}" for town in TOWNS for n in range(1, STATIONS_PER_TOWN + 1))
BATCH = 5000
POOL = 5000  # validated intakes the cases are made from
LIST_PAGE = 100  # the desk list's page (ui.case_table_model.PAGE_SIZE)
TIMED_SEARCHES = 200
WARMUP_SEARCHES = 400
BUILT = "built.json"


def register_city_figures(measure: CityFigures) -> None:
    """Have `run_city_bench` also call `measure(session)` on a throwaway copy of the city store.

    The session is an admin's, unlocked; the dict `measure` returns is merged into the result.
    For what changes the store, such as importing a 10,000-case bundle (the launcher registers
    the sync package's `city_import_figures`). Registering one twice is a no-op.
    """
    if measure not in CITY_FIGURES:
        CITY_FIGURES.append(measure)


def city_cache_dir(cases: int) -> Path:
    """Where the built city store of `cases` cases is kept.

    Keyed by `cases` and the schema version, so that a new migration builds a new store.
    """
    return Path(user_cache_dir(APP_NAME, APP_AUTHOR)) / f"bench-city-{cases}-v{LATEST}"


@dataclass(frozen=True)
class CityStore:
    """A built city store: the encrypted data folder, its plain copy, and how it was made."""

    folder: Path
    cases: int
    build_s: float  # seconds the build took (when it was built, not this run)
    built_now: bool

    @property
    def encrypted(self) -> Path:
        """The SQLCipher data folder of the built store."""
        return self.folder / "encrypted"

    @property
    def plain(self) -> Path:
        """The plain SQLite copy, for the encryption's cost."""
        return self.folder / "plain"


def _clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ))


def _load_cases(session: Session, cases: int, say: Callable[[str], None]) -> None:
    """`cases` synthetic cases spread over STATIONS, in batches of BATCH per transaction.

    POOL intakes go through validation and routing; each case takes one of them with its own
    person (name, ID number, phone, or the employer's contact and phone) and its own time
    received, so names, numbers and dates are as varied as in a city's years of cases while
    a million cases do not each pay for the validator.
    """
    rng = random.Random(11)
    settings = session.routing_settings()
    routing_days = session.deadline_settings().routing_days
    calendar = session.calendar()
    at = session.now_iso()
    pool: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for _ in range(min(POOL, cases)):
        parsed = coerce_intake(make_intake(rng), session)
        pool.append((parsed.to_json(), route(parsed, settings).to_json()))
    latest = datetime(2025, 11, 10, 9, 0, tzinfo=CHINA_TZ)
    seq: dict[tuple[str, int], int] = {}
    for first in range(0, cases, BATCH):
        pending: list[dict[str, Any]] = []
        for i in range(first, min(first + BATCH, cases)):
            station = STATIONS[i % len(STATIONS)]
            template, routing = pool[rng.randrange(len(pool))]
            received_at = latest - timedelta(minutes=rng.randrange(0, 60 * 24 * 365 * 3))
            applicant = dict(template["applicant"])
            if applicant["kind"] == "person":
                applicant.update(name=make_name(rng), id_number=make_id(rng), phone=make_phone(rng))
            else:
                applicant.update(contact=make_name(rng), phone=make_phone(rng))
            intake = {**template, "applicant": applicant, "received_at": received_at.isoformat(timespec="seconds")}
            received = received_at.date()
            due, estimated = calendar.add_working_days(received, routing_days)
            seq[(station, received.year)] = seq.get((station, received.year), 0) + 1
            pending.append(
                {
                    "type": "case_registered",
                    "payload": {
                        "case_no": f"{station}-{received.year}-{seq[(station, received.year)]:06d}",
                        "station_code": station,
                        "intake": intake,
                        "routing": routing,
                        "set": {
                            "status": Status.REGISTERED.value,
                            "stage": "routing",
                            "stage_start": received.isoformat(),
                            "due_date": due.isoformat(),
                            "due_estimated": estimated,
                        },
                    },
                    "author": "worker",
                    "origin": station,
                    "at": at,
                    "case_uuid": new_uuid(),
                }
            )
        with write(session.store.engine) as conn:
            bulk_register(conn, append_many(conn, pending))
        say(f"市级库装载 {min(first + BATCH, cases)}/{cases}")


def _export_plain(session: Session, target: Path) -> None:
    """A plain SQLite copy of the encrypted store (same pages' content, no key)."""
    target.mkdir(parents=True, exist_ok=True)
    db = target / DB_NAME
    db.unlink(missing_ok=True)
    raw = session.store.engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(db),))
        conn.execute("SELECT sqlcipher_export('plain')")
        conn.execute(f"PRAGMA plain.user_version = {LATEST}")
        conn.execute("DETACH DATABASE plain")
    finally:
        raw.close()
    Keystore.create(target / KEYS_NAME, CITY_CODE, CITY_NAME).save()


def build_city_store(
    cases: int, folder: Path | None = None, progress: Callable[[str], None] | None = None
) -> CityStore:
    """The city store of `cases` cases in `folder` (default `city_cache_dir(cases)`).

    The one built before is reused when its `built.json` is there; otherwise the folder is
    emptied and the store built now. `progress` receives one Chinese line per phase.

    Raises:
        StationError: the folder cannot be written.
    """
    say = progress or (lambda _msg: None)
    folder = folder or city_cache_dir(cases)
    marker = folder / BUILT
    if marker.exists():
        info = json.loads(marker.read_text(encoding="utf-8"))
        if info.get("cases") == cases and info.get("schema") == LATEST:
            return CityStore(folder, cases, float(info["build_s"]), built_now=False)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    session = init_station(
        folder / "encrypted", CITY_CODE, CITY_NAME, next(iter(TOWNS)), "admin", BENCH_PASSWORD, clock=_clock()
    )
    try:
        _load_cases(session, cases, say)
        say("导出明文副本…")
        _export_plain(session, folder / "plain")
    finally:
        session.close()
    build_s = round(time.perf_counter() - t0, 1)
    marker.write_text(json.dumps({"cases": cases, "schema": LATEST, "build_s": build_s}), encoding="utf-8")
    return CityStore(folder, cases, build_s, built_now=True)


def _open_plain(store: CityStore) -> Session:
    keystore = Keystore.load(store.plain / KEYS_NAME)
    engine = plain_store(store.plain / DB_NAME)
    return Session(OpenStore(store.plain, engine, keystore, b""), "admin", Role.ADMIN, _clock())


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def open_list(session: Session, query: CaseQuery) -> tuple[int, int]:
    """Do what the desk does to open the case list: its first page and the total of `query`.

    Returns:
        `(rows on the first page, total)`.
    """
    rows = list_cases(session, query, 0, LIST_PAGE)
    total = len(rows) if len(rows) < LIST_PAGE else count_cases(session, query)
    return len(rows), total


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))], 3)


def _queries(session: Session, count: int, seed: int) -> list[str]:
    """The station benchmark's mix of queries, made from cases in the store."""
    from station_app.bench import _queries as mix

    rng = random.Random(seed)
    with read(session.store.engine) as conn:
        top = int(conn.execute(text("SELECT max(case_id) FROM case_texts")).scalar_one())
        ids = ",".join(str(rng.randint(1, top)) for _ in range(2000))
        rows = conn.execute(text(f"SELECT intake FROM case_texts WHERE case_id IN ({ids})")).all()
    return mix([json.loads(r[0]) for r in rows], count, seed)


def run_city_bench(
    cases: int, folder: Path | None = None, progress: Callable[[str], None] | None = None, gui: bool = False
) -> dict[str, Any]:
    """Build (or reuse) the city store of `cases` cases and measure it; see the module text.

    Figures are milliseconds and seconds keyed by name. With `gui`, also `gui_list_open_ms`:
    the desk's case list opened on it in a fresh process.
    """
    say = progress or (lambda _msg: None)
    store = build_city_store(cases, folder, say)
    station = STATIONS[len(STATIONS) // 2]
    work: dict[str, list[float]] = {"enc": [], "plain": []}
    result: dict[str, Any] = {"profile": "city", "cases": cases, "stations": len(STATIONS), "build_s": store.build_s}
    result["built_now"] = store.built_now

    t0 = time.perf_counter()
    enc = login(store.encrypted, "admin", BENCH_PASSWORD, _clock())
    result["unlock_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    plain = _open_plain(store)
    try:
        say("计时:打开案件列表(新连接,页缓存为空)…")
        lists: dict[str, float] = {}
        for name, session in (("enc", enc), ("plain", plain)):
            lists[f"{name}_all"] = _timed(lambda s=session: open_list(s, CaseQuery()))  # type: ignore[misc]
            lists[f"{name}_station"] = _timed(lambda s=session: open_list(s, CaseQuery(station=station)))  # type: ignore[misc]
            work[name] += [lists[f"{name}_all"], lists[f"{name}_station"]]
        result["list_open_ms"] = round(lists["enc_all"], 1)
        result["station_list_open_ms"] = round(lists["enc_station"], 1)
        result["plain_list_open_ms"] = round(lists["plain_all"], 1)
        result["plain_station_list_open_ms"] = round(lists["plain_station"], 1)
        result["station_cases"] = count_cases(enc, CaseQuery(station=station))

        say("计时:检索(加密库与明文库交替进行)…")
        times: dict[str, list[float]] = {"enc": [], "plain": []}
        for phase, count, seed in (("warm", WARMUP_SEARCHES, 5), ("timed", TIMED_SEARCHES, 3)):
            for q in _queries(enc, count, seed):
                query = CaseQuery(search=q)
                for name, session in (("enc", enc), ("plain", plain)):
                    ms = _timed(lambda s=session, c=query: list_cases(s, c, limit=50))  # type: ignore[misc]
                    if phase == "timed":
                        times[name].append(ms)
        for name in ("enc", "plain"):
            work[name] += times[name]
        result["search_p50_ms"] = _pct(times["enc"], 0.5)
        result["search_p95_ms"] = _pct(times["enc"], 0.95)
        result["plain_search_p95_ms"] = _pct(times["plain"], 0.95)
        plain_total = sum(work["plain"])
        result["encrypted_vs_plain"] = round(sum(work["enc"]) / plain_total, 3) if plain_total else None
    finally:
        plain.close()
        enc.close()
    if gui:
        from station_app.bench import EXTRA_FIGURES

        for source in EXTRA_FIGURES:  # the desk app's figures, registered by the launcher
            figures = source(store.encrypted, "admin", BENCH_PASSWORD, say)
            if "list_open_ms" in figures:
                result["gui_list_open_ms"] = figures["list_open_ms"]
    result.update(_extra_figures(store, say))
    return result


def _write_out() -> None:
    """Have the OS write what it holds for the disk now (`os.sync`, where there is one).

    A copy of the store is gigabytes the OS writes back in its own time; written out before the
    figures are taken, it does not compete with the commits that are timed.
    """
    sync = getattr(os, "sync", None)
    if sync is not None:
        sync()


def _extra_figures(store: CityStore, say: Callable[[str], None]) -> dict[str, Any]:
    """The registered figures, each on a fresh copy of the encrypted store (deleted after)."""
    out: dict[str, Any] = {}
    for measure in CITY_FIGURES:
        copy = store.folder / "work-copy"
        shutil.rmtree(copy, ignore_errors=True)
        say("复制市级库…")
        shutil.copytree(store.encrypted, copy)
        _write_out()
        try:
            session = login(copy, "admin", BENCH_PASSWORD, _clock())
            try:
                out.update(measure(session))
            finally:
                session.close()
        finally:
            shutil.rmtree(copy, ignore_errors=True)
    return out
