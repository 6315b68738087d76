"""Entities, enums, validation and the case state machine."""
