"""The README's "Running the relay for a city", followed as written: the systemd unit's command
line serves (its SQLite variant, without `--db`), and `relay migrate --from` names the very file
that unit wrote, so the move to PostgreSQL carries the mailboxes over."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from sync.relay.pgtemp import TempPostgres
from sync.relay_client import RelayClient
from tests.conftest import ROOT, cli_env
from tests.relay.conftest import STATION_A, ed, keyring_bytes, make_bundle, start_relay

SECTION = "## Running the relay for a city"


def _section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in readme
    return readme.split(SECTION, 1)[1].split("\n## ", 1)[0]


def _command(section: str, start: str) -> list[str]:
    """The shell words of the command line beginning with `start`, its continuation lines joined."""
    match = re.search(re.escape(start) + r"(?:[^\n]*\\\n)*[^\n]*", section)
    assert match is not None, start
    return shlex.split(match[0].removeprefix(start).replace("\\\n", " "))


def _option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


def _without(words: list[str], name: str) -> list[str]:
    at = words.index(name)
    return words[:at] + words[at + 2 :]


def test_the_readme_unit_serves_and_migrate_reads_the_file_it_wrote(tmp_path: Path, postgres: TempPostgres) -> None:
    section = _section()
    unit = _command(section, "ExecStart=")
    assert unit[0].endswith("/station-app") and unit[3:5] == ["relay", "serve"]
    assert _option(unit, "--db").startswith("postgresql://") and _option(unit, "--host") == "127.0.0.1"
    migrate = _command(section, "runuser -u station-relay -- ")
    assert migrate[0] == unit[0] and migrate[1:3] == ["relay", "migrate"]
    assert _option(migrate, "--to") == _option(unit, "--db")

    # The machine's folders, moved under tmp_path: the data folder, the blobs (`install -d`), the keyring.
    home, keyring = _option(unit, "--data-dir"), _option(unit, "--keyring")

    def here(word: str) -> str:
        if word == keyring:
            return str(tmp_path / "keyring.json")
        return str(tmp_path / "var" / word.removeprefix(home + "/")) if word.startswith(home) else word

    (tmp_path / "keyring.json").write_bytes(keyring_bytes())
    Path(here(_option(unit, "--blobs"))).mkdir(parents=True)
    serve_words = [here(w) for w in _without(_without(unit[1:], "--db"), "--port")] + ["--port", "0"]
    proc, url = start_relay(serve_words)
    try:
        bundle = make_bundle(tmp_path)
        with RelayClient(url, ed("transport:" + STATION_A)) as station:
            assert station.upload(bundle.path).state == "stored"
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err

    sqlite_file = Path(here(_option(migrate, "--from")))
    assert sqlite_file.is_file()  # the file the unit's SQLite variant wrote is the one migrate reads
    target = postgres.create_database("readme_migrated")
    words = [here(w) for w in migrate[1:]]
    words[words.index("--to") + 1] = target
    moved = subprocess.run(
        [sys.executable, "-m", "station_launcher", *words],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=cli_env(None),
        timeout=60,
    )
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["tables"]["bundles"] == 1
