"""Two real stations that exchange their event logs (what sync will carry between stores)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from station_app.clock import FixedClock
from station_app.services import audit_service
from station_app.services.session import Session
from station_app.services.station_service import init_station
from station_app.store.db import read
from station_app.store.events import Envelope, export_envelopes, ledger_head
from station_app.store.log import ImportResult, import_foreign
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, START, TOWN_CODE

PEER_CODE = "232701100002"
PEER_NAME = "北极村社保费争议调解站"


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[Session]:
    """A second station (another origin) with its own admin called `admin` too."""
    session = init_station(tmp_path / "peer", PEER_CODE, PEER_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD,
                           FixedClock(START), FAST_KDF)  # fmt: skip
    yield session
    session.close()


def export(session: Session) -> list[Envelope]:
    """Every event this store holds, in its ledger order."""
    with read(session.store.engine) as conn:
        return export_envelopes(conn)


def exchange(source: Session, target: Session) -> ImportResult:
    """Import everything `source` holds into `target` (known events come back as duplicates)."""
    return import_foreign(target.store.engine, export(source))


def state(session: Session) -> tuple[str, tuple[int, str], int, int]:
    """What must not move when nothing is stored: projections, ledger head, events, pending."""
    with read(session.store.engine) as conn:
        return (
            audit_service.fingerprint(conn),
            ledger_head(conn),
            int(conn.execute(text("SELECT count(*) FROM events")).scalar_one()),
            int(conn.execute(text("SELECT count(*) FROM pending_events")).scalar_one()),
        )
