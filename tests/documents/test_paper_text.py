"""What a reader sees of the text: rare characters printed, never dropped; Chinese lines that
break where they should; a seal never alone; a QR code a cheap scanner reads."""

from __future__ import annotations

import io
import itertools
import re
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from station_app.clock import FixedClock
from station_app.documents.base import PaperContext, StationInfo, Story
from station_app.documents.flow import STYLES, esc
from station_app.documents.fonts import FALLBACK_FILE, FALLBACK_LICENSE, has_glyph
from station_app.documents.payload import PaperKind
from station_app.documents.wrap import CANNOT_END, CANNOT_START, CjkParagraph
from station_app.errors import ValidationError
from station_app.resources import resource_path
from station_app.services.action_forms import reply_draft
from station_app.services.case_service import intake, perform
from station_app.services.paper_service import print_paper, verify_payload
from station_app.services.query_service import get_case
from station_app.services.session import Session, login
from station_app.services.user_service import add_user
from tests.conftest import FAST_KDF, event_count
from tests.documents.conftest import Cases, body_text, flat, pdf_text
from tests.factories import joint_intake, major_intake, refer_intake

RARE_NAMES = ["刘䶮", "王𬌗", "陈𡒄", "李䲜", "赵㛃", "周𪚥"]  # Extensions A, B and E
CLOSING = "，。、；：？！）」』】〕》”"


def _fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            assert "/FontFile2" in font["/FontDescriptor"].get_object()  # embedded TrueType
            names.add(str(font["/BaseFont"]))
    return names


def test_fallback_font_ships_with_its_licence() -> None:
    font = resource_path(*FALLBACK_FILE)
    assert font.is_file() and font.stat().st_size < 15_000_000
    licence = resource_path(*FALLBACK_LICENSE).read_text(encoding="utf-8")
    assert "Hanazono Font License" in licence and "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert all(has_glyph(ch) for ch in "䶮𬌗𡒄䲜㛃𪚥𫖯𬭚")


@pytest.mark.parametrize("name", RARE_NAMES)
def test_rare_name_is_printed_from_the_fallback_font(session: Session, name: str) -> None:
    case_no = intake(session, refer_intake(name=name)).case_no
    pdf = print_paper(session, case_no, "receipt").pdf
    text = pdf_text(pdf)
    assert f"{name}:" in text and "(" + name not in text  # the whole name, every character
    assert any("+HanaMin" in n for n in _fonts(pdf))  # embedded as a subset


def test_a_character_no_font_has_is_refused_by_name(session: Session) -> None:
    case_no = intake(session, refer_intake(name="张\U00030edd")).case_no  # Extension G
    before = event_count(session)
    with pytest.raises(ValidationError) as caught:
        print_paper(session, case_no, "receipt")
    assert "\U00030edd" in str(caught.value) and "U+30EDD" in caught.value.fields["paper"]
    assert event_count(session) == before  # nothing numbered, nothing recorded


def test_a_readingless_extension_b_character_is_refused_by_name(session: Session) -> None:
    case_no = intake(session, refer_intake(name="陈\U0002003e")).case_no  # not in the fallback subset
    with pytest.raises(ValidationError) as caught:
        print_paper(session, case_no, "receipt")
    assert "U+2003E" in caught.value.fields["paper"]


def test_invisible_characters_are_left_out(session: Session) -> None:
    case_no = intake(session, refer_intake(name="孙\u200b丽\ufeff")).case_no
    assert "孙丽:" in pdf_text(print_paper(session, case_no, "receipt").pdf)


def _lines(text: str, width: float, key: str = "body") -> list[str]:
    p = CjkParagraph(esc(text), STYLES[key])
    p.wrap(width, 10_000)
    return ["".join(w.text for w in line.words) for line in p.blPara.lines]


SENTENCE = "经联合核查（含2024年4月1日前后两段），单位应按实际工资补缴；“统模式”改革时点前部分由人社局核定。"


@pytest.mark.parametrize("width", range(120, 420, 9))
def test_no_line_starts_with_closing_punctuation(width: int) -> None:
    lines = _lines(SENTENCE * 3 + "请于2025年12月1日前答复，电话0457-2812345。", width)
    assert "".join(lines) == esc(SENTENCE * 3 + "请于2025年12月1日前答复，电话0457-2812345。")
    for before, line in itertools.pairwise(lines):
        assert line[0] not in CANNOT_START, (width, line)
        assert before[-1] not in CANNOT_END, (width, before)


def test_printed_lines_of_every_paper_break_correctly(session: Session, cases: Cases) -> None:
    papers = [("refer", "receipt"), ("refer", "referral"), ("joint", "reply"), ("major", "minutes")]
    for attr, kind in papers:
        pdf = print_paper(session, getattr(cases, attr), kind).pdf
        for page in PdfReader(io.BytesIO(pdf)).pages:
            for line in (page.extract_text() or "").splitlines():
                line = line.strip()
                assert not line or line[0] not in CLOSING, (kind, line)


def test_routing_reasons_use_full_width_punctuation(session: Session, cases: Cases) -> None:
    pdf = print_paper(session, cases.refer, "receipt").pdf
    raw = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    reasons = raw[raw.index("分流依据") :].split("。")[0]
    assert "," not in reasons and ";" not in reasons and "(" not in reasons
    assert "，" in reasons and "：" in reasons


def _ctx() -> PaperContext:
    station = StationInfo("232701100001", "西林吉镇社保费争议调解站", "西林吉镇", "0457-2812345", "")
    return PaperContext(
        PaperKind.REPLY, 2025, 1, datetime(2025, 11, 20, 9, 30), 0, station, "王丽", {}, lambda b: bytes(64)
    )


@pytest.mark.parametrize("sentences", range(18, 48))
def test_seal_never_stands_alone_on_a_page(sentences: int) -> None:
    s = Story(_ctx())
    s.title("社会保险费征缴争议书面答复")
    for n in range(sentences):
        s.para(f"第{n + 1}段:经联合核查,单位应按实际工资补缴2023年10月至2024年6月的养老保险费。")
    s.seal("payer")
    pdf = s.render().pdf
    last = PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
    assert "西林吉镇社保费争议调解站" in last and "2025年11月20日" in last
    assert f"第{sentences}段" in last  # the last lines of text stand above the seal


def test_qr_code_reads_at_150_dpi_and_below(session: Session, cases: Cases, tmp_path: Path) -> None:
    for attr, kind in (("refer", "referral"), ("refer", "receipt"), ("joint", "reply")):
        result = print_paper(session, getattr(cases, attr), kind)
        pdf = tmp_path / f"{kind}.pdf"
        pdf.write_bytes(result.pdf)
        # 120 dpi is 2.6 pixels a module: every one of 280 codes like these read there. At 110 dpi
        # about one in thirty does not (the random part of each payload decides), so it is not asserted.
        for dpi in (150, 130, 120):
            prefix = tmp_path / f"{kind}-{dpi}"
            subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
            pages = sorted(str(p) for p in tmp_path.glob(f"{kind}-{dpi}*.png"))
            scanned = subprocess.run(
                ["zbarimg", "--raw", "-q", *pages], capture_output=True, text=True, check=False
            ).stdout.split()
            assert sorted(scanned) == sorted(result.payloads), (kind, dpi)
            assert all(verify_payload(session, p).valid for p in scanned)


def test_reply_prints_each_opinion_once(session: Session) -> None:
    case_no = intake(session, joint_intake()).case_no
    perform(session, case_no, "route", {})
    opinions = {"tax": "经核查，单位2024年4月后申报基数偏低，依法责令补缴。", "hrss": "改革前欠缴部分由人社局核定。"}
    for dept, text in opinions.items():
        perform(session, case_no, "opinion", {"dept": dept, "text": text})
    perform(session, case_no, "reply", {"text": reply_draft(get_case(session, case_no))})
    text = body_text(print_paper(session, case_no, "reply").pdf)
    for opinion in opinions.values():
        assert text.count(flat(opinion)) == 1, opinion


def test_minutes_name_their_recorder(session: Session) -> None:
    case_no = intake(session, major_intake()).case_no
    perform(session, case_no, "route", {})
    approval = {"text": "同意。", "approver": "王副市长", "date": "2025-11-20", "document_no": "漠争议领〔2025〕9号"}
    perform(session, case_no, "approve", approval)
    for d in get_case(session, case_no).departments:
        perform(session, case_no, "opinion", {"dept": d.dept.value, "text": "书面意见。"})
    minutes = {"text": "会议议定补缴。", "attendees": "税务局、人社局", "held_on": "2025-11-20", "recorder": "赵晓燕"}
    perform(session, case_no, "minutes", minutes)
    assert "记录人赵晓燕" in pdf_text(print_paper(session, case_no, "minutes").pdf)


_ASCII_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,;:()?!]|[,;:()?!][\u4e00-\u9fff]")
EVERY_PAPER = [
    ("refer", "receipt"),
    ("refer", "referral"),
    ("joint", "assignment"),
    ("joint", "reply"),
    ("major", "escalation"),
    ("major", "minutes"),
    ("major", "approval"),
    ("submit", "submission"),
    ("refused", "refusal"),
    ("archived", "archive"),
]


@pytest.mark.parametrize(("attr", "kind"), EVERY_PAPER)
def test_every_printed_line_of_every_paper_is_chinese_typeset(
    session: Session, cases: Cases, attr: str, kind: str
) -> None:
    """No line starts with closing punctuation, and Chinese is set with full-width punctuation:
    the body, and what is drawn around it (the seal's 盖章 note, the issuer, the reprint mark)."""
    case_no = getattr(cases, attr)
    print_paper(session, case_no, kind)
    pdf = print_paper(session, case_no, kind).pdf  # a reprint: 补打 in the header
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "补打" in text and "盖章" in text
    for line in text.splitlines():
        line = line.strip()
        assert not line or line[0] not in CLOSING, (kind, line)
        assert not _ASCII_IN_CHINESE.search(line), (kind, line)


@pytest.fixture
def worker_and_head(
    station: Session, worker: Session, data_dir: Path, clock: FixedClock
) -> Iterator[tuple[Session, Session]]:
    """The worker 王丽 and the head 赵刚 of the station, logged in."""
    add_user(station, "zhaogang", "head", "head-pass-123", "赵刚", FAST_KDF)
    head = login(data_dir, "zhaogang", "head-pass-123", clock)
    yield worker, head
    head.close()


def test_minutes_without_a_recorder_name_the_account_that_entered_them(
    worker_and_head: tuple[Session, Session],
) -> None:
    """The first receiver (王丽) registered the case; the head (赵刚) entered the minutes and
    named no recorder: the minutes name 赵刚."""
    worker, head = worker_and_head
    case_no = intake(worker, major_intake()).case_no
    perform(worker, case_no, "route", {})
    approval = {
        "text": "同意。",
        "approver": "王副市长",
        "date": "2025-11-20",
        "document_no": "漠争议领〔2025〕9号",
    }
    perform(head, case_no, "approve", approval)
    for d in get_case(head, case_no).departments:
        perform(head, case_no, "opinion", {"dept": d.dept.value, "text": "书面意见。"})
    perform(
        head, case_no, "minutes", {"text": "会议议定补缴。", "attendees": "税务局、人社局", "held_on": "2025-11-20"}
    )
    text = pdf_text(print_paper(worker, case_no, "minutes").pdf)
    assert "记录人西林吉镇" in text and text.split("记录人", 1)[1][:30].count("赵刚") == 1
    assert "王丽" not in text.split("记录人", 1)[1][:30]


def test_the_archive_names_who_filed_it(worker_and_head: tuple[Session, Session]) -> None:
    """王丽 took the case in; the head 赵刚 archived it: 赵刚 is the 立卷人 on the cover and the index."""
    worker, head = worker_and_head
    case_no = intake(worker, refer_intake()).case_no
    perform(worker, case_no, "close_on_spot", {"text": "当场答复。"})
    perform(head, case_no, "archive", {})
    text = pdf_text(print_paper(worker, case_no, "archive").pdf)
    assert text.count("立卷人赵刚") == 1 and text.count("立卷人:赵刚") == 1
    assert "立卷人王丽" not in text and "立卷人:王丽" not in text
