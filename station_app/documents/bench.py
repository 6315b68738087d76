"""`paper_p95_ms` of the benchmark: printing a receipt, end to end (numbering, PDF, event)."""

from __future__ import annotations

import time

from station_app.domain.enums import Track
from station_app.services.paper_service import print_paper
from station_app.services.query_service import CaseQuery, get_case, list_cases
from station_app.services.session import Session


def _receipt_case(session: Session, case_no: str) -> str:
    """`case_no`, or another case when its track takes no receipt (not accepted)."""
    if get_case(session, case_no).routing.track is not Track.NOT_ACCEPTED:
        return case_no
    for track in (Track.REFER, Track.JOINT, Track.MAJOR, Track.SUBMIT_CITY):
        rows = list_cases(session, CaseQuery(track=track.value), limit=1)
        if rows:
            return rows[0].case_no
    raise LookupError("no case takes a receipt")


def bench_paper(session: Session, case_no: str, n: int = 20) -> float:
    """The p95, in milliseconds, of printing a receipt of `case_no` `n` times (reprints after the first).

    Times `print_paper(session, case_no, "receipt")`; another case is used when `case_no` takes
    no receipt. One untimed print first registers the font, as the app does once at start.
    """
    case_no = _receipt_case(session, case_no)
    print_paper(session, case_no, "receipt")
    times: list[float] = []
    for _ in range(max(n, 1)):
        start = time.perf_counter()
        print_paper(session, case_no, "receipt")
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[min(len(times) - 1, max(0, round(0.95 * (len(times) - 1))))]
