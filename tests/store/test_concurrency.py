"""Two programs writing one store at once (the desk GUI and a CLI): one writer at a time,
the event chain stays valid and case numbers stay unique."""

from __future__ import annotations

import random
import threading
from pathlib import Path

from station_app.clock import FixedClock
from station_app.services import audit_service, case_service, query_service
from station_app.services.session import Session, login
from station_app.synthetic import make_intake
from tests.conftest import ADMIN, ADMIN_PASSWORD


def test_two_sessions_writing_at_once_keep_the_chain(station: Session, data_dir: Path, clock: FixedClock) -> None:
    other = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def work(session: Session, seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(40):
                no = case_service.intake(session, make_intake(rng)).case_no
                case_service.perform(session, no, "route")
                numbers.append(no)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, i)) for i, s in enumerate((station, other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert errors == []
    assert len(numbers) == len(set(numbers)) == 80
    assert query_service.count_cases(station) == 80
    report = audit_service.verify(station)
    assert report.ok and report.count == 3 + 160
    assert audit_service.rebuild_projections(station)["identical"]
