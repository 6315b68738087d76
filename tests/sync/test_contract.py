"""Rules of the sync and city command line (DESIGN.md "Sync and city command line") not pinned
elsewhere: what a folder import reads and leaves alone, refused `--to` and PATH values, the
recovery passphrase at `city init`, who may enroll, and the city's acts at a standalone station."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ADMIN, ADMIN_PASSWORD, cli_env, run_cli
from tests.factories import intake_json, major_intake, submit_city_intake
from tests.sync.cityhelp import CITY_ADMIN, CITY_CODE, CITY_NAME, cli, make_city, make_world, ok

A = "232701100001"


def _refused(result: object, field: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    out = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert set(out) == {"error", "fields"} and field in out["fields"]
    assert "Traceback" not in result.stdout + result.stderr  # type: ignore[attr-defined]


def _one_line(result: object) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    assert len(str(result.stderr).strip().splitlines()) == 1  # type: ignore[attr-defined]


def _snapshot(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*"))


def test_a_folder_import_reads_only_bundles_directly_in_it_and_writes_nothing_there(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    station, city = w.stations[A], w.city
    _refused(cli("sync", "export", "--to", str(tmp_path / f"prov-{A}.json"), data_dir=station, user=ADMIN), "to")
    _refused(cli("sync", "import", str(tmp_path / "no-such-stick"), data_dir=city, user=CITY_ADMIN), "path")

    stick = w.stick()
    (bundle,) = ok(cli("sync", "export", "--to", str(stick), data_dir=station, user=ADMIN))["bundles"]
    assert bundle["file"] == str(stick / Path(bundle["file"]).name) and bundle["recipient"] == CITY_CODE
    (stick / "notes.txt").write_text("不是同步包", encoding="utf-8")
    (stick / "copy.msb.bak").write_bytes(Path(bundle["file"]).read_bytes())
    (stick / "old").mkdir()
    (stick / "old" / "broken.msb").write_bytes(b"not a bundle")
    (stick / "folder.msb").mkdir()
    before = _snapshot(stick)

    got = ok(cli("sync", "import", str(stick), data_dir=city, user=CITY_ADMIN))
    assert got["bundles"] == 1 and got["events"] == bundle["events"]
    assert got["refused"] == [] and got["skipped"] == []
    assert _snapshot(stick) == before
    again = ok(cli("sync", "import", bundle["file"], data_dir=city, user=CITY_ADMIN))
    assert again["already_imported"] == 1 and again["bundles"] == 0

    # only an admin enrolls, even at the city; a coordinator is refused with one line
    ok(cli("users", "add", "zhaomin", "--role", "coordinator", data_dir=city, user=CITY_ADMIN,
           STATION_NEW_PASSWORD="coord-pass-123"))  # fmt: skip
    _one_line(cli("city", "enroll", str(tmp_path / f"id-{A}.json"), data_dir=city, user="zhaomin",
                  password="coord-pass-123"))  # fmt: skip


def test_city_init_needs_its_own_recovery_passphrase(tmp_path: Path) -> None:
    args = ("city", "init", "--city-code", CITY_CODE, "--city-name", CITY_NAME, "--admin", CITY_ADMIN)
    missing = run_cli(*args, data_dir=tmp_path / "c1", env=cli_env(ADMIN_PASSWORD))
    _one_line(missing)
    assert "STATION_RECOVERY_PASSPHRASE" in missing.stderr and not (tmp_path / "c1").exists()
    same = run_cli(*args, data_dir=tmp_path / "c2",
                   env=cli_env(ADMIN_PASSWORD, STATION_RECOVERY_PASSPHRASE=ADMIN_PASSWORD))  # fmt: skip
    _refused(same, "recovery_passphrase")
    assert not (tmp_path / "c2").exists() or not any((tmp_path / "c2").iterdir())


def test_a_head_records_the_citys_acts_at_a_standalone_station(tmp_path: Path) -> None:
    data = tmp_path / "alone"
    ok(cli("init", "--station-code", A, "--station-name", "西林吉镇社保费争议调解站", "--town-code", A[:9],
           "--admin", ADMIN, data_dir=data))  # fmt: skip
    ok(cli("users", "add", "zhanzhang", "--role", "head", data_dir=data, user=ADMIN,
           STATION_NEW_PASSWORD="head-pass-1234"))  # fmt: skip
    head = {"user": "zhanzhang", "password": "head-pass-1234"}
    assert ok(cli("sync", "export", "--to", str(tmp_path), data_dir=data, user=ADMIN)) == {"bundles": []}

    def added(intake: dict[str, object]) -> str:
        case_no = str(ok(cli("case", "add", data_dir=data, user=ADMIN, stdin=json.dumps(intake)))["case_no"])
        ok(cli("case", "act", case_no, "route", data_dir=data, user=ADMIN, stdin="{}"))
        return case_no

    assign = {"lead": "tax", "co": ["hrss"], "document_no": "漠营商交〔2025〕7号", "date": "2025-11-21"}
    done = ok(cli("case", "act", added(submit_city_intake()), "city_assign", data_dir=data,
                  stdin=json.dumps(assign, ensure_ascii=False), **head))  # fmt: skip
    assert done["status"] == "routed"
    major = added(major_intake())
    decision = {"approver": "王副市长", "date": "2025-11-20", "document_no": "漠争议领〔2025〕3号"}
    _refused(cli("case", "act", major, "decline", data_dir=data, stdin=json.dumps(decision, ensure_ascii=False),
                 **head), "text")  # fmt: skip
    declined = {**decision, "text": "不属于重大疑难事项,按一般事项办理。", "task_group": ["tax", "hrss"]}
    assert ok(cli("case", "act", major, "decline", data_dir=data, stdin=json.dumps(declined, ensure_ascii=False),
                  **head))["status"] == "routed"  # fmt: skip


def test_a_backlog_over_the_bundle_limit_is_split_and_each_part_imports_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.exchange
    from sync.exchange import export_due
    from tests.sync.cityhelp import open_store

    w = make_world(tmp_path)
    station, city = w.stations[A], w.city
    ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=json.dumps(submit_city_intake())))
    monkeypatch.setattr(sync.exchange, "MAX_EVENTS", 2)  # the 20,000 of DESIGN.md, scaled down
    stick = w.stick()
    session = open_store(station, ADMIN)
    try:
        parts = export_due(session, stick).to_json()["bundles"]
    finally:
        session.close()
    assert len(parts) > 2 and all(0 < p["events"] <= 2 for p in parts)
    total = sum(p["events"] for p in parts)
    seen = 0
    for part in reversed(parts):  # the last first: held pending until the gap before it is filled
        got = ok(cli("sync", "import", part["file"], data_dir=city, user=CITY_ADMIN))
        assert got["bundles"] == 1 and got["refused"] == []
        if part is parts[-1]:
            assert got["pending"] == got["events"] > 0  # after a gap: held, not lost
        seen += got["events"]
    assert seen == total
    status = ok(cli("sync", "status", "--json", data_dir=city, user=CITY_ADMIN))
    assert status["peers"][0]["pending"] == 0
    assert ok(cli("city", "stations", "--json", data_dir=city, user=CITY_ADMIN))[0]["acked_seq"] == total


def test_case_add_on_a_city_store_is_refused_before_its_input_is_read(tmp_path: Path) -> None:
    city, _ = make_city(tmp_path)
    for stdin in ("{}", json.dumps(intake_json(name="李逵"))):
        refused = cli("case", "add", data_dir=city, user=CITY_ADMIN, stdin=stdin)
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
        assert "市级" in refused.stderr and refused.stdout == ""
