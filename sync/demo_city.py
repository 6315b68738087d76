"""A demo city for the screenshots: the city's store and a few synthetic stations.

Their cases came up through the ordinary path (DESIGN.md "Sync and city command line").

Every step is the real one: `init_city`; per station a demo station (`build_demo`), a
provisioning file (`provision_station`), binding (`bind_station`), its identity enrolled
(`enroll_station`), a bundle exported to a folder (`export_due`) and imported at the city
(`import_path`); at the first station, a matter the city assigns while the station withdraws
it (a conflict for the city to settle); then a coordinator's account and one return bundle per
station. Nothing here is reachable from a real store: it builds only in an empty folder it is
given.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from station_app.clock import CHINA_TZ
from station_app.domain.enums import Flag, Role
from station_app.errors import StationError
from station_app.services.case_service import intake, perform
from station_app.services.demo_service import DEMO_PASSWORD, build_demo
from station_app.services.demo_service import WORKER as DEMO_WORKER
from station_app.services.session import Session, login
from station_app.services.user_service import add_user
from station_app.store.keystore import KdfParams
from station_app.synthetic import make_intake
from sync import exchange, provisioning

DEMO_CITY = ("232700", "漠河市")
DEMO_CITY_ADMIN = "admin"
DEMO_COORDINATOR = ("liuyang", "刘洋")
DEMO_RECOVERY = "demo-recovery-phrase-2025"  # the recovery key's own passphrase (never a login)
DEMO_CITY_STATIONS: tuple[tuple[str, str, str], ...] = (
    ("232701100001", "西林吉镇社保费争议调解站", "232701100"),
    ("232701101001", "图强镇社保费争议调解站", "232701101"),
    ("232701102001", "阿木尔镇社保费争议调解站", "232701102"),
)


def _waiting_on_the_city(data_dir: Path, rng: random.Random) -> list[str]:
    """Two matters reported as unclear (报送) and one major matter, routed just now.

    Left for the city: its work queues and dialogs have something to show. Returns their case
    numbers, the 报送 ones first.
    """
    worker = login(data_dir, DEMO_WORKER, DEMO_PASSWORD)
    case_nos: list[str] = []
    try:
        received = datetime.now(CHINA_TZ).replace(second=0, microsecond=0) - timedelta(minutes=20)
        matters = [make_intake(rng, received, 9), make_intake(rng, received, 9), make_intake(rng, received, 4)]
        matters[2]["flags"][Flag.BANKRUPTCY.value] = True  # court and justice join: 重大疑难
        for data in matters:
            case_no = intake(worker, data).case_no
            perform(worker, case_no, "route", {})
            case_nos.append(case_no)
    finally:
        worker.close()
    return case_nos


def _concurrent_change(city: Session, data_dir: Path, case_no: str, stick: Path) -> None:
    """The city assigns a 报送 matter while its station withdraws it: a conflict at the city.

    The station's withdrawal comes up in a second bundle that has not seen the assignment, so
    the city holds both versions until a coordinator keeps one (DESIGN.md "No silent overwrite").
    """
    document_no = f"漠营商交〔{city.today().year}〕1号"
    perform(city, case_no, "city_assign", {"lead": "hrss", "document_no": document_no})
    head = login(data_dir, "admin", DEMO_PASSWORD)
    try:
        perform(head, case_no, "withdraw", {"reason": "申请人电话告知已与单位协商一致,撤回申请"})
        stick.mkdir()
        exchange.export_due(head, stick)
    finally:
        head.close()
    exchange.import_path(city, stick)


@dataclass(frozen=True)
class DemoCity:
    """Where the demo city lives and how to log in (`coordinator` works the queues)."""

    data_dir: Path
    admin: str
    coordinator: str
    password: str
    stations: tuple[str, ...]
    cases: int


def build_demo_city(root: Path, cases_per_station: int = 80, kdf: KdfParams | None = None) -> DemoCity:
    """Build the demo city and its stations under `root` (an empty or missing folder).

    Args:
        root: the folder; the city lives in `root/city`, each station in `root/<code>`.
        cases_per_station: synthetic cases at each station (1..5000).
        kdf: the key-wrapping cost (a cheap one for screenshots; the default otherwise).

    Returns:
        The city's folder, its admin and coordinator accounts and their password.

    Raises:
        StationError: `root` holds files already.
    """
    if root.exists() and any(root.iterdir()):
        raise StationError("演示市级目录不为空")
    root.mkdir(parents=True, exist_ok=True)
    city_code, city_name = DEMO_CITY
    city, _fingerprint = provisioning.init_city(
        root / "city", city_code, city_name, DEMO_CITY_ADMIN, DEMO_PASSWORD, DEMO_RECOVERY, kdf=kdf
    )
    try:
        name, display = DEMO_COORDINATOR
        add_user(city, name, Role.COORDINATOR, DEMO_PASSWORD, display, kdf)
        for offset, (code, station_name, town) in enumerate(DEMO_CITY_STATIONS):
            data_dir = root / code
            build_demo(data_dir, cases_per_station, seed=20251120 + offset, kdf=kdf, station=(code, station_name, town))
            provision = root / f"provision-{code}.json"
            provisioning.provision_station(city, code, station_name, town, None, provision)
            waiting = _waiting_on_the_city(data_dir, random.Random(offset))
            station = login(data_dir, "admin", DEMO_PASSWORD)
            try:
                provisioning.bind_station(station, provision)
                identity = root / f"identity-{code}.json"
                provisioning.write_identity(station, identity)
                provisioning.enroll_station(city, identity)
                stick = root / f"up-{code}"
                stick.mkdir()
                exchange.export_due(station, stick)
            finally:
                station.close()
            exchange.import_path(city, stick)
            if offset == 0:
                _concurrent_change(city, data_dir, waiting[0], root / f"up2-{code}")
        returns = root / "down"
        returns.mkdir()
        exchange.export_due(city, returns)  # the acknowledgements wait for the stations' next import
    finally:
        city.close()
    codes = tuple(code for code, _name, _town in DEMO_CITY_STATIONS)
    return DemoCity(
        root / "city", DEMO_CITY_ADMIN, DEMO_COORDINATOR[0], DEMO_PASSWORD, codes, cases_per_station * len(codes)
    )
