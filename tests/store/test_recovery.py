"""After a refused rollback: the message points to the procedure, and an admin can accept the
state found without any case number being issued twice (docs/recovery.md)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.services import audit_service, case_service
from station_app.services.session import Session, login
from station_app.services.user_service import add_user
from station_app.store.anchor import AnchorError
from station_app.store.station_store import db_path
from station_app.synthetic import make_intake
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, START, run_cli

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "recovery.md"


def _intakes(session: Session, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [case_service.intake(session, make_intake(rng)).case_no for _ in range(count)]


@pytest.fixture
def rolled_back(station: Session, data_dir: Path, tmp_path: Path) -> list[str]:
    """A store whose older station.db was copied back: two cases of four are gone."""
    add_user(station, "wangli", "worker", "worker-pass-123", kdf=FAST_KDF)
    numbers = _intakes(station, 2, seed=1)
    station.close()
    shutil.copy2(db_path(data_dir), tmp_path / "old.db")
    session = login(data_dir, ADMIN, ADMIN_PASSWORD, FixedClock(START))
    numbers += _intakes(session, 2, seed=2)
    session.close()
    shutil.copy2(tmp_path / "old.db", db_path(data_dir))
    return numbers


def test_the_refusal_points_to_the_recovery_procedure(rolled_back: list[str], data_dir: Path) -> None:
    with pytest.raises(AnchorError) as caught:
        login(data_dir, ADMIN, ADMIN_PASSWORD, FixedClock(START))
    assert "docs/recovery.md" in str(caught.value)
    text = DOC.read_text(encoding="utf-8")
    for reason in ("behind", "diverged", "emptied", "counters", "tampered", "missing"):
        assert reason in text  # every refusal is explained
    assert "audit accept-rollback" in text


def test_an_admin_accepts_the_state_found_and_no_number_is_issued_twice(rolled_back: list[str], data_dir: Path) -> None:
    worker = run_cli("audit", "accept-rollback", "--reason", "x", data_dir=data_dir, user="wangli",
                     password="worker-pass-123")  # fmt: skip
    assert worker.returncode == 1 and worker.stdout == "" and worker.stderr.count("\n") == 1
    empty = run_cli("audit", "accept-rollback", "--reason", " ", data_dir=data_dir, user=ADMIN)
    assert empty.returncode == 2 and "reason" in json.loads(empty.stdout)["fields"]
    assert run_cli("case", "list", "--json", data_dir=data_dir, user=ADMIN).returncode == 1  # still refused

    proc = run_cli("audit", "accept-rollback", "--reason", "备份已找不到,从当前状态继续", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["accepted"] is True and out["reason"] == "behind"
    assert out["counters_raised"] == {"case_seq:2025": 4}
    assert out["found_seq"] < out["anchored_seq"]

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, FixedClock(START))
    try:
        [new] = _intakes(session, 1, seed=3)
        assert new not in rolled_back and new.endswith("-000005")  # numbers 3 and 4 were on paper already
        assert audit_service.verify(session).ok and audit_service.accounts(session) == []
    finally:
        session.close()
    again = run_cli("audit", "accept-rollback", "--reason", "再次", data_dir=data_dir, user=ADMIN)
    assert again.returncode == 1 and "无需处理" in again.stderr  # the store agrees with its anchor now
