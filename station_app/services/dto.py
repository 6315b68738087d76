"""The case DTOs now live in `station_app.dto.case`; these names stay importable from here."""

from station_app.dto.case import CaseDetail as CaseDetail
from station_app.dto.case import CaseSummary as CaseSummary
from station_app.dto.case import DepartmentProgress as DepartmentProgress
from station_app.dto.case import IntakeResult as IntakeResult
from station_app.dto.case import TimelineEntry as TimelineEntry
