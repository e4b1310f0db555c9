"""`POST /api/v1/payments` and the coverage route over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest

from jaring.accounts import service as accounts
from jaring.api.app import create_app
from jaring.contributions import channels, ledger
from jaring.kit.auth import system
from jaring.membership.numbers import participant_number
from tests.accounts.conftest import make_account
from tests.accounts.server import serving
from tests.contributions.billing_fixtures import Person, World

ABSENT = participant_number(1_000_009_999)  # well-formed, and nobody has it


@pytest.fixture
def world(store_url: str) -> World:
    return World(store_url)


@pytest.fixture
def api(world: World) -> Iterator[httpx.Client]:
    with (
        serving(create_app(database_url=world.url)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client


@pytest.fixture
def secret(world: World) -> str:
    return channels.create_channel(
        principal=system("test"), code="BANK-A", name="Bank A", url=world.url
    ).secret


def _send(
    api: httpx.Client,
    secret: str,
    body: dict[str, object] | bytes,
    key: str,
    *,
    path: str = "/api/v1/payments",
    channel: str = "BANK-A",
    stamp: int | None = None,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(stamp if stamp is not None else int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
        "X-Jaring-Channel": channel,
        "X-Jaring-Timestamp": timestamp,
        "X-Jaring-Signature": channels.sign(secret, timestamp, key, raw),
    }
    return api.post(path, content=raw, headers=headers)


def _body(person: Person, amount: int = 16_800) -> dict[str, object]:
    return {"reference": person.participant_number, "amount": amount, "paid_at": "2026-05-10T09:30:00+07:00"}


def test_a_signed_payment_is_credited_once_however_often_it_is_sent(
    world: World, api: httpx.Client, secret: str
) -> None:
    person = world.person(1, "3507010001", date(2026, 5, 2))
    first = _send(api, secret, _body(person), "pay-1")
    assert first.status_code == 201, first.text
    assert first.json()["months"] == ["2026-05"]
    repeats = [_send(api, secret, _body(person), "pay-1") for _ in range(9)]
    assert {r.status_code for r in repeats} == {200}
    assert {r.json()["payment_id"] for r in repeats} == {first.json()["payment_id"]}
    assert all(r.json()["replayed"] for r in repeats)
    with ThreadPoolExecutor(8) as pool:
        burst = list(pool.map(lambda _: _send(api, secret, _body(person, 50_000), "burst"), range(8)))
    assert sorted(r.status_code for r in burst) == [200] * 7 + [201]
    assert len({r.json()["payment_id"] for r in burst}) == 1
    check = ledger.check(principal=system("test"), url=world.url)
    assert check.holds, check.problems
    assert check.received == 66_800


def test_signature_and_clock_are_checked_before_anything_is_read(
    world: World, api: httpx.Client, secret: str
) -> None:
    person = world.person(1, "3507010001", date(2026, 5, 2))
    wrong = _send(api, "00" * 32, _body(person), "k1")
    assert wrong.status_code == 401
    unknown = _send(api, secret, _body(person), "k2", channel="NOPE")
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]
    stale = _send(api, secret, _body(person), "k3", stamp=int(time.time()) - 3600)
    assert stale.status_code == 401
    assert "5 minutes" in stale.json()["detail"]
    raw = json.dumps(_body(person)).encode()
    tampered = _send(api, secret, raw, "k4")
    assert tampered.status_code == 201
    # The same signature over a changed body fails.
    timestamp = str(int(time.time()))
    headers = {
        "Idempotency-Key": "k5",
        "X-Jaring-Channel": "BANK-A",
        "X-Jaring-Timestamp": timestamp,
        "X-Jaring-Signature": channels.sign(secret, timestamp, "k5", raw),
        "Content-Type": "application/json",
    }
    changed = api.post("/api/v1/payments", content=raw.replace(b"16800", b"99999"), headers=headers)
    assert changed.status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": -5}, "body.amount"),
        ({"amount": 1.5}, "body.amount"),
        ({"paid_at": "2026-05-10"}, "body.paid_at"),
        ({"reference": ""}, "body.reference"),
        ({"extra": 1}, "body.extra"),
    ],
)
def test_bad_bodies_get_422_naming_the_field(
    world: World, api: httpx.Client, secret: str, change: dict[str, object], field: str
) -> None:
    person = world.person(1, "3507010001", date(2026, 5, 2))
    response = _send(api, secret, {**_body(person), **change}, "bad")
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_unknown_reference_is_a_422_on_reference(world: World, api: httpx.Client, secret: str) -> None:
    response = _send(
        api, secret, {**_body(world.person(1, "3507010001", date(2026, 5, 2))), "reference": "1"}, "r"
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reference"]


def test_reversal_by_the_channel(world: World, api: httpx.Client, secret: str) -> None:
    person = world.person(1, "3507010001", date(2026, 5, 2))
    paid = _send(api, secret, _body(person), "p").json()
    path = f"/api/v1/payments/{paid['payment_id']}/reversal"
    reversed_ = _send(api, secret, {"reason": "bounced"}, "rev-1", path=path)
    assert reversed_.status_code == 201, reversed_.text
    assert reversed_.json()["amount"] == -16_800
    other = channels.create_channel(principal=system("test"), code="BANK-B", name="B", url=world.url).secret
    foreign = _send(api, other, {"reason": "not mine"}, "rev-2", path=path, channel="BANK-B")
    assert foreign.status_code == 404


def test_coverage_over_http_is_scoped(world: World, api: httpx.Client, secret: str) -> None:
    person = world.person(1, "3507010001", date(2026, 5, 2))
    _send(api, secret, _body(person), "p")
    own = make_account(world.url, "sri", "regency_officer", region_code="3507")
    foreign = make_account(world.url, "budi", "regency_officer", region_code="3171")

    def get(account: object, number: str) -> httpx.Response:
        token = accounts.issue_token(user_id=account.user_id, url=world.url)  # type: ignore[attr-defined]
        return api.get(
            f"/api/v1/members/{number}/coverage",
            params={"date": "2026-05-20"},
            headers={"Authorization": f"Bearer {token}"},
        )

    ok = get(own, person.participant_number)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "active"
    assert ok.json()["paid_through"] == "2026-05"
    hidden = get(foreign, person.participant_number)
    absent = get(foreign, ABSENT)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["detail"].replace(person.participant_number, "N") == absent.json()["detail"].replace(
        ABSENT, "N"
    )
    assert (
        api.get(
            f"/api/v1/members/{person.participant_number}/coverage", params={"date": "2026-05-20"}
        ).status_code
        == 401
    )
