"""Integer Rupiah: parsing, exact rates, named rounding and id_ID formatting.

Money never passes through a float. Rates are exact fractions held as integers
over a fixed scale (parts per million) so that a whole population can be
multiplied in one int64 numpy expression without losing a Rupiah.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from fractions import Fraction

import numpy as np
import numpy.typing as npt

Int64Array = npt.NDArray[np.int64]

RATE_SCALE = 1_000_000
"""Rates are stored as integer parts per million: 0.24 % is 2_400."""

MAX_MONTHLY_AMOUNT = 10_000_000_000
"""Largest wage or income (Rp10 billion a month) the engine accepts.

Keeps every product `amount * rate_ppm * 80` inside int64 with room to spare.
"""

_INT64_SAFE = 2**62


class MoneyError(ValueError):
    """An amount or rate that cannot be read as exact money."""


class Rounding(str, Enum):
    """How a fractional Rupiah becomes a whole one.

    The regulations do not state a rounding rule (rules file §13 item 12), so
    every parameter file names the one it uses, and that choice is visible in
    `jaring rules show`.
    """

    HALF_UP = "half_up"
    FLOOR = "floor"
    CEIL = "ceil"


def parse_rupiah(text: str | int, *, what: str = "amount") -> int:
    """Read a whole, non-negative Rupiah amount typed by a person.

    Accepts `1000000`, `1.000.000`, `1_000_000` and an optional `Rp` prefix.
    """
    if isinstance(text, bool):
        raise MoneyError(f"{what} must be a whole number of Rupiah, got {text!r}")
    if isinstance(text, int):
        value = text
    else:
        cleaned = text.strip().replace(" ", "")
        cleaned = re.sub(r"^(?i:rp)\.?", "", cleaned)
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", cleaned):
            cleaned = cleaned.replace(".", "")
        cleaned = cleaned.replace("_", "")
        if cleaned.startswith("-") and cleaned[1:].isdigit():
            raise MoneyError(f"{what} cannot be negative, got {text!r}")
        if not cleaned.isdigit():
            raise MoneyError(
                f"{what} must be a whole number of Rupiah such as 1000000 or 1.000.000, got {text!r}"
            )
        value = int(cleaned)
    if value < 0:
        raise MoneyError(f"{what} cannot be negative, got {value}")
    if value > MAX_MONTHLY_AMOUNT:
        raise MoneyError(
            f"{what} Rp{value:,} is above the largest amount the engine accepts "
            f"(Rp{MAX_MONTHLY_AMOUNT:,})".replace(",", ".")
        )
    return value


def parse_rate(text: str | int | float) -> Fraction:
    """Read a rate written as a percentage string, e.g. ``"0.24%"`` or ``"50%"``.

    Floats are refused: a YAML `0.1` would already have lost exactness.
    """
    if isinstance(text, float | bool):
        raise MoneyError(f"write rates as a quoted percentage such as '0.24%', got {text!r}")
    raw = str(text).strip()
    if not raw.endswith("%"):
        raise MoneyError(f"a rate must end with '%', such as '0.24%', got {raw!r}")
    number = raw[:-1].strip()
    if not re.fullmatch(r"\d+(\.\d+)?", number):
        raise MoneyError(f"a rate must be a non-negative decimal percentage, got {raw!r}")
    rate = Fraction(number) / 100
    if (rate * RATE_SCALE).denominator != 1:
        raise MoneyError(f"rate {raw!r} is finer than one part per million")
    return rate


def rate_to_ppm(rate: Fraction) -> int:
    scaled = rate * RATE_SCALE
    if scaled.denominator != 1:
        raise MoneyError(f"rate {rate} is finer than one part per million")
    return int(scaled)


def format_rate(ppm: int) -> str:
    """`2400` → `0,24%` in the id_ID style (comma as the decimal mark)."""
    whole, frac = divmod(ppm, RATE_SCALE // 100)
    if frac == 0:
        return f"{whole}%"
    digits = f"{frac:04d}".rstrip("0")
    return f"{whole},{digits}%"


def divide(numerator: Int64Array, denominator: int | Int64Array, rounding: Rounding) -> Int64Array:
    """Exact integer division of non-negative numerators with a named rounding."""
    num = np.asarray(numerator, dtype=np.int64)
    den = np.asarray(denominator, dtype=np.int64)
    if rounding is Rounding.FLOOR:
        return num // den
    if rounding is Rounding.CEIL:
        return -((-num) // den)
    if den.ndim == 0 and int(den) % 2 == 0:
        return (num + int(den) // 2) // den  # one pass fewer; same result for an even divisor
    return (2 * num + den) // (2 * den)


def apply_rate(amounts: Int64Array, rate_ppm: int | np.int64 | Int64Array, rounding: Rounding) -> Int64Array:
    """`amounts × rate`, rounded to whole Rupiah, element by element."""
    base = np.asarray(amounts, dtype=np.int64)
    ppm = np.asarray(rate_ppm, dtype=np.int64)
    if base.size and ppm.size:
        largest = max(int(base.max()), -int(base.min()))
        peak = largest * (int(ppm) if ppm.ndim == 0 else int(ppm.max()))
        if peak * 2 >= _INT64_SAFE:
            raise MoneyError("amount × rate is too large to compute exactly")
    return divide(base * ppm, RATE_SCALE, rounding)


def format_rupiah(amount: int) -> str:
    """`1234567` → `Rp 1.234.567`; negative amounts keep their sign in front."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(int(amount)):,}".replace(",", ".")


def add_up(arrays: Iterable[Int64Array], size: int) -> Int64Array:
    """Element-wise sum of equally long integer arrays (zeros when there are none)."""
    total = np.zeros(size, dtype=np.int64)
    for array in arrays:
        total += array
    return total
