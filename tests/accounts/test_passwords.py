"""Password hashing: argon2id, a clear minimum, and an upgrade when the parameters change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from sqlalchemy import select

from jaring.accounts import passwords, service
from jaring.accounts.model import users
from jaring.kit import db
from jaring.kit.errors import BadInput
from tests.accounts.conftest import Account


def test_hash_is_argon2id_and_verifies_only_the_same_password():
    stored = passwords.hash_password("tiga kata acak")
    assert stored.startswith("$argon2id$")
    assert extract_parameters(stored).type is Type.ID
    assert passwords.verify(stored, "tiga kata acak")
    assert not passwords.verify(stored, "tiga kata acaK")
    assert not passwords.verify("not a hash", "tiga kata acak")


def test_two_hashes_of_one_password_differ():
    assert passwords.hash_password("sama persis sekali") != passwords.hash_password("sama persis sekali")


@pytest.mark.parametrize("password", ["", "pendek", "123456789"])
def test_a_short_password_is_refused_saying_what_is_needed(password):
    with pytest.raises(BadInput, match="at least 10 characters") as caught:
        passwords.hash_password(password)
    assert caught.value.field == "password"


def test_ten_characters_are_enough():
    assert passwords.verify(passwords.hash_password("0123456789"), "0123456789")


def test_a_password_longer_than_the_limit_never_matches():
    limit = "x" * passwords.MAX_LENGTH
    stored = passwords.hash_password(limit)
    assert passwords.verify(stored, limit)
    assert not passwords.verify(stored, limit + "x")
    with pytest.raises(BadInput, match="too long"):
        passwords.hash_password(limit + "x")


def _stored_hash(url: str, username: str) -> str:
    with db.store(url).connect() as conn:
        return str(
            conn.execute(select(users.c.password_hash).where(users.c.username == username)).scalar_one()
        )


def test_login_rehashes_when_the_parameters_changed(store_url, officer: Account, monkeypatch):
    before = _stored_hash(store_url, officer.username)
    assert extract_parameters(before).memory_cost == passwords.HASHER.memory_cost
    cheaper = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "HASHER", cheaper)

    service.authenticate(username=officer.username, password=officer.password, url=store_url)

    after = _stored_hash(store_url, officer.username)
    assert after != before
    assert (extract_parameters(after).memory_cost, extract_parameters(after).time_cost) == (8192, 1)
    # The upgraded hash still holds the same password, and is left alone from now on.
    service.authenticate(username=officer.username, password=officer.password, url=store_url)
    assert _stored_hash(store_url, officer.username) == after
