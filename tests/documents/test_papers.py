"""What each paper prints: its fields, masking, the embedded font, long text, glyph coverage."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from station_app.documents.fonts import has_glyph
from station_app.domain.enums import Department
from station_app.errors import ValidationError
from station_app.services.paper_service import PaperResult, print_paper
from station_app.services.query_service import get_case
from station_app.services.session import Session
from station_app.services.settings_schema import DEPARTMENT_CONTACTS, DOCUMENTS_TO_BRING, LEGAL_REMEDIES
from station_app.services.stats_service import print_monthly_report
from tests.conftest import STATION_NAME
from tests.documents.conftest import (
    ATTENDEES,
    HRSS_OPINION,
    LONG_SENTENCES,
    LONG_SUMMARY,
    MASKED_ID,
    MASKED_PHONE,
    MINUTES_TEXT,
    PERSON_ID,
    PERSON_PHONE,
    REPLY_TEXT,
    SUBMIT_REASON,
    TAX_OPINION,
    Cases,
    body_text,
    flat,
    page_count,
    pdf_text,
)

CITIZEN = ("receipt", "referral", "refusal", "reply")
INTERNAL = ("assignment", "submission", "minutes", "archive")
CASE_FOR = {
    "receipt": "refer",
    "referral": "refer",
    "assignment": "joint_open",
    "submission": "submit",
    "refusal": "refused",
    "reply": "joint",
    "minutes": "major",
    "archive": "archived",
    "approval": "major",
}
TITLES = {
    "receipt": "社会保险费征缴争议受理回执",
    "referral": "社会保险费征缴争议转办告知单",
    "assignment": "社会保险费征缴争议联办交办单",
    "submission": "社会保险费征缴争议事项报送单",
    "refusal": "社会保险费征缴争议不予受理告知书",
    "reply": "社会保险费征缴争议书面答复",
    "minutes": "社会保险费征缴争议重大疑难事项会商会议纪要",
    "archive": "社会保险费征缴争议案卷",
    "approval": "关于社会保险费征缴争议重大疑难事项的批复",
}


def _print(session: Session, cases: Cases, kind: str, **options: str) -> tuple[PaperResult, str]:
    result = print_paper(session, getattr(cases, CASE_FOR[kind]), kind, options or None)
    return result, pdf_text(result.pdf)


@pytest.mark.parametrize("kind", sorted(CASE_FOR))
def test_every_paper_carries_its_frame(session: Session, cases: Cases, kind: str) -> None:
    result, text = _print(session, cases, kind)
    assert result.pdf.startswith(b"%PDF")
    assert TITLES[kind] in text
    assert flat(result.paper_no) in text and result.paper_no.startswith("漠西调")
    assert getattr(cases, CASE_FOR[kind]) in text
    pages = page_count(result.pdf)
    assert result.pages == pages
    assert f"第1页共{pages}页" in text
    assert STATION_NAME in text
    assert "2025年11月20日" in text  # issue date in Arabic numerals
    assert result.payload.startswith("SA1.") and len(result.payload) < 300


@pytest.mark.parametrize("kind", CITIZEN)
def test_citizen_papers_mask_id_and_phone(session: Session, cases: Cases, kind: str) -> None:
    result, text = _print(session, cases, kind)
    assert MASKED_ID in text
    assert PERSON_ID not in text and PERSON_PHONE not in text
    assert MASKED_PHONE in text
    assert PERSON_ID.encode() not in result.pdf


def test_the_approval_names_the_decision_and_masks_the_payer(session: Session, cases: Cases) -> None:
    """The leading group's 批复 travels between offices: the decision in full, the payer masked."""
    result, text = _print(session, cases, "approval")
    assert "同意按重大疑难事项办理" in text and "工作领导小组成员单位" in text
    assert "漠争议领〔2025〕3号" in text and "王副市长" in text
    assert MASKED_ID in text and MASKED_PHONE in text
    assert PERSON_ID not in text and PERSON_PHONE not in text and PERSON_ID.encode() not in result.pdf
    with pytest.raises(ValidationError) as refused:  # reported, not decided yet: no 批复
        print_paper(session, cases.major_pending, "approval")
    assert "批示" in refused.value.fields["paper"]


def test_employer_phone_is_masked_on_the_receipt(session: Session, cases: Cases) -> None:
    text = pdf_text(print_paper(session, cases.employer, "receipt").pdf)
    assert "138****1111" in text and "13800001111" not in text
    assert "漠河市金山建筑工程有限公司" in text and "缴费单位" in text


@pytest.mark.parametrize("kind", INTERNAL)
def test_department_papers_show_full_identifiers(session: Session, cases: Cases, kind: str) -> None:
    _, text = _print(session, cases, kind)
    assert PERSON_ID in text and PERSON_PHONE in text


def test_receipt_fields(session: Session, cases: Cases) -> None:
    _, text = _print(session, cases, "receipt")
    for needle in (
        "李秀兰",
        "告知转办",
        Department.TAX.full_name,
        "预计答复日期",
        "2025年12月1日前",
        "首问责任人",
        "admin",
        "0457-2812345",
        "4.缴费金额",
        "分流依据",
        "税务局",
        "养老保险",
        "2024年6月至2024年12月",
        "12,000.00元",
        "西林吉镇",
    ):
        assert needle in text, needle


def test_referral_fields_and_stub(session: Session, cases: Cases) -> None:
    result, text = _print(session, cases, "referral")
    tax = DEPARTMENT_CONTACTS["tax"]
    for needle in (
        Department.TAX.full_name,
        tax["address"],
        tax["phone"],
        flat(tax["hours"]),
        "请携带材料",
        "办理时限",
        "2025年11月27日前",
        "回执联",
        "承办部门已于",
        "经办人(签字)",
        "沿此线剪开",
    ):
        assert flat(needle) in text, needle
    for doc in DOCUMENTS_TO_BRING["4"]:
        assert doc in text
    assert len(result.payloads) == 2  # the slip and its return stub each carry a QR code
    assert result.pages == 1


def test_assignment_one_page_per_department(session: Session, cases: Cases) -> None:
    result, text = _print(session, cases, "assignment")
    depts = get_case(session, cases.joint_open).departments
    assert len(depts) == 2 and result.pages == len(depts) == len(result.payloads)
    reader = PdfReader(io.BytesIO(result.pdf))
    for n, page in enumerate(reader.pages, 1):
        page_text = flat(page.extract_text())
        assert f"第{n}份共{len(depts)}份" in page_text
    for d in depts:
        assert f"{d.dept.full_name}:" in text
    for needle in ("请提供的书面意见", "2025年11月27日前", "书面意见", "牵头办理", "协同办理", "签收人"):
        assert needle in text, needle


def test_submission_fields(session: Session, cases: Cases) -> None:
    _, text = _print(session, cases, "submission")
    for needle in (
        SUBMIT_REASON,
        "12345",
        "已协商部门",
        Department.TAX.full_name,
        Department.HRSS.full_name,
        "建议承办部门",
        "纪委监委",
        flat(Department.BUSINESS.full_name),
    ):
        assert needle in text, needle


def test_refusal_names_the_channel(session: Session, cases: Cases) -> None:
    _, text = _print(session, cases, "refusal", proceedings="litigation")
    assert "已进入诉讼程序" in text and "人民法院" in text and "不予受理" in text
    _, text = _print(session, cases, "refusal")
    assert "劳动人事争议仲裁委员会" in text and "行政复议机关" in text


def test_reply_combines_opinions_and_remedies(session: Session, cases: Cases) -> None:
    _, text = _print(session, cases, "reply")
    for needle in (REPLY_TEXT, TAX_OPINION, HRSS_OPINION, "救济途径", "申请调解", "行政复议", "仲裁", "行政诉讼"):
        assert flat(needle) in text, needle
    for remedy in LEGAL_REMEDIES:
        assert flat(remedy["limit"]) in text and flat(remedy["text"]) in text


def test_minutes_fields(session: Session, cases: Cases) -> None:
    _, text = _print(session, cases, "minutes")
    for needle in (
        MINUTES_TEXT,
        ATTENDEES,
        "会议时间",
        "2025年11月20日",
        "同意成立工作专班",
        "各部门书面审批意见",
        f"{Department.COURT.full_name}的书面意见",
        f"{Department.JUSTICE.full_name}的书面意见",
    ):
        assert flat(needle) in text, needle


def test_archive_cover_and_index(session: Session, cases: Cases) -> None:
    result, text = _print(session, cases, "archive")
    for needle in (
        "案卷号",
        "卷内目录",
        "归档日期",
        "已归档",
        "保管期限",
        "■定期30年",  # a joint case's file: 30 years, marked on the form
        "□永久",
        "依据:一般事项(联办)",
        "20251120",
        f"{Department.TAX.full_name}书面意见",
        "文号",
        "页数",
    ):
        assert needle in text, needle
    assert result.pages >= 2


def test_archive_index_lists_the_documents_of_the_file(session: Session, cases: Cases) -> None:
    """卷内目录 lists documents (each paper printed for the case once, with its number, date
    and pages; each department's written opinion), never the events of the case."""
    from station_app.services.case_service import intake, perform
    from tests.factories import joint_intake

    no = intake(session, joint_intake(name="李秀兰", id_number=PERSON_ID, phone=PERSON_PHONE)).case_no
    receipt = print_paper(session, no, "receipt")
    perform(session, no, "route", {})
    assignment = print_paper(session, no, "assignment")
    perform(session, no, "opinion", {"dept": "tax", "text": TAX_OPINION, "received_on": "2025-11-20"})
    perform(session, no, "opinion", {"dept": "hrss", "text": HRSS_OPINION})
    perform(session, no, "reply", {"text": REPLY_TEXT})
    reply = print_paper(session, no, "reply")
    again = print_paper(session, no, "receipt")  # a reprint: the same document, not a new one
    assert again.paper_no == receipt.paper_no
    perform(session, no, "archive", {"text": "材料齐全,归档。"})
    archive = print_paper(session, no, "archive")
    index = _index_page(archive.pdf)
    rows = [
        (1, receipt.paper_no, STATION_NAME, "受理回执", receipt.pages, "补打1次"),
        (2, assignment.paper_no, STATION_NAME, "联办交办单", assignment.pages, ""),
        (3, "—", Department.TAX.full_name, "书面意见", "—", ""),
        (4, "—", Department.HRSS.full_name, "书面意见", "—", ""),
        (5, reply.paper_no, STATION_NAME, "书面答复", reply.pages, ""),
    ]
    for n, number, author, title, pages, note in rows:
        assert flat(f"{n}{number}{author}{title}20251120{pages}{note}") in index, title
    assert index.count(flat(receipt.paper_no)) == 1
    total = receipt.pages + assignment.pages + reply.pages
    assert "本卷共有文件5件" in index
    assert f"卷内文件5件,共{total}页" in pdf_text(archive.pdf)
    for event_label in ("受理登记", "确认分流", "打印文书", "归档", archive.paper_no):
        assert flat(event_label) not in index.split("卷内目录", 1)[1].split("本卷共有")[0], event_label


def _index_page(pdf: bytes) -> str:
    """The text of the pages from 卷内目录 on, without the running header and footer."""
    text = body_text(pdf)
    return text[text.index("卷内目录") :]


def test_monthly_report_fields(session: Session, cases: Cases) -> None:
    result = print_monthly_report(session, "2025-11")
    text = pdf_text(result.pdf)
    for needle in (
        "社会保险费征缴争议处置情况统计月报",
        "2025年11月",
        "按争议类别",
        "按事项所在辖区",
        "按牵头部门",
        "按办理方式",
        "按办理状态",
        "办结率",
        "按时办结率",
        "指标说明",
        "西林吉镇",
    ):
        assert needle in text, needle
    assert "李秀兰" not in text and PERSON_ID not in text


def test_font_is_embedded_as_a_subset(session: Session, cases: Cases) -> None:
    pdf = print_paper(session, cases.refer, "receipt").pdf
    reader = PdfReader(io.BytesIO(pdf))
    names = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            names.append(str(font["/BaseFont"]))
            assert "/FontFile2" in font["/FontDescriptor"].get_object()  # embedded TrueType program
    assert names and all("+WenQuanYiMicroHei" in n for n in names)  # subsets only, no base-14 font


@pytest.mark.parametrize("kind", sorted(CASE_FOR))
def test_no_character_outside_the_font(session: Session, cases: Cases, kind: str) -> None:
    """Every character in the text layer has a glyph: nothing prints as a box."""
    result, _ = _print(session, cases, kind)
    reader = PdfReader(io.BytesIO(result.pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    missing = {ch for ch in text if not ch.isspace() and not has_glyph(ch)}
    assert not missing


@pytest.mark.parametrize("kind", ["receipt", "referral"])
def test_long_summary_flows_onto_more_pages_uncut(session: Session, cases: Cases, kind: str) -> None:
    result = print_paper(session, cases.long, kind)
    assert sum(len(s) for s in LONG_SENTENCES) >= 3000
    assert result.pages >= 2
    assert f"第{result.pages}页共{result.pages}页" in pdf_text(result.pdf)
    text = body_text(result.pdf)
    assert flat(LONG_SUMMARY) in text  # every character, in order, across the page breaks


def test_metadata_carries_no_personal_data(session: Session, cases: Cases) -> None:
    pdf = print_paper(session, cases.refer, "receipt").pdf
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta is not None
    values = " ".join(str(v) for v in meta.values())
    assert "李秀兰" not in values and PERSON_ID not in values and "受理回执" in values
