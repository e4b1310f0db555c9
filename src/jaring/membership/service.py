"""Membership use cases: enrol a worker, find and show members, declared terms over time, and
the sponsor of record per month.

Registered is not covered: a member is protected from the first paid contribution on
(PP 44/2015 Art. 11 for BPU), so this domain only ever says "registered"; the contributions
domain owns payments and reports coverage.

Every use case below is one transaction and writes its audit event in it. Reads of members
go through `_readable(principal)`: the region filter for officers, the member's own id for a
member; a member outside scope is reported exactly like a missing one. The `*_in` functions
at the end take the caller's connection and no principal: they are for other domains'
services, which have checked scope themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from jaring.kit import audit, config, db, protect
from jaring.kit.auth import MEMBER, Principal, in_scope, region_filter, require, system
from jaring.kit.errors import BadInput, Conflict, Forbidden, NotFound
from jaring.kit.nik import NikResult, mask, parse_nik
from jaring.kit.periods import Month
from jaring.membership import numbers
from jaring.membership.model import member_terms, members, payer_assignments
from jaring.reference.codes import code_prefix_range
from jaring.rules.engine import Usage, default_rulebook
from jaring.rules.errors import RulesError
from jaring.rules.formulas.codes import PROGRAM_BITS, PROGRAMS, SECTORS, SEGMENTS, program_bits
from jaring.sponsors.service import Sponsor, sponsor_in, sponsors_in

CHANNELS = ("officer", "self")
REQUIRED_PROGRAMS = ("jkk", "jkm")
# Programs a segment may hold beyond JKK and JKM: JP is for wage earners only (PP 45/2015
# Art. 2); a BPU or a migrant worker may add JHT.
OPTIONAL_PROGRAMS = {"bpu": ("jht",), "pu": ("jht", "jp"), "pmi": ("jht",)}
MAX_SEARCH = 500
MAX_PAYER_MONTHS = 120
# Enough for big sponsor lists and well under SQLite's and psycopg's bound-parameter limits.
ID_CHUNK = 10_000

NIK_PROBLEMS = {
    "nik_missing": "is empty",
    "nik_non_digit": "may contain digits only",
    "nik_length": "must be 16 digits",
    "nik_province_unknown": "starts with a province code (digits 1-2) that does not exist",
    "nik_region_zero": "has 00 as its regency or district (digits 3-6)",
    "nik_date_impossible": "encodes a date of birth (digits 7-12) that does not exist",
    "nik_serial_zero": "has 0000 as its serial (digits 13-16)",
}
_SEX = {"L": "L", "P": "P", "M": "L", "F": "P"}
_LONG_DIGITS = re.compile(r"\d{8,}")


def bad(field: str, reason: str) -> BadInput:
    """Bad input in one named field; the API lists the field with the reason."""
    error = BadInput(f"{field}: {reason}")
    error.field = field
    return error


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class Terms:
    valid_from: date
    valid_to: date | None
    income: int
    programs: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "from_month": str(Month.of(self.valid_from)),
            "to_month": None if self.valid_to is None else str(Month.of(self.valid_to)),
            "income": self.income,
            "programs": list(self.programs),
        }


@dataclass(frozen=True)
class PayerPeriod:
    """Months [from_month, to_month) paid by one sponsor."""

    sponsor_id: int
    sponsor_code: str
    from_month: date
    to_month: date

    def to_json(self) -> dict[str, Any]:
        return {
            "sponsor_id": self.sponsor_id,
            "sponsor_code": self.sponsor_code,
            "from_month": str(Month.of(self.from_month)),
            "to_month": str(Month.of(self.to_month)),
        }


@dataclass(frozen=True)
class MemberView:
    participant_number: str
    nik_masked: str
    name: str
    birth_date: date
    sex: str | None
    segment: str
    category: str
    sector: str
    region_code: str
    registered_on: date
    channel: str
    income: int  # the terms in force this month
    programs: tuple[str, ...]
    terms: tuple[Terms, ...] = ()
    payers: tuple[PayerPeriod, ...] = ()
    # "registered" only: coverage starts at the first paid contribution and is the
    # contributions domain's to report.
    status: str = "registered"

    def to_json(self) -> dict[str, Any]:
        return {
            "participant_number": self.participant_number,
            "nik_masked": self.nik_masked,
            "name": self.name,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "segment": self.segment,
            "category": self.category,
            "sector": self.sector,
            "region_code": self.region_code,
            "registered_on": self.registered_on.isoformat(),
            "channel": self.channel,
            "status": self.status,
            "income": self.income,
            "programs": list(self.programs),
            "terms": [t.to_json() for t in self.terms],
            "payers": [p.to_json() for p in self.payers],
        }


@dataclass(frozen=True)
class MemberSummary:
    participant_number: str
    nik_masked: str
    name: str
    segment: str
    category: str
    region_code: str
    registered_on: date

    def to_json(self) -> dict[str, Any]:
        return {
            "participant_number": self.participant_number,
            "nik_masked": self.nik_masked,
            "name": self.name,
            "segment": self.segment,
            "category": self.category,
            "region_code": self.region_code,
            "registered_on": self.registered_on.isoformat(),
        }


@dataclass(frozen=True)
class MemberRef:
    """What other domains need to know about a member (no personal fields but the birth date)."""

    id: int
    participant_number: str
    region_code: str
    segment: str
    sector: str
    registered_on: date
    birth_date: date


@dataclass(frozen=True)
class AssignmentReport:
    sponsor_id: int
    sponsor_code: str
    from_month: Month
    months: int
    members: int
    assigned: int  # member-ranges newly recorded
    unchanged: int  # members this sponsor already paid for all of these months

    @property
    def to_month(self) -> Month:
        """The first month after the assignment."""
        return self.from_month.plus(self.months)

    def to_json(self) -> dict[str, Any]:
        return {
            "sponsor_id": self.sponsor_id,
            "sponsor_code": self.sponsor_code,
            "from_month": str(self.from_month),
            "to_month": str(self.to_month),
            "months": self.months,
            "members": self.members,
            "assigned": self.assigned,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class PayerEnd:
    participant_number: str
    sponsor_code: str
    until: Month  # the first month no longer paid by the sponsor
    changed: int  # assignment rows shortened or removed

    def to_json(self) -> dict[str, Any]:
        return {
            "participant_number": self.participant_number,
            "sponsor_code": self.sponsor_code,
            "until": str(self.until),
            "changed": self.changed,
        }


# --------------------------------------------------------------------------- validation


def self_registration_principal() -> Principal:
    """Who acts when a worker registers themself through the public API."""
    return system("self-registration")


def program_names(bits: int) -> tuple[str, ...]:
    return tuple(name for name in PROGRAMS if bits & PROGRAM_BITS[name])


def check_nik(nik: str, *, today: date | None = None, url: str | None = None) -> NikResult:
    """A parsed NIK, or BadInput naming the problem (never the NIK itself)."""
    from jaring.reference.stats import known_codes

    result = parse_nik(nik, reference_date=today or date.today(), known=known_codes(url))
    if not result.valid:
        reason = result.reason or "nik_length"
        raise bad("nik", f"the NIK {NIK_PROBLEMS.get(reason, 'is not valid')}")
    return result


def _check_birth(nik: str, birth_date: date, registered_on: date) -> None:
    # The NIK's DDMMYY is the birth date as Dukcapil recorded it; a different one means a
    # typing mistake in one of the two, and a member record must not start with it.
    day = int(nik[6:8])
    encoded = (day - 40 if day > 40 else day, int(nik[8:10]), int(nik[10:12]))
    # The NIK holds two digits of the year; either century is a possible reading of them.
    if (birth_date.day, birth_date.month, birth_date.year % 100) != encoded or birth_date.year < 1900:
        raise bad(
            "birth_date",
            "does not match the date of birth in the NIK (digits 7-12, day + 40 for women); check both",
        )
    if birth_date > registered_on:
        raise bad("birth_date", "is after the registration date")


def _check_sex(parsed: NikResult, sex: str | None) -> str:
    from_nik = _SEX[parsed.sex or "M"]
    if sex is None or not sex.strip():
        return from_nik
    given = _SEX.get(sex.strip().upper())
    if given is None:
        raise bad("sex", "use L (laki-laki) or P (perempuan)")
    if given != from_nik:
        raise bad("sex", "does not match the NIK (women's day of birth in the NIK is + 40)")
    return given


def _check_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise bad("name", "is empty")
    if len(clean) > 200:
        raise bad("name", "is longer than 200 characters")
    return clean


def check_category(category: str) -> str:
    clean = " ".join(category.split())
    if not clean:
        raise bad("category", "is empty; give the occupation or the sponsored group")
    if len(clean) > 40:
        raise bad("category", "is longer than 40 characters")
    return clean


def check_region_code(principal: Principal, region_code: str, *, url: str | None = None) -> str:
    """The undotted village (10 digits) or regency (4) code, known and inside the principal's
    area. A foreign region is refused as Forbidden, not NotFound: regions are public, so
    naming one reveals nothing about members."""
    from jaring.reference.stats import known_codes

    code = region_code.strip().replace(".", "")
    if not code.isascii() or not code.isdigit() or len(code) not in (4, 10):
        raise bad("region_code", "give a village (10 digits) or regency (4 digits) code, e.g. 3171011001")
    if code not in known_codes(url):
        raise bad("region_code", f"{code} is not in the region list")
    if not in_scope(principal, code):
        raise Forbidden(f"region {code} is outside your area")
    return code


def check_terms(
    *,
    segment: str,
    programs: Iterable[str],
    income: int,
    sector: str,
    month: Month,
) -> int:
    """The program bitmask of valid terms, or BadInput naming the field."""
    if segment not in SEGMENTS:
        raise bad("segment", f"{segment!r} is not known; use one of: {', '.join(SEGMENTS)}")
    if sector not in SECTORS:
        raise bad("sector", f"{sector!r} is not known; use one of: {', '.join(SECTORS)}")
    chosen = [p.strip().lower() for p in programs if p.strip()]
    for name in chosen:
        if name not in PROGRAMS:
            raise bad("programs", f"{name!r} is not a program; programs are {', '.join(PROGRAMS)}")
    missing = [p for p in REQUIRED_PROGRAMS if p not in chosen]
    if missing:
        raise bad("programs", f"every member holds jkk and jkm; {', '.join(missing)} is missing")
    extra = [p for p in chosen if p not in REQUIRED_PROGRAMS and p not in OPTIONAL_PROGRAMS[segment]]
    if extra:
        allowed = ", ".join(("jkk", "jkm", *OPTIONAL_PROGRAMS[segment]))
        why = " (JP is for wage earners only, PP 45/2015 Art. 2)" if "jp" in extra else ""
        raise bad("programs", f"a {segment} member may hold {allowed}; not {', '.join(extra)}{why}")
    if isinstance(income, bool) or not isinstance(income, int) or income <= 0:
        raise bad("income", "must be a whole positive amount of Rupiah")
    if segment == "bpu":
        _check_bpu_income(income, month)
    return program_bits(chosen)


def _rupiah(value: int) -> str:
    return f"Rp{value:,}".replace(",", ".")


def _bpu_income_levels(month: Month) -> list[int]:
    """The declared income levels in force (bpu.income_levels, PP 44/2015 Lampiran II)."""
    try:
        return sorted(int(v) for v in default_rulebook()["bpu.income_levels"].value(
            month.first_day, Usage(allow_unconfirmed=config.allow_unconfirmed())
        ))  # fmt: skip
    except RulesError as exc:
        raise bad("income", f"{exc}") from None


def lowest_bpu_income(month: Month) -> int:
    """The lowest declared income a BPU member may choose that month: the default package."""
    return _bpu_income_levels(month)[0]


def _check_bpu_income(income: int, month: Month) -> None:
    # The same rule as the contribution formula (rules.formulas.contributions): a listed
    # Lampiran II level, or with JARING_BPU_INCOME=any at least the lowest level.
    levels = _bpu_income_levels(month)
    if config.bpu_income_mode() == "any":
        if income < levels[0]:
            raise bad("income", f"{_rupiah(income)} is below the lowest BPU level, {_rupiah(levels[0])}")
    elif income not in levels:
        shown = ", ".join(_rupiah(v) for v in levels)
        raise bad(
            "income",
            f"{_rupiah(income)} is not a BPU declared income level in force (listed: {shown}); "
            "the full Lampiran II list is not transcribed yet, so the operator may set "
            "JARING_BPU_INCOME=any to accept any income of at least the lowest level",
        )


def _participant(text: str) -> int:
    """The member id behind a participant number, or BadInput (mistyped, wrong length)."""
    problem = numbers.problem(text.strip())
    if problem:
        raise bad("participant_number", f"{problem}")
    return numbers.serial_of(text.strip())


def _readable(principal: Principal) -> ColumnElement[bool]:
    """The members a principal may see: their own record for a member, their area otherwise."""
    if principal.role == MEMBER:
        return members.c.id == principal.member_id if principal.member_id is not None else false()
    return region_filter(principal, members.c.region_code)


def _may_see(principal: Principal, member_id: int, region_code: str) -> bool:
    if not principal.may("member.read"):
        return False
    if principal.role == MEMBER:
        return principal.member_id == member_id
    return in_scope(principal, region_code)


def _not_found(participant_number: str) -> NotFound:
    return NotFound(f"participant {participant_number} not found")


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- enrolment


def enrol(
    *,
    principal: Principal,
    nik: str,
    name: str,
    birth_date: date,
    region_code: str,
    category: str,
    segment: str = "bpu",
    sector: str = "other",
    programs: Sequence[str] = ("jkk", "jkm"),
    income: int = 1_000_000,
    registered_on: date | None = None,
    channel: str = "officer",
    sex: str | None = None,
    url: str | None = None,
) -> MemberView:
    """Register one worker. One member per NIK: a second enrolment is a Conflict."""
    if channel not in CHANNELS:
        raise bad("channel", f"use one of {', '.join(CHANNELS)}")
    if channel == "officer":
        require(principal, "member.enrol")
    elif principal is None or not principal.username.startswith("self-registration"):
        # Self-registration skips the officer's permission, so only its own principal may use it.
        raise RuntimeError("self-registration acts as self_registration_principal()")
    today = date.today()
    registered_on = registered_on or today
    if registered_on > today:
        raise bad("registered_on", "cannot be in the future")
    nik = nik.strip()
    parsed = check_nik(nik, today=today, url=url)
    _check_birth(nik, birth_date, registered_on)
    sex_code = _check_sex(parsed, sex)
    name = _check_name(name)
    category = check_category(category)
    region = check_region_code(principal, region_code, url=url)
    start = Month.of(registered_on)
    bits = check_terms(segment=segment, programs=programs, income=income, sector=sector, month=start)
    index, cipher = protect.encrypt(nik)
    try:
        with db.transaction(url) as conn:
            existing = conn.execute(
                select(members.c.id, members.c.participant_number, members.c.region_code).where(
                    members.c.nik_index == index
                )
            ).first()
            if existing is not None:
                # Name the member only to someone who could look them up anyway.
                visible = channel == "officer" and _may_see(principal, existing.id, existing.region_code)
                if visible:
                    raise Conflict(f"this NIK is already a member: participant {existing.participant_number}")
                raise Conflict("this NIK is already a member")
            serial = numbers.reserve_serials(conn, 1)
            number = numbers.participant_number(serial)
            now = _now()
            conn.execute(
                insert(members).values(
                    id=serial,
                    participant_number=number,
                    nik_index=index,
                    nik_cipher=cipher,
                    name=name,
                    birth_date=birth_date,
                    sex=sex_code,
                    segment=segment,
                    category=category,
                    sector=sector,
                    region_code=region,
                    registered_on=registered_on,
                    channel=channel,
                    batch_id=None,
                    created_at=now,
                )
            )
            conn.execute(
                insert(member_terms).values(
                    member_id=serial, valid_from=start.first_day, valid_to=None, income=income,
                    programs=bits, created_at=now,
                )
            )  # fmt: skip
            audit.record(
                conn,
                actor=principal.actor,
                action="member.enrol",
                entity="member",
                entity_id=number,
                region_code=region,
                after={
                    "participant_number": number,
                    "segment": segment,
                    "category": category,
                    "sector": sector,
                    "region": region,
                    "programs": list(program_names(bits)),
                    "income": income,
                    "channel": channel,
                    "registered_on": registered_on.isoformat(),
                },
            )
            return _view(conn, serial)
    except IntegrityError:
        # The unique blind index is the last guard when two enrolments of one NIK race.
        raise Conflict("this NIK is already a member") from None


# --------------------------------------------------------------------------- reading


def _view(conn: Connection, member_id: int, today: date | None = None) -> MemberView:
    row = conn.execute(select(members).where(members.c.id == member_id)).one()
    history = tuple(
        Terms(t.valid_from, t.valid_to, int(t.income), program_names(int(t.programs)))
        for t in conn.execute(
            select(member_terms)
            .where(member_terms.c.member_id == member_id)
            .order_by(member_terms.c.valid_from)
        )
    )
    this_month = Month.of(today or date.today()).first_day
    current = next(
        (
            t
            for t in reversed(history)
            if t.valid_from <= this_month and (t.valid_to is None or t.valid_to > this_month)
        ),
        history[-1],
    )
    assignments = conn.execute(
        select(payer_assignments)
        .where(payer_assignments.c.member_id == member_id)
        .order_by(payer_assignments.c.from_month)
    ).all()
    codes = _sponsor_codes(conn, {int(a.sponsor_id) for a in assignments})
    payers = tuple(
        PayerPeriod(int(a.sponsor_id), codes[int(a.sponsor_id)], a.from_month, a.to_month)
        for a in assignments
    )
    return MemberView(
        participant_number=row.participant_number,
        nik_masked=mask(protect.decrypt(row.nik_index, row.nik_cipher)),
        name=row.name,
        birth_date=row.birth_date,
        sex=row.sex,
        segment=row.segment,
        category=row.category,
        sector=row.sector,
        region_code=row.region_code,
        registered_on=row.registered_on,
        channel=row.channel,
        income=current.income,
        programs=current.programs,
        terms=history,
        payers=payers,
    )


def _sponsor_codes(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    found = sponsors_in(conn, wanted)
    return {i: found[i].code if i in found else str(i) for i in wanted}


def _load(conn: Connection, principal: Principal, participant_number: str) -> Any:
    member_id = _participant(participant_number)
    row = conn.execute(select(members).where(members.c.id == member_id, _readable(principal))).first()
    if row is None:
        raise _not_found(participant_number.strip())
    return row


def get_member(*, principal: Principal, participant_number: str, url: str | None = None) -> MemberView:
    """One member with the NIK masked; a member outside scope is reported as not found."""
    require(principal, "member.read")
    with db.store(url).connect() as conn:
        row = _load(conn, principal, participant_number)
        return _view(conn, int(row.id))


def search_members(
    *,
    principal: Principal,
    query: str | None = None,
    region_code: str | None = None,
    limit: int = 50,
    url: str | None = None,
    newest_first: bool = False,
) -> list[MemberSummary]:
    """Members whose participant number starts with `query` (digits) or whose name contains
    it (any case), within the principal's scope, by participant number (the newest enrolments
    first with `newest_first`: numbers are issued in order)."""
    require(principal, "member.read")
    if not 1 <= limit <= MAX_SEARCH:
        raise bad("limit", f"must be between 1 and {MAX_SEARCH}")
    statement = select(members).where(_readable(principal))
    text = (query or "").strip()
    if len(text) > 200:
        raise bad("q", "is longer than 200 characters")
    if text.isdigit():
        statement = statement.where(members.c.participant_number.startswith(text, autoescape=True))
    elif text:
        statement = statement.where(func.lower(members.c.name).contains(text.lower(), autoescape=True))
    if region_code:
        code = region_code.strip().replace(".", "")
        if not code.isdigit() or len(code) not in (2, 4, 6, 10):
            raise bad("region_code", "give an undotted region code (2, 4, 6 or 10 digits)")
        statement = statement.where(members.c.region_code.startswith(code, autoescape=True))
    order = members.c.participant_number.desc() if newest_first else members.c.participant_number
    statement = statement.order_by(order).limit(limit)
    with db.store(url).connect() as conn:
        rows = conn.execute(statement).all()
    return [
        MemberSummary(
            participant_number=row.participant_number,
            nik_masked=mask(protect.decrypt(row.nik_index, row.nik_cipher)),
            name=row.name,
            segment=row.segment,
            category=row.category,
            region_code=row.region_code,
            registered_on=row.registered_on,
        )
        for row in rows
    ]


def unmask_nik(*, principal: Principal, participant_number: str, reason: str, url: str | None = None) -> str:
    """The full NIK, for a role that needs it; the access and its reason are audited."""
    require(principal, "member.unmask")
    why = " ".join(reason.split())
    if len(why) < 5:
        raise bad("reason", "say why the full NIK is needed (at least 5 characters)")
    if len(why) > 500:
        raise bad("reason", "is longer than 500 characters")
    with db.transaction(url) as conn:
        row = _load(conn, principal, participant_number)
        nik = protect.decrypt(row.nik_index, row.nik_cipher)
        audit.record(
            conn,
            actor=principal.actor,
            action="member.nik_unmasked",
            entity="member",
            entity_id=row.participant_number,
            region_code=row.region_code,
            # A number typed into the reason must not turn the audit trail into a NIK store.
            after={"reason": _LONG_DIGITS.sub(lambda m: m.group()[:6] + "*" * (len(m.group()) - 6), why)},
        )
    return nik


# --------------------------------------------------------------------------- terms


def change_terms(
    *,
    principal: Principal,
    participant_number: str,
    from_month: Month,
    income: int | None = None,
    programs: Sequence[str] | None = None,
    url: str | None = None,
) -> MemberView:
    """Declare a new income level and/or programs from `from_month` on. The terms in force
    are closed at that month and the new ones opened; repeating the same change is a no-op."""
    require(principal, "member.change")
    if income is None and programs is None:
        raise BadInput("nothing to change: give income and/or programs")
    with db.transaction(url) as conn:
        row = _load(conn, principal, participant_number)
        member_id = int(row.id)
        latest = conn.execute(
            select(member_terms)
            .where(member_terms.c.member_id == member_id)
            .order_by(member_terms.c.valid_from.desc())
            .limit(1)
        ).one()
        new_income = int(latest.income) if income is None else income
        new_programs = program_names(int(latest.programs)) if programs is None else tuple(programs)
        bits = check_terms(
            segment=row.segment, programs=new_programs, income=new_income, sector=row.sector, month=from_month
        )
        if (
            new_income == int(latest.income)
            and bits == int(latest.programs)
            and latest.valid_from <= (from_month.first_day)
        ):
            return _view(conn, member_id)  # already so: the same change again, or no change at all
        last_change = Month.of(latest.valid_from)
        if from_month <= last_change:
            raise bad(
                "from_month",
                f"the terms in force from {last_change} are the latest; a change can take "
                f"effect from {last_change.plus(1)} on",
            )
        now = _now()
        conn.execute(
            update(member_terms)
            .where(member_terms.c.member_id == member_id, member_terms.c.valid_from == latest.valid_from)
            .values(valid_to=from_month.first_day)
        )
        conn.execute(
            insert(member_terms).values(
                member_id=member_id, valid_from=from_month.first_day, valid_to=None, income=new_income,
                programs=bits, created_at=now,
            )
        )  # fmt: skip
        audit.record(
            conn,
            actor=principal.actor,
            action="member.change_terms",
            entity="member",
            entity_id=row.participant_number,
            region_code=row.region_code,
            before={
                "from_month": str(last_change),
                "income": int(latest.income),
                "programs": list(program_names(int(latest.programs))),
            },
            after={
                "from_month": str(from_month),
                "income": new_income,
                "programs": list(program_names(bits)),
            },
        )
        return _view(conn, member_id)


# --------------------------------------------------------------------------- sponsor of record


@dataclass
class PayerPlan:
    """What assigning one sponsor to months [start, end) means for each member."""

    insert: list[tuple[int, date, date]] = field(default_factory=list)  # member, from, to
    unchanged: list[int] = field(default_factory=list)
    # member, other sponsor, first overlapping month, first month after the overlap
    conflicts: list[tuple[int, int, date, date]] = field(default_factory=list)


def chunks(values: Sequence[Any], size: int = ID_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def plan_payers_in(
    conn: Connection, member_ids: Sequence[int], sponsor_id: int, start: date, end: date
) -> PayerPlan:
    """Exactly one payer per member-month: months another sponsor holds are conflicts; months
    this sponsor holds already are left as they are, so a repeat changes nothing."""
    overlapping: dict[int, list[Any]] = {}
    for chunk in chunks(sorted(set(member_ids))):
        for row in conn.execute(
            select(payer_assignments).where(
                payer_assignments.c.member_id.in_(chunk),
                payer_assignments.c.from_month < end,
                payer_assignments.c.to_month > start,
            )
        ):
            overlapping.setdefault(int(row.member_id), []).append(row)
    plan = PayerPlan()
    for member_id in dict.fromkeys(member_ids):
        rows = overlapping.get(member_id, [])
        others = [r for r in rows if int(r.sponsor_id) != sponsor_id]
        if others:
            for r in sorted(others, key=lambda r: r.from_month):
                plan.conflicts.append(
                    (member_id, int(r.sponsor_id), max(start, r.from_month), min(end, r.to_month))
                )
            continue
        gaps = _gaps(start, end, sorted((r.from_month, r.to_month) for r in rows))
        if not gaps:
            plan.unchanged.append(member_id)
        plan.insert.extend((member_id, a, b) for a, b in gaps)
    return plan


def _gaps(start: date, end: date, held: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """[start, end) less the sorted ranges in `held`."""
    gaps: list[tuple[date, date]] = []
    cursor = start
    for a, b in held:
        if a > cursor:
            gaps.append((cursor, min(a, end)))
        cursor = max(cursor, b)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return [(a, b) for a, b in gaps if a < b]


def describe_conflicts(
    conn: Connection, conflicts: Sequence[tuple[int, int, date, date]], numbers_by_id: dict[int, str]
) -> str:
    codes = _sponsor_codes(conn, {c[1] for c in conflicts})
    parts = [
        f"participant {numbers_by_id.get(m, str(m))} is paid by sponsor {codes[s]} for "
        f"{Month.of(a)}..{Month.of(b).plus(-1)}"
        for m, s, a, b in conflicts[:5]
    ]
    more = f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else ""
    return "; ".join(parts) + more


def insert_payers_in(
    conn: Connection, rows: Sequence[tuple[int, date, date]], sponsor_id: int, actor: str
) -> None:
    if not rows:
        return
    now = _now()
    conn.execute(
        insert(payer_assignments),
        [
            {"member_id": m, "sponsor_id": sponsor_id, "from_month": a, "to_month": b, "created_at": now,
             "created_by": actor}
            for m, a, b in rows
        ],
    )  # fmt: skip


def visible_sponsor_in(conn: Connection, principal: Principal, sponsor_id: int) -> Sponsor:
    """A sponsor the principal may assign members to, else NotFound (as for a missing one)."""
    sponsor = sponsor_in(conn, sponsor_id)
    if (
        sponsor is None
        or not in_scope(principal, sponsor.region_code)
        or (principal.sponsor_id is not None and principal.sponsor_id != sponsor.id)
    ):
        raise NotFound(f"sponsor {sponsor_id} not found")
    return sponsor


def _check_span(from_month: Month, months: int) -> tuple[date, date]:
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_PAYER_MONTHS:
        raise bad("months", f"must be between 1 and {MAX_PAYER_MONTHS}")
    return from_month.first_day, from_month.plus(months).first_day


def assign_payer(
    *,
    principal: Principal,
    sponsor_id: int,
    from_month: Month,
    months: int,
    participant_numbers: Sequence[str] | None = None,
    member_ids: Sequence[int] | None = None,
    url: str | None = None,
) -> AssignmentReport:
    """Make a sponsor the payer of record of these members for [from_month, from_month+months).

    All or nothing: when another sponsor already pays any of those member-months the whole
    request is refused, naming that sponsor and the months. Months this sponsor already pays
    stay as they are, so repeating an assignment is a no-op."""
    require(principal, "payer.assign")
    start, end = _check_span(from_month, months)
    if (participant_numbers is None) == (member_ids is None):
        raise BadInput("give either participant numbers or member ids")
    if participant_numbers is not None:
        wanted = [_participant(pn) for pn in participant_numbers]
    else:
        wanted = [int(m) for m in member_ids or ()]
    if not wanted:
        raise bad("participant_numbers", "give at least one")
    wanted = list(dict.fromkeys(wanted))
    with db.transaction(url) as conn:
        sponsor = visible_sponsor_in(conn, principal, sponsor_id)
        found: dict[int, Any] = {}
        for chunk in chunks(wanted):
            for row in conn.execute(
                select(members.c.id, members.c.participant_number, members.c.registered_on).where(
                    members.c.id.in_(chunk), _readable(principal)
                )
            ):
                found[int(row.id)] = row
        missing = [m for m in wanted if m not in found]
        if missing:
            shown = ", ".join(numbers.participant_number(m) for m in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise NotFound(f"participants not found: {shown}{more}")
        late = [row for row in found.values() if Month.of(row.registered_on) > from_month]
        if late:
            first = min(late, key=lambda r: r.registered_on)
            raise bad(
                "from_month",
                f"participant {first.participant_number} was registered in "
                f"{Month.of(first.registered_on)}; a sponsor can pay from the registration month on"
                + (f" ({len(late)} participants are affected)" if len(late) > 1 else ""),
            )
        plan = plan_payers_in(conn, wanted, sponsor.id, start, end)
        by_id = {m: str(found[m].participant_number) for m in wanted}
        if plan.conflicts:
            raise Conflict(
                "exactly one payer per member-month: "
                + describe_conflicts(conn, plan.conflicts, by_id)
                + "; end that assignment first (members assign-payer refuses overlaps)"
            )
        insert_payers_in(conn, plan.insert, sponsor.id, principal.actor)
        report = AssignmentReport(
            sponsor_id=sponsor.id,
            sponsor_code=sponsor.code,
            from_month=from_month,
            months=months,
            members=len(wanted),
            assigned=len(plan.insert),
            unchanged=len(plan.unchanged),
        )
        if plan.insert:
            assigned = sorted({by_id[m] for m, _, _ in plan.insert})
            audit.record(
                conn,
                actor=principal.actor,
                action="payer.assign",
                entity="sponsor",
                entity_id=sponsor.code,
                region_code=sponsor.region_code,
                after={
                    **report.to_json(),
                    "participant_numbers": assigned
                    if len(assigned) <= 100
                    else {"first": assigned[0], "last": assigned[-1], "count": len(assigned)},
                },
            )
        return report


def end_payer(
    *,
    principal: Principal,
    participant_number: str,
    sponsor_id: int,
    until: Month,
    today: date | None = None,
    url: str | None = None,
) -> PayerEnd:
    """Stop a sponsor paying for a member from `until` on (the first month no longer paid).

    Only future months are released: the current month and earlier may have been billed to
    the sponsor already. Assignments wholly from `until` on are removed, one running across
    it is shortened; asking again changes nothing."""
    require(principal, "payer.assign")
    earliest = Month.of(today or date.today()).plus(1)
    if until < earliest:
        raise bad("until", f"only future months can be released; the earliest is {earliest}")
    cut = until.first_day
    with db.transaction(url) as conn:
        sponsor = visible_sponsor_in(conn, principal, sponsor_id)
        row = _load(conn, principal, participant_number)
        affected = conn.execute(
            select(payer_assignments).where(
                payer_assignments.c.member_id == row.id,
                payer_assignments.c.sponsor_id == sponsor.id,
                payer_assignments.c.to_month > cut,
            )
        ).all()
        if affected:
            before = [{"from_month": str(Month.of(a.from_month)), "to_month": str(Month.of(a.to_month))}
                      for a in affected]  # fmt: skip
            removed = [a.id for a in affected if a.from_month >= cut]
            shortened = [a.id for a in affected if a.from_month < cut]
            if removed:
                conn.execute(delete(payer_assignments).where(payer_assignments.c.id.in_(removed)))
            if shortened:
                conn.execute(
                    update(payer_assignments)
                    .where(payer_assignments.c.id.in_(shortened))
                    .values(to_month=cut)
                )
            audit.record(
                conn,
                actor=principal.actor,
                action="payer.end",
                entity="member",
                entity_id=row.participant_number,
                region_code=row.region_code,
                before={"sponsor": sponsor.code, "assignments": before},
                after={"sponsor": sponsor.code, "until": str(until)},
            )
        return PayerEnd(row.participant_number, sponsor.code, until, len(affected))


# --------------------------------------------------------------------------- for other domains


def billable_select(period_first_day: date) -> Select[Any]:
    """Every member registered by the end of the month, with the terms in force that month and
    its sponsor of record (NULL: the member pays). One set-based query, for a billing run to
    embed in INSERT ... SELECT; columns: member_id, region_code, income, programs, sector,
    sponsor_id, segment (BPU members are billed per month; PU and PMI through employers)."""
    if period_first_day.day != 1:
        raise ValueError("a billing period is identified by the first day of its month")
    period = period_first_day
    next_month = Month.of(period).plus(1).first_day
    m, t, p = members, member_terms, payer_assignments
    return (
        select(
            m.c.id.label("member_id"),
            m.c.region_code,
            t.c.income,
            t.c.programs,
            m.c.sector,
            p.c.sponsor_id,
            m.c.segment,
        )
        .select_from(
            m.join(
                t,
                and_(
                    t.c.member_id == m.c.id,
                    t.c.valid_from <= period,
                    or_(t.c.valid_to.is_(None), t.c.valid_to > period),
                ),
            ).outerjoin(p, and_(p.c.member_id == m.c.id, p.c.from_month <= period, p.c.to_month > period))
        )
        .where(m.c.registered_on < next_month)
    )


def _ref(row: Any) -> MemberRef:
    return MemberRef(
        id=int(row.id),
        participant_number=row.participant_number,
        region_code=row.region_code,
        segment=row.segment,
        sector=row.sector,
        registered_on=row.registered_on,
        birth_date=row.birth_date,
    )


_REF_COLUMNS = (
    members.c.id,
    members.c.participant_number,
    members.c.region_code,
    members.c.segment,
    members.c.sector,
    members.c.registered_on,
    members.c.birth_date,
)
_TERMS_COLUMNS = (member_terms.c.income, member_terms.c.programs)


def member_in(conn: Connection, participant_number: str) -> MemberRef | None:
    """A member by participant number, without scope; None when the number is not a valid one
    or nobody has it."""
    text = participant_number.strip()
    if not numbers.valid_participant_number(text):
        return None
    row = conn.execute(select(*_REF_COLUMNS).where(members.c.id == numbers.serial_of(text))).first()
    return None if row is None else _ref(row)


def visible_member_in(conn: Connection, principal: Principal, participant_number: str) -> MemberRef:
    """The member, if the principal may see them (their area, or their own record for a member);
    otherwise NotFound worded exactly as for a number nobody has, so existence never leaks. A
    malformed number is BadInput naming the field."""
    text = participant_number.strip()
    _participant(text)
    member = member_in(conn, text)
    if member is None or not _may_see(principal, member.id, member.region_code):
        raise _not_found(text)
    return member


@dataclass(frozen=True)
class MemberOnDate:
    """A member with the terms in force in one month, and optionally a row of another
    domain's per-member table."""

    member: MemberRef
    income: int
    programs: int  # bitmask of PROGRAM_BITS
    alongside: dict[str, Any] | None


def visible_member_on_in(
    conn: Connection, principal: Principal, participant_number: str, on: date, *, alongside: Any = None
) -> MemberOnDate:
    """visible_member_in, with the terms in force in the month of `on` (the first month's
    before registration) and the row of `alongside` (a table keyed by `member_id`, None when
    it has none), in one query: the look-ups on the hot path (coverage, claims) pay one round
    trip instead of three."""
    text = participant_number.strip()
    serial = _participant(text)
    extra = [] if alongside is None else [c.label(f"alongside_{c.name}") for c in alongside.c]
    query = (
        select(*_REF_COLUMNS, member_terms.c.valid_from, member_terms.c.valid_to, *_TERMS_COLUMNS, *extra)
        .join_from(members, member_terms, member_terms.c.member_id == members.c.id)
        .where(members.c.id == serial)
        .order_by(member_terms.c.valid_from)
    )
    if alongside is not None:
        query = query.outerjoin(alongside, alongside.c.member_id == members.c.id)
    rows = conn.execute(query).all()
    if not rows or not _may_see(principal, int(rows[0].id), rows[0].region_code):
        raise _not_found(text)
    member = _ref(rows[0])
    month = max(Month.of(on), Month.of(member.registered_on)).first_day
    version = next(
        (r for r in rows if r.valid_from <= month and (r.valid_to is None or r.valid_to > month)), None
    )
    if version is None:
        raise NotFound(f"member {member.id} has no terms for {Month.of(month)}")
    found = None
    if alongside is not None and rows[0].alongside_member_id is not None:
        found = {c.name: getattr(rows[0], f"alongside_{c.name}") for c in alongside.c}
    return MemberOnDate(member, int(version.income), int(version.programs), found)


def member_by_id_in(conn: Connection, member_id: int) -> MemberRef | None:
    row = conn.execute(select(*_REF_COLUMNS).where(members.c.id == member_id)).first()
    return None if row is None else _ref(row)


def payer_in(conn: Connection, member_id: int, month_first_day: date) -> int | None:
    """The sponsor of record for that month, or None when the member pays."""
    sponsor: int | None = conn.execute(
        select(payer_assignments.c.sponsor_id).where(
            payer_assignments.c.member_id == member_id,
            payer_assignments.c.from_month <= month_first_day,
            payer_assignments.c.to_month > month_first_day,
        )
    ).scalar()
    return sponsor


def terms_in(conn: Connection, member_id: int, month_first_day: date) -> tuple[int, int]:
    """(declared income, program bitmask) in force that month; NotFound before registration."""
    row = conn.execute(
        select(*_TERMS_COLUMNS).where(
            member_terms.c.member_id == member_id,
            member_terms.c.valid_from <= month_first_day,
            or_(member_terms.c.valid_to.is_(None), member_terms.c.valid_to > month_first_day),
        )
    ).first()
    if row is None:
        raise NotFound(f"member {member_id} has no terms for {Month.of(month_first_day)}")
    return int(row.income), int(row.programs)


def funding_ending_in(
    conn: Connection,
    *,
    start: date,
    end: date,
    scope: Any,
    principal: Principal,
    limit: int = 10_000,
) -> list[dict[str, Any]]:
    """Sponsored members whose sponsor of record stops paying between `start` and `end` with
    no sponsor taking over: the members who would fall back to paying themselves, or lapse,
    unless someone decides. `scope` is kit.auth.region_filter."""
    p, later, m = payer_assignments, payer_assignments.alias("later"), members
    ends = (
        select(m.c.id, m.c.region_code, p.c.sponsor_id, p.c.to_month)
        .select_from(p.join(m, m.c.id == p.c.member_id))
        .where(
            p.c.to_month > start,
            p.c.to_month <= end,
            scope(principal, m.c.region_code),
            ~select(later.c.id)
            .where(later.c.member_id == p.c.member_id, later.c.from_month == p.c.to_month)
            .exists(),
        )
        .order_by(p.c.to_month, m.c.id)
        .limit(limit)
    )
    rows = conn.execute(ends).all()
    codes = _sponsor_codes(conn, {int(r.sponsor_id) for r in rows})
    return [
        {
            "participant_number": numbers.participant_number(int(r.id)),
            "region_code": r.region_code,
            "sponsor": codes.get(int(r.sponsor_id), str(r.sponsor_id)),
            "last_funded_month": str(Month.of(r.to_month).plus(-1)),
        }
        for r in rows
    ]


def member_index_in(conn: Connection, month: Month) -> pa.Table:
    """Every member as (member_id, nik_index as 16 bytes, sponsored, sponsor_id, funded_to):
    whether a sponsor is payer of record in `month`, which, and the first month its
    assignment no longer covers. For batch work matching registry snapshots by blind index;
    read as driver tuples in two plain queries (two million members are about 80 MB), and
    put in id order, the month's assignments matched to them by id."""
    day = month.first_day
    ids: list[int] = []
    hexes: list[str] = []
    for rows in db.stream_tuples(conn, select(members.c.id, members.c.nik_index)):
        # Comprehensions, not zip(*rows): a 100,000-argument zip costs three times as much here.
        ids += [row[0] for row in rows]
        hexes += [row[1] for row in rows]
    p = payer_assignments
    in_force = select(p.c.member_id, p.c.sponsor_id, p.c.to_month).where(
        p.c.from_month <= day, p.c.to_month > day
    )
    assigned = [row for rows in db.stream_tuples(conn, in_force) for row in rows]
    member_ids = np.array(ids, dtype=np.int64)
    raw = bytes.fromhex("".join(hexes))
    index = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(ids), [None, pa.py_buffer(raw)])
    order = np.argsort(member_ids, kind="stable")  # in id order whatever order the store gives
    member_ids = member_ids[order]
    index = index.take(pa.array(order))
    # Which assignment (by position) each member has in the month; -1: none. A member has at
    # most one payer of record per month.
    slot = np.full(len(member_ids), -1, dtype=np.int64)
    if assigned:
        assigned_ids, sponsor_values, end_values = zip(*assigned, strict=True)
        slot[np.searchsorted(member_ids, np.array(assigned_ids, dtype=np.int64))] = np.arange(len(assigned))
        sponsor_pool = pa.array(sponsor_values, pa.int64())
        end_pool = pa.array(end_values).cast(pa.date32())  # dates, or ISO text on SQLite
    else:
        sponsor_pool = pa.array([], pa.int64())
        end_pool = pa.array([], pa.date32())
    picks = pa.array(slot, mask=slot < 0)
    sponsor_ids = sponsor_pool.take(picks)
    return pa.table(
        {
            "member_id": pa.array(member_ids),
            "nik_index": index,
            "sponsored": pc.is_valid(sponsor_ids),
            "sponsor_id": sponsor_ids,
            "funded_to": end_pool.take(picks),
        }
    )


def sponsored_terms_in(
    conn: Connection, sponsor_ids: list[int], month: Month
) -> dict[int, list[tuple[int, int, str, int]]]:
    """By sponsor: (income, program bits, sector, members) of the members it pays for in
    `month`, what its commitment for that month is priced from. One grouped query however many
    sponsors are asked for."""
    out: dict[int, list[tuple[int, int, str, int]]] = {}
    if not sponsor_ids:
        return out
    b = billable_select(month.first_day).subquery()
    rows = conn.execute(
        select(b.c.sponsor_id, b.c.income, b.c.programs, b.c.sector, func.count())
        .where(b.c.sponsor_id.in_(sponsor_ids), b.c.segment == "bpu")
        .group_by(b.c.sponsor_id, b.c.income, b.c.programs, b.c.sector)
    )
    for r in rows:
        out.setdefault(int(r[0]), []).append((int(r[1]), int(r[2]), str(r[3]), int(r[4])))
    return out


def sponsor_funding_ends_in(
    conn: Connection, sponsor_id: int, start: date, end: date
) -> list[tuple[int, str, date]]:
    """(member id, region, first unfunded month) of the members whose funding by this sponsor
    stops in (start, end] with no sponsor taking over from that month."""
    p, later = payer_assignments, payer_assignments.alias("later")
    rows = conn.execute(
        select(members.c.id, members.c.region_code, p.c.to_month)
        .select_from(p.join(members, members.c.id == p.c.member_id))
        .where(
            p.c.sponsor_id == sponsor_id,
            p.c.to_month > start,
            p.c.to_month <= end,
            ~select(later.c.id)
            .where(later.c.member_id == p.c.member_id, later.c.from_month == p.c.to_month)
            .exists(),
        )
        .order_by(p.c.to_month, members.c.id)
    )
    return [(int(r.id), str(r.region_code), r.to_month) for r in rows]


def bpu_members_select(prefix: str) -> Select[Any]:
    """(member id, region code) of the BPU members whose region starts with `prefix`: what the
    coverage figures of a region count."""
    return select(members.c.id.label("member_id"), members.c.region_code).where(
        members.c.segment == "bpu", code_prefix_range(members.c.region_code, prefix)
    )


def sponsor_paying_in_month(member_id: Any, month_first_day: date) -> tuple[Any, ColumnElement[bool]]:
    """(the payer assignments table, the ON clause) to outer-join the assignment that pays for
    the member `member_id` names in the month: at most one row, since a member has one payer
    of record a month (overlaps are refused). A join, not EXISTS: PostgreSQL hashes a
    correlated EXISTS over every assignment even when a regency's few thousand members need
    a few thousand index probes."""
    paying = payer_assignments.alias("paying")
    return paying, and_(
        paying.c.member_id == member_id,
        paying.c.from_month <= month_first_day,
        paying.c.to_month > month_first_day,
    )
