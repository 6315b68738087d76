"""Typed input of the station's own lifecycle actions (route to archive), read where it enters.

Each parser reads the action's JSON object into a frozen dataclass, checking the fields in the
order the builders always did, so a refusal names the same field with the same message. The
builders in `case_service` then work on typed fields and write the same JSON payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station_app.domain.enums import ObjectionRoute
from station_app.errors import ValidationError
from station_app.services.action_data import ActionCase, dept_field, text_field
from station_app.services.session import Session


@dataclass(frozen=True)
class TextInput:
    """An action whose data is one text: an answer, a reason or a note ("" when optional)."""

    text: str


def parse_close_on_spot(session: Session, case: ActionCase, data: dict[str, Any]) -> TextInput:
    """`close_on_spot`: `{"text"}`, the answer given at the desk.

    Raises:
        ValidationError: on `text` (missing or bad text).
    """
    return TextInput(text_field(data, "text", "当场答复内容"))


def parse_escalate(session: Session, case: ActionCase, data: dict[str, Any]) -> TextInput:
    """`escalate`: `{"reason"}`, why the matter is major (四(二)2(2)).

    Raises:
        ValidationError: on `reason` (missing or bad text).
    """
    return TextInput(text_field(data, "reason", "上报理由"))


def parse_archive(session: Session, case: ActionCase, data: dict[str, Any]) -> TextInput:
    """`archive`: `{"text"?}`, a note on the archiving.

    Raises:
        ValidationError: on `text` (bad text).
    """
    return TextInput(text_field(data, "text", "归档说明", required=False))


def parse_withdraw(session: Session, case: ActionCase, data: dict[str, Any]) -> TextInput:
    """`withdraw`: `{"reason"}`, why the payer withdrew.

    Raises:
        ValidationError: on `reason` (missing or bad text).
    """
    return TextInput(text_field(data, "reason", "撤回理由"))


@dataclass(frozen=True)
class ObjectionInput:
    """The payer's objection to the reply (四(三)): the route taken and a note ("" when none)."""

    route: ObjectionRoute
    text: str


def parse_objection(session: Session, case: ActionCase, data: dict[str, Any]) -> ObjectionInput:
    """`objection`: `{"route", "text"?}`, `route` one of `ObjectionRoute`.

    Raises:
        ValidationError: on `route` (not a route), then on `text`.
    """
    try:
        route = ObjectionRoute(str(data.get("route")))
    except ValueError:
        raise ValidationError({"route": "请选择异议途径:调解、行政复议、仲裁或行政诉讼"}) from None
    return ObjectionInput(route, text_field(data, "text", "异议说明", required=False))


@dataclass(frozen=True)
class SubmitCityInput:
    """A submission to the city when duties are unclear (四(五)).

    Attributes:
        reason: Why the duty is unclear.
        consulted: The departments already consulted (sorted codes, no repeats).
        suggested: The department the station suggests, or None.
    """

    reason: str
    consulted: tuple[str, ...]
    suggested: str | None


def parse_submit_city(session: Session, case: ActionCase, data: dict[str, Any]) -> SubmitCityInput:
    """`submit_city`: `{"reason", "consulted"?, "suggested"?}`.

    Raises:
        ValidationError: on `reason`, `consulted` (not a list, or an unknown code), then
            `suggested`, the first bad one in that order.
    """
    reason = text_field(data, "reason", "职责不清的原因")
    consulted = data.get("consulted") or []
    if not isinstance(consulted, list):
        raise ValidationError({"consulted": "已协商部门应为列表"})
    codes = tuple(sorted({dept_field({"consulted": c}, "consulted") for c in consulted}))
    suggested = dept_field(data, "suggested") if data.get("suggested") else None
    return SubmitCityInput(reason, codes, suggested)
