"""The holiday table in the store: seeded at init, a year's State Council schedule imported."""

from __future__ import annotations

import json
from typing import Any

from station_app.domain.enums import Role
from station_app.resources import resource_path
from station_app.rules.schedule import read_schedule
from station_app.services.session import Session


def load_seed_payload() -> dict[str, Any]:
    """The bundled seed (from chinesecalendar) as a `calendar_imported` payload."""
    payload: dict[str, Any] = {"source": "", "years": [], "days": {}}
    for path in sorted(resource_path("calendar").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        payload["source"] = data.get("source", path.name)
        payload["years"] = sorted(set(payload["years"]) | {int(y) for y in data["years"]})
        payload["days"].update(data["days"])
    return payload


def import_schedule(session: Session, text_: str, source: str = "import") -> dict[str, Any]:
    """Replace the table for the years in `text_` (JSON or CSV, see rules.schedule)."""
    session.require(Role.ADMIN, Role.HEAD)
    schedule = read_schedule(text_)
    days = {d.isoformat(): ("workday" if w else "holiday") for d, w in sorted(schedule.days.items())}
    years = sorted(schedule.years)
    session.record_one("calendar_imported", {"source": source[:100], "years": years, "days": days})
    return {"years": years, "days": len(days)}
