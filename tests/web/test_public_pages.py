"""Public self-service over real HTTP, no login: the right participant number and birth date
give a masked status that agrees with the officers' coverage look-up; a wrong birth date, an
unknown number and a mistyped one all get the same answer; too many tries from one address
get 429 with Retry-After, whatever they ask."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest

from tests.contributions.billing_fixtures import World
from tests.web.conftest import login


def _answer(page: httpx.Response) -> str:
    found = re.search(r'<p class="problem" role="alert" id="status-problem">(.*?)</p>', page.text, re.S)
    assert found is not None, page.text
    return found.group(1).strip()


def _check(client: httpx.Client, number: str, birth_date: str) -> httpx.Response:
    return client.post("/status", data={"participant_number": number, "birth_date": birth_date})


def _known(client: httpx.Client, number: str) -> tuple[str, str, dict[str, Any]]:
    """(name, birth date, coverage today) as the officers' API tells them, then logged out."""
    login(client, "admin", "admin-long-secret-1")
    member = client.get(f"/api/v1/members/{number}").json()
    today = date.today().isoformat()
    cover = client.get(f"/api/v1/members/{number}/coverage", params={"date": today}).json()
    client.cookies.clear()
    return member["name"], member["birth_date"], cover


def test_the_right_number_and_birth_date_give_a_masked_status(site: tuple[httpx.Client, World]) -> None:
    client, world = site
    paid = next(iter(world.people.values())).participant_number
    name, born, cover = _known(client, paid)
    form = client.get("/status")
    assert form.status_code == 200
    assert 'id="status-form"' in form.text
    assert 'name="participant_number"' in form.text
    assert 'name="birth_date"' in form.text

    page = _check(client, paid, born)
    assert page.status_code == 200
    shown = re.search(r'id="status-name">([^<]+)<', page.text)
    assert shown is not None
    words = name.split()
    assert shown.group(1).split() == [w[0] + "*" * (len(w) - 1) for w in words]
    assert name not in page.text
    assert f'data-status="{cover["status"]}"' in page.text
    paid_through = re.search(r'id="status-paid-through">([^<]+)<', page.text)
    assert paid_through is not None
    assert paid_through.group(1) == cover["paid_through"]
    programs = re.search(r'id="status-programs">([^<]+)<', page.text)
    assert programs is not None
    assert programs.group(1) == ", ".join(p.upper() for p in cover["programs"])
    assert 'class="problem"' not in page.text


def test_a_wrong_birth_date_or_number_gets_one_generic_answer(site: tuple[httpx.Client, World]) -> None:
    client, world = site
    numbers = [p.participant_number for p in world.people.values()]
    _, born, _ = _known(client, numbers[0])
    day = date.fromisoformat(born)
    wrong_day = _check(client, numbers[0], day.replace(day=day.day % 28 + 1).isoformat())
    other_member = _check(client, numbers[2], "1899-01-01")
    unknown = _check(client, "10000000009", born)  # a valid check digit, nobody's number
    mistyped = _check(client, numbers[0][:-1] + str((int(numbers[0][-1]) + 1) % 10), born)
    garbage = _check(client, "abc", "not-a-date")
    answers = {_answer(r) for r in (wrong_day, other_member, unknown, mistyped, garbage)}
    assert answers == {"Data tidak ditemukan. Periksa kembali nomor peserta dan tanggal lahir."}
    for refused in (wrong_day, other_member, unknown, mistyped, garbage):
        assert refused.status_code == 404
        assert 'id="status-result"' not in refused.text
    assert f'value="{numbers[0]}"' in wrong_day.text  # what was typed is kept


def test_too_many_tries_from_one_address_get_429(
    site: tuple[httpx.Client, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, world = site
    paid = next(iter(world.people.values())).participant_number
    _, born, _ = _known(client, paid)
    monkeypatch.setenv("JARING_STATUS_TRIES_PER_MINUTE", "3")
    assert [_check(client, paid, "2000-01-01").status_code for _ in range(3)] == [404, 404, 404]
    limited = _check(client, paid, born)  # even the right answer is not given now
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert 'id="status-result"' not in limited.text
    assert "Terlalu banyak percobaan" in limited.text
    assert client.get("/status").status_code == 200  # the form itself is not limited
