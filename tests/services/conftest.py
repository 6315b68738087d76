from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.services.session import Session, login
from station_app.services.user_service import add_user
from tests.conftest import FAST_KDF


@dataclass
class Team:
    admin: Session
    head: Session
    worker: Session


@pytest.fixture
def team(station: Session, data_dir: Path, clock: FixedClock) -> Iterator[Team]:
    """The station's admin plus a head and a worker, each logged in on the same store and clock."""
    add_user(station, "zhanzhang", "head", "head-pass-123", kdf=FAST_KDF)
    add_user(station, "shouliyuan", "worker", "worker-pass-123", kdf=FAST_KDF)
    head = login(data_dir, "zhanzhang", "head-pass-123", clock)
    worker = login(data_dir, "shouliyuan", "worker-pass-123", clock)
    yield Team(station, head, worker)
    head.close()
    worker.close()
