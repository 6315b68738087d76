"""A station with one case in each state a paper needs, built once per test module."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from station_app.clock import FixedClock
from station_app.services.case_service import intake, perform
from station_app.services.query_service import get_case
from station_app.services.session import Session
from station_app.services.station_service import init_station
from station_app.synthetic import make_id
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, START, STATION_CODE, STATION_NAME, TOWN_CODE
from tests.factories import (
    intake_json,
    joint_intake,
    major_intake,
    not_accepted_intake,
    refer_intake,
    submit_city_intake,
)

PERSON_ID = make_id(random.Random(3), birth=date(1968, 7, 9), region="232723")
PERSON_PHONE = "13912345678"
MASKED_ID = PERSON_ID[:4] + "*" * 10 + PERSON_ID[-4:]
MASKED_PHONE = "139****5678"
LONG_SENTENCES = [f"第{n:03d}句:单位自2019年起未按实际工资申报缴费基数,本人多次沟通未果。" for n in range(1, 101)]
LONG_SUMMARY = "".join(LONG_SENTENCES)
REPLY_TEXT = "经联合核查,单位应按实际工资补缴2023年10月至2024年6月的养老保险费,改革时点前部分由人社局核定。"
TAX_OPINION = "税务局意见:2024年4月后申报的缴费基数低于实际工资,依法责令补缴。"
HRSS_OPINION = "人社局意见:2024年4月前的欠缴部分由人社局核定补缴金额。"
MINUTES_TEXT = "会议议定:一、由税务局牵头核定欠费金额;二、法院依法确定清偿顺序。"
ATTENDEES = "常务副市长、税务局、人社局、法院、司法局"
SUBMIT_REASON = "该事项涉及多部门职责交叉,现有分工未明确承办部门。"


@dataclass(frozen=True)
class Cases:
    refer: str  # routed, refer to tax
    refer_new: str  # registered, not yet routed
    joint: str  # replied: two opinions and a written reply
    joint_open: str  # routed, waiting for opinions
    major: str  # approved, opinions, minutes, replied
    major_pending: str  # escalated, not approved
    submit: str  # submitted to the city with reason, consulted and suggested departments
    refused: str  # not accepted (already in litigation)
    archived: str  # joint, replied and archived
    long: str  # refer, 3,000-character summary
    employer: str  # the applicant is an employer


def _person(**kw: object) -> dict[str, object]:
    return {"name": "李秀兰", "id_number": PERSON_ID, "phone": PERSON_PHONE, **kw}


def build_cases(s: Session) -> Cases:
    def add(data: dict[str, object]) -> str:
        return intake(s, data).case_no

    refer = add(refer_intake(**_person()))
    perform(s, refer, "route", {})
    refer_new = add(refer_intake(**_person()))

    def replied_joint() -> str:
        no = add(joint_intake(**_person()))
        perform(s, no, "route", {})
        perform(s, no, "opinion", {"dept": "tax", "text": TAX_OPINION})
        perform(s, no, "opinion", {"dept": "hrss", "text": HRSS_OPINION})
        perform(s, no, "reply", {"text": REPLY_TEXT})
        return no

    joint = replied_joint()
    joint_open = add(joint_intake(**_person()))
    perform(s, joint_open, "route", {})

    major = add(major_intake(**_person()))
    perform(s, major, "route", {})
    perform(
        s,
        major,
        "approve",
        {
            "text": "同意成立工作专班。",
            "approver": "王副市长",
            "date": "2025-11-20",
            "document_no": "漠争议领〔2025〕3号",
        },
    )
    for d in get_case(s, major).departments:
        perform(s, major, "opinion", {"dept": d.dept.value, "text": f"{d.dept.full_name}的书面意见。"})
    perform(s, major, "minutes", {"text": MINUTES_TEXT, "attendees": ATTENDEES, "held_on": "2025-11-20"})
    perform(s, major, "reply", {"text": REPLY_TEXT})
    major_pending = add(major_intake(**_person()))
    perform(s, major_pending, "route", {})

    submit = add(submit_city_intake(**_person()))
    perform(s, submit, "submit_city", {"reason": SUBMIT_REASON, "consulted": ["tax", "hrss"], "suggested": "hrss"})

    refused = add(not_accepted_intake(**_person()))
    perform(s, refused, "route", {})

    archived = replied_joint()
    perform(s, archived, "archive", {"text": "材料齐全,归档。"})

    long = add(refer_intake(**_person(summary=LONG_SUMMARY)))
    perform(s, long, "route", {})

    data = intake_json()
    data["applicant"] = {
        "kind": "employer",
        "name": "漠河市金山建筑工程有限公司",
        "uscc": data["respondent"]["uscc"],
        "contact": "王伟",
        "phone": "13800001111",
    }
    data.pop("respondent")
    employer = add(data)
    perform(s, employer, "route", {})
    return Cases(refer, refer_new, joint, joint_open, major, major_pending, submit, refused, archived, long, employer)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Session, Cases]]:
    data_dir: Path = tmp_path_factory.mktemp("papers") / "station"
    session = init_station(
        data_dir, STATION_CODE, STATION_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD, FixedClock(START), FAST_KDF
    )
    try:
        yield session, build_cases(session)
    finally:
        session.close()


@pytest.fixture
def session(env: tuple[Session, Cases]) -> Session:
    return env[0]


@pytest.fixture
def cases(env: tuple[Session, Cases]) -> Cases:
    return env[1]


# full-width punctuation read back as ASCII, so needles can be written either way
_FULL_WIDTH = str.maketrans(
    {"\uff0c": ",", "\uff1a": ":", "\uff1b": ";", "\uff08": "(", "\uff09": ")", "\uff1f": "?", "\uff01": "!"}
)


def pdf_text(pdf: bytes) -> str:
    """The text layer of every page, whitespace removed, full-width punctuation made ASCII."""
    reader = PdfReader(io.BytesIO(pdf))
    raw = "".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", "", raw).translate(_FULL_WIDTH)


def body_text(pdf: bytes) -> str:
    """Like `pdf_text`, without the running header and footer of each page, so that text
    flowing across a page break reads continuously."""
    reader = PdfReader(io.BytesIO(pdf))
    out = []
    for page in reader.pages:
        text = re.sub(r"\s+", "", page.extract_text() or "").translate(_FULL_WIDTH)
        text = re.sub(r"^漠[^号]*〔\d{4}〕\d+号(补打\(第\d+次\))?[^·]*·社会保险费征缴争议联合处置", "", text)
        text = re.sub(r"第\d+页共\d+页(案件编号[\d-]+)?(漠[^号]*〔\d{4}〕\d+号)?$", "", text)
        out.append(text)
    return "".join(out)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text).translate(_FULL_WIDTH)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)
