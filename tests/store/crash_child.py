"""Child of test_crash: unlock a store and save intakes in a loop until killed.

Prints READY once unlocked, then one acknowledged case number per line, flushed, only
after the commit of that case has returned.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime
from pathlib import Path

from station_app.clock import CHINA_TZ, FixedClock
from station_app.services.case_service import intake
from station_app.services.session import login
from station_app.store.search_index import warm_up
from station_app.synthetic import make_intake


def main() -> None:
    data_dir, user, password, seed = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    session = login(data_dir, user, password, FixedClock(datetime(2025, 11, 20, 9, 0, tzinfo=CHINA_TZ)))
    warm_up()  # as the desk does after login: the first save does not load the pinyin dictionary
    rng = random.Random(seed)
    out = sys.stdout
    out.write("READY\n")
    out.flush()
    while True:
        result = intake(session, make_intake(rng))
        out.write(f"ACK {result.case_no}\n")
        out.flush()


if __name__ == "__main__":
    main()
