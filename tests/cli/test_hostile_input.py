"""Hostile input on the command line: refused with exit 2 and the JSON error naming the field,
never a crash, never a stack trace, never the value repeated; and nothing stored changes.

Real subprocesses (`python -m station_app.cli`) on a real encrypted store.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from station_app.services.session import Session, login
from station_app.synthetic import make_id
from tests.conftest import ADMIN, ADMIN_PASSWORD, ROOT, STATION_CODE, cli_env, event_count, run_cli
from tests.factories import intake_json

ID_NUMBER = make_id(random.Random(15), birth=date(1970, 3, 5), region="232723")


def run_bytes(*args: str, stdin: bytes, data_dir: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """The CLI with raw bytes on stdin (what a script or a broken pipe may send)."""
    argv = [sys.executable, "-m", "station_app.cli"]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir), "--user", ADMIN]
    return subprocess.run(
        [*argv, *args], input=stdin, capture_output=True, cwd=ROOT, env=cli_env(), timeout=60, start_new_session=True
    )


def refused(proc: Any) -> dict[str, Any]:
    out, err = proc.stdout, proc.stderr
    if isinstance(out, bytes):
        out, err = out.decode("utf-8"), err.decode("utf-8")
    assert proc.returncode == 2, (proc.returncode, out, err)
    body = json.loads(out)
    assert set(body) == {"error", "fields"} and body["fields"], body
    assert "Traceback" not in err and 'File "' not in err and err.count("\n") <= 1, err
    return dict(body)


@pytest.fixture
def store(station: Session, data_dir: Path) -> Path:
    station.close()
    return data_dir


def stored_state(data_dir: Path) -> tuple[int, str]:
    """The event count and the projections' fingerprint (DESIGN.md: "nothing stored changes")."""
    from station_app.services.audit_service import fingerprint
    from station_app.store.db import read

    session = login(data_dir, ADMIN, ADMIN_PASSWORD)
    try:
        with read(session.store.engine) as conn:
            return event_count(session), fingerprint(conn)
    finally:
        session.close()


def hostile_intakes() -> list[tuple[str, bytes]]:
    good = json.dumps(intake_json(id_number=ID_NUMBER), ensure_ascii=False)
    deep = '{"summary": ' + "[" * 5000 + "]" * 5000 + "}"
    return [
        ("not utf-8", good.encode("utf-8").replace("张三".encode(), b"\xff\xfe\xc0")),
        ("latin-1", good.encode("utf-8").replace("张三".encode(), "Zoë".encode("latin-1"))),
        ("deep", deep.encode()),
        ("very deep", ("[" * 200_000).encode()),
        ("NaN", good.replace('"group_size": 1', '"group_size": NaN').encode()),
        ("Infinity", good.replace('"group_size": 1', '"group_size": -Infinity').encode()),
        ("overflow", good.replace('"amount_claimed": "12000.00"', '"amount_claimed": 1e999').encode()),
        ("huge int", good.replace('"category": 4', '"category": ' + "9" * 5000).encode()),
        ("lone surrogate", good.replace("张三", "张\\ud800三").encode()),
        ("NUL", good.replace("张三", "张\\u0000三").encode()),
        ("C0", good.replace("反映", "反\\u001b映").encode()),
        ("bidi", good.replace("反映", "反\\u202e映").encode()),
        ("bidi isolate", good.replace("张三", "张\\u2068三\\u2069").encode()),
        ("right-to-left mark", good.replace("张三", "张\\u200f三").encode()),
        ("arabic letter mark", good.replace("反映", "反\\u061c映").encode()),
        ("line separator", good.replace("反映", "反\\u2028映").encode()),
        ("paragraph separator", good.replace("张三", "张\\u2029三").encode()),
        ("noncharacter", good.replace("张三", "张\\uffff三").encode()),
        ("line break in a name", good.replace("张三", "张\\n三").encode()),
        ("tab in an employer", good.replace("漠河市北极林业", "漠河市\\t北极林业").encode()),
        ("C1", good.replace("反映", "反\\u0085映").encode()),
        ("overlong name", good.replace("张三", "张" * 5000).encode()),
        ("1e400", good.replace('"group_size": 1', '"group_size": 1e400').encode()),
        ("31 digits", good.replace('"group_size": 1', '"group_size": ' + "1" * 31).encode()),
        ("day 0000-00-00", good.replace("2025-11-20T09:30:00+08:00", "0000-00-00T00:00:00+08:00").encode()),
        ("month 13", good.replace("2025-11-20T09:30:00+08:00", "2100-13-01T00:00:00+08:00").encode()),
        ("period month 13", good.replace('"2024-12"', '"2024-13"').encode()),
        ("deep object", ('{"summary": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}").encode()),
        ("year 1", good.replace("2025-11-20T09:30:00+08:00", "0001-01-01T00:00:00+08:00").encode()),
        ("year 2999", good.replace("2025-11-20T09:30:00+08:00", "2999-01-01T00:00:00+08:00").encode()),
        ("year 9999", good.replace("2025-11-20T09:30:00+08:00", "9999-12-31T23:59:59-12:00").encode()),
        ("period 9999", good.replace('"2024-12"', '"9999-12"').encode()),
        ("duplicate key", good.replace('"category": 4', '"category": 4, "category": 9').encode()),
        ("empty", b""),
    ]


@pytest.mark.parametrize(("kind", "raw"), hostile_intakes(), ids=[k for k, _ in hostile_intakes()])
def test_route_refuses_hostile_intakes(kind: str, raw: bytes) -> None:
    body = refused(run_bytes("route", stdin=raw))
    assert ID_NUMBER not in json.dumps(body, ensure_ascii=False)


def test_case_add_refuses_every_kind_and_stores_nothing(store: Path) -> None:
    before = stored_state(store)
    for kind, raw in hostile_intakes():
        body = refused(run_bytes("case", "add", stdin=raw, data_dir=store))
        assert ID_NUMBER not in json.dumps(body, ensure_ascii=False), kind
    assert stored_state(store) == before


def test_case_act_refuses_hostile_action_data(store: Path) -> None:
    added = json.loads(
        run_cli("case", "add", data_dir=store, user=ADMIN, stdin=json.dumps(intake_json(category=9, periods=()))).stdout
    )
    before = stored_state(store)
    for raw in [
        b"\xff{}",
        b'{"reason": "\\u0000"}',
        b'{"reason": "\\ud800"}',
        b'{"reason": NaN}',
        b'{"reason": "\\u202e\xe8\xaf\xb4\xe6\x98\x8e"}',
        b"[" * 100_000,
        b'{"date": "0001-01-01"}',
        b'{"reason": "\\u2028"}',
        b'{"reason": "\\u200f\\u8bf4\\u660e"}',
        b'{"reason": "\\ufdd0"}',
        b'{"reason": 1e400}',
        b'{"reason": "' + b"x" * 20_000 + b'"}',
    ]:
        refused(run_bytes("case", "act", added["case_no"], "withdraw", stdin=raw, data_dir=store))
    for data in ({"reason": "说明", "x": 1, "date": "9999-12-31"},):
        proc = run_bytes("case", "act", added["case_no"], "deliver", stdin=json.dumps(data).encode(), data_dir=store)
        assert proc.returncode in (1, 2) and b"Traceback" not in proc.stderr
    assert stored_state(store) == before


def test_an_id_number_pasted_as_a_key_is_not_echoed(store: Path) -> None:
    data = intake_json()
    data[ID_NUMBER] = "张三"
    data["applicant"][ID_NUMBER] = 1  # type: ignore[index]
    for proc in (
        run_cli("route", stdin=json.dumps(data)),
        run_cli("case", "add", data_dir=store, user=ADMIN, stdin=json.dumps(data)),
    ):
        body = refused(proc)
        assert ID_NUMBER not in proc.stdout + proc.stderr
        assert body["fields"] == {"_": "未知字段(1个)", "applicant": "未知字段(1个)"}


def test_calendar_import_of_a_missing_or_unreadable_file_is_refused(store: Path, tmp_path: Path) -> None:
    assert refused(run_cli("calendar", "import", str(tmp_path / "missing.json"), data_dir=store, user=ADMIN))[
        "fields"
    ] == {"file": "文件不存在"}
    assert refused(run_cli("calendar", "import", str(tmp_path), data_dir=store, user=ADMIN))["fields"] == {
        "file": "应为文件,不是文件夹"
    }
    binary = tmp_path / "2026.json"
    binary.write_bytes(b'{"years": [2026], "days": {"\xff": 1}}')
    assert "file" in refused(run_cli("calendar", "import", str(binary), data_dir=store, user=ADMIN))["fields"]
    nul = tmp_path / "2027.csv"
    nul.write_bytes(b"date,kind\n2027-01-01\x00,holiday\n")
    assert "file" in refused(run_cli("calendar", "import", str(nul), data_dir=store, user=ADMIN))["fields"]


def test_paper_verify_refuses_bytes_that_are_not_text(store: Path) -> None:
    assert "payload" in refused(run_bytes("paper", "verify", stdin=b"\xff\xfe\x00", data_dir=store))["fields"]


def test_refusals_and_failures_are_logged_without_personal_data(store: Path) -> None:
    data = intake_json(id_number=ID_NUMBER, summary="反\u202e映")
    refused(run_cli("case", "add", data_dir=store, user=ADMIN, stdin=json.dumps(data)))
    proc = run_cli("calendar", "import", str(store / "无此文件.json"), data_dir=store, user=ADMIN)
    refused(proc)
    log = (store / "logs" / "station.log").read_text(encoding="utf-8")
    assert "refused input to case" in log and "summary" in log and "refused input to calendar" in log
    assert ID_NUMBER not in log and "无此文件" not in log


def test_a_mistyped_data_dir_is_not_created_by_logging(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-station"
    proc = run_cli("calendar", "import", str(tmp_path / "x.json"), data_dir=missing, user=ADMIN)
    refused(proc)
    assert not missing.exists()


# -- time zones and retries through `case add` ----------------------------------------------


def test_a_received_at_in_utc_is_registered_in_beijing_time(store: Path) -> None:
    data = intake_json(received_at="2025-12-31T16:30:00Z", periods=(("2025-06", "2025-12"),))
    added = json.loads(run_cli("case", "add", data_dir=store, user=ADMIN, stdin=json.dumps(data)).stdout)
    assert added["case_no"].startswith(f"{STATION_CODE}-2026-")  # 2026-01-01 00:30 in Mohe
    shown = json.loads(run_cli("case", "show", added["case_no"], "--json", data_dir=store, user=ADMIN).stdout)
    assert json.dumps(shown).count("2026-01-01T00:30:00+08:00") >= 1
    due = run_cli("calendar", "add-working-days", "2026-01-01", "1").stdout.strip()
    assert shown["summary"]["due_date"] == due if "summary" in shown else due in json.dumps(shown)


def test_a_retried_case_add_returns_the_first_result(store: Path) -> None:
    data = intake_json(id_number=ID_NUMBER)
    data["intake_uuid"] = "0b7e3f52-3c1d-4d52-9a7e-1f5a4e2b6c11"
    first = run_cli("case", "add", data_dir=store, user=ADMIN, stdin=json.dumps(data))
    assert first.returncode == 0, first.stderr
    before = stored_state(store)
    again = run_cli("case", "add", data_dir=store, user=ADMIN, stdin=json.dumps(data))
    assert again.returncode == 0 and json.loads(again.stdout) == json.loads(first.stdout)
    assert stored_state(store) == before
    data["summary"] = "另一件事。"
    assert refused(run_cli("case", "add", data_dir=store, user=ADMIN, stdin=json.dumps(data)))["fields"] == {
        "intake_uuid": "该受理编号已用于另一份受理信息"
    }
    listed = json.loads(run_cli("case", "list", "--json", data_dir=store, user=ADMIN).stdout)
    assert len(listed) == 1


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000,
        '{"years": [2026], "days": {"2026-01-01": NaN}}',
        '{"years": [9999], "days": {"9999-01-01": "holiday"}}',
        '{"years": [1], "days": {"0001-01-01": "holiday"}}',
        '{"years": [2026], "days": {"2026-01-01": "holiday\\u0000"}}',
        "date,kind\n0001-01-01,holiday\n",
    ],
)
def test_calendar_import_refuses_hostile_content(store: Path, tmp_path: Path, content: str) -> None:
    before = stored_state(store)
    path = tmp_path / "schedule.json"
    path.write_text(content, encoding="utf-8")
    refused(run_cli("calendar", "import", str(path), data_dir=store, user=ADMIN))
    assert stored_state(store) == before


# -- texts and bytes on the command line and in the environment ----------------------------


def test_texts_given_as_arguments_are_refused_like_texts_read_from_stdin(store: Path, tmp_path: Path) -> None:
    before = stored_state(store)
    new_user = cli_env(STATION_NEW_PASSWORD="quiet-larch-river-7")
    for args, field in (
        (("disclosure", "approve", "--to", "tax", "--purpose", "核查\u202e用途"), "purpose"),
        (("disclosure", "approve", "--to", "tax", "--purpose", "核查\u001b[2J用途"), "purpose"),
        (("disclosure", "approve", "--to", "tax", "--purpose", "核查\u2028用途"), "purpose"),
        (("users", "add", "lisi", "--display-name", "李\u200f四"), "display_name"),
        (("users", "add", "lisi", "--display-name", "李\n四"), "display_name"),
        (("audit", "accept-rollback", "--reason", "备份\u202e已找不到"), "reason"),
    ):
        proc = run_cli(*args, data_dir=store, user=ADMIN, env=new_user)
        assert list(refused(proc)["fields"]) == [field], args
    assert stored_state(store) == before
    for name in ("西林吉镇\u202e调解站", "西林吉镇\n调解站", "西林吉镇\u0007调解站"):
        proc = run_cli("init", "--station-code", STATION_CODE, "--station-name", name, "--town-code", "232701100",
                       "--admin", ADMIN, data_dir=tmp_path / "new")  # fmt: skip
        assert list(refused(proc)["fields"]) == ["station_name"]
        assert not (tmp_path / "new").exists()


def _raw_run(argv: list[str], *, env: dict[str, str] | None = None, close: int | None = None) -> Any:
    def closing() -> None:
        if close is not None:
            os.close(close)

    return subprocess.run([sys.executable, "-m", "station_launcher", *argv], capture_output=True, cwd=ROOT,
                          env=env or cli_env(), timeout=60, start_new_session=True, preexec_fn=closing)  # fmt: skip


def test_arguments_and_settings_that_are_not_utf8_are_refused(store: Path) -> None:
    before = stored_state(store)
    not_utf8 = os.fsdecode(b"\xff\xfe")  # how Python hands such bytes over
    at = ["--data-dir", str(store), "--user", ADMIN]
    body = refused(_raw_run([*at, "case", "show", not_utf8, "--json"]))
    assert body["fields"] == {"arguments": "命令行参数不是有效的UTF-8文本"}
    assert list(refused(_raw_run([*at, "case", "list"], env=cli_env(not_utf8)))["fields"]) == ["password"]
    body = refused(_raw_run(["--data-dir", str(store), "case", "list"], env=cli_env(STATION_USER=not_utf8)))
    assert list(body["fields"]) == ["user"]
    assert stored_state(store) == before


def test_a_closed_stdin_is_empty_input_and_a_closed_stdout_runs_nothing(store: Path) -> None:
    before = stored_state(store)
    at = ["--data-dir", str(store), "--user", ADMIN]
    for argv in (["route"], [*at, "case", "add"], [*at, "paper", "verify"]):
        refused(_raw_run(argv, close=0))
    proc = _raw_run([*at, "case", "add"], close=1)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 1 and "标准输出已关闭" in err and "内部错误" not in err and "Traceback" not in err
    assert stored_state(store) == before


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2999-01-01", "9999-12-31"])
def test_add_working_days_refuses_a_day_outside_a_sane_range(day: str) -> None:
    assert refused(run_cli("calendar", "add-working-days", day, "5", password=None))["fields"] == {
        "date": "日期应在2000-2100年之间"
    }


HIDDEN_IN_URLS = ["http://relay\u202e.example", "http://relay.example/a b", "http://relay.example/\u0007"]


@pytest.mark.parametrize("url", [*HIDDEN_IN_URLS, "https://" + "a" * 3000])
def test_a_relay_address_with_spaces_control_or_hidden_characters_is_refused(store: Path, url: str) -> None:
    proc = run_cli("sync", "run", "--relay", url, data_dir=store, user=ADMIN)
    assert list(refused(proc)["fields"]) == ["relay"]


def test_paper_verify_tells_its_size_bound_as_written(store: Path) -> None:
    body = refused(run_bytes("paper", "verify", stdin=b"S" * 100_000, data_dir=store))
    assert body["fields"] == {"payload": "输入不能超过64KB"}  # it said 0MB


@pytest.mark.parametrize("name", [ID_NUMBER, "13812345678", "wang13812345678"])
def test_an_id_or_a_phone_number_is_refused_as_an_account_name(store: Path, name: str) -> None:
    """An account's name is kept in clear (the key file, the log, every event's author)."""
    env = cli_env(STATION_NEW_PASSWORD="quiet-larch-river-7")
    body = refused(run_cli("users", "add", name, data_dir=store, user=ADMIN, env=env))
    assert list(body["fields"]) == ["name"] and name not in json.dumps(body, ensure_ascii=False)
    assert name.encode() not in (store / "keys.json").read_bytes()
