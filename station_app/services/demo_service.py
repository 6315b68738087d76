"""The demo station: ~300 synthetic cases over every category, track, status and town.

Each case lives a small story (intake, routing, signatures, opinions, reply, callback,
archive, and the odd return, extension, objection, withdrawal or clue transfer) played
through the ordinary services on a moving clock, so every event is real and every deadline
is computed the usual way. Stories stop at today: recent cases are still open, some due
today, some overdue.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from station_app.clock import CHINA_TZ, FixedClock
from station_app.domain.enums import DEPARTMENT_SHORT, Department, Flag, ObjectionRoute, Role, Status, Track
from station_app.errors import StationError
from station_app.services.case_service import intake, perform
from station_app.services.query_service import get_case
from station_app.services.session import Session
from station_app.services.station_service import init_station
from station_app.services.user_service import add_user
from station_app.store.keystore import KdfParams
from station_app.synthetic import make_intake

DEMO_PASSWORD = "beiji-demo-2025"
DEMO_MARKER = "DEMO-STATION.txt"  # in a demo station's folder: only such a folder is ever reset
DEMO_STATION = ("232701100001", "西林吉镇社保费争议调解站", "232701100")
DEMO_USERS = (("wangli", Role.WORKER, "王丽"), ("zhaogang", Role.HEAD, "赵刚"), ("admin", Role.ADMIN, "管理员"))
WORKER, HEAD = "wangli", "zhaogang"

OPINIONS = (
    "经核查,该单位{period}期间缴费基数申报低于实际工资,已责令其据实补报并补缴差额。",
    "经调取缴费记录,当事人反映的欠缴情况属实,已向单位下达限期缴纳通知。",
    "经核实,该笔费用系系统数据传递延迟所致,已完成数据修正,不再加收滞纳金。",
    "经审查,原核定结果符合政策规定,已向当事人做好政策解释。",
    "经查,当事人参保关系转移手续不完整,已指导其补齐材料后办理。",
)
REPLIES = (
    "您反映的问题,经{depts}核查办理,现答复如下:{opinion}如对本答复有异议,可按告知的途径依法维权。",
    "关于您反映的社保费争议事项,经{depts}联合研究,答复如下:{opinion}",
)
Step = Generator[datetime, None, None]
HALTS = ("close", "assign", "approve", "return", "objection")  # stories that stop in these states


@dataclass(frozen=True)
class DemoInfo:
    """The demo station built: where, its name, its accounts and how many cases it holds.

    Attributes:
        users: (name, role label, display name) of each demo account.
        password: The one password of every demo account.
    """

    data_dir: Path
    station_name: str
    users: tuple[tuple[str, str, str], ...]  # name, role label, display name
    password: str
    cases: int


class _Stories:
    """Plays every case's story in global time order on one shared clock."""

    def __init__(self, worker: Session, head: Session, clock: FixedClock, today: date, rng: random.Random) -> None:
        self.worker, self.head, self.clock, self.today, self.rng = worker, head, clock, today, rng
        self.calendar = worker.calendar()
        self.end = datetime.combine(today, time(8, 0), CHINA_TZ) + timedelta(hours=rng.uniform(1.5, 2.5))

    # -- time ----------------------------------------------------------------------------
    def later(self, at: datetime, working_days: int) -> datetime:
        """A time during office hours `working_days` after `at` (0: later the same day)."""
        if working_days <= 0:
            return at + timedelta(minutes=self.rng.randrange(10, 90))
        day, _ = self.calendar.add_working_days(at.date(), working_days)
        minutes = self.rng.randrange(8 * 60 + 30, 17 * 60)
        return datetime.combine(day, time(minutes // 60, minutes % 60), CHINA_TZ)

    def act(self, case_no: str, action: str, data: dict[str, Any] | None = None, head: bool = False) -> Status:
        session = self.head if head else self.worker
        return perform(session, case_no, action, data or {}).summary.status

    def document(self, prefix: str) -> str:
        """A number in the style of the city's documents (the demo copies them at the station)."""
        return f"{prefix}〔{self.clock.now().year}〕{self.rng.randrange(1, 400)}号"

    # -- one case ------------------------------------------------------------------------
    def story(self, data: dict[str, Any], received: datetime) -> Step:
        rng = self.rng
        recent = (self.today - received.date()).days <= 25
        halt = rng.choice(HALTS) if recent and rng.random() < 0.3 else ""
        yield received
        case_no = intake(self.worker, data).case_no
        closable = not data["flags"].get(Flag.IN_LEGAL_PROCEEDINGS.value)
        if closable and (rng.random() < 0.06 or halt == "close"):
            yield received + timedelta(minutes=25)
            self.act(case_no, "close_on_spot", {"text": "当场解释缴费政策并查询缴费记录,当事人表示理解。"})
            if halt != "close":
                yield from self.finish(case_no, received)
            return
        at = self.later(received, rng.choice((0, 0, 1, 1, 2)))
        yield at
        status = self.act(case_no, "route")
        if status is Status.NOT_ACCEPTED:
            return
        if status is Status.SUBMITTED:
            if halt == "assign":
                return
            at = self.later(at, rng.randrange(1, 5))
            yield at
            lead = rng.choice(("tax", "hrss", "medical"))
            co = [] if rng.random() < 0.6 else ["justice"]
            self.act(
                case_no, "city_assign", {"lead": lead, "co": co, "document_no": self.document("漠12345交")}, head=True
            )
        if status is Status.ESCALATED:
            if halt == "approve":
                return
            at = self.later(at, rng.randrange(0, 3))
            yield at
            self.act(
                case_no,
                "approve",
                {
                    "approver": "领导小组组长",
                    "date": at.date().isoformat(),
                    "document_no": self.document("漠争议领"),
                    "text": "同意按重大疑难事项办理,成立工作专班。",
                },
                head=True,
            )
        yield from self.departments(case_no, at, halt)

    def departments(self, case_no: str, at: datetime, halt: str) -> Step:
        rng = self.rng
        detail = get_case(self.worker, case_no)
        depts = [d.dept.value for d in detail.departments]
        if (rng.random() < 0.05 or halt == "return") and detail.summary.track is not Track.MAJOR:
            at = self.later(at, 1)
            yield at
            self.act(case_no, "return", {"dept": depts[0], "reason": "经研究,该事项不属于本部门职责范围。"})
            if halt == "return":
                return
            if detail.note("city_assigned") is not None and rng.random() < 0.3:
                self.act(
                    case_no, "clue_transfer", {"dept": depts[0], "reason": "承办部门无正当理由拒不处理。"}, head=True
                )
            at = self.later(at, 1)
            yield at
            if self.act(case_no, "route") is Status.SUBMITTED:
                self.act(
                    case_no,
                    "city_assign",
                    {"lead": "hrss", "co": [], "document_no": self.document("漠12345交")},
                    head=True,
                )
            depts = [d.dept.value for d in get_case(self.worker, case_no).departments]
        for dept in depts:
            at = self.later(at, rng.choice((0, 1, 1, 2)))
            yield at
            self.act(case_no, "sign", {"dept": dept})
        if rng.random() < 0.06:
            at = self.later(at, 2)
            yield at
            self.act(
                case_no,
                "extend",
                {"dept": depts[-1], "days": 5, "reason": "需调取历年缴费记录并核对工资台账。"},
                head=True,
            )
        if rng.random() < 0.03:
            at = self.later(at, 1)
            yield at
            self.act(case_no, "withdraw", {"reason": "当事人与单位协商一致,申请撤回。"})
            return
        opinions: list[str] = []
        for dept in depts:
            at = self.later(at, rng.choice((1, 2, 3, 3, 4, 6, 8)))
            yield at
            text = rng.choice(OPINIONS).format(period="2023年10月至2024年3月")
            opinions.append(text)
            self.act(case_no, "opinion", {"dept": dept, "text": text})
        if detail.summary.track is Track.MAJOR:
            at = self.later(at, 1)
            yield at
            names = "、".join(DEPARTMENT_SHORT[Department(d)] for d in depts)
            self.act(
                case_no,
                "minutes",
                {
                    "text": "会议听取各部门书面意见,经研究形成一致处理意见。",
                    "attendees": f"领导小组办公室、{names}",
                    "held_on": at.date().isoformat(),
                },
            )
        at = self.later(at, rng.choice((0, 1, 1)))
        yield at
        names = "、".join(DEPARTMENT_SHORT[Department(d)] for d in depts)
        if get_case(self.worker, case_no).summary.track is Track.REFER:
            self.act(case_no, "handled", {"text": opinions[0]})  # the department answered the payer itself
        else:
            self.act(case_no, "reply", {"text": rng.choice(REPLIES).format(depts=names, opinion=opinions[0])})
        if rng.random() < 0.06 or halt == "objection":
            at = self.later(at, 2)
            yield at
            route = rng.choice([r.value for r in ObjectionRoute])
            self.act(case_no, "objection", {"route": route, "text": "当事人对答复不服。"})
            if halt == "objection":
                return
        yield from self.finish(case_no, at)

    def finish(self, case_no: str, at: datetime) -> Step:
        at = self.later(at, self.rng.randrange(1, 3))
        yield at
        satisfaction = self.rng.choice(("satisfied", "satisfied", "satisfied", "basic", "unsatisfied"))
        self.act(case_no, "callback", {"satisfaction": satisfaction, "text": "电话回访,听取当事人意见。"})
        at = self.later(at, self.rng.randrange(1, 5))
        yield at
        self.act(case_no, "archive", {"text": "材料齐全,归档。"})

    # -- all cases -----------------------------------------------------------------------
    def play(self, stories: list[Step], progress: Callable[[int, int], None] | None) -> None:
        heap: list[tuple[datetime, int, Step]] = []
        for i, story in enumerate(stories):
            heapq.heappush(heap, (next(story), i, story))
        done = 0

        def finished_one() -> None:
            nonlocal done
            done += 1
            if progress is not None and (done % 20 == 0 or done == len(stories)):
                progress(done, len(stories))

        while heap:
            at, i, story = heapq.heappop(heap)
            if at > self.end:
                finished_one()
                continue
            self.clock.set(at)
            try:
                heapq.heappush(heap, (next(story), i, story))
            except StopIteration:
                finished_one()


def _received_times(rng: random.Random, count: int, today: date, calendar: Any) -> list[datetime]:
    times: list[datetime] = []
    while len(times) < count:
        back = int(rng.triangular(0, 150, 0))
        day = today - timedelta(days=back)
        if not calendar.is_working_day(day):
            continue
        minutes = rng.randrange(8 * 60, 9 * 60 + 20 if back == 0 else 17 * 60)
        times.append(datetime.combine(day, time(minutes // 60, minutes % 60), CHINA_TZ))
    return sorted(times)


def _intakes(rng: random.Random, times: list[datetime]) -> list[dict[str, Any]]:
    """Synthetic intakes, with the first few forced so every category and track appears."""
    out = []
    forced: list[tuple[int, str | None]] = [(c, None) for c in range(1, 10)] + [
        (4, Flag.BANKRUPTCY.value),
        (3, Flag.IN_LEGAL_PROCEEDINGS.value),
        (8, Flag.ONLINE_OPINION.value),
        (6, Flag.REPEAT_PETITION.value),
        (1, Flag.LABOUR_RELATION_DISPUTED.value),
    ]
    for i, received in enumerate(times):
        category, flag = forced[i % len(forced)] if i < 3 * len(forced) else (None, None)
        data = make_intake(rng, received, category)
        if flag:
            data["flags"][flag] = True
        out.append(data)
    return out


def build_demo(
    data_dir: Path,
    cases: int = 300,
    seed: int = 20251120,
    today: date | None = None,
    kdf: KdfParams | None = None,
    progress: Callable[[int, int], None] | None = None,
    station: tuple[str, str, str] = DEMO_STATION,
) -> DemoInfo:
    """Create the demo station in `data_dir` (which must not hold a station yet).

    `station` is its (code, name, town code): the demo city builds several.
    """
    if cases < 1 or cases > 5000:
        raise StationError("演示案件数应在1至5000之间")
    rng = random.Random(seed)
    today = today or datetime.now(CHINA_TZ).date()
    clock = FixedClock(datetime.combine(today - timedelta(days=160), time(8, 0), CHINA_TZ))
    code, name, town = station
    admin = init_station(data_dir, code, name, town, "admin", DEMO_PASSWORD, clock, kdf)
    try:
        for user, role, display in DEMO_USERS:
            if user != "admin":
                add_user(admin, user, role, DEMO_PASSWORD, display, kdf)
        admin.record_one("setting_changed", {"key": "station_address", "value": "漠河市西林吉镇中央街政务服务中心一楼"})
        # the demo's people sign their own events, as after their login
        keystore = admin.store.keystore
        worker = Session(
            admin.store, WORKER, Role.WORKER, clock, keys=keystore.unlock(WORKER, DEMO_PASSWORD, clock.now()).keys
        )
        head = Session(admin.store, HEAD, Role.HEAD, clock, keys=keystore.unlock(HEAD, DEMO_PASSWORD, clock.now()).keys)
        times = _received_times(rng, cases, today, worker.calendar())
        intakes = _intakes(rng, times)
        stories = _Stories(worker, head, clock, today, rng)
        stories.play([stories.story(d, t) for d, t in zip(intakes, times)], progress)
    finally:
        admin.close()
    users = tuple((u, r.label, d) for u, r, d in DEMO_USERS)
    return DemoInfo(data_dir, name, users, DEMO_PASSWORD, cases)


def ensure_demo(
    data_dir: Path,
    cases: int = 300,
    reset: bool = False,
    kdf: KdfParams | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The demo station in `data_dir`, built (`build_demo`) unless it is already there.

    Rebuilt with `reset`; never touches a real station. Returns `{"data_dir", "password", "users":
    [{"name", "role", "display_name"}]}` (the JSON `station-app demo` prints).

    Raises:
        StationError: `data_dir` holds a station that is not a demo, or other files.
    """
    import shutil

    from station_app.services.login_service import station_facts

    marker = data_dir / DEMO_MARKER
    facts = station_facts(data_dir)
    if facts.exists and not marker.exists():
        raise StationError("该数据目录中已有调解站数据,且不是演示站;请另选 --data-dir")
    if reset and marker.exists():
        shutil.rmtree(data_dir)
        facts = station_facts(data_dir)
    if not facts.exists:
        if data_dir.exists() and any(data_dir.iterdir()):
            raise StationError("演示站目录不为空;请另选 --data-dir")
        build_demo(data_dir, cases, kdf=kdf, progress=progress)
        marker.write_text("本目录是演示调解站,数据均为合成数据,可随时删除。\n", encoding="utf-8")
    return {
        "data_dir": str(data_dir),
        "password": DEMO_PASSWORD,
        "users": [{"name": name, "role": role.label, "display_name": display} for name, role, display in DEMO_USERS],
    }
