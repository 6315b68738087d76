"""Declarative settings: key, default, kind and Chinese label. Stored as events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from station_app.domain.enums import TOWNS


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its key, default, kind and label, and its bounds for a number.

    `kind` is one of int, float, str, date, money (yuan) or json.
    """

    key: str
    default: Any
    kind: str  # int | float | str | date | money | json
    label: str
    minimum: float | None = None
    maximum: float | None = None
    editable: bool = True  # False: changed only by its own service call (a confirmation, say)


DEPARTMENT_CONTACTS: dict[str, dict[str, str]] = {
    "tax": {
        "address": "漠河市西林吉镇中央街税务局办税服务厅",
        "phone": "0457-2822366",
        "hours": "工作日 8:30-11:30,13:30-17:00",
    },
    "hrss": {
        "address": "漠河市西林吉镇政务服务中心人社窗口",
        "phone": "0457-2823156",
        "hours": "工作日 8:30-11:30,13:30-17:00",
    },
    "medical": {
        "address": "漠河市西林吉镇政务服务中心医保窗口",
        "phone": "0457-2825120",
        "hours": "工作日 8:30-11:30,13:30-17:00",
    },
    "justice": {"address": "漠河市司法局公共法律服务中心", "phone": "0457-2821148", "hours": "工作日 8:30-17:00"},
    "court": {"address": "漠河市人民法院诉讼服务中心", "phone": "0457-2822103", "hours": "工作日 8:30-17:00"},
    "petition": {"address": "漠河市信访局接待大厅", "phone": "0457-2823420", "hours": "工作日 8:30-17:00"},
    "cyberspace": {"address": "中共漠河市委网信办", "phone": "0457-2826012", "hours": "工作日 8:30-17:00"},
    "business": {"address": "漠河市营商环境建设监督局(12345热线办)", "phone": "12345", "hours": "全天"},
    "city_gov": {"address": "漠河市人民政府领导小组办公室", "phone": "0457-2822001", "hours": "工作日 8:30-17:00"},
    "discipline": {"address": "漠河市纪委监委", "phone": "0457-2823012", "hours": "工作日 8:30-17:00"},
    "town": {"address": "所在镇人民政府", "phone": "", "hours": "工作日 8:30-17:00"},
}

DOCUMENTS_TO_BRING: dict[str, list[str]] = {
    "1": ["本人身份证原件及复印件", "社会保险登记或转移相关材料", "劳动合同或用工证明"],
    "2": ["本人身份证原件及复印件", "参保登记信息截图或凭证"],
    "3": ["身份证或营业执照复印件", "缴费基数申报表", "工资发放明细"],
    "4": ["身份证或营业执照复印件", "缴费凭证或缴费记录", "工资发放明细"],
    "5": ["身份证原件及复印件", "人社/医保部门核定通知书"],
    "6": ["身份证或营业执照复印件", "滞纳金缴款凭证或通知"],
    "7": ["本人身份证原件及复印件", "待遇核定或支付相关材料", "银行账户信息"],
    "8": ["身份证或营业执照复印件", "检查或追缴通知书", "缴费记录"],
    "9": ["身份证或营业执照复印件", "与争议有关的全部材料"],
}

LEGAL_REMEDIES: list[dict[str, str]] = [
    {
        "route": "mediation",
        "text": "可向所在镇社保费争议调解站或人民调解委员会申请调解",
        "limit": "自收到本答复之日起随时可申请",
    },
    {
        "route": "reconsideration",
        "text": "对具体行政行为不服的,可依法申请行政复议",
        "limit": "自知道该行政行为之日起60日内",
    },
    {
        "route": "arbitration",
        "text": "属于劳动争议的,可向劳动人事争议仲裁委员会申请仲裁",
        "limit": "自知道或应当知道权利被侵害之日起1年内",
    },
    {
        "route": "litigation",
        "text": "对具体行政行为不服的,可依法提起行政诉讼",
        "limit": "自知道作出行政行为之日起6个月内",
    },
]

SCHEMA: tuple[SettingSpec, ...] = (
    SettingSpec("cutoff_date", "2024-04-01", "date", "统模式改革时点"),
    SettingSpec("group_threshold", 10, "int", "群体性事件人数阈值", 2, 10000),
    SettingSpec("amount_threshold", "500000", "money", "重大疑难金额阈值(元)", 0, 1e12),
    SettingSpec("routing_days", 1, "int", "分类流转时限(工作日)", 1, 30),
    SettingSpec("opinion_days", 5, "int", "部门书面意见时限(工作日)", 1, 60),
    SettingSpec("opinion_extension_max", 10, "int", "书面意见最长延期(工作日)", 0, 60),
    SettingSpec("major_days", 15, "int", "重大疑难办理时限(工作日)", 1, 90),
    SettingSpec("major_extension_max", 15, "int", "重大疑难最长延期(工作日)", 0, 90),
    SettingSpec("reply_days", 1, "int", "答复缴费人时限(工作日)", 1, 30),
    SettingSpec("archive_days", 5, "int", "归档时限(工作日)", 1, 60),
    SettingSpec("warn_ratio", 0.8, "float", "临期提醒比例", 0.1, 0.99),
    SettingSpec("idle_lock_minutes", 10, "int", "空闲自动锁定(分钟)", 1, 240),
    SettingSpec("sync_interval_minutes", 5, "int", "后台同步间隔(分钟,配置网络中转时)", 1, 240),
    SettingSpec("lockout_max_failures", 5, "int", "登录失败锁定次数", 3, 20),
    SettingSpec("lockout_minutes", 15, "int", "登录锁定时长(分钟)", 1, 1440),
    SettingSpec("station_phone", "0457-2812345", "str", "调解站电话"),
    SettingSpec("station_address", "", "str", "调解站地址"),
    SettingSpec("font_scale", 1.0, "float", "字体放大倍数", 0.8, 2.0),
    SettingSpec("backup_reminder_days", 7, "int", "备份提醒间隔(天)", 1, 365),
    SettingSpec("department_contacts", DEPARTMENT_CONTACTS, "json", "部门地址、电话和办公时间"),
    SettingSpec("department_contacts_confirmed", {}, "json", "部门联系方式确认记录", editable=False),
    SettingSpec("documents_to_bring", DOCUMENTS_TO_BRING, "json", "各类争议须携带的材料"),
    SettingSpec("legal_remedies", LEGAL_REMEDIES, "json", "救济途径及时限"),
    # 四(一) 事项所在辖区: the towns whose matters this station takes in (code -> name).
    SettingSpec("jurisdiction_towns", dict(TOWNS), "json", "本站辖区乡镇(代码与名称)"),
)

SPECS: dict[str, SettingSpec] = {s.key: s for s in SCHEMA}


# -- department contacts: samples until confirmed ---------------------------------------------
# The shipped contacts are samples (示例). An admin confirms each department's entry after
# checking it (a `contacts_confirmed` event); a confirmation holds the digest of the entry it saw,
# so an entry changed afterwards is a sample again until confirmed anew.


def contact_digest(entry: Mapping[str, Any]) -> str:
    """A short digest of one department's address, phone and hours."""
    canonical = {k: str(entry.get(k) or "").strip() for k in ("address", "phone", "hours")}
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def contact_confirmed(settings: Mapping[str, Any], dept: str) -> bool:
    """Whether `dept`'s contact entry in `settings` is the one an admin confirmed."""
    entry = (settings.get("department_contacts") or {}).get(dept) or {}
    record = (settings.get("department_contacts_confirmed") or {}).get(dept) or {}
    return bool(record) and record.get("digest") == contact_digest(entry)
