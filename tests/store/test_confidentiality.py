"""Personal data never reaches the disk in the clear: a byte scan of the whole data folder."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.services import audit_service, case_service, query_service
from station_app.services.query_service import CaseQuery
from station_app.services.session import Session, login
from station_app.store.migrations import LATEST
from station_app.store.station_store import db_path
from station_app.synthetic import make_id
from tests.conftest import ADMIN, ADMIN_PASSWORD, run_cli, sqlcipher_connect
from tests.factories import joint_intake, refer_intake

CANARY_NAME = "欧阳测试甲"
CANARY_EMPLOYER = "漠河市欧阳测试乙林业有限公司"
CANARY_ID = make_id(__import__("random").Random(99), birth=date(1968, 2, 29), region="232723")
CANARY_PHONE = "13945678123"
CANARY_SUMMARY = "欧阳测试丙反映单位欠缴"


def _needles() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for text_ in (CANARY_NAME, CANARY_EMPLOYER, CANARY_SUMMARY):
        for enc in ("utf-8", "utf-16-le", "utf-16-be", "gbk"):
            out[f"{text_}/{enc}"] = text_.encode(enc)
    for text_ in (CANARY_ID, CANARY_PHONE):
        for enc in ("ascii", "utf-16-le", "utf-16-be"):
            out[f"{text_}/{enc}"] = text_.encode(enc)
    return out


def scan(folder: Path) -> list[str]:
    """Every (file, canary/encoding) pair found under `folder`, file names included."""
    found = []
    needles = _needles()
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if any(n.split("/")[0] in name for n in needles):
            found.append(f"{name}: file name")
        if not path.is_file():
            continue
        data = path.read_bytes()
        found.extend(f"{name}: {label}" for label, needle in needles.items() if needle in data)
    return found


def test_the_scanner_finds_plain_canaries(tmp_path: Path) -> None:
    """The scan is not vacuous: each encoding is detected when present."""
    (tmp_path / "a.txt").write_bytes(CANARY_NAME.encode("gbk"))
    (tmp_path / "b.txt").write_bytes(b"x" + CANARY_ID.encode("utf-16-le"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.bin").write_bytes(CANARY_PHONE.encode("ascii"))
    found = scan(tmp_path)
    assert any(f.startswith("a.txt") and "gbk" in f for f in found)
    assert any(f.startswith("b.txt") and "utf-16-le" in f for f in found)
    assert any(f.startswith("sub/c.bin") for f in found)


def _canary_cases(station: Session) -> list[str]:
    nos = []
    for make in (refer_intake, joint_intake):
        data = make(
            name=CANARY_NAME,
            id_number=CANARY_ID,
            phone=CANARY_PHONE,
            employer=CANARY_EMPLOYER,
            summary=CANARY_SUMMARY + ",要求补缴。",
        )
        nos.append(case_service.intake(station, data).case_no)
    return nos


def test_no_canary_anywhere_in_the_data_folder(station: Session, data_dir: Path, clock: FixedClock) -> None:
    nos = _canary_cases(station)
    # work the cases: route, sign, opinion, reply; search, list, show, reveal, audit, rebuild
    case_service.perform(station, nos[0], "route")
    case_service.perform(station, nos[0], "sign", {"dept": "tax"})
    case_service.perform(station, nos[0], "opinion", {"dept": "tax", "text": f"经核查,{CANARY_NAME}所述属实。"})
    case_service.perform(station, nos[0], "handled", {"text": f"{CANARY_NAME}:您好,已办结。"})
    for query in (CANARY_NAME, "欧阳", "oycsj", CANARY_ID, CANARY_ID[6:14], CANARY_PHONE, CANARY_EMPLOYER, "测试丙"):
        hits = query_service.list_cases(station, CaseQuery(search=query))
        assert {h.case_no for h in hits} == set(nos), query
    assert len(query_service.list_cases(station)) == 2
    detail = query_service.get_case(station, nos[0])
    assert detail.intake["applicant"]["name"] == CANARY_NAME  # the data is there, decrypted
    assert case_service.reveal(station, nos[1], "applicant_id") == CANARY_ID
    assert audit_service.verify(station).ok
    assert audit_service.rebuild_projections(station)["identical"]

    # while the store is open the WAL and shared-memory files exist: scan them too
    wal = data_dir / "station.db-wal"
    assert wal.exists() and wal.stat().st_size > 0
    assert scan(data_dir) == []
    station.close()

    # an older schema is migrated on unlock, leaving a backup copy
    conn = sqlcipher_connect(db_path(data_dir), station.store.key)
    conn.execute(f"PRAGMA user_version = {LATEST - 1}")
    conn.close()
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    again.close()
    assert list((data_dir / "backups").iterdir())

    # the command line, including failing commands and its log file
    ok = run_cli("case", "list", "--search", CANARY_NAME, "--json", data_dir=data_dir, user=ADMIN)
    assert ok.returncode == 0 and CANARY_NAME in ok.stdout  # the answer itself carries the name
    run_cli("case", "show", nos[1], "--json", data_dir=data_dir, user=ADMIN)
    run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    bad = refer_intake(
        name=CANARY_NAME,
        id_number=CANARY_ID[:-1] + ("0" if CANARY_ID[-1] != "0" else "1"),
        phone=CANARY_PHONE + "9",
        employer=CANARY_EMPLOYER,
    )
    failing = [
        run_cli("case", "add", stdin=json.dumps(bad, ensure_ascii=False), data_dir=data_dir, user=ADMIN),
        run_cli("case", "show", CANARY_ID, "--json", data_dir=data_dir, user=ADMIN),
        run_cli("case", "show", CANARY_NAME, data_dir=data_dir, user=ADMIN),
        run_cli("case", "list", "--search", CANARY_NAME, "--status", "bogus", "--json", data_dir=data_dir, user=ADMIN),
        run_cli(
            "case",
            "act",
            nos[1],
            "reply",
            stdin=json.dumps({"text": CANARY_NAME}, ensure_ascii=False),
            data_dir=data_dir,
            user=ADMIN,
        ),
        run_cli("case", "list", "--search", CANARY_NAME, data_dir=data_dir, user=ADMIN, password=CANARY_PHONE),
    ]
    assert [p.returncode for p in failing] == [2, 1, 1, 2, 1, 1]
    assert "applicant.id_number" in json.loads(failing[0].stdout)["fields"]
    for proc in failing:
        for canary in (CANARY_NAME, CANARY_ID, CANARY_PHONE, CANARY_EMPLOYER, "欧阳"):
            assert canary not in proc.stdout + proc.stderr, (proc.args, canary)
        assert "Traceback" not in proc.stderr
    assert (data_dir / "logs").is_dir()

    assert scan(data_dir) == []


def test_plain_sqlite_cannot_read_the_store(station: Session, data_dir: Path) -> None:
    case_service.intake(station, refer_intake())
    station.close()
    for path in [db_path(data_dir)]:
        conn = sqlite3.connect(path)
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()
    # the header carries no "SQLite format 3" magic either
    assert not db_path(data_dir).read_bytes().startswith(b"SQLite format 3")
