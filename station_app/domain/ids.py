"""Identifiers as their own types, so that one is never passed where another is meant.

A case's uuid, its number and an event's uuid are all text; mypy tells them apart.
They cost nothing at run time (`NewType`): a value read from the store or the JSON edge is
wrapped once where it enters (`CaseNo(row.case_no)`), and reads as `str` everywhere.
"""

from __future__ import annotations

from typing import NewType

CaseUuid = NewType("CaseUuid", str)  # a case's stream id (uuid4 text), stable across stations
CaseNo = NewType("CaseNo", str)  # the number a person sees, types and finds on paper
EventUuid = NewType("EventUuid", str)  # one event of the log (uuid4 text)
