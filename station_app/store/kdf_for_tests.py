"""A cheap Argon2id cost for the test suite's command-line subprocesses.

The suite runs hundreds of `station-app` subprocesses; at the real cost (64 MiB, 3 passes) every
`init`, `users add` and login pays about 0.2-0.5 s. With `STATION_TEST_KDF=1` in the environment
of a process that pytest started, new key wraps use the cost below instead. Outside a test run
the setting is refused (`keystore.default_kdf_params`), and this module is left out of the frozen
app (build.spec), so a shipped station can never be made with a weak wrap.
"""

from __future__ import annotations

import os

MEMORY_KIB = 8192
ITERATIONS = 1
LANES = 1


def under_test() -> bool:
    """True when this process was started by a running pytest test (pytest sets the variable)."""
    return bool(os.environ.get("PYTEST_CURRENT_TEST"))
