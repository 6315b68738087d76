"""The routing engine: category + periods + insurance types + flags -> track, lead, co, reasons.

Semantics (DESIGN.md, "Default routing table"):
- A disputed period entirely before the cutoff month is *pre*, entirely at/after it is *post*;
  one that crosses it yields both segments. Each segment is routed by the table and the
  departments are united.
- With no periods (allowed except for the categories the table lists as requiring one, which
  raise `ValidationError`), the *post* column is used and a reason says so.
- When the lead spec is INS and no insurance type is given, the intake is refused on
  `insurance_types` (never a silent default: a medical matter must not land at 人社).
- A category rule may have variants chosen by a flag (category 9 with a labour-relation
  dispute is 人社's, 三(二)3: no longer 报送, the track follows the department count).
- A `segment_lead: INS` modifier (not_enrolled, 三(二)2) makes the insurance types'
  departments lead every segment; the department the table had leading becomes co. Under
  submit_city the lead stays and those departments are added as co.
- A dismissed civil or arbitration claim for 补缴 is no bar (三(二)6): the matter is routed
  and a reason says why; a pending proceeding makes it not_accepted.
- Several lead candidates: the first in the table's precedence (tax, hrss, medical) leads, the
  others become co-handlers.
- Modifiers then apply in table order; the track is the highest of
  not_accepted > submit_city > major > joint (2+ departments) > refer. For submit_city the lead
  stays and modifiers only add co-handlers; not_accepted has no departments. Departments the
  table adds per track (justice for major) are added for the final track only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from station_app.domain.enums import DEPARTMENT_SHORT, Department, Flag, InsuranceType, Track
from station_app.domain.intake import Intake, Month
from station_app.domain.routing import RoutingDecision
from station_app.errors import ValidationError
from station_app.rules.table import (
    CategoryRule,
    RoutingTable,
    SegmentRule,
    default_routing_table,
)

TRACK_ORDER = (
    Track.NOT_ACCEPTED,
    Track.SUBMIT_CITY,
    Track.MAJOR,
    Track.JOINT,
    Track.REFER,
)
EFFECT = {Track.NOT_ACCEPTED: "不予受理,应通过该程序解决"}


@dataclass(frozen=True)
class RoutingSettings:
    """The routing thresholds a station may set.

    Attributes:
        cutoff: the 统模式 reform date (三(二)2) that splits disputed periods into pre and post.
        group_threshold: people affected from which the table's `group_size` track applies
            (重大疑难 in the bundled table, 四(二)2).
        amount_threshold: yuan in dispute from which the table's `amount_claimed` track applies.
    """

    cutoff: date = date(2024, 4, 1)
    group_threshold: int = 10
    amount_threshold: Decimal = Decimal("500000")


def route(
    intake: Intake,
    settings: RoutingSettings | None = None,
    table: RoutingTable | None = None,
) -> RoutingDecision:
    """Route one validated intake (pure).

    Returns:
        The decision: track, lead (None when not_accepted), co sorted by code, and reasons.

    Raises:
        ValidationError: on `periods` when the category needs a disputed period and has none;
            on `insurance_types` when an INS lead is needed and no insurance type is given.
    """
    settings = settings or RoutingSettings()
    table = table or default_routing_table()
    reasons: list[str] = []
    rule, variant = table.categories[intake.category].for_flags(intake.has)
    if variant is not None:
        reasons.append(f"{_head(intake)},{variant.label} → 不属于职责不清,按部门职责分流")
    candidates, co = _table_departments(intake, rule, settings, table, reasons)
    thresholds = _threshold_votes(intake, settings, table)
    votes = _track_votes(intake, rule, table) + thresholds
    high = min((t for t, _ in votes), key=TRACK_ORDER.index, default=None)
    if high is Track.NOT_ACCEPTED:
        refusals = tuple(f"{why} → {EFFECT[high]}" for t, why in votes if t is high)
        return RoutingDecision(Track.NOT_ACCEPTED, None, (), refusals)
    if (claim := intake.dismissed_claim) is not None:
        reasons.append(
            f"{claim.kind.label}中的补缴请求已被驳回{_proceeding_ref(claim.body, claim.case_no)}:补缴社会保险费不属于"
            "民事纠纷,应通过行政途径解决(三(二)6) → 不构成不予受理,依职责分流"
        )
    lead = min(candidates, key=lambda d: _precedence(d, table))
    co |= candidates - {lead}
    if len(candidates) > 1:
        order = "、".join(_names(table.lead_precedence))
        reasons.append(f"牵头候选{_names_text(candidates, table)},按{order}的顺序 → {_name(lead)}牵头,其余协办")
    lead = _apply_modifiers(intake, table, lead, co, high, reasons)
    for track, why in thresholds:
        reasons.append(f"{why} → {_track_effect(track, high)}")
    track = high or (Track.JOINT if co - {lead} else Track.REFER)
    adds = table.track_adds.get(track, ())
    if adds:
        co.update(adds)
        reasons.append(f"{track.label}事项 → 增加{'、'.join(_names(adds))}")
    co.discard(lead)
    if high is None:
        count = len(co) + 1
        reasons.append(f"涉及{count}个部门 → {track.label}" if count > 1 else f"仅涉及1个部门 → {track.label}")
    return RoutingDecision(track, lead, tuple(sorted(co, key=lambda d: d.value)), tuple(reasons))


def _apply_modifiers(
    intake: Intake,
    table: RoutingTable,
    lead: Department,
    co: set[Department],
    high: Track | None,
    reasons: list[str],
) -> Department:
    """Apply the flagged modifiers in table order (updating `co`); returns the lead."""
    for mod in table.modifiers:
        if not intake.has(mod.flag):
            continue
        effects: list[str] = []
        if mod.segment_ins:
            effects.append(_segment_ins_effect(intake, table, co, high))
        if mod.lead is not None and high is Track.SUBMIT_CITY:
            co.add(mod.lead)
            effects.append(f"{_name(mod.lead)}协办(报送办理,牵头部门不变)")
        elif mod.lead is not None:
            co.add(lead)
            lead = mod.lead
            effects.append(f"{_name(lead)}牵头")
        if mod.add:
            co.update(mod.add)
            effects.append("增加" + "、".join(_names(mod.add)))
        if mod.track is not None:
            effects.append(_track_effect(mod.track, high))
        reasons.append(f"{mod.flag.label} → {','.join(effects)}")
    return lead


def _table_departments(
    intake: Intake,
    rule: CategoryRule,
    settings: RoutingSettings,
    table: RoutingTable,
    reasons: list[str],
) -> tuple[set[Department], set[Department]]:
    """Lead candidates and co-handlers from the table, one reason per segment routed."""
    candidates: set[Department] = set()
    co: set[Department] = set()
    ins_lead = rule.track is None and any(m.segment_ins and intake.has(m.flag) for m in table.modifiers)
    for text, seg in _segment_rules(intake, rule, settings, table):
        if ins_lead and seg.lead is not None:
            seg = SegmentRule(None, (*seg.co, seg.lead))
        leads = _leads(seg, intake.insurance_types, table)
        candidates |= leads
        co.update(seg.co)
        result = _names_text(leads, table)
        if rule.track is not None:
            result = f"{rule.track.label},{result}"
        if seg.co:
            result += ",协办:" + "、".join(_names(seg.co))
        reasons.append(f"{text} → {result}")
    return candidates, co


def _segment_ins_effect(intake: Intake, table: RoutingTable, co: set[Department], high: Track | None) -> str:
    """The reason text of a `segment_lead: INS` modifier.

    The segments were led already; under submit_city the insurance types' departments join
    `co` (which this updates).
    """
    if high is Track.SUBMIT_CITY:
        branches = _leads(SegmentRule(None), intake.insurance_types, table)
        co.update(branches)
        return f"{_names_text(branches, table)}协办(报送办理,牵头部门不变)"
    return "各期间由险种主管部门牵头,表中原牵头部门改为协办(税务局只负责已按规定参加社会保险的缴费人,三(二)2)"


def _head(intake: Intake) -> str:
    return f"争议类别{int(intake.category)}({intake.category.label})"


def _proceeding_ref(body: str, case_no: str) -> str:
    parts = [p for p in (body, f"案号{case_no}" if case_no else "") if p]
    return f"({','.join(parts)})" if parts else ""


def _segment_rules(
    intake: Intake, rule: CategoryRule, settings: RoutingSettings, table: RoutingTable
) -> list[tuple[str, SegmentRule]]:
    """The table rows that apply, each with the start of its reason."""
    head = _head(intake)
    cutoff = settings.cutoff.isoformat()
    pre, post = _segments(intake, settings, table)
    if rule.track is not None and rule.pre == rule.post:
        return [(head, rule.post)]
    if not pre and not post:
        return [(f"{head},未填写争议期间,按{cutoff}之后规则", rule.post)]
    if pre and post and rule.pre == rule.post:
        return [(f"{head},期间跨越{cutoff}(前后规则相同)", rule.post)]
    if pre and post:
        return [
            (f"{head},{cutoff}之前的期间", rule.pre),
            (f"{head},{cutoff}之后的期间", rule.post),
        ]
    side = ("之前", rule.pre) if pre else ("之后", rule.post)
    return [(f"{head},期间在{cutoff}{side[0]}", side[1])]


def _segments(intake: Intake, settings: RoutingSettings, table: RoutingTable) -> tuple[bool, bool]:
    """(has a pre segment, has a post segment)."""
    if not intake.periods and intake.category in table.categories_requiring_period:
        raise ValidationError({"periods": "该类争议须填写争议期间"})
    cut = Month(settings.cutoff.year, settings.cutoff.month).index
    for i, period in enumerate(intake.periods):
        if period.end.index < period.start.index:
            raise ValidationError({f"periods[{i}].to": "结束月份不能早于开始月份"})
    pre = any(p.start.index < cut for p in intake.periods)
    post = any(p.end.index >= cut for p in intake.periods)
    return pre, post


def _leads(seg: SegmentRule, types: tuple[InsuranceType, ...], table: RoutingTable) -> set[Department]:
    if seg.lead is not None:
        return {seg.lead}
    if not types:
        raise ValidationError({"insurance_types": "该事项由险种主管部门(人社局或医保局)办理,请选择涉及险种"})
    return {t.branch for t in types}


def _track_votes(intake: Intake, rule: CategoryRule, table: RoutingTable) -> list[tuple[Track, str]]:
    """Every (track, why) the category or a flag asks for."""
    votes: list[tuple[Track, str]] = []
    if rule.track is not None:
        votes.append((rule.track, f"争议类别{int(intake.category)}({intake.category.label})"))
    votes += [
        (m.track, _flag_text(intake, m.flag)) for m in table.modifiers if m.track is not None and intake.has(m.flag)
    ]
    return votes


def _flag_text(intake: Intake, flag: Flag) -> str:
    """The flag's label; a recorded proceeding is named (kind, body, case number)."""
    p = intake.proceeding
    if flag is Flag.IN_LEGAL_PROCEEDINGS and p is not None:
        state = "(复议申请已被驳回)" if p.dismissed else ""
        return f"已进入{p.kind.label}程序{_proceeding_ref(p.body, p.case_no)}{state}"
    return flag.label


def _threshold_votes(intake: Intake, settings: RoutingSettings, table: RoutingTable) -> list[tuple[Track, str]]:
    """(track, why) for the group size and amount thresholds that are reached."""
    votes: list[tuple[Track, str]] = []
    group = table.threshold_tracks.get("group_size")
    if group is not None and intake.group_size >= settings.group_threshold:
        votes.append((group, f"群体性({settings.group_threshold}人及以上)"))
    amount = table.threshold_tracks.get("amount_claimed")
    if amount is not None and intake.amount_claimed is not None and intake.amount_claimed >= settings.amount_threshold:
        votes.append((amount, f"争议金额{_yuan(settings.amount_threshold)}及以上"))
    return votes


def _track_effect(track: Track, high: Track | None) -> str:
    text = EFFECT.get(track, track.label)
    return text if high in (None, track) else f"{text}({high.label}优先)"


def _precedence(dept: Department, table: RoutingTable) -> tuple[int, str]:
    order = table.lead_precedence
    return (order.index(dept) if dept in order else len(order), dept.value)


def _name(dept: Department) -> str:
    return DEPARTMENT_SHORT[dept]


def _names(depts: tuple[Department, ...]) -> list[str]:
    return [_name(d) for d in depts]


def _names_text(depts: set[Department], table: RoutingTable) -> str:
    return "、".join(_name(d) for d in sorted(depts, key=lambda d: _precedence(d, table)))


def _yuan(amount: Decimal) -> str:
    if amount >= 10000 and amount % 10000 == 0:
        return f"{amount / 10000:f}万元"
    return f"{amount:f}元"
