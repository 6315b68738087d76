"""Child of test_writer_kill: write bundles until killed.

`python -m tests.sync.writer_child DIR loop`: write b-0.msb, b-1.msb, ... printing each name
after `write_bundle` returned. `... DIR hang-in-fsync`: print FSYNC when the file is about to be
fsynced and hang there (the moment just before the rename).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from sync.header import BundleKind, Compression
from sync.manifest import Manifest
from sync.writer import new_bundle_id, write_bundle
from tests.sync.fixed_keys import CITY, CITY_CURRENT, STATION_A, signer


def _hang(fd: int) -> None:
    sys.stdout.write("FSYNC\n")
    sys.stdout.flush()
    time.sleep(60)


def main() -> None:
    folder, mode = Path(sys.argv[1]), sys.argv[2]
    rng = random.Random(3)
    events = [{"n": i, "blob": rng.randbytes(2000).hex()} for i in range(1000)]  # ~4 MB
    if mode == "hang-in-fsync":
        os.fsync = _hang
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    for n in range(10_000):
        m = Manifest(new_bundle_id(), BundleKind.EVENTS, STATION_A, CITY, n, "e", "0.1.0", 1, 5)
        path = folder / f"b-{n}.msb"
        write_bundle(path, m, events, signer(STATION_A), [CITY_CURRENT.public_key()], compression=Compression.NONE)
        sys.stdout.write(path.name + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
