"""NIK and KK parsing: every reason, the +40 rule, the century from the reference date."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaring.kit.nik import infer_century, mask, parse_kk, parse_nik

REF = date(2026, 11, 21)


@dataclass(frozen=True)
class Known:
    provinces: frozenset[str] = frozenset({"31", "32"})
    regencies: frozenset[str] = frozenset({"3171", "3201"})
    districts: frozenset[str] = frozenset({"317101", "320101"})


KNOWN = Known()


@pytest.mark.parametrize(
    ("nik", "reason"),
    [
        ("", "nik_missing"),
        ("31710157089000x1", "nik_non_digit"),
        ("3171 15708900001", "nik_non_digit"),
        ("317101570890001", "nik_length"),
        ("31710157089000011", "nik_length"),
        ("1071015708900001", "nik_province_unknown"),
        ("3100015708900001", "nik_region_zero"),
        ("3171005708900001", "nik_region_zero"),
        ("3171013202900001", "nik_date_impossible"),  # 32 February
        ("3171017202900001", "nik_date_impossible"),  # woman, day 32
        ("3171014002900001", "nik_date_impossible"),  # day 40 = day 0 of a woman
        ("3171012902010001", "nik_date_impossible"),  # 29 Feb 2001 / 1901
        ("3171011313900001", "nik_date_impossible"),  # month 13
        ("3171011708900000", "nik_serial_zero"),
    ],
)
def test_rejections_carry_a_reason(nik: str, reason: str) -> None:
    result = parse_nik(nik, reference_date=REF, known=KNOWN)
    assert not result.valid
    assert result.reason == reason


def test_women_add_forty_to_the_day() -> None:
    man = parse_nik("3171011708900001", reference_date=REF, known=KNOWN)
    woman = parse_nik("3171015708900001", reference_date=REF, known=KNOWN)
    assert (man.sex, man.birth_date) == ("M", date(1990, 8, 17))
    assert (woman.sex, woman.birth_date) == ("F", date(1990, 8, 17))
    assert woman.to_json() == {
        "valid": True,
        "reason": None,
        "province_code": "31",
        "regency_code": "3171",
        "district_code": "317101",
        "birth_date": "1990-08-17",
        "sex": "F",
        "warnings": [],
    }


def test_century_follows_the_reference_date() -> None:
    # Born "25": in 2025 if that is not after the reference date, else 1925.
    assert parse_nik("3171010101250001", reference_date=REF).birth_date == date(2025, 1, 1)
    assert parse_nik("3171010101250001", reference_date=date(2024, 6, 1)).birth_date == date(1925, 1, 1)
    assert parse_nik("3171012911260001", reference_date=REF).birth_date == date(1926, 11, 29)
    assert parse_nik("3171016902000001", reference_date=REF).birth_date == date(2000, 2, 29)


def test_a_retired_region_is_accepted_with_a_warning() -> None:
    result = parse_nik("3172015708900001", reference_date=REF, known=KNOWN)
    assert result.valid
    assert result.warnings == ("nik_region_retired",)


def test_citizens_abroad_have_prefix_99() -> None:
    result = parse_nik("9912345708900001", reference_date=REF, known=KNOWN)
    assert (result.valid, result.province_code, result.warnings) == (True, None, ("nik_abroad",))


def test_kk_numbers() -> None:
    good = parse_kk("3171011201200003", reference_date=REF, known=KNOWN)
    assert (good.valid, good.recorded_on, good.district_code) == (True, date(2020, 1, 12), "317101")
    assert parse_kk("3171013201200003", reference_date=REF, known=KNOWN).reason == "kk_date_impossible"
    assert parse_kk("1071011201200003", reference_date=REF, known=KNOWN).reason == "kk_province_unknown"
    assert parse_kk("317101120120003", reference_date=REF, known=KNOWN).reason == "kk_length"
    assert parse_kk("", reference_date=REF, known=KNOWN).reason == "kk_missing"


def test_mask_keeps_only_the_region() -> None:
    assert mask("3171015708900001") == "317101**********"


@given(
    st.integers(0, 99), st.integers(0, 13), st.integers(0, 32), st.dates(date(2000, 1, 1), date(2099, 12, 31))
)
def test_century_is_never_after_the_reference(yy: int, month: int, day: int, ref: date) -> None:
    found = infer_century(yy, month, day, ref)
    if found is not None:
        assert found <= ref
        assert (found.year % 100, found.month, found.day) == (yy, month, day)
        # the latest such date: a century later would be after the reference or impossible
        later = found.year + 100
        with contextlib.suppress(ValueError):
            assert date(later, month, day) > ref
