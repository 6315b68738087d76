"""Shared fixtures: a real encrypted station in a temporary folder, with a fixed clock.

Stores made here use a cheap Argon2id cost (KdfParams below) so that the suite stays fast;
`tests/store/test_keys.py` keeps one test on the real default cost.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from station_app.clock import CHINA_TZ, FixedClock
from station_app.services.session import Session
from station_app.services.station_service import init_station
from station_app.store.keystore import KdfParams

ROOT = Path(__file__).resolve().parent.parent
# Long loops (crash kills, fuzzing, every-byte tampering) run reduced by default and in CI, in
# full with STATION_FULL_TESTS=1.
FULL_TESTS = os.environ.get("STATION_FULL_TESTS") == "1"


def loop_count(reduced: int, full: int) -> int:
    """How many rounds a long loop runs: `full` on demand (STATION_FULL_TESTS=1), else `reduced`."""
    return full if FULL_TESTS else reduced


FAST_KDF = KdfParams(memory_kib=8192, iterations=1, lanes=1)
STATION_CODE = "232701100001"
STATION_NAME = "西林吉镇社保费争议调解站"
TOWN_CODE = "232701100"
ADMIN = "admin"
ADMIN_PASSWORD = "lantern-desk-48"
WORKER, WORKER_PASSWORD = "wangli", "worker-pass-123"  # the station's worker 王丽 (`worker`)
START = datetime(2025, 11, 20, 10, 0, tzinfo=CHINA_TZ)  # after the factories' 09:30 intakes


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "station"


@pytest.fixture
def station(data_dir: Path, clock: FixedClock) -> Iterator[Session]:
    """A fresh station (admin session) made through `init_station`."""
    session = init_station(data_dir, STATION_CODE, STATION_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD, clock, FAST_KDF)
    yield session
    session.close()


@pytest.fixture
def worker(station: Session, data_dir: Path, clock: FixedClock) -> Iterator[Session]:
    """The station's worker 王丽, logged in with their password (so holding their own key)."""
    from station_app.services.session import login
    from station_app.services.user_service import add_user

    add_user(station, WORKER, "worker", WORKER_PASSWORD, "王丽", FAST_KDF)
    session = login(data_dir, WORKER, WORKER_PASSWORD, clock)
    yield session
    session.close()


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20251120)


def cli_env(password: str | None = ADMIN_PASSWORD, **extra: str) -> dict[str, str]:
    """Environment for a CLI subprocess: no terminal, the password in STATION_PASSWORD."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    env["STATION_TEST_KDF"] = "1"  # new wraps made by the subprocess use the cheap test cost
    if password is not None:
        env["STATION_PASSWORD"] = password
    env.update(extra)
    return env


def run_cli(
    *args: str,
    data_dir: Path | None = None,
    user: str | None = None,
    stdin: str = "",
    password: str | None = ADMIN_PASSWORD,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the app (`python -m station_launcher`, what the console script runs) as a real
    subprocess with stdin piped."""
    argv = [sys.executable, "-m", "station_launcher"]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    if user is not None:
        argv += ["--user", user]
    argv += list(args)
    return subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env if env is not None else cli_env(password),
        timeout=timeout,
        start_new_session=True,  # no controlling terminal: a password prompt can never block
    )


def event_count(session: Session) -> int:
    from sqlalchemy import text

    from station_app.store.db import read

    with read(session.store.engine) as conn:
        return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())


def sqlcipher_connect(path: Path, key: bytes) -> Any:
    """A direct SQLCipher connection with the store's raw key (for tampering tests)."""
    import sqlcipher3

    conn = sqlcipher3.dbapi2.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def as_schema_14(conn: Any) -> None:
    """Give a store made now the search index a schema-14 store has (before `case_keys`).

    The exact terms in `search_terms` with its indexes, and the b-trees on the applicant's ID,
    phone, credit code and the employer; none of migration 16's queue indexes; `user_version` 14.
    """
    from station_app.store.search_index import case_terms

    conn.execute("DROP INDEX IF EXISTS ix_case_notes_kind")
    conn.execute("DROP INDEX IF EXISTS ix_case_departments_owed")

    conn.execute(
        "CREATE TABLE search_terms (id INTEGER NOT NULL PRIMARY KEY, term VARCHAR NOT NULL, case_id INTEGER NOT NULL)"
    )
    conn.execute("CREATE INDEX ix_search_terms_case_id ON search_terms (case_id)")
    conn.execute("CREATE INDEX ix_search_terms_term_case ON search_terms (term, case_id)")
    for column in ("applicant_id", "applicant_phone", "applicant_uscc", "employer"):
        conn.execute(f"CREATE INDEX ix_cases_{column} ON cases ({column})")
    cursor = conn.execute(
        "SELECT cases.id, case_no, applicant_kind, applicant_name, respondent_name, employer, intake"
        " FROM cases JOIN case_texts ON case_texts.case_id = cases.id"
    )
    names = [d[0] for d in cursor.description]
    for row in cursor.fetchall():
        case = dict(zip(names, row, strict=True))
        conn.executemany(
            "INSERT INTO search_terms (term, case_id) VALUES (?, ?)",
            [(t, case["id"]) for t in sorted(case_terms(case))],
        )
    conn.execute("DROP TABLE case_keys")
    conn.execute("PRAGMA user_version = 14")
    conn.execute("UPDATE meta SET value = '14' WHERE key = 'schema_version'")
