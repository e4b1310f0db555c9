"""Errors a user of the rules can act on; each message is one complete sentence."""

from __future__ import annotations


class RulesError(ValueError):
    """Base for every rule error shown to a person (CLI exit code 2, HTTP 422)."""


class ParameterFileError(RulesError):
    """A parameter file that does not match the schema."""

    def __init__(self, path: str, key: str, reason: str) -> None:
        self.path, self.key, self.reason = path, key, reason
        super().__init__(f"{path}: {key}: {reason}")


class NotInForce(RulesError):
    """No value of a parameter is in force on the date asked."""


class UnconfirmedValue(RulesError):
    """A parameter value marked U (unconfirmed) was needed and is not allowed here."""


class InvalidInput(RulesError):
    """Input to a calculation that the regulation does not accept."""
