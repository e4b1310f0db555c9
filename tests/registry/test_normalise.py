"""The column normaliser against plain Python rules, on both its fast and its general paths."""

from __future__ import annotations

import re
from datetime import date

import pyarrow as pa
import pytest

from jaring.registry.codes import EXTRACT_COLUMNS, SEX_SPELLINGS
from jaring.registry.normalise import normalise, read_iso_date

DATES = [
    "1990-08-17", "1990/08/17", "1990-08-1 ", "+990-08-17", "1990-00-10", "0000-01-01",
    "0001-01-01", "1990-13-01", "1990-02-29", "2000-02-29", "1900-02-29", "2024-02-29",
    "19900817", "1990-8-17", "-990-08-17", "1990-08-32", "9999-12-31", "1990-04-31",
    "1990-08-1x", "1990-0８-17", "", "1990-08-17T00:00",
]  # fmt: skip


def _expected_date(text: str | None) -> date | None:
    if text is None or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text, flags=re.ASCII):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@pytest.mark.parametrize("text", DATES)
def test_dates_alone_and_among_others(text: str) -> None:
    # Alone, a valid date takes Arrow's cast; beside a bad value, the byte-level check.
    assert read_iso_date(pa.array([text], pa.string()))[0].as_py() == _expected_date(text)
    mixed = read_iso_date(pa.array([text, "not a date", None], pa.string())).to_pylist()
    assert mixed == [_expected_date(text), None, None]


def _batch(**columns: list[str | None]) -> pa.RecordBatch:
    size = len(next(iter(columns.values())))
    data = {name: columns.get(name, ["x"] * size) for name in EXTRACT_COLUMNS}
    return pa.RecordBatch.from_pydict({k: pa.array(v, pa.string()) for k, v in data.items()})


def test_coded_answers_one_and_two_bytes_and_longer() -> None:
    values: list[str | None] = ["1", "8", "9", "0", "01", "10", " 3", "3 ", "", None, "x", "１"]
    batch = normalise(_batch(relationship=values, desil=values, jamsostek=values))
    as_int = {str(n): n for n in range(1, 9)}
    expected_relationship = [as_int.get((v or "").strip()) for v in values]
    assert batch.column("relationship").to_pylist() == expected_relationship
    expected_desil = [
        int(v.strip()) if v and v.strip() in [str(n) for n in range(1, 11)] else None for v in values
    ]
    assert batch.column("desil").to_pylist() == expected_desil
    assert batch.column("desil_missing").to_pylist() == [not (v or "").strip() for v in values]
    # Without blanks or spaces the table-lookup path decides; it must agree.
    clean = ["1", "8", "9", "0", "01", "10", "x"]
    fast = normalise(_batch(relationship=clean)).column("relationship").to_pylist()
    assert fast == [as_int.get(v) for v in clean]


def test_sex_and_deceased_spellings() -> None:
    sexes = ["1", "2", "L", "p", "M", "f", "3", "laki", " P "]
    deceased = ["0", "1", "true", "FALSE", "yes", "2", "", " 1", "True"]
    batch = normalise(_batch(sex=sexes, deceased=deceased))
    assert batch.column("sex").to_pylist() == [SEX_SPELLINGS.get(s.strip().lower()) for s in sexes]
    meaning = {"1": True, "true": True, "0": False, "false": False}
    assert batch.column("deceased").to_pylist() == [meaning.get(d.strip().lower()) for d in deceased]


def test_text_is_trimmed_only_where_needed_and_dots_removed() -> None:
    batch = normalise(
        _batch(
            name=["  Siti ", "Budi", "\tAgus\r"],
            village_code=["31.71.01.1001", "3171011001", " 31.71.01.1002 "],
            occupation=["Trader", "FISHER", "farmer"],
        )
    )
    assert batch.column("name").to_pylist() == ["Siti", "Budi", "Agus"]
    assert batch.column("village").to_pylist() == ["3171011001", "3171011001", "3171011002"]
    assert batch.column("occupation").to_pylist() == ["trader", "fisher", "farmer"]
