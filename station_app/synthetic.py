"""Synthetic but valid intakes for the demo station, the benchmark and tests."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from station_app.clock import CHINA_TZ
from station_app.domain.enums import TOWNS, Channel, Flag, InsuranceType

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红建国志文斌宇浩凯鹏飞鑫波辉俊欣雪梅琳颖晨阳海峰亮健"
EMPLOYER_WORDS = ("北极", "林海", "兴安", "龙江", "金山", "漠北", "松岭", "白桦", "冰雪", "鸿运", "北疆", "恒泰")
EMPLOYER_KINDS = (
    "林业有限公司",
    "建筑工程有限公司",
    "商贸有限公司",
    "旅游开发有限公司",
    "物业服务有限公司",
    "餐饮店",
    "运输有限公司",
    "农业专业合作社",
    "砂石料场",
    "宾馆",
)
REGIONS = ("232723", "232701", "232721", "232722", "230102", "230103", "232700")
SUMMARIES = (
    "反映单位未按实际工资申报缴费基数,要求核实并补缴。",
    "反映{y}年起单位欠缴养老保险费,本人即将退休,要求处理。",
    "对滞纳金加收有异议,认为系系统原因延迟缴费。",
    "社保关系从外省转入后缴费年限不连续,要求核查。",
    "参保登记信息与税务系统不一致,无法正常缴费。",
    "单位破产清算,职工社保欠费如何清偿,请求协调。",
    "对人社部门核定的特殊工种补缴金额有异议。",
    "待遇核定金额偏低,要求重新核定。",
    "税务部门检查后要求补缴,单位认为计算有误。",
    "劳动关系存在争议,单位否认用工事实,拒绝缴纳社保。",
    "灵活就业人员医保缴费后未到账。",
    "生育保险待遇未按时支付。",
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (MOD 11-2) of the first 17 digits of an ID number."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return "10X98765432"[total % 11]


def make_id(rng: random.Random, birth: date | None = None, region: str | None = None) -> str:
    """A valid 18-digit ID number for a birth day and region code (random when not given)."""
    region = region or rng.choice(REGIONS)
    birth = birth or date(1955, 1, 1) + timedelta(days=rng.randrange(0, 365 * 48))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + id_check_char(body)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character (MOD 31) of the first 17 characters of a USCC."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def make_uscc(rng: random.Random, prefix: str = "91") -> str:
    """A valid 18-character unified social credit code with Mohe's region code and the given `prefix`."""
    body = prefix + "232723" + "".join(rng.choice(USCC_ALPHABET[:10] + "ABCDEFGHJK") for _ in range(9))
    return body + uscc_check_char(body)


def make_phone(rng: random.Random) -> str:
    """A random 11-digit mobile number."""
    return rng.choice(("139", "138", "137", "158", "186", "152", "135", "177")) + f"{rng.randrange(0, 10**8):08d}"


def make_name(rng: random.Random) -> str:
    """A random Chinese name: a surname and one or two given characters."""
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.55 else "")
    return rng.choice(SURNAMES) + given


def make_employer(rng: random.Random) -> str:
    """A random employer name in Mohe (漠河市...有限公司 and the like)."""
    return "漠河市" + rng.choice(EMPLOYER_WORDS) + rng.choice(EMPLOYER_KINDS)


def make_intake(rng: random.Random, received: datetime | None = None, category: int | None = None) -> dict[str, Any]:
    """One realistic intake JSON (valid for `parse_intake`)."""
    # received in the 300 days up to 2025-11-10: never later than the clocks that take them in
    received = received or datetime(2025, 11, 10, 9, 0, tzinfo=CHINA_TZ) - timedelta(
        minutes=rng.randrange(0, 60 * 24 * 300)
    )
    category = category or rng.choice((1, 2, 3, 4, 4, 4, 5, 6, 7, 7, 8, 8, 9))
    employer = {"kind": "employer", "name": make_employer(rng), "uscc": make_uscc(rng)}
    if rng.random() < 0.85:
        applicant: dict[str, Any] = {
            "kind": "person",
            "name": make_name(rng),
            "id_number": make_id(rng),
            "phone": make_phone(rng),
        }
        respondent: dict[str, Any] | None = employer
    else:
        applicant = {**employer, "contact": make_name(rng), "phone": make_phone(rng)}
        respondent = None
    types = rng.sample([t.value for t in InsuranceType], k=rng.choice((1, 1, 1, 2)))
    start_year = rng.randrange(2019, 2026)
    start = (start_year, rng.randrange(1, 13))
    span = rng.randrange(0, 30)
    end_index = min(start[0] * 12 + start[1] - 1 + span, 2025 * 12 + 9)
    end_index = max(end_index, start[0] * 12 + start[1] - 1)
    periods = [{"from": f"{start[0]:04d}-{start[1]:02d}", "to": f"{end_index // 12:04d}-{end_index % 12 + 1:02d}"}]
    flags = {f.value: False for f in Flag}
    roll = rng.random()
    if roll < 0.08:
        flags[Flag.LABOUR_RELATION_DISPUTED.value] = True
    elif roll < 0.11:
        flags[Flag.COMPULSORY_ENFORCEMENT.value] = True
    elif roll < 0.13:
        flags[Flag.BANKRUPTCY.value] = True
    elif roll < 0.15:
        flags[Flag.ONLINE_OPINION.value] = True
    elif roll < 0.19:
        flags[Flag.REPEAT_PETITION.value] = True
    elif roll < 0.22:
        flags[Flag.IN_LEGAL_PROCEEDINGS.value] = True
    summary = rng.choice(SUMMARIES).format(y=start_year)
    data: dict[str, Any] = {
        "received_at": received.isoformat(timespec="seconds"),
        "channel": rng.choice([c.value for c in Channel]),
        "town_code": rng.choice(list(TOWNS)),
        "applicant": applicant,
        "category": category,
        "insurance_types": types,
        "periods": periods,
        "amount_claimed": f"{rng.randrange(500, 80000)}.00" if rng.random() < 0.97 else "650000.00",
        "group_size": rng.choice((1,) * 20 + (12,)),
        "summary": summary,
        "claim": "请求依法处理并书面答复。",
        "flags": flags,
    }
    if respondent:
        data["respondent"] = respondent
    return data
