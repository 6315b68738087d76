"""Checks that the installed (or frozen) app works end to end, without Qt.

Each check returns a line for the user; `station-app selfcheck` adds the window check and
exits 0 only when every check passes.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from station_app.domain.enums import Department, Track
from station_app.domain.validation import parse_intake
from station_app.rules.routing import route
from station_app.services.session import Session
from station_app.store.keystore import KdfParams
from station_app.synthetic import make_id, make_intake


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one self-check: its name, whether it passed, a line of detail and the milliseconds taken."""

    name: str
    ok: bool
    detail: str
    ms: float

    def line(self) -> str:
        """The result as the user reads it: `[通过] name: detail (12 ms)`."""
        mark = "通过" if self.ok else "失败"
        return f"[{mark}] {self.name}: {self.detail} ({self.ms:.0f} ms)"


def run_check(name: str, fn: Callable[[], str]) -> CheckResult:
    """Run the check `fn` and time it; a check that raises is a failure, never an exception.

    `fn` returns the line of detail shown when it passes.
    """
    t0 = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except Exception as exc:  # a check reports failure; it never raises
        detail = f"{type(exc).__name__}: {exc}"[:200]
        ok = False
    return CheckResult(name, ok, detail, (time.perf_counter() - t0) * 1000)


class CoreChecks:
    """The Qt-free checks, sharing one temporary encrypted store."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="station-selfcheck-"))
        self.session: Session | None = None
        self.case_no = ""

    def close(self) -> None:
        """Close the store and delete the temporary folder."""
        if self.session is not None:
            self.session.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def store(self) -> str:
        """Create an encrypted station store and check that it reads back."""
        from sqlalchemy import text

        from station_app.services.station_service import init_station
        from station_app.store.db import read

        self.session = init_station(
            self.folder / "data",
            "232701100001",
            "自检调解站",
            "232701100",
            "selfcheck",
            "north-larch-ridge-58",
            kdf=KdfParams(),
        )
        with read(self.session.store.engine) as conn:
            version = conn.exec_driver_sql("PRAGMA cipher_version").scalar_one()
            conn.execute(text("SELECT count(*) FROM events")).scalar_one()
        head = (self.folder / "data" / "station.db").read_bytes()[:16]
        if head.startswith(b"SQLite format 3"):
            raise RuntimeError("数据库文件未加密")
        return f"SQLCipher {version},文件已加密"

    def routing(self) -> str:
        """Route a category 4 matter that crosses the reform date (三(二)2): joint, tax leads, 人社 co.

        Raises:
            RuntimeError: the decision differs.
        """
        data = make_intake(random.Random(7), category=4)
        data["periods"] = [{"from": "2023-10", "to": "2024-06"}]
        data["insurance_types"] = ["pension"]
        data["flags"] = {}
        data["group_size"] = 1
        data["amount_claimed"] = "1000.00"
        decision = route(parse_intake(data))
        if (
            decision.track is not Track.JOINT
            or decision.lead is not Department.TAX
            or decision.co != (Department.HRSS,)
        ):
            raise RuntimeError(f"分流结果不符:{decision.to_json()}")
        return "类别4跨改革时点 → 联办,税务局牵头,人社局协办"

    def intake(self) -> str:
        """Register a synthetic intake in the store made by `store`."""
        from station_app.services.case_service import intake

        assert self.session is not None
        data = make_intake(random.Random(8))
        data["applicant"] = {
            "kind": "person",
            "name": "自检",
            "id_number": make_id(random.Random(9)),
            "phone": "13900000000",
        }
        result = intake(self.session, data)
        self.case_no = result.case_no
        return f"案件 {result.case_no} 已登记,{result.routing.track.label}"

    def paper(self) -> str:
        """Print the intake's receipt and check that it is a PDF with its font embedded.

        Raises:
            RuntimeError: the PDF is incomplete or carries no embedded font.
        """
        from station_app.services.paper_service import print_paper

        assert self.session is not None
        result = print_paper(self.session, self.case_no, "receipt")
        if not result.pdf.startswith(b"%PDF") or b"FontFile2" not in result.pdf:
            raise RuntimeError("回执PDF不完整或字体未嵌入")
        return f"受理回执 {result.paper_no},{len(result.pdf) // 1024} KB,字体已嵌入"

    def audit(self) -> str:
        """Verify the event log's hash chain.

        Raises:
            RuntimeError: the chain is broken.
        """
        from station_app.services.audit_service import verify

        assert self.session is not None
        report = verify(self.session)
        if not report.ok:
            raise RuntimeError(f"审计链断裂于事件 {report.bad_seq}")
        return f"{report.count} 个事件,哈希链完整"
