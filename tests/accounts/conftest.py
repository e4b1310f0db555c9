"""Accounts made through the service, as the console operator would."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from jaring.accounts import service
from jaring.kit.auth import system


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    user_id: int


def make_account(url: str, username: str, role: str, password: str | None = None, **links: object) -> Account:
    secret = password or f"{username}-long-secret-1"
    user = service.create_user(
        principal=system(), username=username, role=role, password=secret, url=url, **links
    )
    return Account(user.username, secret, user.id)


@pytest.fixture
def admin(store_url: str) -> Account:
    return make_account(store_url, "admin", "national_admin")


@pytest.fixture
def officer(store_url: str) -> Account:
    return make_account(store_url, "budi", "province_officer", region_code="35")
