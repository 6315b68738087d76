"""Rules as data: routing (category, periods, insurance types, flags) and working-day deadlines."""

from station_app.rules.calendar import (
    WorkCalendar,
    load_default_calendar,
    parse_schedule,
)
from station_app.rules.deadlines import Deadline, DeadlineSettings, deadline_state, due
from station_app.rules.routing import RoutingSettings, route
from station_app.rules.table import RoutingTable, RuleTableError, load_routing_table

__all__ = [
    "Deadline",
    "DeadlineSettings",
    "RoutingSettings",
    "RoutingTable",
    "RuleTableError",
    "WorkCalendar",
    "deadline_state",
    "due",
    "load_default_calendar",
    "load_routing_table",
    "parse_schedule",
    "route",
]
