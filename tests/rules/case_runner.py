"""Runs one regulation case (see src/jaring/rules/cases/README.md) through the calculators."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from jaring.kit.periods import Month
from jaring.rules import calculators
from jaring.rules.calculation import Calculation

CASES_DIR = Path(calculators.__file__).parent / "cases"


def _contribution(day: date, inputs: dict[str, Any]) -> Calculation:
    return calculators.contribution(month=Month.of(day), **inputs)


CALCULATORS: dict[str, Callable[[date, dict[str, Any]], Calculation]] = {
    "contribution": _contribution,
    "benefit_jkm": lambda d, i: calculators.benefit_jkm(death_date=d, **i),
    "benefit_jkk_death": lambda d, i: calculators.benefit_jkk_death(event_date=d, **i),
    "benefit_jkk_disability": lambda d, i: calculators.benefit_jkk_disability(event_date=d, **i),
    "benefit_stmb": lambda d, i: calculators.benefit_stmb(event_date=d, **i),
    "benefit_jkp": lambda d, i: calculators.benefit_jkp(phk_date=d, **i),
    "benefit_jht": lambda d, i: calculators.benefit_jht(event_date=d, **i),
    "benefit_pmi_jkm": lambda d, i: calculators.benefit_pmi_jkm(death_date=d, **i),
}
EXACT_KEYS = ("payable_now", "entitled", "deferred", "claim_deadline", "payable_from")
PARTIAL_KEYS = ("split", "allocation", "scholarship")


def load_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(file, calculator, case) for every case in every file."""
    found = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            found.append((path.name, doc["calculator"], case))
    return found


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def differences(calculator: str, case: dict[str, Any]) -> list[str]:
    """What the engine says that the case does not (empty when they agree)."""
    expected = case["output"]
    run = CALCULATORS[calculator]
    inputs = dict(case.get("input") or {})
    if "error" in expected:
        try:
            result = run(as_date(case["date"]), inputs)
        except ValueError as exc:
            text = str(exc).lower()
            wanted = str(expected["error"]).lower()
            return [] if wanted in text else [f"error {str(exc)!r} lacks {wanted!r}"]
        return [f"expected an error containing {expected['error']!r}, got total {result.total}"]
    result = run(as_date(case["date"]), inputs)
    body = result.to_json()
    problems = []
    if "total" in expected and body["total"] != expected["total"]:
        problems.append(f"total {body['total']} != {expected['total']}")
    if "lines" in expected:
        got = {line["code"]: line["amount"] for line in body["lines"] if line["amount"]}
        want = {k: v for k, v in (expected["lines"] or {}).items() if v}
        if got != want:
            problems.append(f"lines {got} != {want}")
    for key in EXACT_KEYS:
        want = expected.get(key)
        if isinstance(want, date):
            want = want.isoformat()
        if key in expected and body.get(key) != want:
            problems.append(f"{key} {body.get(key)!r} != {want!r}")
    for key in PARTIAL_KEYS:
        for sub, value in (expected.get(key) or {}).items():
            if (body.get(key) or {}).get(sub) != value:
                problems.append(f"{key}.{sub} {(body.get(key) or {}).get(sub)!r} != {value!r}")
    if "warnings" in expected and len(body["warnings"]) != expected["warnings"]:
        problems.append(f"{len(body['warnings'])} warnings != {expected['warnings']}")
    return problems
