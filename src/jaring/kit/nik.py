"""NIK and KK number parsing (PP 40/2019 Art. 31–32; KK structure per Dukcapil guidance).

NIK: province 2 · regency 2 · district 2 (where the person was first registered: a NIK
never changes when people move) · day of birth (+40 for women) · month · 2-digit year ·
serial 4. KK: district 6 · recording date DDMMYY · serial 4.

The 2-digit year is placed in the latest century that does not put the date after the
reference date (the snapshot date for an import, today for a single check). A region
code that no longer exists after a split is accepted with a warning: the person's NIK
stays valid even when their birth district was renamed or divided.

The batch importer applies the same rules in SQL (`registry/sql/validate.sql`); the tests
check that both agree on random input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

ABROAD_PREFIX = "99"  # PP 40/2019 Art. 32(3): citizens abroad get "99" + country + mission


class KnownCodes(Protocol):
    """The region codes in force (undotted)."""

    @property
    def provinces(self) -> frozenset[str]: ...
    @property
    def regencies(self) -> frozenset[str]: ...
    @property
    def districts(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class NikResult:
    valid: bool
    reason: str | None = None
    province_code: str | None = None
    regency_code: str | None = None
    district_code: str | None = None
    birth_date: date | None = None
    sex: str | None = None  # "F" | "M"
    serial: str | None = None
    warnings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "reason": self.reason,
            "province_code": self.province_code,
            "regency_code": self.regency_code,
            "district_code": self.district_code,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class KkResult:
    valid: bool
    reason: str | None = None
    province_code: str | None = None
    regency_code: str | None = None
    district_code: str | None = None
    recorded_on: date | None = None
    serial: str | None = None
    warnings: tuple[str, ...] = field(default=())


def infer_century(yy: int, month: int, day: int, reference_date: date) -> date | None:
    """The date in 20yy, or in 19yy when 20yy would be after `reference_date` or is not a
    real date; None when neither is a real date (31 April, 29 February of 2001)."""
    for year in (2000 + yy, 1900 + yy):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= reference_date:
            return candidate
    return None


def _digits_problem(text: str, prefix: str) -> str | None:
    if not text:
        return f"{prefix}_missing"
    if not text.isascii() or not text.isdigit():
        return f"{prefix}_non_digit"
    if len(text) != 16:
        return f"{prefix}_length"
    return None


def _region_parts(text: str, known: KnownCodes | None) -> tuple[str | None, list[str]]:
    """The problem with digits 1–6 (or None) and the warnings they raise."""
    province, regency, district = text[:2], text[:4], text[:6]
    warnings: list[str] = []
    if known is not None and province not in known.provinces:
        return "province_unknown", warnings
    if text[2:4] == "00" or text[4:6] == "00":
        return "region_zero", warnings
    if known is not None and (regency not in known.regencies or district not in known.districts):
        warnings.append("region_retired")
    return None, warnings


def parse_nik(text: str, *, reference_date: date, known: KnownCodes | None = None) -> NikResult:
    """Parse and validate one NIK. Without `known`, region codes are checked for form only."""
    nik = text.strip()
    problem = _digits_problem(nik, "nik")
    if problem:
        return NikResult(valid=False, reason=problem)
    warnings: list[str] = []
    if nik.startswith(ABROAD_PREFIX):
        warnings.append("nik_abroad")
    else:
        region_problem, region_warnings = _region_parts(nik, known)
        if region_problem:
            return NikResult(valid=False, reason=f"nik_{region_problem}")
        warnings.extend(f"nik_{w}" for w in region_warnings)
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "F" if day > 40 else "M"
    born = infer_century(yy, month, day - 40 if day > 40 else day, reference_date)
    if born is None:
        return NikResult(valid=False, reason="nik_date_impossible")
    if nik[12:16] == "0000":
        return NikResult(valid=False, reason="nik_serial_zero")
    abroad = nik.startswith(ABROAD_PREFIX)
    return NikResult(
        valid=True,
        province_code=None if abroad else nik[:2],
        regency_code=None if abroad else nik[:4],
        district_code=None if abroad else nik[:6],
        birth_date=born,
        sex=sex,
        serial=nik[12:16],
        warnings=tuple(warnings),
    )


def parse_kk(text: str, *, reference_date: date, known: KnownCodes | None = None) -> KkResult:
    """Parse and validate one family card (KK) number."""
    kk = text.strip()
    problem = _digits_problem(kk, "kk")
    if problem:
        return KkResult(valid=False, reason=problem)
    region_problem, region_warnings = _region_parts(kk, known)
    if region_problem:
        # A zero regency/district in a KK is as unusable as an unknown province.
        return KkResult(valid=False, reason="kk_province_unknown")
    recorded = infer_century(int(kk[10:12]), int(kk[8:10]), int(kk[6:8]), reference_date)
    if recorded is None:
        return KkResult(valid=False, reason="kk_date_impossible")
    return KkResult(
        valid=True,
        province_code=kk[:2],
        regency_code=kk[:4],
        district_code=kk[:6],
        recorded_on=recorded,
        serial=kk[12:16],
        warnings=tuple(f"kk_{w}" for w in region_warnings),
    )


def mask(nik: str) -> str:
    """A NIK as shown to roles that do not need it: region kept, the rest hidden."""
    return nik[:6] + "*" * max(len(nik) - 6, 0) if len(nik) > 6 else "*" * len(nik)
