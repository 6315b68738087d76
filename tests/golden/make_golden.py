"""Write a golden store: a small station made by the current version, kept to test upgrades.

Run once per release that changes the store (`python -m tests.golden.make_golden NAME`); the
folder `tests/golden/NAME/` is committed and never rewritten. The store uses the test KDF and
a fixed clock; its password is `tests.conftest.ADMIN_PASSWORD` (v5-0.1: `admin-pass-123`, before the password policy).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sqlalchemy import text

from station_app.clock import FixedClock
from station_app.services import case_service, paper_service, settings_service, user_service
from station_app.services.station_service import init_station
from station_app.store.db import read
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, START, STATION_CODE, STATION_NAME, TOWN_CODE
from tests.factories import joint_intake, major_intake, not_accepted_intake, refer_intake, submit_city_intake

GOLDEN = Path(__file__).resolve().parent


def build(data_dir: Path) -> None:
    """A station with cases in several statuses, a paper, a reveal, a setting and a second user."""
    clock = FixedClock(START)
    session = init_station(data_dir, STATION_CODE, STATION_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD, clock, FAST_KDF)
    try:
        user_service.add_user(session, "wangli", "worker", "worker-pass-123", "王丽", FAST_KDF)
        settings_service.set_setting(session, "station_phone", "0457-2712345")
        clock.advance(minutes=5)
        registered = case_service.intake(session, refer_intake(name="张伟")).case_no
        routed = case_service.intake(session, joint_intake(name="李娜")).case_no
        case_service.perform(session, routed, "route")
        replied = case_service.intake(session, refer_intake(name="王芳")).case_no
        case_service.perform(session, replied, "route")
        case_service.perform(session, replied, "sign", {"dept": "tax"})
        case_service.perform(session, replied, "opinion", {"dept": "tax", "text": "经核查,单位应补缴。"})
        case_service.perform(session, replied, "reply", {"text": "经核查,答复如下:单位应补缴。"})
        archived = case_service.intake(session, refer_intake(name="刘洋")).case_no
        case_service.perform(session, archived, "close_on_spot", {"text": "当场解释政策。"})
        case_service.perform(session, archived, "callback", {"satisfaction": "satisfied", "text": "电话回访。"})
        case_service.perform(session, archived, "archive", {"text": "归档。"})
        withdrawn = case_service.intake(session, joint_intake(name="陈静")).case_no
        case_service.perform(session, withdrawn, "withdraw", {"reason": "申请人自愿撤回。"})
        refused = case_service.intake(session, not_accepted_intake(name="杨磊")).case_no
        case_service.perform(session, refused, "route")
        escalated = case_service.intake(session, major_intake(name="赵敏")).case_no
        case_service.perform(session, escalated, "route")
        city = case_service.intake(session, submit_city_intake(name="孙强")).case_no
        case_service.perform(session, city, "route")
        case_service.perform(session, routed, "extend", {"days": 3, "reason": "需调取工资台账。"})
        case_service.reveal(session, registered, "applicant_phone")
        paper_service.print_paper(session, registered, "receipt")
        with read(session.store.engine) as conn:
            assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 8
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        session.close()


def main(name: str) -> None:
    target = GOLDEN / name
    if target.exists():
        raise SystemExit(f"{name} exists: golden stores are never rewritten")
    work = GOLDEN / f".{name}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    build(work)
    target.mkdir()
    for file in ("keys.json", "station.db"):
        shutil.copy2(work / file, target / file)
    shutil.rmtree(work)


if __name__ == "__main__":
    main(sys.argv[1])
