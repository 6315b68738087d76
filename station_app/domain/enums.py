"""Stable codes used in data, JSON and bundles, with their Chinese names."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Department(StrEnum):
    """Departments of the joint mechanism (codes never change)."""

    TAX = "tax"
    HRSS = "hrss"
    MEDICAL = "medical"
    JUSTICE = "justice"
    COURT = "court"
    PETITION = "petition"
    CYBERSPACE = "cyberspace"
    BUSINESS = "business"
    CITY_GOV = "city_gov"
    DISCIPLINE = "discipline"
    TOWN = "town"

    @property
    def full_name(self) -> str:
        """The department's full Chinese name, as printed on papers (市税务局)."""
        return DEPARTMENT_NAMES[self]


DEPARTMENT_NAMES: dict[Department, str] = {
    Department.TAX: "国家税务总局漠河市税务局",
    Department.HRSS: "漠河市人力资源和社会保障局",
    Department.MEDICAL: "漠河市医疗保障局",
    Department.JUSTICE: "漠河市司法局",
    Department.COURT: "漠河市人民法院",
    Department.PETITION: "漠河市信访局",
    Department.CYBERSPACE: "中共漠河市委网络安全和信息化委员会办公室",
    Department.BUSINESS: "漠河市营商环境建设监督局(12345热线)",
    Department.CITY_GOV: "漠河市人民政府(领导小组)",
    Department.DISCIPLINE: "漠河市纪委监委",
    Department.TOWN: "镇人民政府",
}

DEPARTMENT_SHORT: dict[Department, str] = {
    Department.TAX: "税务局",
    Department.HRSS: "人社局",
    Department.MEDICAL: "医保局",
    Department.JUSTICE: "司法局",
    Department.COURT: "法院",
    Department.PETITION: "信访局",
    Department.CYBERSPACE: "网信办",
    Department.BUSINESS: "营商局",
    Department.CITY_GOV: "领导小组",
    Department.DISCIPLINE: "纪委监委",
    Department.TOWN: "镇政府",
}


class Category(IntEnum):
    """The policy's dispute categories, numbered 1-9 (never renumbered)."""

    REGISTRATION = 1
    REGISTRATION_INFO = 2
    BASE_DECLARATION = 3
    CONTRIBUTION_AMOUNT = 4
    SPECIAL_AMOUNT = 5
    LATE_FEES = 6
    BENEFITS = 7
    COLLECTION = 8
    OTHER = 9

    @property
    def label(self) -> str:
        """The category's Chinese wording, after the policy's list 三(三)1-9."""
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: dict[Category, str] = {
    Category.REGISTRATION: "登记和关系转移",
    Category.REGISTRATION_INFO: "登记信息传递",
    Category.BASE_DECLARATION: "缴费基数申报",
    Category.CONTRIBUTION_AMOUNT: "缴费金额",
    Category.SPECIAL_AMOUNT: "人社/医保核定的特殊缴费应征金额",
    Category.LATE_FEES: "滞纳金",
    Category.BENEFITS: "待遇核定和支付",
    Category.COLLECTION: "征缴/缴费检查/欠费追缴",
    Category.OTHER: "其他",
}

# The policy's own wording (三、(三)), shown as help on the intake form.
CATEGORY_POLICY_TEXT: dict[Category, str] = {
    Category.REGISTRATION: "用人单位或个人因社会保险登记和关系转移产生争议的",
    Category.REGISTRATION_INFO: "用人单位或个人因社会保险登记信息传递产生争议的",
    Category.BASE_DECLARATION: "用人单位或个人因社会保险费缴费基数申报产生争议的",
    Category.CONTRIBUTION_AMOUNT: "用人单位或个人因社会保险费缴费金额产生争议的",
    Category.SPECIAL_AMOUNT: "用人单位或个人对人社、医保部门核定的特殊缴费应征金额有异议的",
    Category.LATE_FEES: "用人单位或个人对社会保险费滞纳金加收问题有争议的",
    Category.BENEFITS: "用人单位或个人对社会保险费待遇核定和支付有争议的",
    Category.COLLECTION: "用人单位或个人对社会保险费征缴、社会保险费缴费检查、欠费追缴等事项有争议的",
    Category.OTHER: "社会保险费征缴过程中发生的其他争议事项",
}


class InsuranceType(StrEnum):
    """The insurance types a dispute may concern (codes never change).

    Pension, unemployment and work injury belong to 人社; medical and maternity to 医保
    (三(二)3, 4).
    """

    PENSION = "pension"
    UNEMPLOYMENT = "unemployment"
    WORK_INJURY = "work_injury"
    MEDICAL = "medical"
    MATERNITY = "maternity"

    @property
    def label(self) -> str:
        """The insurance type's Chinese name (养老保险)."""
        return INSURANCE_LABELS[self]

    @property
    def branch(self) -> Department:
        """The department that owns this insurance type (三(二)3, 4): 医保 for medical and maternity, else 人社."""
        return Department.MEDICAL if self in (InsuranceType.MEDICAL, InsuranceType.MATERNITY) else Department.HRSS


INSURANCE_LABELS: dict[InsuranceType, str] = {
    InsuranceType.PENSION: "养老保险",
    InsuranceType.UNEMPLOYMENT: "失业保险",
    InsuranceType.WORK_INJURY: "工伤保险",
    InsuranceType.MEDICAL: "医疗保险",
    InsuranceType.MATERNITY: "生育保险",
}


class Track(StrEnum):
    """How a matter is handled after intake (四(一), 四(二), 四(五)).

    `not_accepted` (不予受理: already in arbitration, litigation or reconsideration), `refer`
    (one department's duty: the payer is told where to go), `joint` (一般事项, two or more
    departments), `major` (重大疑难, the leading group) and `submit_city` (职责不清, the report
    slip to the city).
    """

    NOT_ACCEPTED = "not_accepted"
    REFER = "refer"
    JOINT = "joint"
    MAJOR = "major"
    SUBMIT_CITY = "submit_city"

    @property
    def label(self) -> str:
        """The track's Chinese name (联办)."""
        return TRACK_LABELS[self]


TRACK_LABELS: dict[Track, str] = {
    Track.NOT_ACCEPTED: "不予受理",
    Track.REFER: "告知转办",
    Track.JOINT: "一般事项(联办)",
    Track.MAJOR: "重大疑难",
    Track.SUBMIT_CITY: "报送办理",
}


class Channel(StrEnum):
    """How a matter reached the station (visit, phone, letter, grid worker, the 12345 hotline, a transfer)."""

    VISIT = "visit"
    PHONE = "phone"
    LETTER = "letter"
    GRID = "grid"
    HOTLINE_12345 = "hotline_12345"
    TRANSFERRED = "transferred"

    @property
    def label(self) -> str:
        """The channel's Chinese name (来访)."""
        return CHANNEL_LABELS[self]


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.VISIT: "来访",
    Channel.PHONE: "来电",
    Channel.LETTER: "来信",
    Channel.GRID: "网格排查",
    Channel.HOTLINE_12345: "12345热线",
    Channel.TRANSFERRED: "转办",
}


class Flag(StrEnum):
    """Facts ticked at intake that change the routing (the modifiers of the routing table)."""

    LABOUR_RELATION_DISPUTED = "labour_relation_disputed"
    COMPULSORY_ENFORCEMENT = "compulsory_enforcement"
    BANKRUPTCY = "bankruptcy"
    ONLINE_OPINION = "online_opinion"
    REPEAT_PETITION = "repeat_petition"
    IN_LEGAL_PROCEEDINGS = "in_legal_proceedings"
    NOT_ENROLLED = "not_enrolled"

    @property
    def label(self) -> str:
        """The flag's Chinese wording, as on the intake form."""
        return FLAG_LABELS[self]


FLAG_LABELS: dict[Flag, str] = {
    Flag.LABOUR_RELATION_DISPUTED: "涉劳动关系/劳动合同争议",
    Flag.COMPULSORY_ENFORCEMENT: "税务申请强制征缴",
    Flag.BANKRUPTCY: "破产清算涉欠费",
    Flag.ONLINE_OPINION: "涉网络舆情",
    Flag.REPEAT_PETITION: "重复信访",
    Flag.IN_LEGAL_PROCEEDINGS: "已进入仲裁/诉讼/复议程序",
    Flag.NOT_ENROLLED: "未参保(参保争议)",
}


class ProceedingKind(StrEnum):
    """The proceeding a payer is in (不予受理) or whose dismissed claim is on record."""

    ARBITRATION = "arbitration"
    LITIGATION = "litigation"
    RECONSIDERATION = "reconsideration"

    @property
    def label(self) -> str:
        """The proceeding's Chinese name (劳动人事争议仲裁)."""
        return PROCEEDING_LABELS[self]


PROCEEDING_LABELS: dict[ProceedingKind, str] = {
    ProceedingKind.ARBITRATION: "劳动人事争议仲裁",
    ProceedingKind.LITIGATION: "诉讼",
    ProceedingKind.RECONSIDERATION: "行政复议",
}


class Status(StrEnum):
    """Where a case stands in its lifecycle (the `status` column); `domain.lifecycle` moves it."""

    REGISTERED = "registered"
    ROUTED = "routed"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    ARCHIVED = "archived"
    NOT_ACCEPTED = "not_accepted"
    CLOSED_ON_SPOT = "closed_on_spot"
    RETURNED = "returned"
    ESCALATED = "escalated"
    SUBMITTED = "submitted"
    OBJECTION = "objection"
    WITHDRAWN = "withdrawn"
    CLUE_TRANSFERRED = "clue_transferred"

    @property
    def label(self) -> str:
        """The status's Chinese name, as in lists and on the detail screen."""
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        """Whether the case is still open: not archived, not accepted, withdrawn or transferred as a clue."""
        return self not in CLOSED_STATUSES


STATUS_LABELS: dict[Status, str] = {
    Status.REGISTERED: "已登记",
    Status.ROUTED: "已流转",
    Status.IN_PROGRESS: "办理中",
    Status.REPLIED: "已答复",
    Status.ARCHIVED: "已归档",
    Status.NOT_ACCEPTED: "不予受理",
    Status.CLOSED_ON_SPOT: "当场办结",
    Status.RETURNED: "已退回",
    Status.ESCALATED: "重大疑难",
    Status.SUBMITTED: "已报送",
    Status.OBJECTION: "异议处理中",
    Status.WITHDRAWN: "撤回",
    Status.CLUE_TRANSFERRED: "线索移送",
}

CLOSED_STATUSES = frozenset({Status.ARCHIVED, Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.CLUE_TRANSFERRED})


class Role(StrEnum):
    """A station account's role: 受理员, 站长, 管理员, or the city's 市级协调员."""

    WORKER = "worker"
    HEAD = "head"
    ADMIN = "admin"
    COORDINATOR = "coordinator"

    @property
    def label(self) -> str:
        """The role's Chinese name (受理员)."""
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.WORKER: "受理员",
    Role.HEAD: "站长",
    Role.ADMIN: "管理员",
    Role.COORDINATOR: "市级协调员",
}


class ObjectionRoute(StrEnum):
    """Where a payer who disagrees with the outcome may go next (四(三)): mediation, 复议, arbitration, litigation."""

    MEDIATION = "mediation"
    RECONSIDERATION = "reconsideration"
    ARBITRATION = "arbitration"
    LITIGATION = "litigation"

    @property
    def label(self) -> str:
        """The route's Chinese name, as printed on the reply (行政复议)."""
        return OBJECTION_LABELS[self]


OBJECTION_LABELS: dict[ObjectionRoute, str] = {
    ObjectionRoute.MEDIATION: "申请调解",
    ObjectionRoute.RECONSIDERATION: "行政复议",
    ObjectionRoute.ARBITRATION: "仲裁",
    ObjectionRoute.LITIGATION: "行政诉讼",
}


class IncidentKind(StrEnum):
    """What 五(四) 严格责任追究 names as grounds for accountability."""

    WORK_ERROR = "work_error"
    PUBLIC_OPINION = "public_opinion"
    SERIOUS_CONSEQUENCE = "serious_consequence"

    @property
    def label(self) -> str:
        """The incident's Chinese name, as recorded and printed."""
        return INCIDENT_LABELS[self]


INCIDENT_LABELS: dict[IncidentKind, str] = {
    IncidentKind.WORK_ERROR: "工作失误",
    IncidentKind.PUBLIC_OPINION: "引发舆情",
    IncidentKind.SERIOUS_CONSEQUENCE: "造成严重后果",
}

# The six towns of Mohe City (administrative division codes).
TOWNS: dict[str, str] = {
    "232701100": "西林吉镇",
    "232701101": "图强镇",
    "232701102": "阿木尔镇",
    "232701103": "兴安镇",
    "232701104": "北极镇",
    "232701105": "古莲镇",
}
