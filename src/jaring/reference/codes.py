"""Kemendagri region codes: undotted inside Jaring, dotted when shown to people.

A code is 2 digits (province), 4 (regency: kabupaten/kota), 6 (district: kecamatan) or
10 (village: desa/kelurahan). The dotted form splits it 2.2.2.4: `31.74.01.1001`.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, true

from jaring.kit.errors import BadInput

LEVEL_BY_LENGTH = {2: "province", 4: "regency", 6: "district", 10: "village"}
LENGTH_BY_LEVEL = {level: length for length, level in LEVEL_BY_LENGTH.items()}
_SEGMENTS = (2, 2, 2, 4)
_PLAIN = re.compile(r"[0-9]{2}(?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{4})?)?)?")
_DOTTED = re.compile(r"[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{4})?)?)?")
_EXAMPLES = "e.g. 31, 31.74, 31.74.01 or 31.74.01.1001"


def _invalid(code: str, reason: str) -> BadInput:
    return BadInput(f"region code {code!r} is not valid: {reason} ({_EXAMPLES})")


def undotted(code: str) -> str:
    """The undotted form of a dotted or undotted code; BadInput when it is not a region code."""
    text = code.strip()
    if _PLAIN.fullmatch(text):
        plain = text
    elif _DOTTED.fullmatch(text):
        plain = text.replace(".", "")
    elif "." in text:
        raise _invalid(code, "the dotted form has segments of 2, 2, 2 and 4 digits")
    else:
        raise _invalid(code, "expected 2, 4, 6 or 10 digits")
    # No level numbers its units from zero, so an all-zero segment is a typo, not a region.
    if plain[:2] == "00" or plain[2:4] == "00" or plain[4:6] == "00" or plain[6:] == "0000":
        raise _invalid(code, "a segment of zeros is not a region number")
    return plain


def is_code(code: str) -> bool:
    try:
        undotted(code)
    except BadInput:
        return False
    return True


def looks_like_code(text: str) -> bool:
    """Digits and dots only: the user meant a code (possibly a wrong one), not a name."""
    return bool(re.fullmatch(r"[0-9.\s]+", text)) and any(ch.isdigit() for ch in text)


def dotted(code: str) -> str:
    plain = undotted(code)
    parts, start = [], 0
    for size in _SEGMENTS:
        if start >= len(plain):
            break
        parts.append(plain[start : start + size])
        start += size
    return ".".join(parts)


def level_of(code: str) -> str:
    return LEVEL_BY_LENGTH[len(undotted(code))]


def parent_of(code: str) -> str | None:
    """The code of the region one level up; None for a province."""
    plain = undotted(code)
    lengths = sorted(LEVEL_BY_LENGTH)
    index = lengths.index(len(plain))
    return plain[: lengths[index - 1]] if index else None


def ancestors(code: str) -> list[str]:
    """Codes of the regions above, province first (the code itself excluded)."""
    plain = undotted(code)
    return [plain[:length] for length in sorted(LEVEL_BY_LENGTH) if length < len(plain)]


def regency_type(code: str) -> str:
    """`kab` for regency numbers 01–69, `kota` for 71–99 (the Kemendagri numbering rule)."""
    plain = undotted(code)
    if len(plain) != LENGTH_BY_LEVEL["regency"]:
        raise _invalid(code, "a regency code has 4 digits")
    number = int(plain[2:4])
    if 1 <= number <= 69:
        return "kab"
    if 71 <= number <= 99:
        return "kota"
    raise _invalid(code, "regency numbers are 01–69 (kabupaten) or 71–99 (kota)")


_VILLAGE_TYPES = {"1": "kelurahan", "2": "desa", "3": "desa_adat"}


def village_type(code: str) -> str:
    """From the first digit of the village part: 1 kelurahan, 2 desa, 3 desa_adat."""
    plain = undotted(code)
    if len(plain) != LENGTH_BY_LEVEL["village"]:
        raise _invalid(code, "a village code has 10 digits")
    kind = _VILLAGE_TYPES.get(plain[6])
    if kind is None:
        raise _invalid(code, "a village number starts with 1 (kelurahan), 2 (desa) or 3 (desa adat)")
    return kind


def region_type(code: str) -> str | None:
    """The type a code implies at its level: kab/kota or desa/kelurahan/desa_adat; None above."""
    plain = undotted(code)
    if len(plain) == LENGTH_BY_LEVEL["regency"]:
        return regency_type(plain)
    if len(plain) == LENGTH_BY_LEVEL["village"]:
        return village_type(plain)
    return None


def code_prefix_range(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with the region code `prefix`, as a range an index can serve: SQLite's
    LIKE ignores case and PostgreSQL's needs a pattern index, so `startswith` scans. Region
    codes are digits, so the character after the prefix's last digit bounds the range."""
    if not prefix:
        return true()
    if not prefix.isdigit():
        raise BadInput(f"region code {prefix!r} is not all digits")
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)
