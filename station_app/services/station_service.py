"""Making a station: the encrypted store, the first admin, the seeded calendar."""

from __future__ import annotations

import re
from pathlib import Path

from station_app.clock import Clock, SystemClock
from station_app.domain.enums import Role
from station_app.domain.safe_input import line_problem
from station_app.errors import ValidationError
from station_app.services.calendar_service import load_seed_payload
from station_app.services.session import Session
from station_app.services.user_service import check_password, check_user_name, record_signed
from station_app.store.db import write
from station_app.store.keystore import KdfParams
from station_app.store.station_store import create_store


def check_station(station_code: str, station_name: str, town_code: str) -> dict[str, str]:
    """The problems of a new station's identity, by field; {} when it is fine.

    `station_code` must be 12 digits, `station_name` 1-60 characters of one line with no control
    or direction character, `town_code` 9 digits.
    """
    fields: dict[str, str] = {}
    if not re.fullmatch(r"\d{12}", station_code or ""):
        fields["station_code"] = "调解站编码应为12位数字"
    if not (station_name or "").strip() or len(station_name) > 60:
        fields["station_name"] = "请填写调解站名称(60字以内)"
    elif problem := line_problem(station_name.strip()):  # printed on every paper
        fields["station_name"] = f"调解站名称{problem}"
    if not re.fullmatch(r"\d{9}", town_code or ""):
        fields["town_code"] = "镇(街道)代码应为9位数字"
    return fields


def init_station(
    data_dir: Path,
    station_code: str,
    station_name: str,
    town_code: str,
    admin: str,
    password: str,
    clock: Clock | None = None,
    kdf: KdfParams | None = None,
) -> Session:
    """Create the station's store and return a session of its first admin."""
    fields = check_station(station_code, station_name, town_code)
    if (why := check_user_name(admin)) is not None:
        fields["admin"] = why
    if (why := check_password(password, admin, (station_code, station_name, town_code))) is not None:
        fields["password"] = why
    if fields:
        raise ValidationError(fields)
    store = create_store(data_dir, station_code, station_name.strip(), admin, password, kdf)
    session = Session(store, admin, Role.ADMIN, clock or SystemClock(), keys=store.user_keys)
    with write(store.engine) as conn:
        session.record(
            conn,
            "station_initialised",
            {"station_code": station_code, "station_name": station_name.strip(), "town_code": town_code},
        )
        assert session.keys is not None
        user = {"name": admin, "role": Role.ADMIN.value, "display_name": admin, "sign_key": session.keys.sign_public}
        record_signed(session, conn, "user_added", user)  # the first admin signs its own creation
        session.record(conn, "calendar_imported", load_seed_payload())
    return session
