"""Participant numbers: Luhn check digit, and serials that never collide."""

from __future__ import annotations

import random
import threading
from itertools import pairwise

import numpy as np
import pytest

from jaring.kit import db
from jaring.membership import numbers

rng = random.Random(44)
SAMPLE = [numbers.FIRST_SERIAL, numbers.LAST_SERIAL, *(rng.randrange(10**9, 10**10) for _ in range(300))]


def test_the_published_luhn_example() -> None:
    # ISO/IEC 7812's usual worked example: 7992739871 gets check digit 3.
    assert numbers.participant_number(7_992_739_871) == "79927398713"
    assert numbers.valid_participant_number("79927398713")
    assert not numbers.valid_participant_number("79927398710")


def test_bulk_numbers_equal_one_at_a_time() -> None:
    serials = np.array(SAMPLE, dtype=np.int64)
    assert numbers.participant_numbers(serials) == [numbers.participant_number(s) for s in SAMPLE]
    assert all(
        len(n) == 11 and n[:10] == str(s)
        for n, s in zip(numbers.participant_numbers(serials), SAMPLE, strict=True)
    )


def test_every_single_digit_error_is_caught() -> None:
    for serial in SAMPLE:
        number = numbers.participant_number(serial)
        assert numbers.valid_participant_number(number)
        for position in range(11):
            for digit in "0123456789":
                if digit != number[position]:
                    typo = number[:position] + digit + number[position + 1 :]
                    assert not numbers.valid_participant_number(typo), (number, typo)


def test_every_adjacent_swap_is_caught_except_09_and_90() -> None:
    swaps_seen = 0
    for serial in SAMPLE:
        number = numbers.participant_number(serial)
        for position in range(10):
            a, b = number[position], number[position + 1]
            if a == b or {a, b} == {"0", "9"}:  # Luhn's one blind spot
                continue
            swapped = number[:position] + b + a + number[position + 2 :]
            assert not numbers.valid_participant_number(swapped), (number, swapped)
            swaps_seen += 1
    assert swaps_seen > 2000


@pytest.mark.parametrize("text", ["", "1234567890", "123456789012", "1000000000a", "0000000000" + "0", " 1"])
def test_malformed_numbers_are_refused_with_a_reason(text: str) -> None:
    assert not numbers.valid_participant_number(text)
    assert numbers.problem(text)


def test_serials_out_of_range_are_a_bug() -> None:
    with pytest.raises(ValueError, match="serials run"):
        numbers.participant_number(999_999_999)


def test_concurrent_reservations_never_overlap(store_url: str) -> None:
    db.store(store_url)
    blocks: list[tuple[int, int]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def reserve(size: int) -> None:
        try:
            for _ in range(25):
                with db.transaction(store_url) as conn:
                    first = numbers.reserve_serials(conn, size)
                with lock:
                    blocks.append((first, first + size))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reserve, args=(size,)) for size in (1, 7, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(blocks) == 75
    ordered = sorted(blocks)
    assert ordered[0][0] == numbers.FIRST_SERIAL
    # Adjacent and disjoint: every serial taken exactly once.
    assert all(a_end == b_start for (_, a_end), (b_start, _) in pairwise(ordered))
    assert ordered[-1][1] == numbers.FIRST_SERIAL + 25 * (1 + 7 + 1000)
