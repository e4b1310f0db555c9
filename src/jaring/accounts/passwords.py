"""Password hashing: argon2id with the parameters encoded in each hash, so a change of
parameters is noticed at the next login and the hash upgraded then."""

from __future__ import annotations

import secrets
import threading
from functools import cache
from typing import Final

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from jaring.kit.errors import BadInput

MIN_LENGTH: Final = 10
# Longer than any passphrase a person types; a bound keeps one login from costing much.
MAX_LENGTH: Final = 1024

# argon2-cffi's defaults follow RFC 9106's second recommendation (64 MiB, 3 passes).
# Tests swap this for another hasher to see a parameter change trigger a rehash.
HASHER = PasswordHasher(type=Type.ID)
# Each hash takes 64 MiB: a burst of logins waits its turn rather than exhausting memory.
CONCURRENT_HASHES: Final = 4
_slots = threading.BoundedSemaphore(CONCURRENT_HASHES)


def check_strength(password: str) -> None:
    """Refuse a password too short to resist guessing, saying what is needed."""
    if len(password) < MIN_LENGTH:
        raise BadInput(
            f"the password is too short: use at least {MIN_LENGTH} characters "
            "(a few unrelated words make a good one)",
            field="password",
        )
    if len(password) > MAX_LENGTH:
        raise BadInput(f"the password is too long: use at most {MAX_LENGTH} characters", field="password")


def hash_password(password: str) -> str:
    check_strength(password)
    return rehash(password)


def rehash(password: str) -> str:
    """A hash with the current parameters, for a password already accepted once."""
    with _slots:
        return HASHER.hash(password)


def verify(stored_hash: str, password: str) -> bool:
    """Whether `password` matches; a malformed stored hash never matches."""
    too_long = len(password) > MAX_LENGTH  # never stored, so never a match; still spend the time
    try:
        with _slots:
            return HASHER.verify(stored_hash, password[:MAX_LENGTH]) and not too_long
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


def burn(password: str) -> None:
    """Spend the time of one verification, so a reply does not reveal that no hash was there."""
    verify(_dummy_hash(HASHER), password)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    with _slots:
        return hasher.hash(secrets.token_urlsafe(16))
