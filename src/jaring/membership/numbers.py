"""Participant numbers: a 10-digit serial and a Luhn check digit (11 digits in all).

The serial is the member's id. Serials come from the single `member_numbers` row, taken in
blocks by one UPDATE ... RETURNING, so two enrolments (or two bulk batches) running at the
same time can never draw the same serial: the row lock (PostgreSQL) or the write lock
(SQLite) orders them. A rolled-back enrolment leaves a gap, which is harmless.

The check digit (ISO/IEC 7812-1 Annex B, "Luhn") catches every single mistyped digit and
every swap of two adjacent digits except 09 ↔ 90, so a number read out over the phone or
typed at a counter is refused before it can reach someone else's record.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, update

from jaring.membership.model import member_numbers

FIRST_SERIAL = 1_000_000_000
LAST_SERIAL = 9_999_999_999
SERIAL_DIGITS = 10
LENGTH = SERIAL_DIGITS + 1

# Luhn's doubled digit with its digits summed (2·d, minus 9 when above 9).
_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.int64)


def _check_serials(serials: npt.NDArray[np.int64]) -> None:
    if len(serials) and (serials.min() < FIRST_SERIAL or serials.max() > LAST_SERIAL):
        raise ValueError(f"participant serials run from {FIRST_SERIAL} to {LAST_SERIAL}")


def check_digits(serials: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The Luhn check digit of each serial."""
    serials = np.asarray(serials, dtype=np.int64)
    _check_serials(serials)
    total = np.zeros(len(serials), dtype=np.int64)
    rest = serials.copy()
    # From the rightmost serial digit leftwards: that digit is doubled (the check digit will
    # stand to its right), the next is not, and so on.
    for position in range(SERIAL_DIGITS):
        digit = rest % 10
        rest //= 10
        total += _DOUBLED[digit] if position % 2 == 0 else digit
    result: npt.NDArray[np.int64] = (10 - total % 10) % 10
    return result


def participant_numbers(serials: npt.NDArray[np.int64]) -> list[str]:
    """The participant numbers of many serials at once (bulk enrolment)."""
    serials = np.asarray(serials, dtype=np.int64)
    numbers = serials * 10 + check_digits(serials)
    result: list[str] = numbers.astype(str).tolist()
    return result


def participant_number(serial: int) -> str:
    return participant_numbers(np.array([serial], dtype=np.int64))[0]


def problem(text: str) -> str | None:
    """Why `text` is not a participant number (never echoing it), or None when it is one."""
    if len(text) != LENGTH or not text.isascii() or not text.isdigit():
        return f"a participant number has {LENGTH} digits"
    if text[0] == "0":
        return "a participant number does not start with 0"
    if participant_number(int(text[:SERIAL_DIGITS])) != text:
        return "the check digit does not match: the number was mistyped"
    return None


def valid_participant_number(text: str) -> bool:
    return problem(text) is None


def serial_of(participant_number: str) -> int:
    """The serial (the member id) of a valid participant number."""
    return int(participant_number[:SERIAL_DIGITS])


def reserve_serials(conn: Connection, n: int) -> int:
    """Take `n` consecutive serials in the caller's transaction; returns the first."""
    if n < 1:
        raise ValueError("reserve at least one serial")
    after = conn.execute(
        update(member_numbers)
        .where(member_numbers.c.id == 1)
        .values(next_serial=member_numbers.c.next_serial + n)
        .returning(member_numbers.c.next_serial)
    ).scalar_one_or_none()
    if after is None:  # the migration seeds the row
        raise RuntimeError("the member_numbers row is missing; run the migrations (jaring db upgrade)")
    first = int(after) - n
    if int(after) - 1 > LAST_SERIAL:
        raise RuntimeError("participant serials are exhausted")
    return first
