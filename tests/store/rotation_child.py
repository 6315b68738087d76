"""Rotate the store key again and again until killed (tests/store/test_rotation.py).

Usage: python -m tests.store.rotation_child DATA_DIR USER PASSWORD
Prints `rotated N` after each rotation that completed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from station_app.services.key_service import rotate_store_key
from station_app.services.session import login


def main() -> None:
    data_dir, user, password = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    session = login(data_dir, user, password)
    done = 0
    while True:
        rotate_store_key(session)
        done += 1
        print(f"rotated {done}", flush=True)


if __name__ == "__main__":
    main()
