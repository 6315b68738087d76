"""Errors the user can act on. Messages are Chinese and never carry personal data."""

from __future__ import annotations


class StationError(Exception):
    """Base of errors with a message meant for the user."""


class ValidationError(StationError):
    """Refused input: `fields` maps each offending field (dotted path) to why.

    Built from `fields` and an optional overall `message` (default 输入有误).
    """

    def __init__(self, fields: dict[str, str], message: str = "输入有误") -> None:
        super().__init__(message)
        self.fields = dict(fields)
        self.message = message

    def to_json(self) -> dict[str, object]:
        """The refusal as `{"error": message, "fields": {dotted path: reason}}`, as the CLI prints it."""
        return {"error": self.message, "fields": self.fields}


class AuthError(StationError):
    """Login refused (one generic message, whatever the reason)."""


class PermissionDenied(StationError):
    """The user's role may not do this."""


class InvalidTransition(StationError):
    """The case's state (or missing data) does not allow this action."""


class NotFound(StationError):
    """No such case, user or paper."""
