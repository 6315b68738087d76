"""`station-app bench`: the performance figures of DESIGN.md, measured through the real path.

One run builds two stores with the same synthetic cases, one SQLCipher-encrypted and one plain
SQLite, bulk-loads them in batches, then times single intakes (validation, routing, event,
projection, search index, commit) and searches through the same services on both.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import Engine

from station_app.clock import CHINA_TZ, FixedClock
from station_app.domain.enums import Role
from station_app.services.calendar_service import load_seed_payload
from station_app.services.case_service import bulk_intake, intake
from station_app.services.query_service import CaseQuery, list_cases
from station_app.services.session import Session, login
from station_app.services.station_service import init_station
from station_app.store.anchor import open_anchor
from station_app.store.db import get_meta, set_meta, write
from station_app.store.keystore import Keystore
from station_app.store.station_store import OpenStore, plain_store
from station_app.synthetic import make_intake

BENCH_PASSWORD = "bench-password-1"
TIMED_INTAKES = 200
TIMED_SEARCHES = 200
WARMUP_INTAKES = 50
WARMUP_SEARCHES = 400

# Figures measured by packages above the core (the desktop app's start-up and list): each gets
# the encrypted bench station's folder, its admin's name and password, and the progress line,
# and returns its figures ({} when it could not measure; a figure is never made up). The
# launcher (`station_launcher`) registers them.
FigureSource = Callable[[Path, str, str, Callable[[str], None]], dict[str, Any]]
EXTRA_FIGURES: list[FigureSource] = []
# Figures the city profile of the benchmark takes on a throwaway copy of its store (an admin's
# unlocked session in, figures out), registered the same way: `bench_city.register_city_figures`.
CityFigures = Callable[[Session], dict[str, Any]]
CITY_FIGURES: list[CityFigures] = []


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 3)


def _intakes(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [make_intake(rng) for _ in range(count)]


def _queries(items: list[dict[str, Any]], count: int, seed: int) -> list[str]:
    """`count` search texts, a mix of what a worker types, drawn from `items` with `seed`.

    2-character names, initials, ID and phone parts, employers, free text, and two characters
    out of a text or an employer's name.
    """
    from station_app.store.search_index import initials

    rng = random.Random(seed)
    out: list[str] = []
    kinds = ("name2", "initials", "id", "phone", "employer", "text", "pair")
    for i in range(count):
        item = rng.choice(items)
        applicant = item["applicant"]
        kind = kinds[i % len(kinds)]
        if kind == "name2":
            out.append(applicant.get("contact") or applicant["name"][:2])
        elif kind == "initials":
            out.append(initials(applicant.get("contact") or applicant["name"]))
        elif kind == "id" and applicant.get("id_number"):
            out.append(applicant["id_number"][-8:])
        elif kind == "phone" and applicant.get("phone"):
            out.append(applicant["phone"][:7])
        elif kind == "employer":
            out.append((item.get("respondent") or applicant)["name"])
        elif kind == "pair":  # two characters out of the middle of the text or the employer's name
            source = rng.choice((item["summary"], (item.get("respondent") or applicant)["name"]))
            start = rng.randrange(2, max(3, len(source) - 2))
            out.append(source[start : start + 2])
        else:
            out.append(item["summary"][2:7])
    return out


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _time_work(enc: Session, plain: Session, fresh: list[dict[str, Any]], queries: list[str]) -> dict[str, list[float]]:
    """Time the same intakes and searches on both stores; milliseconds per operation, by figure.

    Interleaved, so that other load on the machine falls on both stores alike.
    """
    out: dict[str, list[float]] = {"intake": [], "search": [], "plain_intake": [], "plain_search": []}
    for data in fresh:
        out["intake"].append(_timed(lambda d=data: intake(enc, d)))  # type: ignore[misc]
        out["plain_intake"].append(_timed(lambda d=data: intake(plain, d)))  # type: ignore[misc]
    for q in queries:
        query = CaseQuery(search=q)
        out["search"].append(_timed(lambda c=query: list_cases(enc, c, limit=50)))  # type: ignore[misc]
        out["plain_search"].append(_timed(lambda c=query: list_cases(plain, c, limit=50)))  # type: ignore[misc]
    return out


def _plain_baseline(path: Path) -> Engine:
    """The plain SQLite baseline, doing the same work as the encrypted store but the encryption.

    It gets a store signing key, so every event it records is signed as the encrypted store's
    are (by its user's key there: the same Ed25519 cost), and its head is anchored after every
    commit (`store/anchor.py`) as the encrypted store's is. Without these the ratio would count
    the audit trail's own work as the cost of encryption.
    """
    engine = plain_store(path)
    with write(engine) as conn:
        if get_meta(conn, "ed25519_private") is None:
            key = Ed25519PrivateKey.generate()
            private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()
            set_meta(conn, "ed25519_private", private)
            set_meta(conn, "ed25519_public", key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex())
    open_anchor(engine, path)
    return engine


def run_bench(
    cases: int = 100_000,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    gui: bool = True,
) -> dict[str, Any]:
    """Measure the figures of DESIGN.md's performance section on `cases` synthetic cases.

    Figures are milliseconds, seconds and ratios, keyed by name; `gui` also runs the sources in
    `EXTRA_FIGURES`. `progress` receives one Chinese line per phase.
    """
    say = progress or (lambda _msg: None)
    own_dir = workdir is None
    root = Path(tempfile.mkdtemp(prefix="station-bench-")) if workdir is None else workdir
    root.mkdir(parents=True, exist_ok=True)
    clock = FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ))
    try:
        say(f"生成 {cases} 条合成案件…")
        items = _intakes(1, cases)
        fresh = _intakes(2, TIMED_INTAKES)
        queries = _queries(items, TIMED_SEARCHES, 3)

        enc_dir = root / "encrypted"
        session = init_station(
            enc_dir, "232701100001", "基准测试调解站", "232701100", "admin", BENCH_PASSWORD, clock=clock
        )
        t0 = time.perf_counter()
        bulk_intake(session, items, progress=lambda d, n: say(f"加密库装载 {d}/{n}"))
        load_s = time.perf_counter() - t0
        session.close()

        plain_dir = root / "plain"
        plain_dir.mkdir(exist_ok=True)
        engine = _plain_baseline(plain_dir / "plain.db")
        keystore = Keystore.create(plain_dir / "keys.json", "232701100001", "基准测试调解站")
        plain = Session(OpenStore(plain_dir, engine, keystore, b""), "admin", Role.ADMIN, clock)
        plain.record_one("calendar_imported", load_seed_payload())
        t0 = time.perf_counter()
        bulk_intake(plain, items, progress=lambda d, n: say(f"明文库装载 {d}/{n}"))
        plain_load_s = time.perf_counter() - t0
        # Both stores start the timed work from a fresh connection (an empty page cache), as the
        # encrypted one does after its unlock below; otherwise plain would keep the loader's cache.
        plain.close()
        plain = Session(
            OpenStore(plain_dir, _plain_baseline(plain_dir / "plain.db"), keystore, b""), "admin", Role.ADMIN, clock
        )

        t0 = time.perf_counter()
        session = login(enc_dir, "admin", BENCH_PASSWORD, clock)
        unlock_ms = (time.perf_counter() - t0) * 1000
        # The first minutes after unlocking: both page caches start empty, and every page the
        # encrypted store reads is decrypted once. Timed apart (`cold_encrypted_vs_plain`); the
        # main figures are a desk session under way, with the caches warm on both stores.
        say("计时:刚解锁时(页缓存为空)…")
        cold = _time_work(session, plain, _intakes(3, WARMUP_INTAKES), _queries(items, WARMUP_SEARCHES, 5))
        cold_enc = sum(cold["intake"]) + sum(cold["search"])
        cold_plain = sum(cold["plain_intake"]) + sum(cold["plain_search"])
        say("计时:加密库与明文库的受理与检索(交替进行)…")
        times = _time_work(session, plain, fresh, queries)
        enc = {"intake": times["intake"], "search": times["search"]}
        pln = {"intake": times["plain_intake"], "search": times["plain_search"]}
        plain.close()
        paper_ms = _paper(session)
        session.close()

        enc_total = sum(enc["intake"]) + sum(enc["search"])
        plain_total = sum(pln["intake"]) + sum(pln["search"])
        result: dict[str, Any] = {
            "cases": cases,
            "load_s": round(load_s, 2),
            "plain_load_s": round(plain_load_s, 2),
            "unlock_ms": round(unlock_ms, 1),
            "intake_p50_ms": _pct(enc["intake"], 0.5),
            "intake_p95_ms": _pct(enc["intake"], 0.95),
            "search_p50_ms": _pct(enc["search"], 0.5),
            "search_p95_ms": _pct(enc["search"], 0.95),
            "plain_intake_p95_ms": _pct(pln["intake"], 0.95),
            "plain_search_p95_ms": _pct(pln["search"], 0.95),
            "encrypted_vs_plain": round(enc_total / plain_total, 3) if plain_total else None,
            "encrypted_vs_plain_intake": round(statistics.median(enc["intake"]) / statistics.median(pln["intake"]), 3),
            "encrypted_vs_plain_search": round(statistics.median(enc["search"]) / statistics.median(pln["search"]), 3),
            "cold_encrypted_vs_plain": round(cold_enc / cold_plain, 3) if cold_plain else None,
        }
        if paper_ms is not None:
            result["paper_p95_ms"] = paper_ms
        result.update(_bundle_figures(bundle_cases(cases), say))
        result.update(_relay_figures(relay_stations(cases), say))
        if gui:
            for figures in EXTRA_FIGURES:
                result.update(figures(enc_dir, "admin", BENCH_PASSWORD, say))
        return result
    finally:
        if own_dir:
            shutil.rmtree(root, ignore_errors=True)


def _paper(session: Session) -> float | None:
    from station_app.documents.bench import bench_paper

    case_no = list_cases(session, CaseQuery(), limit=1)[0].case_no
    return round(float(bench_paper(session, case_no)), 2)


def relay_stations(cases: int) -> int:
    """Simulated stations for the relay figure: DESIGN's 500 at full size, fewer for a small run."""
    return 500 if cases >= 100_000 else max(10, min(500, cases // 200))


def _child_figures(args: list[str], timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `python -m ARGS...` and read the JSON object on its last line of output.

    Gives {} when the child fails, runs over `timeout` seconds or prints no JSON: a figure is
    then absent, never made up.
    """
    try:
        proc = subprocess.run(
            [sys.executable, "-m", *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if proc.returncode != 0:
        return {}
    try:
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}
    return figures if isinstance(figures, dict) else {}


def bundle_cases(cases: int) -> int:
    """How many cases the bundle figure uses for a run of `cases` cases.

    DESIGN's 10,000 (about 60,000 events) at full size, fewer for a small run.
    """
    return 10_000 if cases >= 100_000 else max(50, min(10_000, cases // 10))


def _bundle_figures(cases: int, say: Callable[[str], None]) -> dict[str, Any]:
    """`bundle_export_s`, `bundle_import_s` and `bundle_bytes` for a backlog of `cases` cases.

    The backlog goes through the whole sync path to the city, measured by the sync package in
    its own process.
    """
    say(f"计时:同步包导出与导入({cases} 件案件)…")
    figures = _child_figures(["sync.exchange_bench", str(cases)], timeout=3600)
    return {k: v for k, v in figures.items() if k.startswith("bundle_")}


def _relay_figures(stations: int, say: Callable[[str], None]) -> dict[str, Any]:
    """`relay_p95_ms` and its parts for `stations` stations, from the relay's load test.

    Measured by the sync package in its own process (loopback only; SQLite, and PostgreSQL when
    its server binaries are installed).
    """
    say(f"计时:同步中转({stations} 个模拟调解站)…")
    figures = _child_figures(["sync.relay.bench", str(stations)], timeout=1800)
    return {k: v for k, v in figures.items() if k.startswith("relay_")}
