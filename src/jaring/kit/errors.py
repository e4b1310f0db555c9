"""The base of every error a user can fix: the CLI prints it as one line, the API as a 4xx."""

from __future__ import annotations


class JaringError(Exception):
    """A problem with the user's input or setup, stated so they know what to do next."""


class NotFound(JaringError):
    """The thing asked for does not exist (HTTP 404)."""


class BadInput(JaringError):
    """Input that cannot be used as given (HTTP 422)."""
