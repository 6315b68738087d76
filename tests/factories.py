"""Valid intake JSON for the store, service and CLI tests (the DESIGN.md shape)."""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

from station_app.clock import CHINA_TZ
from station_app.synthetic import make_id, make_phone, make_uscc

_RNG = random.Random(7)

NO_FLAGS = {
    "labour_relation_disputed": False,
    "compulsory_enforcement": False,
    "bankruptcy": False,
    "online_opinion": False,
    "repeat_petition": False,
    "in_legal_proceedings": False,
}


def intake_json(
    *,
    name: str = "张三",
    id_number: str | None = None,
    phone: str | None = None,
    employer: str = "漠河市北极林业有限公司",
    category: int = 4,
    types: tuple[str, ...] = ("pension",),
    periods: tuple[tuple[str, str], ...] = (("2024-06", "2024-12"),),
    flags: tuple[str, ...] = (),
    summary: str = "反映单位未按实际工资申报缴费基数,要求核实并补缴。",
    received_at: str = "2025-11-20T09:30:00+08:00",
    group_size: int = 1,
    amount: str = "12000.00",
) -> dict[str, Any]:
    """One valid intake. Defaults: category 4, pension, after the cutoff -> refer to tax."""
    return {
        "received_at": received_at,
        "channel": "visit",
        "town_code": "232701100",
        "applicant": {
            "kind": "person",
            "name": name,
            "id_number": id_number or make_id(_RNG, birth=date(1970, 3, 5), region="232723"),
            "phone": phone or make_phone(_RNG),
        },
        "respondent": {"kind": "employer", "name": employer, "uscc": make_uscc(_RNG)},
        "category": category,
        "insurance_types": list(types),
        "periods": [{"from": a, "to": b} for a, b in periods],
        "amount_claimed": amount,
        "group_size": group_size,
        "summary": summary,
        "claim": "请求依法处理并书面答复。",
        "flags": {**NO_FLAGS, **{f: True for f in flags}},
    }


# One intake per track (with the default routing table).
def refer_intake(**kw: Any) -> dict[str, Any]:
    """Category 4 after the cutoff: tax alone -> refer."""
    return intake_json(**kw)


def joint_intake(**kw: Any) -> dict[str, Any]:
    """Category 4 across the cutoff: tax leads, hrss co -> joint."""
    return intake_json(periods=(("2023-10", "2024-06"),), **kw)


def major_intake(**kw: Any) -> dict[str, Any]:
    """Bankruptcy: court and justice added -> major."""
    return intake_json(flags=("bankruptcy",), **kw)


def submit_city_intake(**kw: Any) -> dict[str, Any]:
    """Category 9 (other) -> submit to the city, lead business."""
    return intake_json(category=9, periods=(), **kw)


def not_accepted_intake(**kw: Any) -> dict[str, Any]:
    """Already in litigation -> not accepted."""
    return intake_json(flags=("in_legal_proceedings",), **kw)


DECISION = {"approver": "王副市长", "document_no": "漠争议领〔2025〕3号"}


def action_data(action: str, detail: Any, rng: random.Random) -> dict[str, Any]:
    """Plausible data for `action` on a case (`detail` is its CaseDetail)."""
    depts = [d.dept.value for d in detail.departments]
    waiting = [d.dept.value for d in detail.departments if not d.opinion] or depts or ["tax"]
    decided = {"date": detail.summary.received_at[:10]}
    return {
        "route": {},
        "close_on_spot": {"text": "当场解释政策,申请人表示理解。"},
        "sign": {"dept": rng.choice(depts or ["tax"])},
        "return": {"dept": rng.choice(depts or ["business"]), "reason": "不属于本部门职责。"},
        "opinion": {"dept": rng.choice(waiting), "text": "经核查,单位应按实际工资补缴。"},
        "extend": {"dept": rng.choice(waiting), "days": rng.randint(1, 5), "reason": "需调取历年工资台账。"},
        "escalate": {"reason": "涉及人数众多。"},
        "approve": {"text": "同意成立工作专班。", **DECISION, **decided},
        "decline": {"text": "不属于重大疑难事项,按一般事项办理。", **DECISION, **decided},
        "consult": {"text": "成员单位会商,意见一致。"},
        "deliver": {"party": "applicant", "method": "in_person", "date": detail.summary.received_at[:10]},
        "handled": {"text": "承办部门已当面答复缴费人。"},
        "confirm": {"satisfaction": "satisfied"},
        "feedback_12345": {"text": "已反馈缴费人和12345热线办。", "date": detail.summary.received_at[:10]},
        "minutes": {"text": "会议议定:由税务局牵头核定补缴金额。", "attendees": "税务局、人社局、司法局"},
        "reply": {"text": "经联合核查,答复如下:……"},
        "objection": {"route": rng.choice(["mediation", "reconsideration", "arbitration", "litigation"])},
        "callback": {"satisfaction": rng.choice(["satisfied", "basic", "unsatisfied"]), "text": "电话回访。"},
        "archive": {"text": "材料齐全,归档。"},
        "withdraw": {"reason": "申请人自愿撤回。"},
        "submit_city": {"reason": "职责不清。", "consulted": ["tax", "hrss"]},
        "city_assign": {"lead": "hrss", "co": rng.choice([[], ["tax"]]), "document_no": "漠12345交〔2025〕1号"},
        "clue_transfer": {"dept": "business", "reason": "部门无故拒不处理。"},
        "incident": {"kind": "work_error", "dept": (depts or ["tax"])[0], "text": "逾期未反馈书面意见。"},
    }[action]


def random_walk(session: Any, case_no: str, rng: random.Random, steps: int) -> list[str]:
    """Take up to `steps` allowed actions on a case; refusals the data causes are skipped.
    Returns the actions that were carried out."""
    from station_app.errors import InvalidTransition, ValidationError
    from station_app.services.case_service import perform
    from station_app.services.query_service import get_case

    done: list[str] = []
    for _ in range(steps):
        detail = get_case(session, case_no)
        if not detail.allowed_actions:
            break
        action = rng.choice(sorted(detail.allowed_actions))
        try:
            perform(session, case_no, action, action_data(action, detail, rng))
        except (InvalidTransition, ValidationError):
            continue
        done.append(action)
    return done


def _on(clock: Any, month: int, day: int) -> None:
    clock.set(datetime(2025, month, day, 10, 0, tzinfo=CHINA_TZ))


def build_known_station(w: Any, h: Any, clock: Any) -> dict[str, str]:
    """Eight cases with known deadlines and outcomes for 绩效考评, received on 2025-11-20 by
    the worker session `w` or the head session `h`, the clock left at 2025-12-10 (expected
    figures: tests/services/test_performance.py). Routing is due 11-21; opinions 5 working days
    after routing; reply 1 after the last opinion; archive 5 after the reply.

    A joint tax+hrss by the worker: routed on time, tax on time, hrss extended 3 days then on
      time, replied on the reply deadline, archived early.
    B refer tax by the worker: routed, returned by tax, tax's clue transferred to 纪委监委.
    C joint tax+hrss by the worker: tax on time, hrss late, reply a day late.
    E refer tax by the head: the department reports it handled after its deadline; not archived
      by its archive deadline.
    F joint tax+hrss by the worker: routed a working day late; tax on time, hrss never answers.
    G by the head: never routed.
    K refer hrss (before the 2024-04 cutoff) by the worker: handled on time, archived on time.
    M joint routed by the worker with hrss leading and tax co (adjusted): hrss on time, tax
      late; no reply yet.
    """
    from station_app.services.case_service import intake, perform

    _on(clock, 11, 20)
    no = {
        "A": intake(w, joint_intake(name="甲")).case_no,
        "B": intake(w, refer_intake(name="乙")).case_no,
        "C": intake(w, joint_intake(name="丙")).case_no,
        "E": intake(h, refer_intake(name="戊")).case_no,
        "F": intake(w, joint_intake(name="己")).case_no,
        "G": intake(h, refer_intake(name="庚")).case_no,
        "K": intake(w, intake_json(name="壬", periods=(("2023-01", "2023-12"),))).case_no,
        "M": intake(w, joint_intake(name="癸")).case_no,
    }
    for key in "ABCKM":
        data: dict[str, Any] = {}
        if key == "M":
            data = {"override": {"track": "joint", "lead": "hrss", "co": ["tax"]}, "reason": "人社局为主办理"}
        perform(w, no[key], "route", data)
    perform(h, no["E"], "route", {})
    perform(w, no["B"], "return", {"dept": "tax", "reason": "不属于本部门职责"})
    perform(h, no["B"], "clue_transfer", {"dept": "tax", "reason": "无正当理由拒不处理"})
    perform(h, no["A"], "extend", {"dept": "hrss", "days": 3, "reason": "需调取2023年档案"})  # 11-27 -> 12-02

    _on(clock, 11, 24)
    perform(w, no["F"], "route", {})  # due 11-21: late; opinions due 12-01

    _on(clock, 11, 25)
    for key in "AC":
        perform(w, no[key], "opinion", {"dept": "tax", "text": "税务局书面意见"})
    perform(w, no["K"], "handled", {"dept": "hrss", "text": "人社局已办结"})  # due 11-27: on time
    perform(w, no["M"], "opinion", {"dept": "hrss", "text": "人社局书面意见"})

    _on(clock, 12, 1)
    perform(w, no["A"], "opinion", {"dept": "hrss", "text": "人社局书面意见"})  # due 12-02: on time
    perform(w, no["C"], "opinion", {"dept": "hrss", "text": "人社局书面意见"})  # due 11-27: late
    perform(w, no["F"], "opinion", {"dept": "tax", "text": "税务局书面意见"})  # due 12-01: on time
    perform(w, no["M"], "opinion", {"dept": "tax", "text": "税务局书面意见"})  # due 11-27: late
    perform(h, no["E"], "handled", {"dept": "tax", "text": "税务局已办结"})  # due 11-27: late

    _on(clock, 12, 2)
    perform(w, no["A"], "reply", {"text": "答复"})  # due 12-02: on time
    perform(w, no["K"], "archive", {"text": "归档"})  # due 12-02: on time

    _on(clock, 12, 3)
    perform(w, no["C"], "reply", {"text": "答复"})  # due 12-02: late
    perform(w, no["A"], "archive", {"text": "归档"})  # due 12-09: on time

    _on(clock, 12, 10)
    return no
