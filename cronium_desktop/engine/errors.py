"""Errors the engine reports to users: each names the thing and what to do."""

from __future__ import annotations


class CroniumError(Exception):
    """Base of every error meant for the user's eyes."""


class ValidationError(CroniumError, ValueError):
    """Bad input for one field; nothing was changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(CroniumError, LookupError):
    pass


class Conflict(CroniumError):
    """The request clashes with what exists (e.g. a duplicate name)."""
