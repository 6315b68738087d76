"""Stores written by earlier versions (tests/golden/*) open, migrate, verify and rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.services import audit_service, query_service
from station_app.services.query_service import CaseQuery
from station_app.store.migrations import LATEST, schema_version
from tests.conftest import ADMIN, ADMIN_PASSWORD, START, run_cli

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
STORES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir() and not p.name.startswith("."))

# What every golden store holds (tests/golden/make_golden.py): applicant name -> status.
STATUSES = {
    "张伟": "registered",
    "李娜": "routed",
    "王芳": "replied",
    "刘洋": "archived",
    "陈静": "withdrawn",
    "杨磊": "not_accepted",
    "赵敏": "escalated",
    "孙强": "submitted",
}


@pytest.fixture(params=STORES)
def golden_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    target = tmp_path / request.param
    shutil.copytree(GOLDEN / request.param, target)
    return target


def test_there_is_a_golden_store() -> None:
    assert STORES


def test_golden_store_migrates_verifies_and_rebuilds(golden_dir: Path) -> None:
    from station_app.services.session import login

    session = login(golden_dir, ADMIN, ADMIN_PASSWORD, FixedClock(START))
    try:
        assert schema_version(session.store.engine) == LATEST
        report = audit_service.verify(session)
        assert report.ok, report
        cases = query_service.list_cases(session, CaseQuery())
        assert {c.applicant_name: c.status.value for c in cases} == STATUSES
        result = audit_service.rebuild_projections(session)
        assert result["identical"] is True
        assert {c.applicant_name: c.status.value for c in query_service.list_cases(session, CaseQuery())} == STATUSES
        assert [c.case_no for c in query_service.list_cases(session, CaseQuery(search="张伟"))]
    finally:
        session.close()
    proc = run_cli("audit", "verify", data_dir=golden_dir, user=ADMIN)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_cli("audit", "rebuild", data_dir=golden_dir, user=ADMIN)
    assert proc.returncode == 0, proc.stdout + proc.stderr
