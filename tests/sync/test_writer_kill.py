"""A writer killed (SIGKILL) at any moment leaves no partial file under a final `.msb` name."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sync.reader import open_bundle
from tests.conftest import ROOT, loop_count
from tests.sync.fixed_keys import city, keyring


def start(folder: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.sync.writer_child", str(folder), mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "READY\n"
    return child


def kill(child: subprocess.Popen[str]) -> list[str]:
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return out.split()


def test_killed_before_the_rename_leaves_only_a_temp_file(tmp_path: Path) -> None:
    child = start(tmp_path, "hang-in-fsync")
    assert child.stdout is not None and child.stdout.readline() == "FSYNC\n"  # every byte written, not renamed
    kill(child)
    names = [p.name for p in tmp_path.iterdir()]
    assert not [n for n in names if n.endswith(".msb")]
    assert len(names) == 1 and names[0].startswith(".b-0.msb.") and names[0].endswith(".part")


def test_killed_at_random_moments_every_final_file_is_complete(tmp_path: Path) -> None:
    rng = random.Random(11)
    for round_ in range(loop_count(3, 12)):
        folder = tmp_path / f"r{round_}"
        folder.mkdir()
        child = start(folder, "loop")
        time.sleep(rng.uniform(0.05, 1.0))
        reported = kill(child)
        finals = sorted(p for p in folder.iterdir() if p.suffix == ".msb")
        assert {p.name for p in finals} >= set(reported)
        for path in finals:
            assert len(open_bundle(path, keyring(), city(), temp_dir=tmp_path).events) == 1000
        assert len([p for p in folder.iterdir() if p.suffix == ".part"]) <= 1
