"""Masking of identifiers on citizen-facing paper, screens and command-line output."""

from __future__ import annotations

from typing import Any

from station_app.domain.enums import Role


def mask_id(value: str | None) -> str:
    """`232723199001011234` -> `2327**********1234`."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """A phone number masked for citizen papers: `13912341234` -> `139****1234`.

    Landlines keep the area code, the last 4 digits and an extension:
    `0457-2812345-801` -> `0457-***2345-801`. None or empty gives "".
    """
    if not value:
        return ""
    digits = value.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if "-" in value:
        area, local, *extension = value.split("-")  # "0457-2812345-801": the extension stays
        return "-".join([area, "*" * max(len(local) - 4, 0) + local[-4:], *extension])
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_name(value: str | None) -> str:
    """`张三丰` -> `张**` (for lists shown while a citizen stands at the desk)."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


# Who may see a full ID or phone number on request (on screen, `--reveal` on the command line,
# an export with full identifiers): every role that works cases. Each reveal is an event.
REVEAL_ROLES = frozenset({Role.WORKER, Role.HEAD, Role.ADMIN, Role.COORDINATOR})
_MASKERS = {"id_number": mask_id, "phone": mask_phone}


def may_reveal(role: Role) -> bool:
    """Whether `role` may have a full identifier shown (each time recorded as an event)."""
    return role in REVEAL_ROLES


def mask_identifiers(value: Any) -> Any:
    """A copy of a JSON value (an intake) with every `id_number` and `phone` masked, at any depth."""
    if isinstance(value, dict):
        return {
            k: _MASKERS[k](v) if k in _MASKERS and isinstance(v, str) else mask_identifiers(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_identifiers(v) for v in value]
    return value
