"""The fixed-width numbers of a registry row (NIK, KK number, village code), read in bulk.

A NIK is 16 ASCII digits: region (6), day of birth (+40 for women), month, 2-digit year,
serial (4). A KK number has the same shape with the date it was issued. Reading them as an
(n, width) byte matrix lets numpy do in a few array operations what string functions would
do field by field; `kit/nik.py` is the one-at-a-time reference these results must equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ZERO = ord("0")
DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def ascii_blocks(values: pa.Array, width: int, *, digits_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(an (n, width) uint8 matrix of the bytes, whether each value is exactly `width` bytes
    (and, with digits_only, all ASCII digits)). Rows that are not are read as all '0', so
    arithmetic on them stays harmless."""
    fits_test = pc.equal(pc.binary_length(values), width)
    if digits_only:
        fits_test = pc.and_(fits_test, pc.ascii_is_decimal(values))
    fits = np.asarray(pc.fill_null(fits_test, False), dtype=bool)
    filled = values if fits.all() else pc.if_else(pa.array(fits), values, pa.scalar("0" * width, values.type))
    fixed = pc.cast(pc.cast(filled, pa.binary()), pa.binary(width))
    start = fixed.offset * width
    raw = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)[start : start + width * len(fixed)]
    return raw.reshape(-1, width), fits


def leading_text(blocks: np.ndarray, width: int) -> pa.Array:
    """The first `width` characters of each row of an ASCII byte matrix, as strings (for
    the region codes at the start of a village code)."""
    count = len(blocks)
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(blocks[:, :width]).tobytes()
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))


def _eight_digits(words: np.ndarray) -> np.ndarray:
    """The numbers spelled by 8 ASCII digits packed in little-endian uint64 words (first
    digit in the lowest byte), by the usual SWAR steps: pairs, then quads, then all 8."""
    v = words - np.uint64(0x3030303030303030)
    v = (v * np.uint64(10) + (v >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    v = (v * np.uint64(100) + (v >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    v = (v * np.uint64(10_000) + (v >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return v.astype(np.int64)


def valid_date(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    in_range = (month >= 1) & (month <= 12)
    last = DAYS_IN_MONTH[np.where(in_range, month, 0)] + ((month == 2) & leap)
    valid: np.ndarray = in_range & (day >= 1) & (day <= last)
    return valid


@dataclass(frozen=True)
class NikFields:
    blocks: np.ndarray  # (n, 16) ASCII bytes, zeros where not 16 digits
    ok: np.ndarray  # exactly 16 digits
    number: np.ndarray  # int64, -1 where not ok
    region: np.ndarray  # 6-digit district code as int, -1 where not ok
    date_ok: np.ndarray  # the day field is in range and the date exists
    female: np.ndarray  # day field above 40
    year: np.ndarray  # the inferred 4-digit year
    month: np.ndarray
    day: np.ndarray  # without the +40
    serial_zero: np.ndarray


def days_since_epoch(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days from 1970-01-01 of valid proleptic Gregorian dates (years 1 and later), the
    date32 representation (H. Hinnant's days_from_civil)."""
    y = year.astype(np.int64) - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: np.ndarray = era * 146_097 + day_of_era - 719_468
    return days


@lru_cache(maxsize=8)
def _date_table(ref_ymd: int, plus_forty: bool) -> tuple[np.ndarray, np.ndarray]:
    """For every DDMMYY field 000000..999999: (is it a real date, its inferred year)."""
    middle = np.arange(1_000_000, dtype=np.int64)
    raw_day, month, yy = middle // 10_000, (middle // 100) % 100, middle % 100
    if plus_forty:
        day = raw_day % 40
        day_field_ok = (raw_day >= 1) & (raw_day <= 71) & ~((raw_day >= 32) & (raw_day <= 40))
    else:
        day, day_field_ok = raw_day, np.ones(len(middle), dtype=bool)
    # The century: 20yy unless that is after the reference date (as kit/nik.infer_century).
    year = np.where((2000 + yy) * 10_000 + month * 100 + day <= ref_ymd, 2000 + yy, 1900 + yy)
    return day_field_ok & valid_date(year, month, day), year.astype(np.int16)


def read_nik(values: pa.Array, ref_ymd: int, *, plus_forty: bool = True) -> NikFields:
    """Read NIKs (or, with plus_forty False, KK numbers, whose date is an issue date)."""
    blocks, ok = ascii_blocks(values, 16)
    words = blocks.view("<u8")  # (n, 2): digits 1-8 and 9-16
    high, low = _eight_digits(words[:, 0]), _eight_digits(words[:, 1])
    region = high // 100
    middle = (high % 100) * 10_000 + low // 10_000  # DDMMYY
    date_ok, years = _date_table(ref_ymd, plus_forty)
    raw_day = middle // 10_000
    serial = low % 10_000
    return NikFields(
        blocks=blocks,
        ok=ok,
        number=np.where(ok, high * 100_000_000 + low, -1),
        region=np.where(ok, region, -1),
        date_ok=ok & date_ok[middle],
        female=raw_day > 40,
        year=years[middle],
        month=(middle // 100) % 100,
        day=raw_day % 40 if plus_forty else raw_day,
        serial_zero=ok & (serial == 0),
    )


def read_village(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(the 10-digit village code as an integer, -1 where it is not 10 digits; its (n, 10)
    ASCII bytes, all '0' where not)."""
    blocks, ok = ascii_blocks(values, 10)
    padded = np.full((len(blocks), 16), ZERO, dtype=np.uint8)
    padded[:, 6:] = blocks
    words = padded.view("<u8")
    number = _eight_digits(words[:, 0]) * 100_000_000 + _eight_digits(words[:, 1])
    result: np.ndarray = np.where(ok, number, -1)
    return result, blocks
