"""The raw text of a registry batch turned into the values the checks and the snapshot use.

DuckDB hands over the columns exactly as in the file (so rejected rows keep them); this
module trims, maps the coded answers to numbers and parses the birth date, with Arrow
kernels and numpy on whole columns. Work a clean column does not need is skipped: a
column is only trimmed when some value in it starts or ends with whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jaring.registry import fixed_numbers
from jaring.registry.codes import (
    DESILS,
    EMPLOYMENT_STATUSES,
    JAMSOSTEK_MAX,
    JAMSOSTEK_UNKNOWN,
    RELATIONSHIPS,
    SEX_SPELLINGS,
)


@dataclass(frozen=True)
class Coded:
    """The accepted spellings of a coded answer and the value each stands for."""

    spellings: pa.Array
    meanings: pa.Array
    # For answers of one or two bytes, the position of each spelling by its bytes
    # (first * 256 + second, second = 0 for one byte), -1 when not a spelling.
    short: np.ndarray


def _coded(spellings: dict[str, object], kind: pa.DataType) -> Coded:
    short = np.full(1 << 16, -1, dtype=np.int32)
    for position, spelling in enumerate(spellings):
        raw = spelling.encode()
        if len(raw) <= 2:
            short[raw[0] * 256 + (raw[1] if len(raw) == 2 else 0)] = position
    return Coded(pa.array(list(spellings), pa.string()), pa.array(list(spellings.values()), kind), short)


SEX = _coded(dict(SEX_SPELLINGS), pa.string())
RELATIONSHIP = _coded({str(code): code for code in RELATIONSHIPS}, pa.int8())
EMPLOYMENT = _coded({str(code): code for code in EMPLOYMENT_STATUSES}, pa.int8())
DESIL = _coded({str(code): code for code in DESILS}, pa.int8())
JAMSOSTEK = _coded({str(code): code for code in [*range(JAMSOSTEK_MAX + 1), JAMSOSTEK_UNKNOWN]}, pa.int8())
DECEASED = _coded({"1": True, "true": True, "0": False, "false": False}, pa.bool_())


def normalise(batch: pa.RecordBatch) -> pa.RecordBatch:
    """`batch` has the extract's columns (codes.EXTRACT_COLUMNS) as text. The result has
    nik, kk, name, village (dots removed), occupation (lower case) as trimmed text; sex
    ("M"/"F"); birth_date (date32); relationship, employment_status, desil, jamsostek
    (int8); deceased (bool), each null when not a valid answer; and desil_missing,
    jamsostek_missing (bool: the field is empty)."""

    def raw(name: str) -> pa.Array:
        return _string(batch.column(name))

    desil = _decode(raw("desil"), DESIL)
    jamsostek = _decode(raw("jamsostek"), JAMSOSTEK)
    fields = {
        "nik": _digits_or_trimmed(raw("nik"), 16),
        "kk": _digits_or_trimmed(raw("kk_number"), 16),
        "name": _trimmed(raw("name")),
        "sex": _decode(pc.ascii_lower(raw("sex")), SEX),
        "birth_date": _birth_dates(raw("birth_date")),
        "village": _village(raw("village_code")),
        "relationship": _decode(raw("relationship"), RELATIONSHIP),
        "employment_status": _decode(raw("employment_status"), EMPLOYMENT),
        "occupation": pc.utf8_lower(_trimmed(raw("occupation"))),
        "desil": desil,
        "deceased": _decode(pc.ascii_lower(raw("deceased")), DECEASED),
        "jamsostek": jamsostek,
        "desil_missing": _blank(raw("desil"), desil),
        "jamsostek_missing": _blank(raw("jamsostek"), jamsostek),
    }
    return pa.RecordBatch.from_pydict(fields)


# Trimming costs a pass over every value, so a column skips it when its values are already
# in their exact form (then no value can have surrounding whitespace).


def _all_digits(values: pa.Array, width: int) -> bool:
    if values.null_count or not len(values):
        return False
    lengths = pc.min_max(pc.binary_length(values)).as_py()
    return lengths == {"min": width, "max": width} and bool(pc.all(pc.ascii_is_decimal(values)).as_py())


def _digits_or_trimmed(values: pa.Array, width: int) -> pa.Array:
    return values if _all_digits(values, width) else _trimmed(values)


def _village(values: pa.Array) -> pa.Array:
    plain = _without_dots(values)
    return plain if _all_digits(plain, 10) else _without_dots(_trimmed(values))


def _birth_dates(values: pa.Array) -> pa.Array:
    dates = read_iso_date(values)
    return dates if not dates.null_count else read_iso_date(_trimmed(values))


def _string(values: pa.Array) -> pa.Array:
    return values if values.type == pa.string() else pc.cast(values, pa.string())


def _buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(the len+1 offsets, the data bytes) of a string array, honouring its offset."""
    _validity, offsets, data = values.buffers()
    start = values.offset
    bounds = np.frombuffer(offsets, dtype=np.int32)[start : start + len(values) + 1]
    content = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return bounds, content


def _trimmed(values: pa.Array) -> pa.Array:
    bounds, content = _buffers(values)
    if not len(content):
        return values
    # The first and last byte of every value (an empty value reads a neighbour's byte,
    # which at worst trims a column that did not need it). Bytes up to 0x20 are the
    # spaces, tabs and line ends a trim removes.
    edge = len(content) - 1
    first = content[np.minimum(bounds[:-1], edge)]
    last = content[np.maximum(bounds[1:] - 1, 0)]
    if (first <= 0x20).any() or (last <= 0x20).any():
        return pc.utf8_trim_whitespace(values)
    return values


def _without_dots(values: pa.Array) -> pa.Array:
    _bounds, content = _buffers(values)
    if (content == ord(".")).any():
        return pc.replace_substring(values, ".", "")
    return values


def _decode(values: pa.Array, coded: Coded) -> pa.Array:
    """The value each spelling stands for; null for anything else (or nothing)."""
    bounds, content = _buffers(values)
    lengths = np.diff(bounds)
    if not values.null_count and len(values) and lengths.min() >= 1 and lengths.max() <= 2:
        # Answers of one or two bytes (nearly always): a table lookup instead of hashing,
        # unless a space or tab (0x20 and below) calls for the trim below.
        two = lengths == 2
        first = content[bounds[:-1]].astype(np.int32)
        second = np.where(two, content[np.minimum(bounds[:-1] + 1, len(content) - 1)], 0)
        if first.min() > 0x20 and not (two & (second <= 0x20)).any():
            position = coded.short[first * 256 + second]
            return pc.take(coded.meanings, pa.array(position, pa.int32(), mask=position < 0))
    return pc.take(coded.meanings, pc.index_in(_trimmed(values), value_set=coded.spellings))


def _blank(values: pa.Array, decoded: pa.Array) -> pa.Array:
    """Whether each answer is empty (or only spaces); an answer that decoded is not."""
    if not decoded.null_count:
        return pa.array(np.zeros(len(values), dtype=bool))
    return pc.fill_null(pc.equal(pc.binary_length(_trimmed(values)), 0), True)


FIRST_DAY = -719_162  # 0001-01-01 as days from 1970-01-01


def read_iso_date(values: pa.Array) -> pa.Array:
    """Dates written exactly YYYY-MM-DD (a real calendar date, year 0001 or later) as
    date32; null for anything else. Strict where Arrow's strptime would roll 30 February
    over into March."""
    if (
        not values.null_count
        and len(values)
        and (pc.min_max(pc.binary_length(values)).as_py() == {"min": 10, "max": 10})
    ):
        try:  # Arrow's own cast is strict and fast; any doubtful value sends all to the check below
            dates = pc.cast(values, pa.date32())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            dates = None
        # It also takes year 0, which neither Python nor the rest of Jaring can hold.
        if dates is not None and pc.min(dates.cast(pa.int32())).as_py() >= FIRST_DAY:
            return dates
    blocks, fits = fixed_numbers.ascii_blocks(values, 10, digits_only=False)
    digits = blocks.astype(np.int32) - ord("0")
    positions = [0, 1, 2, 3, 5, 6, 8, 9]
    shaped = fits & (blocks[:, 4] == ord("-")) & (blocks[:, 7] == ord("-"))
    shaped &= ((digits[:, positions] >= 0) & (digits[:, positions] <= 9)).all(axis=1)
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month = digits[:, 5] * 10 + digits[:, 6]
    day = digits[:, 8] * 10 + digits[:, 9]
    valid = shaped & (year >= 1) & fixed_numbers.valid_date(year, month, day)
    days = fixed_numbers.days_since_epoch(
        np.where(valid, year, 1970), np.where(valid, month, 1), np.where(valid, day, 1)
    )
    return pa.array(days.astype(np.int32), pa.int32(), mask=~valid).cast(pa.date32())
