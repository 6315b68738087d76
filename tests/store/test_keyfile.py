"""keys.json: every hand edit refused with a message naming the value, bounded Argon2id costs,
bound to its store, no unknown names in clear, no temp copies left, no duplicated login rows."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from station_app.clock import FixedClock
from station_app.errors import AuthError
from station_app.services.session import Session, login
from station_app.store.db import read
from station_app.store.station_store import keys_path
from tests.conftest import ADMIN, ADMIN_PASSWORD, ROOT, cli_env, loop_count, run_cli


def _edit(data_dir: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = keys_path(data_dir)
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value

    return change


EDITS = [
    ("users.admin.kdf.t", 3000000),
    ("users.admin.kdf.m", 1 << 30),
    ("users.admin.kdf.p", 0),
    ("users.admin.kdf.m", "65536"),
    ("users.admin.kdf.alg", "pbkdf2"),
    ("users.admin.kdf.salt", "not base64 at all!"),
    ("users.admin.nonce", "AAAA"),
    ("users.admin.wrapped", None),
    ("users.admin.failures", -1),
    ("users.admin.locked_until", "tomorrow"),
    ("users.admin.public.sign", "zz"),
    ("users.admin.store.epk", 7),
    ("users.admin.wrap_v", 3),
    ("lockout.minutes", 0),
    ("lockout.max_failures", True),
    ("station_code", ""),
    ("format", 2),
    ("format", True),
    ("users.admin.kdf.m", -65536),
    ("users.admin.kdf.t", 1e300),
    ("users.admin.kdf", "argon2id"),
    ("station_name", "站" * 1000),
    ("users", []),
    ("attempts", "none"),
]


@pytest.mark.parametrize(("where", "value"), EDITS)
def test_a_hand_edited_value_is_refused_at_once_with_its_name(
    station: Session, data_dir: Path, where: str, value: Any
) -> None:
    station.close()
    _edit(data_dir, _set(where, value))
    started = time.monotonic()
    proc = run_cli("case", "list", "--json", data_dir=data_dir, user=ADMIN)
    assert time.monotonic() - started < 20  # no derivation with absurd costs was started
    assert proc.returncode == 1 and proc.stdout == ""
    message = proc.stderr.strip()
    assert proc.stderr.count("\n") == 1 and "内部错误" not in message and "Traceback" not in message
    assert "keys.json" in message and where in message, message


def test_a_file_that_is_not_json_is_refused_clearly(station: Session, data_dir: Path) -> None:
    station.close()
    keys_path(data_dir).write_bytes(b'{"format": 1, "users": {')
    proc = run_cli("case", "list", "--json", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1 and "keys.json" in proc.stderr and "内部错误" not in proc.stderr


def test_a_key_given_twice_is_refused_clearly(station: Session, data_dir: Path) -> None:
    station.close()
    raw = keys_path(data_dir).read_text(encoding="utf-8")
    keys_path(data_dir).write_text(raw.replace('"users": {', '"users": {}, "users": {', 1), encoding="utf-8")
    proc = run_cli("case", "list", "--json", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1 and "keys.json" in proc.stderr and "内部错误" not in proc.stderr


def test_a_lockout_time_written_without_its_offset_still_reads(station: Session, data_dir: Path) -> None:
    """A hand-written `locked_until` without `+08:00`: a lockout like any other, never an internal error."""
    station.close()
    _edit(data_dir, _set("users.admin.locked_until", "2099-01-01T00:00:00"))
    proc = run_cli("case", "list", "--json", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1 and proc.stderr.strip() == "用户名或密码错误,或账户已被临时锁定"
    _edit(data_dir, _set("users.admin.locked_until", "2001-01-01T00:00:00"))
    assert run_cli("case", "list", "--json", data_dir=data_dir, user=ADMIN).returncode == 0


def test_a_changed_station_code_or_name_is_refused(station: Session, data_dir: Path) -> None:
    station.close()
    _edit(data_dir, _set("station_code", "232701100002"))
    proc = run_cli("case", "list", "--json", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1 and "station_code" in proc.stderr and "内部错误" not in proc.stderr
    _edit(data_dir, _set("station_code", "232701100001"))
    _edit(data_dir, _set("station_name", "另一个调解站"))
    proc = run_cli("case", "list", "--json", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1 and "station_name" in proc.stderr


def test_keys_it_does_not_know_are_kept(station: Session, data_dir: Path, clock: FixedClock) -> None:
    """Another module's entries (a transport key, a recovery wrap) survive every write."""
    station.close()
    _edit(data_dir, _set("transport", {"kind": "ed25519", "wrapped": "..."}))
    with pytest.raises(AuthError):
        login(data_dir, ADMIN, "not-the-password", clock)
    login(data_dir, ADMIN, ADMIN_PASSWORD, clock).close()
    assert json.loads(keys_path(data_dir).read_text(encoding="utf-8"))["transport"]["kind"] == "ed25519"


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_a_name_that_is_not_an_account_is_never_stored_in_clear(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    """A password typed into the name field stays nowhere readable: not in keys.json, not in the
    database's attempts, not in the log files."""
    station.close()
    typed = "Secret-Typed-As-Name-42"
    for _ in range(2):
        proc = run_cli("case", "list", "--json", data_dir=data_dir, user=typed)
        assert proc.returncode == 1
    assert typed.encode() not in _all_bytes(data_dir)
    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    with read(session.store.engine) as conn:
        names = [r[0] for r in conn.execute(text("SELECT user_name FROM login_attempts WHERE NOT ok"))]
    session.close()
    assert len(names) == 2 and names[0] == names[1] and names[0].startswith("?")  # one tag, the same both times
    assert all(typed.lower() not in n.lower() for n in names)


def test_attempts_handed_over_twice_are_stored_once(station: Session, data_dir: Path, clock: FixedClock) -> None:
    """A crash after the attempts reached the database but before keys.json was saved hands
    them over again at the next login: no row is stored twice."""
    station.close()
    for _ in range(3):
        with pytest.raises(AuthError):
            login(data_dir, ADMIN, "not-the-password", clock)
    with_pending = keys_path(data_dir).read_bytes()
    login(data_dir, ADMIN, ADMIN_PASSWORD, clock).close()
    keys_path(data_dir).write_bytes(with_pending)  # as if that save never happened
    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    with read(session.store.engine) as conn:
        rows = conn.execute(text("SELECT user_name, at, ok FROM login_attempts")).all()
    session.close()
    assert sorted(bool(r[2]) for r in rows) == [False, False, False, True, True]


def test_no_temp_copy_of_the_key_file_is_left_after_kills(station: Session, data_dir: Path, clock: FixedClock) -> None:
    """Programs killed while writing keys.json (each failed login rewrites it) leave temp copies;
    the next program that takes the key file's lock removes them, and keys.json stays whole."""
    station.close()
    rng = random.Random(7)
    code = (
        "import sys\n"
        "from datetime import datetime\n"
        "from pathlib import Path\n"
        "from station_app.errors import AuthError\n"
        "from station_app.store.keystore import Keystore\n"
        "ks = Keystore.load(Path(sys.argv[1]) / 'keys.json')\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    try:\n"
        "        ks.unwrap('nobody-here', 'x', datetime.now())\n"
        "    except AuthError:\n"
        "        pass\n"
    )
    left = 0
    for _ in range(loop_count(6, 40)):
        child = subprocess.Popen(
            [sys.executable, "-c", code, str(data_dir)], cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        left += len([p for p in data_dir.iterdir() if p.name.startswith(".tmp-")])
        json.loads(keys_path(data_dir).read_text(encoding="utf-8"))  # whole after every kill
    # and one that surely is there: a writer killed between its temp file and its rename
    import tempfile

    from station_app.store.atomic import temp_prefix

    fd, _ = tempfile.mkstemp(prefix=temp_prefix(keys_path(data_dir)), dir=data_dir)
    os.write(fd, b'{"format": 1, "users": {"half')
    os.close(fd)
    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    session.close()
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".tmp-keys.json")] == [], left
