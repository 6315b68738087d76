"""The password policy (NIST SP 800-63B): the same refusal from init, users add, passwd and the service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.domain import password_policy
from station_app.errors import ValidationError
from station_app.services.session import Session, login
from station_app.services.user_service import add_user, change_password, list_users
from station_app.store.station_store import keys_path
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, STATION_CODE, STATION_NAME, TOWN_CODE, cli_env, run_cli

WEAK = {
    "12345678": password_policy.SEQUENCE,
    "password": password_policy.COMMON,
    " " * 8: password_policy.REPEATED,
    "mohe2025": password_policy.CONTEXT,
    "Password2025": password_policy.COMMON,
    "p@ssw0rd!": password_policy.COMMON,
    "qwertyuiop": password_policy.SEQUENCE,
    "abcabcabc": password_policy.REPEATED,
    "short": password_policy.TOO_SHORT,
    f"x{STATION_CODE}": password_policy.CONTEXT,
    "西林吉镇社保费争议调解站": password_policy.CONTEXT,
    STATION_CODE: password_policy.CONTEXT,
    "西林吉镇1234": password_policy.CONTEXT,  # a part of the station's name
    "m0he2025": password_policy.CONTEXT,  # the city's name in look-alikes
    "ehom-2025": password_policy.CONTEXT,  # reversed
    "!@#$%^&*": password_policy.SEQUENCE,  # the digit row with Shift
    "mnbvcxza": password_policy.SEQUENCE,  # a keyboard walk and one more key
    "asdf;lkj": password_policy.SEQUENCE,
    "19900101": password_policy.GUESSABLE_NUMBER,  # a birthday
    "1990-01-01": password_policy.GUESSABLE_NUMBER,
    "13845671234": password_policy.GUESSABLE_NUMBER,  # a mobile number
}


def _init(tmp: Path, password: str, admin: str = ADMIN) -> object:
    return run_cli(
        "init", "--station-code", STATION_CODE, "--station-name", STATION_NAME, "--town-code", TOWN_CODE,
        "--admin", admin, data_dir=tmp, password=password,
    )  # fmt: skip


@pytest.mark.parametrize("password", ["12345678", "password", " " * 8, "mohe2025"])
def test_init_refuses_common_repeated_sequential_and_city_passwords(tmp_path: Path, password: str) -> None:
    proc = _init(tmp_path / "s", password)
    assert proc.returncode == 2, proc.stderr
    out = json.loads(proc.stdout)
    assert out["fields"] == {"password": WEAK[password]}
    assert not keys_path(tmp_path / "s").exists()  # nothing stored


def test_init_refuses_a_password_holding_the_admin_name(tmp_path: Path) -> None:
    proc = _init(tmp_path / "s", "zhanzhang-secret-9", admin="zhanzhang")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["fields"] == {"password": password_policy.CONTEXT}
    ok = _init(tmp_path / "t", "quiet-larch-river-7", admin="zhanzhang")
    assert ok.returncode == 0, ok.stderr


def test_users_add_and_passwd_refuse_weak_passwords_and_store_nothing(station: Session, data_dir: Path) -> None:
    station.close()
    for weak, why in (("password", password_policy.COMMON), ("wangxiao-2025", password_policy.CONTEXT)):
        env = cli_env(ADMIN_PASSWORD, STATION_NEW_PASSWORD=weak)
        proc = run_cli("users", "add", "wangxiao", data_dir=data_dir, user=ADMIN, env=env)
        assert proc.returncode == 2 and json.loads(proc.stdout)["fields"] == {"password": why}
    listed = json.loads(run_cli("users", "list", data_dir=data_dir, user=ADMIN).stdout)
    assert [u["name"] for u in listed] == [ADMIN]
    env = cli_env(ADMIN_PASSWORD, STATION_NEW_PASSWORD="12345678")
    proc = run_cli("users", "passwd", ADMIN, data_dir=data_dir, user=ADMIN, env=env)
    assert proc.returncode == 2 and json.loads(proc.stdout)["fields"] == {"password": password_policy.SEQUENCE}
    assert run_cli("users", "list", data_dir=data_dir, user=ADMIN).returncode == 0  # the old password still works


def test_the_service_gives_each_kind_its_message(station: Session) -> None:
    for weak, why in WEAK.items():
        with pytest.raises(ValidationError) as info:
            add_user(station, "liuyang", "worker", weak, kdf=FAST_KDF)
        assert info.value.fields == {"password": why}, weak
        with pytest.raises(ValidationError) as info:
            change_password(station, ADMIN, weak, kdf=FAST_KDF)
        assert info.value.fields == {"password": why}, weak
    with pytest.raises(ValidationError) as info:  # the display name is a context word too
        add_user(station, "liuyang", "worker", "刘洋的密码又长又安全", "刘洋", FAST_KDF)
    assert info.value.fields == {"password": password_policy.CONTEXT}
    assert [u.name for u in list_users(station)] == [ADMIN]


@pytest.mark.parametrize(
    "password", ["ilgnaw-2025", "wang1li2-desk", "w4ngl1-desk", "WANG-li-88", "王丽的钥匙很长很长"]
)
def test_the_account_name_reversed_with_digits_or_look_alikes_is_refused(station: Session, password: str) -> None:
    with pytest.raises(ValidationError) as info:
        add_user(station, "wangli", "worker", password, "王丽", FAST_KDF)
    assert info.value.fields == {"password": password_policy.CONTEXT}
    add_user(station, "zhaogang", "worker", password, "赵刚", FAST_KDF)  # fine for another account


def test_users_add_refuses_the_name_reversed_and_a_keyboard_walk(station: Session, data_dir: Path) -> None:
    station.close()
    for weak, why in (("ilgnaw-2025", password_policy.CONTEXT), ("mnbvcxza", password_policy.SEQUENCE)):
        env = cli_env(ADMIN_PASSWORD, STATION_NEW_PASSWORD=weak)
        proc = run_cli("users", "add", "wangli", data_dir=data_dir, user=ADMIN, env=env)
        assert proc.returncode == 2 and json.loads(proc.stdout)["fields"] == {"password": why}


def test_long_passphrases_without_composition_rules_are_accepted(station: Session, data_dir: Path) -> None:
    clock = FixedClock(station.clock.now())
    for name, phrase in (("liuyang", "correct horse battery staple"), ("chenjing", "林海雪原八点开门")):
        add_user(station, name, "worker", phrase, kdf=FAST_KDF)
        login(data_dir, name, phrase, clock).close()


def test_the_fixed_passwords_of_the_test_suite_pass_the_policy() -> None:
    from tests.services.test_policy_lifecycle import HEAD_PASSWORD
    from tests.store.test_keys import WORKER, WORKER_PASSWORD
    from tests.ui.conftest import HEAD
    from tests.ui.conftest import PASSWORD as UI_PASSWORD
    from tests.ui.conftest import WORKER as UI_WORKER

    context = (STATION_CODE, STATION_NAME, TOWN_CODE)
    for user, password in (
        (ADMIN, ADMIN_PASSWORD),
        (WORKER, WORKER_PASSWORD),
        (UI_WORKER, UI_PASSWORD),
        (HEAD, UI_PASSWORD),
        ("zhanzhang", HEAD_PASSWORD),
        ("shouliyuan", "worker-pass-123"),
    ):
        assert password_policy.password_problem(password, user=user, context=context) is None, (user, password)
