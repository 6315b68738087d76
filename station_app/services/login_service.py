"""What the login window may know before any store is unlocked.

Only cheap imports here: this runs before the first window shows (cold start budget 1 s),
so it must not pull in SQLAlchemy or the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from station_app.store.keystore import Keystore

# The same names as station_app.store.station_store (a test keeps them equal).
KEYS_NAME = "keys.json"
DB_NAME = "station.db"


@dataclass(frozen=True)
class StationFacts:
    """The station's public facts from its key file (no personal data)."""

    exists: bool
    station_code: str = ""
    station_name: str = ""
    users: tuple[str, ...] = ()
    lockout_failures: int = 5
    lockout_minutes: int = 15

    @property
    def lockout_rule(self) -> str:
        """How long an account stays locked and who can unlock it earlier.

        Said after a failure, without telling whether this account is locked now.
        """
        return (
            f"连续输错{self.lockout_failures}次密码,账户将锁定{self.lockout_minutes}分钟;"
            "需要提前解锁的,请站长或管理员在“设置/用户”页面解锁。"
        )


def station_facts(data_dir: Path) -> StationFacts:
    """Whether a station lives in `data_dir`, its name and its account names.

    Raises:
        StationError: the key file exists but cannot be read.
    """
    keys, db = data_dir / KEYS_NAME, data_dir / DB_NAME
    if not (keys.exists() and db.exists()):
        return StationFacts(False)
    keystore = Keystore.load(keys)
    policy = keystore.lockout
    return StationFacts(
        True,
        keystore.station_code,
        keystore.station_name,
        tuple(keystore.user_names()),
        policy.max_failures,
        policy.minutes,
    )
