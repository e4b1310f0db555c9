"""Claims test data: members written by the billing fixtures, billed and paid through the real
payment path, and the officers who file, verify, approve and pay."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from jaring.claims import service
from jaring.claims.payout_clock import WIB
from jaring.kit.auth import CLAIMS_OFFICER, CLAIMS_SUPERVISOR, Principal
from jaring.rules.formulas.codes import JKK, JKM
from tests.contributions.billing_fixtures import Person, World
from tests.contributions.payment_fixtures import bill_through, charge_amounts, pay

OFFICER = Principal("andi", CLAIMS_OFFICER, region_code="3507")
SUPERVISOR = Principal("budi", CLAIMS_SUPERVISOR, region_code="35")
SECOND = Principal("citra", CLAIMS_SUPERVISOR, region_code="3507")
ELSEWHERE = Principal("dewi", CLAIMS_OFFICER, region_code="3508")


def wib(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=WIB)


@pytest.fixture
def world(store_url: str) -> World:
    return World(store_url)


def paid_through_march(world: World, serial: int = 1, programs: int = JKK | JKM, **terms: Any) -> Person:
    """Registered 10 January 2026, January to March paid on 5 March 2026: active until 15 April,
    1-3 months in arrears to 15 July, lapsed from 16 July."""
    person = world.person(serial, "3507010001", date(2026, 1, 10), programs=programs, **terms)
    bill_through(world, person, "2026-03")
    pay(world, person, sum(charge_amounts(world.url, person).values()), "2026-03-05")
    return person


def pay_arrears(world: World, person: Person, through: str, day: str) -> None:
    bill_through(world, person, through)
    owed = {m: a for m, a in charge_amounts(world.url, person).items() if m > "2026-03"}
    pay(world, person, sum(owed.values()), day)


def file_complete(world: World, person: Person, kind: str, day: str, **kw: Any) -> service.ClaimView:
    """Filed on `day` with every document it needs."""
    from jaring.claims import kinds

    details = kw.get("details") or {}
    kw.setdefault("documents", list(kinds.documents_for(kinds.KINDS[kind], details)))
    return service.file_claim(
        principal=OFFICER,
        participant_number=person.participant_number,
        kind=kind,
        filed_at=wib(day),
        url=world.url,
        **kw,
    )


def approve_and_pay(world: World, claim_id: int, day: str, **kw: Any) -> service.ClaimView:
    service.verify(principal=SUPERVISOR, claim_id=claim_id, at=wib(day, 11), url=world.url)
    service.approve(principal=SECOND, claim_id=claim_id, at=wib(day, 12), url=world.url)
    return service.pay(
        principal=SECOND, claim_id=claim_id, transfer_ref="TRF-1", paid_on=date.fromisoformat(day),
        at=wib(day, 13), url=world.url, **kw,
    )  # fmt: skip
