"""The base of every error a user can fix: the CLI prints it as one line, the API as a 4xx."""

from __future__ import annotations


class JaringError(Exception):
    """A problem with the user's input or setup, stated so they know what to do next."""


class NotFound(JaringError):
    """The thing asked for does not exist (HTTP 404)."""


class BadInput(JaringError):
    """Input that cannot be used as given (HTTP 422). `field` names the input at fault when
    there is one (e.g. "income"); the API reports it beside the message."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Unauthenticated(JaringError):
    """No valid credentials were given (HTTP 401)."""


class Forbidden(JaringError):
    """The caller is known but their role may not do this (HTTP 403). Never raised for a record
    outside the caller's region: that is NotFound, so existence is not revealed."""


class Conflict(JaringError):
    """The request contradicts what is already recorded (HTTP 409)."""
