"""The paper the city office issues after each of its acts (DESIGN.md "City console").

After the coordinator records an act, the console offers the paper that goes out with it:

- `city_assign`: the 交办单 to the assigned departments (四(五): the 12345 office assigns a
  matter a station reported as unclear);
- `approve` / `decline`: the leading group's 批复 to the reporting station (四(二)2(2));
- `minutes`: the 会议纪要 to the task group;
- `opinion`: the 会议纪要 again when one is on record (it lists every department's opinion);
- `feedback_12345`: the written reply (书面答复) when the station has issued one;
- `clue_transfer`: the file (案卷封面及卷内目录) when the case is closed, else the 交办单 that
  shows the department was assigned (四(五): what goes to 纪委监委 with the transfer).

Each is offered only when `paper_rules.check_paper` accepts it for the case as it stands now,
and only at the city: a standalone station records the city's acts from the city's own papers.
"""

from __future__ import annotations

from station_app.documents.payload import PaperKind
from station_app.dto.case import CaseDetail
from station_app.errors import ValidationError
from station_app.services.paper_rules import check_paper
from station_app.services.session import Session

#: The papers each city act may go out with, the preferred one first.
ACT_PAPERS: dict[str, tuple[PaperKind, ...]] = {
    "city_assign": (PaperKind.ASSIGNMENT,),
    "approve": (PaperKind.APPROVAL,),
    "decline": (PaperKind.APPROVAL,),
    "minutes": (PaperKind.MINUTES,),
    "opinion": (PaperKind.MINUTES,),
    "feedback_12345": (PaperKind.REPLY,),
    "clue_transfer": (PaperKind.ARCHIVE, PaperKind.ASSIGNMENT),
}


def paper_after_act(session: Session, case: CaseDetail, action: str) -> PaperKind | None:
    """The paper to offer right after `action` was recorded on `case`, or None.

    Args:
        session: the coordinator's session (None is returned on a station store).
        case: the case as it stands after the act.
        action: the lifecycle action just performed.

    Returns:
        The first paper of `ACT_PAPERS[action]` that fits the case (`check_paper`), or None when
        the act goes out with no paper of ours or none fits yet.
    """
    if not session.is_city:
        return None
    for kind in ACT_PAPERS.get(action, ()):
        try:
            check_paper(case, kind)
        except ValidationError:
            continue
        return kind
    return None
