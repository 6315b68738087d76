"""The command line contract of DESIGN.md, run as real subprocesses.

`python -m station_app.cli` with stdin piped (no terminal) and the password in
STATION_PASSWORD; stores are real SQCipher folders.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from station_app.clock import CHINA_TZ
from station_app.services.session import Session, login
from station_app.store.keystore import GENERIC_LOGIN_ERROR
from station_app.synthetic import make_id, make_uscc
from tests.conftest import ADMIN, ADMIN_PASSWORD, STATION_CODE, cli_env, run_cli, sqlcipher_connect
from tests.factories import NO_FLAGS, intake_json, major_intake, not_accepted_intake

CASE_NO = re.compile(rf"^{STATION_CODE}-\d{{4}}-\d{{6}}$")


def design_example() -> dict[str, Any]:
    """The intake JSON of DESIGN.md, with valid identifiers where it shows "…"."""
    import random

    rng = random.Random(1)
    return {
        "received_at": "2025-11-20T09:30:00+08:00",
        "channel": "visit",
        "town_code": "232701100",
        "applicant": {
            "kind": "person",
            "name": "张三",
            "id_number": make_id(rng, region="232723"),
            "phone": "13845678901",
        },
        "respondent": {"kind": "employer", "name": "漠河市北极林业有限公司", "uscc": make_uscc(rng)},
        "category": 4,
        "insurance_types": ["pension"],
        "periods": [{"from": "2023-10", "to": "2024-06"}],
        "amount_claimed": "12000.00",
        "group_size": 1,
        "summary": "单位少报缴费基数。",
        "claim": "请求补缴。",
        "flags": dict(NO_FLAGS),
    }


def one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1, repr(text)
    assert "Traceback" not in text
    return text.strip()


def ok_json(proc: Any) -> Any:
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    return json.loads(proc.stdout)


def refused_json(proc: Any) -> dict[str, Any]:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    out = json.loads(proc.stdout)
    assert set(out) == {"error", "fields"} and isinstance(out["error"], str) and out["fields"]
    assert "Traceback" not in proc.stderr
    return out


@pytest.fixture
def store(station: Session, data_dir: Path) -> Path:
    """A station folder (admin / ADMIN_PASSWORD), closed so that only the CLI uses it."""
    station.close()
    return data_dir


def cli(store: Path, *args: str, stdin: str = "", **kw: Any) -> Any:
    return run_cli(*args, data_dir=store, user=kw.pop("user", ADMIN), stdin=stdin, **kw)


# -- init ----------------------------------------------------------------------------------

INIT = [
    "init",
    "--station-code",
    STATION_CODE,
    "--station-name",
    "西林吉镇调解站",
    "--town-code",
    "232701100",
    "--admin",
    ADMIN,
]


def test_init_makes_a_station(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    out = ok_json(run_cli(*INIT, data_dir=folder))
    assert out["station_code"] == STATION_CODE and out["admin"] == ADMIN
    assert out["station_name"] == "西林吉镇调解站"
    assert (folder / "station.db").exists() and (folder / "keys.json").exists()
    users = ok_json(run_cli("users", "list", data_dir=folder, user=ADMIN))
    assert users == [{"name": ADMIN, "role": "admin", "active": True, "locked_until": None}]
    # a second init into the same folder is refused and changes nothing
    before = (folder / "keys.json").read_bytes()
    again = run_cli(*INIT, data_dir=folder)
    assert again.returncode == 1 and one_line(again.stderr)
    assert (folder / "keys.json").read_bytes() == before


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--station-code", "23270110", "station_code"),
        ("--station-code", "ABCDEFGHIJKL", "station_code"),
        ("--town-code", "2327", "town_code"),
        ("--station-name", " ", "station_name"),
    ],
)
def test_init_refuses_bad_input_and_creates_nothing(tmp_path: Path, flag: str, value: str, field: str) -> None:
    argv = list(INIT)
    argv[argv.index(flag) + 1] = value
    folder = tmp_path / "new"
    out = refused_json(run_cli(*argv, data_dir=folder))
    assert field in out["fields"]
    assert not folder.exists()


def test_init_refuses_a_short_password_and_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    out = refused_json(run_cli(*INIT, data_dir=folder, password="short"))
    assert set(out["fields"]) == {"password"}
    assert not folder.exists()


# -- route ---------------------------------------------------------------------------------


def test_route_the_design_example(tmp_path: Path) -> None:
    out = ok_json(run_cli("route", stdin=json.dumps(design_example(), ensure_ascii=False), password=None))
    assert set(out) == {"track", "lead", "co", "reasons"}
    assert (out["track"], out["lead"], out["co"]) == ("joint", "tax", ["hrss"])
    assert out["reasons"] and all(isinstance(r, str) and r for r in out["reasons"])
    assert any("2024-04-01" in r for r in out["reasons"])
    # with --data-dir the store's settings are used: a missing store is an error
    missing = run_cli(
        "route", stdin=json.dumps(design_example(), ensure_ascii=False), data_dir=tmp_path / "none", password=None
    )
    assert missing.returncode == 1 and "初始化" in missing.stderr


def test_route_not_accepted_has_a_null_lead() -> None:
    out = ok_json(run_cli("route", stdin=json.dumps(not_accepted_intake(), ensure_ascii=False), password=None))
    assert out["track"] == "not_accepted" and out["lead"] is None and out["co"] == []


def test_route_co_handlers_are_sorted() -> None:
    data = major_intake(types=("pension", "medical"), periods=(("2023-10", "2024-06"),))
    data["flags"].update(online_opinion=True, repeat_petition=True, compulsory_enforcement=True)
    out = ok_json(run_cli("route", stdin=json.dumps(data, ensure_ascii=False), password=None))
    assert out["track"] == "major" and out["lead"] == "tax"
    assert out["co"] == sorted(out["co"])
    assert {"hrss", "medical", "court", "cyberspace", "petition", "justice"} <= set(out["co"])


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["applicant"].update(id_number="232723197003051230"), "applicant.id_number"),
        (lambda d: d["applicant"].update(phone="1234"), "applicant.phone"),
        (lambda d: d["respondent"].update(uscc="91232723MA1B2C3D4X"), "respondent.uscc"),
        (lambda d: d.update(category=10), "category"),
        (lambda d: d.update(periods=[]), "periods"),
        (lambda d: d.update(channel="fax"), "channel"),
        (lambda d: d.pop("received_at"), "received_at"),
        (lambda d: d.update(surprise=1), "surprise"),
    ],
)
def test_route_refuses_invalid_input_naming_the_field(mutate: Any, field: str) -> None:
    data = design_example()
    mutate(data)
    out = refused_json(run_cli("route", stdin=json.dumps(data, ensure_ascii=False), password=None))
    assert field in out["fields"], out


@pytest.mark.parametrize("stdin", ["", "not json", "[1, 2]", "42"])
def test_route_refuses_what_is_not_an_intake_object(stdin: str) -> None:
    refused_json(run_cli("route", stdin=stdin, password=None))


# -- case add / list / show ----------------------------------------------------------------


def test_case_add_prints_number_uuid_and_routing(store: Path) -> None:
    out = ok_json(cli(store, "case", "add", stdin=json.dumps(design_example(), ensure_ascii=False)))
    assert set(out) == {"case_no", "uuid", "routing"}
    assert CASE_NO.match(out["case_no"]) and out["case_no"].endswith("-2025-000001")
    assert re.fullmatch(r"[0-9a-f-]{36}", out["uuid"])
    assert out["routing"]["track"] == "joint" and out["routing"]["co"] == ["hrss"]
    listed = ok_json(cli(store, "case", "list", "--json"))
    assert [c["case_no"] for c in listed] == [out["case_no"]]
    assert listed[0]["uuid"] == out["uuid"]


def test_case_add_refuses_invalid_input_and_stores_nothing(store: Path) -> None:
    data = design_example()
    data["applicant"]["id_number"] = "232723197003051230"
    out = refused_json(cli(store, "case", "add", stdin=json.dumps(data, ensure_ascii=False)))
    assert "applicant.id_number" in out["fields"]
    # refused before unlocking: no password needed to be told what is wrong
    refused_json(cli(store, "case", "add", stdin="{}", password=None))
    assert ok_json(cli(store, "case", "list", "--json")) == []
    assert ok_json(cli(store, "audit", "verify"))["events"] == 3  # init's events only


def test_case_list_search_status_overdue(store: Path) -> None:
    now = datetime.now(CHINA_TZ).isoformat(timespec="seconds")
    added = {}
    for name, received in (("张伟", "2025-11-20T09:30:00+08:00"), ("李娜", now), ("王芳", now)):
        data = intake_json(name=name, received_at=received)
        added[name] = ok_json(cli(store, "case", "add", stdin=json.dumps(data, ensure_ascii=False)))["case_no"]
    ok_json(cli(store, "case", "act", added["王芳"], "route", stdin="{}"))

    everything = ok_json(cli(store, "case", "list", "--json"))
    assert {c["case_no"] for c in everything} == set(added.values())
    assert {"case_no", "uuid", "status", "track", "lead", "due_date", "applicant"} <= set(everything[0])

    by_name = ok_json(cli(store, "case", "list", "--search", "张伟", "--json"))
    assert [c["case_no"] for c in by_name] == [added["张伟"]]
    by_initials = ok_json(cli(store, "case", "list", "--search", "ln", "--json"))
    assert [c["case_no"] for c in by_initials] == [added["李娜"]]

    routed = ok_json(cli(store, "case", "list", "--status", "routed", "--json"))
    assert [c["case_no"] for c in routed] == [added["王芳"]]
    registered = ok_json(cli(store, "case", "list", "--status", "registered", "--json"))
    assert {c["case_no"] for c in registered} == {added["张伟"], added["李娜"]}

    overdue = ok_json(cli(store, "case", "list", "--overdue", "--json"))
    assert [c["case_no"] for c in overdue] == [added["张伟"]]  # received a year ago, due next working day
    assert overdue[0]["deadline_state"] == "overdue"
    combined = ok_json(cli(store, "case", "list", "--overdue", "--search", "李娜", "--json"))
    assert combined == []

    out = refused_json(cli(store, "case", "list", "--status", "bogus", "--json"))
    assert "status" in out["fields"]


def test_case_list_search_finds_traditional_names_by_simplified_ones(store: Path) -> None:
    added = {}
    for name in ("張偉", "欧阳修"):
        data = intake_json(name=name)
        added[name] = ok_json(cli(store, "case", "add", stdin=json.dumps(data, ensure_ascii=False)))["case_no"]
    for query, name in (("张伟", "張偉"), ("張偉", "張偉"), ("歐陽修", "欧阳修"), ("歐陽", "欧阳修")):
        found = ok_json(cli(store, "case", "list", "--search", query, "--json"))
        assert [c["case_no"] for c in found] == [added[name]], query


def test_case_show_json_and_unknown_case(store: Path) -> None:
    added = ok_json(cli(store, "case", "add", stdin=json.dumps(design_example(), ensure_ascii=False)))
    shown = ok_json(cli(store, "case", "show", added["case_no"], "--json"))
    assert shown["case_no"] == added["case_no"] and shown["uuid"] == added["uuid"]
    assert shown["status"] == "registered"
    assert shown["routing"] == added["routing"]
    assert shown["intake"]["applicant"]["name"] == "张三"
    assert [t["type"] for t in shown["timeline"]] == ["case_registered"]
    assert "route" in shown["allowed_actions"]
    by_uuid = ok_json(cli(store, "case", "show", added["uuid"], "--json"))
    assert by_uuid["case_no"] == added["case_no"]

    missing = cli(store, "case", "show", f"{STATION_CODE}-2025-999999", "--json")
    assert missing.returncode == 1 and missing.stdout == ""
    assert one_line(missing.stderr) == "未找到该案件"


def test_case_act_runs_a_lifecycle_action(store: Path) -> None:
    no = ok_json(cli(store, "case", "add", stdin=json.dumps(design_example(), ensure_ascii=False)))["case_no"]
    assert ok_json(cli(store, "case", "act", no, "route", stdin="{}"))["status"] == "routed"
    out = refused_json(cli(store, "case", "act", no, "opinion", stdin='{"dept": "tax"}'))
    assert "text" in out["fields"]
    wrong = cli(store, "case", "act", no, "archive", stdin="{}")
    assert wrong.returncode == 1 and one_line(wrong.stderr)


# -- audit ---------------------------------------------------------------------------------


def test_audit_verify_ok_then_broken(store: Path) -> None:
    ok_json(cli(store, "case", "add", stdin=json.dumps(design_example(), ensure_ascii=False)))
    out = ok_json(cli(store, "audit", "verify"))
    assert out == {"ok": True, "events": 4, "integrity": {"cipher_integrity_check": [], "integrity_check": []}}
    session = login(store, ADMIN, ADMIN_PASSWORD)
    key = session.store.key
    session.close()
    conn = sqlcipher_connect(store / "station.db", key)
    conn.execute("UPDATE events SET author = 'mallory' WHERE seq = 2")
    conn.close()
    broken = cli(store, "audit", "verify")
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["ok"] is False and report["bad_seq"] == 2 and report["reason"]


# -- calendar ------------------------------------------------------------------------------


def test_calendar_add_working_days() -> None:
    proc = run_cli("calendar", "add-working-days", "2025-09-26", "5", password=None)
    assert proc.returncode == 0 and proc.stdout == "2025-10-10\n"
    proc = run_cli("calendar", "add-working-days", "2026-02-13", "1", password=None)
    assert proc.stdout == "2026-02-14\n"  # an adjusted working Saturday before the Spring Festival
    bad = refused_json(run_cli("calendar", "add-working-days", "2025-13-01", "5", password=None))
    assert "date" in bad["fields"]


# -- users ---------------------------------------------------------------------------------


def test_users_add_passwd_unlock_list(store: Path) -> None:
    env = cli_env(ADMIN_PASSWORD, STATION_NEW_PASSWORD="first-secret-71")
    added = run_cli("users", "add", "wang", "--role", "head", data_dir=store, user=ADMIN, env=env)
    assert ok_json(added) == {"name": "wang", "role": "head"}
    listed = ok_json(cli(store, "users", "list"))
    assert {u["name"]: u["role"] for u in listed} == {ADMIN: "admin", "wang": "head"}
    ok_json(cli(store, "case", "list", "--json", user="wang", password="first-secret-71"))

    # refused input names the field and adds nobody
    short = cli_env(ADMIN_PASSWORD, STATION_NEW_PASSWORD="short")
    assert "password" in refused_json(run_cli("users", "add", "li", data_dir=store, user=ADMIN, env=short))["fields"]
    assert (
        "role"
        in refused_json(run_cli("users", "add", "li", "--role", "boss", data_dir=store, user=ADMIN, env=env))["fields"]
    )
    assert "name" in refused_json(run_cli("users", "add", "bad name!", data_dir=store, user=ADMIN, env=env))["fields"]
    assert "name" in refused_json(run_cli("users", "add", "wang", data_dir=store, user=ADMIN, env=env))["fields"]
    assert len(ok_json(cli(store, "users", "list"))) == 2

    # an admin changes wang's password: the old one stops working
    env2 = cli_env(ADMIN_PASSWORD, STATION_NEW_PASSWORD="second-secret-82")
    assert ok_json(run_cli("users", "passwd", "wang", data_dir=store, user=ADMIN, env=env2)) == {
        "name": "wang",
        "password_changed": True,
    }
    old = cli(store, "case", "list", "--json", user="wang", password="first-secret-71")
    assert old.returncode == 1 and one_line(old.stderr) == GENERIC_LOGIN_ERROR
    ok_json(cli(store, "case", "list", "--json", user="wang", password="second-secret-82"))

    # five failures lock wang out (real clock), the right password is refused, unlock clears it
    for _ in range(4):
        assert cli(store, "users", "list", user="wang", password="wrong-password").returncode == 1
    locked = cli(store, "users", "list", user="wang", password="wrong-password")
    assert locked.returncode == 1 and one_line(locked.stderr) == GENERIC_LOGIN_ERROR
    refused = cli(store, "users", "list", user="wang", password="second-secret-82")
    assert refused.returncode == 1 and one_line(refused.stderr) == GENERIC_LOGIN_ERROR
    [wang] = [u for u in ok_json(cli(store, "users", "list")) if u["name"] == "wang"]
    assert wang["locked_until"] is not None
    assert ok_json(cli(store, "users", "unlock", "wang")) == {"name": "wang", "unlocked": True}
    listed = ok_json(cli(store, "users", "list", user="wang", password="second-secret-82"))
    assert all(u["locked_until"] is None for u in listed)

    missing = cli(store, "users", "unlock", "nobody")
    assert missing.returncode == 1 and one_line(missing.stderr)


def test_a_worker_cannot_add_users(store: Path) -> None:
    env = cli_env(ADMIN_PASSWORD, STATION_NEW_PASSWORD="worker-pass-1")
    ok_json(run_cli("users", "add", "zhao", data_dir=store, user=ADMIN, env=env))
    env = cli_env("worker-pass-1", STATION_NEW_PASSWORD="sneaky-pass-1")
    proc = run_cli("users", "add", "qian", "--role", "admin", data_dir=store, user="zhao", env=env)
    assert proc.returncode == 1 and one_line(proc.stderr)
    assert len(ok_json(cli(store, "users", "list"))) == 2


# -- passwords never from argv ---------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--password", ADMIN_PASSWORD, "case", "list", "--json"],
        ["case", "list", "--json", "--password", ADMIN_PASSWORD],
        ["users", "add", "li", "--password", "li-pass-123"],
        ["users", "passwd", ADMIN, "--password", "new-pass-123"],
        [*INIT, "--password", ADMIN_PASSWORD],
    ],
)
def test_a_password_option_is_rejected_by_argparse(store: Path, argv: list[str]) -> None:
    proc = run_cli(*argv, data_dir=store, password=None)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: station-app")  # argparse refused it; nothing ran
    assert refused_json(proc)["fields"]
    secret = argv[argv.index("--password") + 1]
    assert secret not in proc.stdout and secret not in proc.stderr  # the value is never echoed


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["calendar", "add-working-days", "2025-09-26", "x"], "days"),
        (["case", "show"], "case_no"),
        (["case", "list", "--search"], "search"),
        (["init", "--station-code", "232701100001"], "station_name"),
        (["nonsense"], "command"),
        (["case", "list", "232723197003053319"], "arguments"),
        (["case", "list", "--phone=232723197003053319"], "arguments"),
        (["case", "list", "-232723197003053319"], "arguments"),
    ],
)
def test_usage_errors_are_refused_input_naming_the_field(argv: list[str], field: str) -> None:
    proc = run_cli(*argv, password=None)
    bad = refused_json(proc)
    assert field in bad["fields"]
    assert "232723197003053319" not in proc.stdout + proc.stderr  # a stray ID number is not echoed


def test_no_option_of_any_command_takes_a_password() -> None:
    import argparse

    from station_app.cli import build_parser

    def options(parser: argparse.ArgumentParser) -> list[str]:
        found: list[str] = []
        for action in parser._actions:
            found += action.option_strings
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found += options(sub)
        return found

    every = options(build_parser())
    assert "--data-dir" in every and "--search" in every  # the walk reaches the subcommands
    assert not [o for o in every if "pass" in o.lower() or o.lower() in ("-p", "--pw", "--pwd")]


def test_without_password_or_terminal_the_cli_fails_in_one_line(store: Path) -> None:
    proc = cli(store, "case", "list", "--json", password=None)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "STATION_PASSWORD" in one_line(proc.stderr)


def test_a_missing_station_is_one_line(tmp_path: Path) -> None:
    proc = run_cli("case", "list", "--json", data_dir=tmp_path / "nothing", user=ADMIN)
    assert proc.returncode == 1 and one_line(proc.stderr)
