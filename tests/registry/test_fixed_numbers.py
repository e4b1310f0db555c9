"""The bulk NIK/KK reader must agree with the one-at-a-time parser in kit/nik.py."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from jaring.kit import nik
from jaring.registry import fixed_numbers

REFERENCE = date(2026, 6, 30)
REF_YMD = 20260630


def _candidates() -> list[str | None]:
    rng = random.Random(7)
    values: list[str | None] = [
        None,
        "",
        "   ",
        "abc",
        "12345",
        "3171015708900001x",
        "３１７１０１５７０８９０００１",
    ]
    for _ in range(4000):
        day = rng.choice([0, 1, 9, 28, 29, 30, 31, 32, 39, 40, 41, 60, 69, 70, 71, 72, 80, 99])
        month = rng.choice([0, 1, 2, 4, 6, 12, 13, 99])
        yy = rng.choice([0, 1, 4, 25, 26, 27, 28, 50, 99])
        serial = rng.choice(["0000", "0001", "9999"])
        values.append(f"{rng.choice(['31', '99', '00'])}7101{day:02d}{month:02d}{yy:02d}{serial}")
    values += ["3171012902000001", "3171016902000001", "3171012901000001", "3171013006260001"]
    return values


def test_nik_fields_agree_with_the_reference_parser() -> None:
    values = _candidates()
    fields = fixed_numbers.read_nik(pa.array(values, pa.string()), REF_YMD)
    for position, value in enumerate(values):
        text = value or ""
        expected = nik.parse_nik(text, reference_date=REFERENCE)
        digits_ok = len(text) == 16 and text.isascii() and text.isdigit()
        assert bool(fields.ok[position]) == digits_ok, value
        if not digits_ok:
            assert fields.number[position] == -1
            continue
        assert fields.number[position] == int(text)
        assert fields.region[position] == int(text[:6])
        assert bool(fields.serial_zero[position]) == text.endswith("0000")
        if expected.reason in ("nik_province_unknown", "nik_region_zero"):
            continue  # decided from the region, before the date is read
        assert bool(fields.date_ok[position]) == (expected.reason != "nik_date_impossible"), value
        if expected.birth_date is not None:
            born = date(int(fields.year[position]), int(fields.month[position]), int(fields.day[position]))
            assert born == expected.birth_date, value
            assert ("F" if fields.female[position] else "M") == expected.sex


def test_kk_dates_agree_with_the_reference_parser() -> None:
    values = [v for v in _candidates() if v and len(v) == 16 and v.isdigit() and v[:2] == "31"]
    fields = fixed_numbers.read_nik(pa.array(values, pa.string()), REF_YMD, plus_forty=False)
    for position, value in enumerate(values):
        expected = nik.parse_kk(value, reference_date=REFERENCE)
        assert bool(fields.date_ok[position]) == (expected.reason != "kk_date_impossible"), value


@pytest.mark.parametrize(
    ("value", "number"),
    [("3171010001", 3171010001), ("317101000", -1), ("31710100011", -1), ("31.71.01", -1), (None, -1)],
)
def test_village_codes(value: str | None, number: int) -> None:
    numbers, _blocks = fixed_numbers.read_village(pa.array([value], pa.string()))
    assert numbers.tolist() == [number]


def test_a_sliced_array_is_read_from_its_own_offset() -> None:
    values = pa.array(["x", "3171015708900001", "3171014708900002"], pa.string()).slice(1)
    fields = fixed_numbers.read_nik(values, REF_YMD)
    assert fields.number.tolist() == [3171015708900001, 3171014708900002]
    assert np.array_equal(fields.female, [True, True])
