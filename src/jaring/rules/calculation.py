"""The result of a one-person calculation, as shown to a person or returned as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jaring.rules.labels import label


@dataclass(frozen=True)
class Line:
    code: str
    amount: int
    reference: str

    def to_json(self, language: str = "id") -> dict[str, Any]:
        return {
            "code": self.code,
            "label": label(self.code, language),
            "amount": self.amount,
            "reference": self.reference,
        }


@dataclass
class Calculation:
    kind: str
    rules_date: date
    lines: list[Line]
    extras: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (Indonesian, English)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def amount(self, code: str) -> int:
        return sum(line.amount for line in self.lines if line.code == code)

    def to_json(self, language: str = "id") -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "total": self.total,
            "lines": [line.to_json(language) for line in self.lines],
            "rules_date": self.rules_date.isoformat(),
        }
        body.update(self.extras)
        body["warnings"] = list(self.warnings)
        body["notes"] = [note[1] if language == "en" else note[0] for note in self.notes]
        return body
