"""Why an offered action cannot be taken yet, decided from the case's record.

The reason is known before the worker writes anything: the same checks the case service makes
when the action is performed.

The desk shows the reason beside a disabled button (书面答复 while opinions are missing);
`case_service.perform` raises the same sentence, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from station_app.domain.enums import Department, Track

MAJOR_NOT_APPROVED = "重大疑难事项须经领导小组组长批准"
MAJOR_NO_MINUTES = "重大疑难事项须先形成会议纪要"


def missing_opinions(opinions: Iterable[tuple[str, str | None]]) -> str | None:
    """The refusal while departments owe their written opinion, or None.

    `opinions`: (department code, opinion text or None) of every department on the case.
    """
    missing = [code for code, opinion in opinions if not opinion]
    if not missing:
        return None
    return "尚缺以下部门的书面意见:" + "、".join(Department(code).full_name for code in missing)


def blocked_actions(
    offered: Iterable[str],
    track: Track,
    approved: bool,
    opinions: Iterable[tuple[str, str | None]],
    recorded: frozenset[str],
    refusing: Iterable[str] = (),
) -> tuple[tuple[str, str], ...]:
    """(action, reason) for each offered action whose required record is not there yet.

    `recorded`: the kinds of notes on the case (e.g. `minutes_recorded`); `refusing`: the codes of
    departments that returned the case, missed or overran their deadline (for a clue transfer).
    """
    opinion_list = list(opinions)
    missing = missing_opinions(opinion_list)
    out: list[tuple[str, str]] = []
    for action in offered:
        why: str | None = None
        if action in ("reply", "minutes"):
            why = missing
            if action == "reply" and why is None and track is Track.MAJOR:
                if not approved:
                    why = MAJOR_NOT_APPROVED
                elif "minutes_recorded" not in recorded:
                    why = MAJOR_NO_MINUTES
        elif action == "extend" and track is not Track.MAJOR and missing is None:
            why = "各部门均已提交书面意见,无需延期"
        elif action == "clue_transfer" and not list(refusing):
            why = "没有退回或逾期未办的部门,不能移送纪委监委"
        if why:
            out.append((action, why))
    return tuple(out)
