"""Child of test_anchor: unlock a store, save some intakes, and end without closing it.

`os._exit` skips the close that would checkpoint the WAL, so the acknowledged cases live only
in `station.db-wal`, as after a power cut. Prints one acknowledged case number per line.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import datetime
from pathlib import Path

from station_app.clock import CHINA_TZ, FixedClock
from station_app.services.case_service import intake
from station_app.services.session import login
from station_app.synthetic import make_intake


def main() -> None:
    data_dir, user, password, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    session = login(data_dir, user, password, FixedClock(datetime(2025, 11, 20, 9, 0, tzinfo=CHINA_TZ)))
    rng = random.Random(7)
    for _ in range(count):
        result = intake(session, make_intake(rng))
        sys.stdout.write(f"ACK {result.case_no}\n")
        sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
