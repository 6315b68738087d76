"""A path named where a file is expected that is no file to read: a folder, a named pipe, a
device, a missing file, a link that loops, a file without read permission or one far too large.
Every command that reads a named file refuses it with exit 2 and the field named, at once (a
pipe or a device used to hang it), and nothing stored changes.

Real subprocesses on a real encrypted store; the unreadable file is read by a process that
keeps root's user id but not its power to read every file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from station_app.services.session import Session
from tests.cli.test_hostile_input import refused, stored_state
from tests.conftest import ADMIN, ADMIN_PASSWORD, ROOT, cli_env, run_cli

# Drops only the capabilities that let root read any file: the file's mode bits count again.
NO_READ_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                    "--bounding-set=-dac_override,-dac_read_search"]  # fmt: skip


def _folder(p: Path) -> None:
    p.mkdir()


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _device(p: Path) -> None:
    p.symlink_to("/dev/zero")


def _loop(p: Path) -> None:
    p.symlink_to(p.name)


def _unreadable(p: Path) -> None:
    p.write_text('{"format": 1}', encoding="utf-8")
    p.chmod(0)


def _huge(p: Path) -> None:
    with open(p, "wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: no disk used


KINDS: dict[str, Callable[[Path], None]] = {
    "folder": _folder,
    "fifo": _fifo,
    "device": _device,
    "missing": lambda p: None,
    "link loop": _loop,
    "unreadable": _unreadable,
    "huge": _huge,
}
# (command line with FILE for the path, the field its refusal names)
COMMANDS: list[tuple[tuple[str, ...], str]] = [
    (("calendar", "import", "FILE"), "file"),
    (("sync", "import", "FILE"), "path"),
    (("sync", "bind", "--provision", "FILE"), "provision"),
    (("city", "enroll", "FILE"), "file"),
    (("recovery", "apply", "FILE", "--admin", "newadmin"), "response"),
]


def _run(args: list[str], data_dir: Path, *, unprivileged: bool) -> subprocess.CompletedProcess[str]:
    env = cli_env(ADMIN_PASSWORD, STATION_NEW_PASSWORD="a-new-admin-passphrase-7")  # `recovery apply` asks for one
    if not unprivileged:
        return run_cli(*args, data_dir=data_dir, user=ADMIN, env=env, timeout=60)
    argv = [*NO_READ_OVERRIDE, sys.executable, "-m", "station_launcher", "--data-dir", str(data_dir), "--user", ADMIN]
    return subprocess.run([*argv, *args], input="", capture_output=True, text=True, encoding="utf-8", cwd=ROOT,
                          env=env, timeout=60, start_new_session=True)  # fmt: skip


@pytest.fixture
def store(station: Session, data_dir: Path) -> Path:
    station.close()
    return data_dir


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_file_reading_command_refuses_what_is_no_file(store: Path, tmp_path: Path, kind: str) -> None:
    before = stored_state(store)
    path = tmp_path / f"named-{kind.replace(' ', '-')}.json"
    KINDS[kind](path)
    for command, field in COMMANDS:
        if kind == "folder" and command[:2] == ("sync", "import"):
            continue  # a folder of bundles is what `sync import` also takes
        args = [str(path) if a == "FILE" else a for a in command]
        proc = _run(args, store, unprivileged=kind == "unreadable")
        body: dict[str, Any] = refused(proc)
        fields = body["fields"]
        if kind == "huge" and command[:2] == ("sync", "import"):
            assert list(fields) == ["bundle"], (command, fields)  # read as a bundle: not one
        else:
            assert list(fields) == [field], (command, kind, fields)
        assert str(path) not in proc.stdout + proc.stderr
    assert stored_state(store) == before


@pytest.mark.parametrize("kind", ["folder", "fifo", "device", "missing", "link loop"])
def test_restore_refuses_what_is_no_backup_file_before_anything_changes(store: Path, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "station.stbak"
    KINDS[kind](path)
    before = stored_state(store)
    proc = run_cli("restore", str(path), "--yes", data_dir=store, user=ADMIN, timeout=60)
    assert list(refused(proc)["fields"]) == ["file"]
    assert not [p for p in store.iterdir() if p.name.startswith("replaced-")]  # nothing moved aside
    assert stored_state(store) == before


@pytest.mark.parametrize("name", ["keys.json", "station.anchor", "keys.lock", "logs/station.log"])
@pytest.mark.parametrize("make", [_fifo, _folder], ids=["fifo", "folder"])
def test_a_pipe_or_a_folder_in_place_of_a_store_file_is_told_at_once(
    store: Path, name: str, make: Callable[[Path], None]
) -> None:
    """Never a hang (a pipe blocked the open) nor an internal error: the command works without
    the file it can do without (the log, the lock's pipe), or says in one line which one it is."""
    run_cli("case", "list", data_dir=store, user=ADMIN)  # the log folder and the lock exist
    path = store / name
    saved = path.read_bytes()
    path.unlink()
    make(path)
    proc = run_cli("case", "list", "--json", data_dir=store, user=ADMIN, timeout=60)
    assert "内部错误" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    if name in ("logs/station.log",) or (name == "keys.lock" and make is _fifo):
        assert proc.returncode == 0 and json.loads(proc.stdout) == [], proc.stderr
    else:
        assert proc.returncode == 1 and proc.stdout == "" and proc.stderr.count("\n") == 1, proc.stderr
        assert Path(name).name in proc.stderr
    path.unlink() if make is _fifo else path.rmdir()
    path.write_bytes(saved)
    path.chmod(0o600)
    listed = run_cli("case", "list", "--json", data_dir=store, user=ADMIN)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
