"""Billing test data: members, terms and payer assignments written straight into membership's
tables (enrolment through the service would need a loaded region list and valid NIKs, which
billing does not care about).

The expectations tests compare against are computed member by member with the one-person
calculator (`jaring.rules.calculators.contribution`), never with billing's own SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from jaring.kit import db
from jaring.kit.auth import system
from jaring.kit.periods import Month
from jaring.kit.protect import encrypt
from jaring.membership.model import member_terms, members, payer_assignments
from jaring.membership.numbers import participant_number
from jaring.rules import calculators
from jaring.rules.formulas.codes import JHT, JKK, JKM
from jaring.sponsors.service import create_sponsor

BASIC = JKK | JKM
WITH_JHT = JKK | JKM | JHT
FIRST_ID = 1_000_000_001
MAY = Month(2026, 5)


# ------------------------------------------------------------- data


@dataclass(frozen=True)
class Person:
    """One member as a test writes it, and what the calculator needs to price a month."""

    id: int
    participant_number: str
    region_code: str
    registered_on: date
    income: int = 1_000_000
    programs: int = BASIC
    sector: str = "other"
    segment: str = "bpu"
    sponsor: str | None = None  # sponsor code for every month (see `Sponsorship` for a window)


@dataclass(frozen=True)
class Sponsorship:
    participant: int  # Person.id
    sponsor: str
    from_month: Month
    to_month: Month  # exclusive


class World:
    """What a test created: sponsors by code (id, funding) and persons by id."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sponsors: dict[str, tuple[int, str]] = {}
        self.people: dict[int, Person] = {}
        self.windows: list[Sponsorship] = []

    def sponsor(self, code: str, kind: str, region_code: str, funding: str | None = None) -> int:
        created = create_sponsor(
            principal=system("test"),
            code=code,
            name=f"Sponsor {code}",
            kind=kind,
            region_code=region_code,
            funding=funding,
            url=self.url,
        )
        self.sponsors[code] = (created.id, created.funding)
        return created.id

    def person(self, serial: int, region_code: str, registered_on: date, **terms: Any) -> Person:
        member_id = FIRST_ID + serial
        person = Person(member_id, participant_number(member_id), region_code, registered_on, **terms)
        now = datetime.now(UTC)
        # A well-formed NIK of the member's district, so code that unmasks or masks it works.
        nik_index, nik_cipher = encrypt(f"{region_code[:6]}010190{serial % 10_000:04d}")
        with db.transaction(self.url) as conn:
            conn.execute(
                members.insert().values(
                    id=member_id,
                    participant_number=person.participant_number,
                    nik_index=nik_index,
                    nik_cipher=nik_cipher,
                    name=f"Peserta {serial}",
                    birth_date=date(1990, 1, 1),
                    sex="L",
                    segment=person.segment,
                    category="test",
                    sector=person.sector,
                    region_code=region_code,
                    registered_on=registered_on,
                    channel="officer",
                    created_at=now,
                )
            )
            conn.execute(
                member_terms.insert().values(
                    member_id=member_id,
                    valid_from=Month.of(registered_on).first_day,
                    valid_to=None,
                    income=person.income,
                    programs=person.programs,
                    created_at=now,
                )
            )
            if person.sponsor is not None:
                self._assign(conn, member_id, person.sponsor, Month.of(registered_on), Month(2100, 1))
        self.people[member_id] = person
        return person

    def sponsor_window(self, person: Person, code: str, from_month: Month, to_month: Month) -> None:
        with db.transaction(self.url) as conn:
            self._assign(conn, person.id, code, from_month, to_month)
        self.windows.append(Sponsorship(person.id, code, from_month, to_month))

    def _assign(self, conn: Connection, member_id: int, code: str, first: Month, end: Month) -> None:
        conn.execute(
            payer_assignments.insert().values(
                member_id=member_id,
                sponsor_id=self.sponsors[code][0],
                from_month=first.first_day,
                to_month=end.first_day,
                created_at=datetime.now(UTC),
                created_by="test",
            )
        )

    # ---- the independent expectation

    def payer(self, person: Person, month: Month) -> str | None:
        for window in self.windows:
            if window.participant == person.id and window.from_month <= month < window.to_month:
                return window.sponsor
        return person.sponsor

    def expected(
        self, month: Month, *, region_prefix: str = "", income_mode: str = "listed"
    ) -> dict[int, tuple[str | None, int, dict[str, int]]]:
        """member id → (sponsor code or None, amount, lines) for every BPU member billable in
        `month`, priced one person at a time by the calculator."""
        out = {}
        for person in self.people.values():
            if person.segment != "bpu" or Month.of(person.registered_on) > month:
                continue
            code = self.payer(person, month)
            if code is None and not person.region_code.startswith(region_prefix):
                continue
            funding = "self" if code is None else self.sponsors[code][1]
            out[person.id] = (code, *price(person, month, funding, income_mode))
        return out


def price(
    person: Person, month: Month, funding: str, income_mode: str = "listed"
) -> tuple[int, dict[str, int]]:
    names = [n for n, bit in (("jkk", JKK), ("jkm", JKM), ("jht", JHT)) if person.programs & bit]
    calc = calculators.contribution(
        segment="bpu",
        month=month,
        income=person.income,
        programs=names,
        sector=person.sector,
        funding=funding,
        income_mode=income_mode,
    )
    lines = {line.code: line.amount for line in calc.lines}
    return calc.total, lines


def world_id(serial: int) -> int:
    return FIRST_ID + serial


def mixed(url: str) -> World:
    """Self payers in two regencies of Jawa Timur and in Jakarta, a province sponsor (APBD, no
    relief), a company sponsor (relief applies), one member registered after May and one
    wage earner (billed elsewhere)."""
    world = World(url)
    world.sponsor("PROV35", "province", "35")
    world.sponsor("CSR3507", "csr", "3507")
    jan = date(2026, 1, 5)
    world.person(1, "3507010001", jan)
    world.person(2, "3507020002", jan, sector="transport", programs=WITH_JHT)
    world.person(3, "3508010003", jan)
    world.person(4, "3507010004", jan, sponsor="PROV35", programs=WITH_JHT)
    world.person(5, "3508010005", jan, sponsor="PROV35")
    world.person(6, "3507010006", jan, sponsor="CSR3507")
    world.person(7, "3507010007", date(2026, 6, 10))
    world.person(8, "3507010008", jan, segment="pu", programs=BASIC)
    world.person(9, "3173010009", jan, sector="transport")
    return world
