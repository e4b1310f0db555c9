"""What a sponsor targets, in what order, and what it buys: the target rule, the priority
order and the package, validated here and frozen with every targeting run.

A rule is data, not code: a sponsor's officer sets the desil cut-off, occupations, sex,
age band and employment kind; the SQL (batch/sql/targeting_*.sql) applies them the same way
on DuckDB and on Spark. Every person the rule leaves out gets exactly one reason, the first
in EXCLUSIONS order, so the counts add up to the persons in scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jaring.kit.errors import BadInput
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.registry.codes import DESILS, OCCUPATIONS
from jaring.rules.formulas.codes import JHT, JKK, JKM

# Exclusion reasons in precedence order (a person gets the first that applies), with their
# Indonesian and English labels.
EXCLUSIONS: dict[str, tuple[str, str]] = {
    "deceased": ("Tercatat meninggal dunia", "Recorded as deceased"),
    "nik_unverified": (
        "Tanggal lahir atau jenis kelamin berbeda dengan NIK",
        "Birth date or sex differs from the NIK (the insurer's identity check would refuse it)",
    ),
    "age_outside_limits": ("Usia di luar batas", "Age outside the limits"),
    "formal_worker": (
        "Pekerja formal (penerima upah, didaftarkan pemberi kerja)",
        "Formal worker (a wage earner, to be registered by the employer)",
    ),
    "not_working": ("Tidak bekerja", "Not working"),
    "desil_above_cutoff": ("Desil di atas batas", "Desil above the cut-off"),
    "occupation_not_targeted": ("Pekerjaan bukan sasaran", "Occupation not targeted"),
    "sex_not_targeted": ("Jenis kelamin bukan sasaran", "Sex not targeted"),
    "already_covered": (
        "Sudah menjadi peserta aktif (membayar sendiri atau didanai pihak lain)",
        "Already an active member (paying themselves or sponsored)",
    ),
}

# Jaring's own hazard grading of the extract's occupations for ranking (3 = most exposed to
# work accidents). Not a regulation: the JKK risk classes of PP 44/2015 grade businesses, not
# informal occupations. A sponsor who disagrees leaves "hazard" out of its priority order.
HAZARD: dict[str, int] = {
    "fisher": 3,
    "construction_worker": 3,
    "farm_labourer": 3,
    "daily_labourer": 3,
    "platform_driver": 3,
    "transport_driver": 3,
    "courier": 3,
    "farmer": 2,
    "livestock_keeper": 2,
    "street_vendor": 2,
    "mechanic": 2,
    "domestic_worker": 2,
    "artisan": 2,
    "mosque_caretaker": 2,
}
DEFAULT_HAZARD = 1

# Priority keys: name → (ranked column, direction, label id, label en). The ranking sorts by
# the chosen keys in order, then by the blind index so ties break the same way every run.
PRIORITY_KEYS: dict[str, tuple[str, str, str, str]] = {
    "desil": ("desil", "ASC", "desil terendah dahulu", "lowest desil first"),
    "hazard": ("hazard", "DESC", "pekerjaan paling berisiko dahulu", "most hazardous occupation first"),
    "female_head": (
        "female_head",
        "DESC",
        "keluarga dengan kepala keluarga perempuan dahulu",
        "female-headed families first",
    ),
    "older": ("age", "DESC", "usia tertua dahulu", "oldest first"),
    "younger": ("age", "ASC", "usia termuda dahulu", "youngest first"),
}
DEFAULT_PRIORITY = ("desil", "hazard", "female_head", "older")

EMPLOYMENT_KINDS = ("informal", "any_working", "any")
PACKAGE_PROGRAMS = {"jkk": JKK, "jkm": JKM, "jht": JHT}


@dataclass(frozen=True)
class TargetRule:
    """Who a sponsor pays for. Limits are inclusive; None means "any"."""

    desil_max: int = 4
    occupations: tuple[str, ...] | None = None
    sex: str | None = None
    age_min: int = 15
    age_max: int = 65
    employment: str = "informal"

    def to_json(self) -> dict[str, Any]:
        return {
            "desil_max": self.desil_max,
            "occupations": None if self.occupations is None else list(self.occupations),
            "sex": self.sex,
            "age_min": self.age_min,
            "age_max": self.age_max,
            "employment": self.employment,
        }


@dataclass(frozen=True)
class Package:
    """What a sponsor buys for each person: programs at one declared income level."""

    programs: tuple[str, ...]
    income: int

    @property
    def bits(self) -> int:
        return sum(PACKAGE_PROGRAMS[p] for p in self.programs)

    def to_json(self) -> dict[str, Any]:
        return {"programs": list(self.programs), "income": self.income}


def _int(data: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{name} must be a whole number, got {value!r}", field=name)
    if not low <= value <= high:
        raise BadInput(f"{name} must be between {low} and {high}, got {value}", field=name)
    return int(value)


def parse_rule(data: dict[str, Any] | None) -> TargetRule:
    """A target rule from its JSON form; BadInput naming the field at fault."""
    data = dict(data or {})
    known = {"desil_max", "occupations", "sex", "age_min", "age_max", "employment"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise BadInput(f"unknown rule field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    desil_max = _int(data, "desil_max", 4, min(DESILS), max(DESILS))
    age_min = _int(data, "age_min", 15, 0, 120)
    age_max = _int(data, "age_max", 65, 0, 120)
    if age_min > age_max:
        raise BadInput(f"age_min ({age_min}) is above age_max ({age_max})", field="age_min")
    occupations = data.get("occupations")
    if occupations is not None:
        if isinstance(occupations, str):
            occupations = [o for o in occupations.split(",") if o.strip()]
        if not isinstance(occupations, list) or not occupations:
            raise BadInput(
                "occupations must be a non-empty list of codes, or absent for any", field="occupations"
            )
        wrong = sorted({str(o).strip() for o in occupations} - set(OCCUPATIONS))
        if wrong:
            raise BadInput(
                f"unknown occupation code(s): {', '.join(wrong)}; see docs/registry-format.md",
                field="occupations",
            )
        occupations = tuple(sorted({str(o).strip() for o in occupations}))
    sex = data.get("sex")
    if sex is not None and sex not in ("M", "F"):
        raise BadInput(f"sex must be M, F or absent, got {sex!r}", field="sex")
    employment = data.get("employment", "informal")
    if employment not in EMPLOYMENT_KINDS:
        raise BadInput(
            f"employment must be one of {', '.join(EMPLOYMENT_KINDS)}, got {employment!r}", field="employment"
        )
    return TargetRule(desil_max, occupations, sex, age_min, age_max, employment)


def parse_priority(keys: list[str] | tuple[str, ...] | str | None) -> tuple[str, ...]:
    if keys is None:
        return DEFAULT_PRIORITY
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",") if k.strip()]
    wrong = [k for k in keys if k not in PRIORITY_KEYS]
    if wrong:
        raise BadInput(
            f"unknown priority key(s): {', '.join(wrong)}; use: {', '.join(PRIORITY_KEYS)}", field="priority"
        )
    if len(set(keys)) != len(keys):
        raise BadInput("a priority key may appear once", field="priority")
    if {"older", "younger"} <= set(keys):
        raise BadInput("older and younger cannot both order the list", field="priority")
    return tuple(keys)


def parse_package(data: dict[str, Any] | None, *, check: bool = True) -> Package:
    """A package from its JSON form. Checked (a new package): the income must be a BPU level
    in force this month, and defaults to the lowest one (bpu.income_levels); a package read
    back from a kept target or scenario (`check=False`) is taken as it was accepted then."""
    data = dict(data or {})
    unknown = sorted(set(data) - {"programs", "income"})
    if unknown:
        raise BadInput(f"unknown package field(s): {', '.join(unknown)}", field="package")
    programs = data.get("programs", ["jkk", "jkm"])
    if isinstance(programs, str):
        programs = [p.strip() for p in programs.split(",") if p.strip()]
    wrong = sorted(set(programs) - set(PACKAGE_PROGRAMS))
    if wrong:
        raise BadInput(
            f"a sponsor package holds jkk, jkm and optionally jht; not {', '.join(wrong)}", field="programs"
        )
    if not {"jkk", "jkm"} <= set(programs):
        raise BadInput("JKK and JKM are the mandatory pair (PP 44/2015 art. 4(2))", field="programs")
    order = tuple(p for p in PACKAGE_PROGRAMS if p in programs)
    if not check:
        return Package(order, int(data["income"]))
    month = Month.of(date.today())
    income = _int(data, "income", membership.lowest_bpu_income(month), 1, 10**12)
    membership.check_terms(segment="bpu", programs=order, income=income, sector="other", month=month)
    return Package(order, income)
