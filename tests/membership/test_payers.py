"""The sponsor of record: one payer per member-month, idempotent repeats, and the billing select."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from jaring.kit import audit, db
from jaring.kit.audit import audit_events
from jaring.kit.auth import SPONSOR_FINANCE, Principal, region_filter
from jaring.kit.errors import BadInput, Conflict, NotFound
from jaring.kit.periods import Month
from jaring.membership import numbers, service
from jaring.membership.model import payer_assignments
from tests.membership.conftest import ACEH, ADMIN, JAKSEL, KEUDE_BAKONGAN, enrol, sponsor


def _assignments(url: str) -> list[tuple[int, int, date, date]]:
    with db.store(url).connect() as conn:
        rows = conn.execute(
            select(
                payer_assignments.c.member_id,
                payer_assignments.c.sponsor_id,
                payer_assignments.c.from_month,
                payer_assignments.c.to_month,
            ).order_by(payer_assignments.c.member_id, payer_assignments.c.from_month)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _audit_count(url: str, action: str) -> int:
    with db.store(url).connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(audit_events).where(audit_events.c.action == action)
            ).scalar_one()
        )


def test_assignment_conflicts_and_idempotent_repeats(url: str) -> None:
    a, b = enrol(url, 1), enrol(url, 2)
    pemda, desa = sponsor(url, "PEMDA-3174"), sponsor(url, "DESA-TEBET")
    ids = [numbers.serial_of(m.participant_number) for m in (a, b)]

    report = service.assign_payer(
        principal=JAKSEL,
        participant_numbers=[a.participant_number, b.participant_number],
        sponsor_id=pemda.id,
        from_month=Month(2026, 1),
        months=6,
        url=url,
    )
    assert (report.assigned, report.unchanged, str(report.to_month)) == (2, 0, "2026-07")
    expected = [(i, pemda.id, date(2026, 1, 1), date(2026, 7, 1)) for i in ids]
    assert _assignments(url) == expected

    # Another sponsor overlapping any month: refused whole, naming the holder and the months.
    with pytest.raises(Conflict) as caught:
        service.assign_payer(
            principal=JAKSEL,
            participant_numbers=[b.participant_number],
            sponsor_id=desa.id,
            from_month=Month(2026, 4),
            months=12,
            url=url,
        )
    assert f"participant {b.participant_number} is paid by sponsor PEMDA-3174 for 2026-04..2026-06" in str(
        caught.value
    )
    assert _assignments(url) == expected

    # Exactly the same again: nothing changes, nothing is audited.
    again = service.assign_payer(
        principal=JAKSEL, member_ids=ids, sponsor_id=pemda.id, from_month=Month(2026, 1), months=6, url=url
    )
    assert (again.assigned, again.unchanged) == (0, 2)
    assert _assignments(url) == expected
    assert _audit_count(url, "payer.assign") == 1

    # The same sponsor for longer: only the months not yet held are added.
    longer = service.assign_payer(
        principal=JAKSEL,
        member_ids=ids[:1],
        sponsor_id=pemda.id,
        from_month=Month(2026, 3),
        months=9,
        url=url,
    )
    assert (longer.assigned, longer.unchanged) == (1, 0)
    assert _assignments(url)[:2] == [
        (ids[0], pemda.id, date(2026, 1, 1), date(2026, 7, 1)),
        (ids[0], pemda.id, date(2026, 7, 1), date(2026, 12, 1)),
    ]
    # The desa may start where the pemda stops.
    after = service.assign_payer(
        principal=JAKSEL, member_ids=ids[1:], sponsor_id=desa.id, from_month=Month(2026, 7), months=6, url=url
    )
    assert after.assigned == 1
    with db.store(url).connect() as conn:
        assert service.payer_in(conn, ids[1], date(2026, 6, 1)) == pemda.id
        assert service.payer_in(conn, ids[1], date(2026, 7, 1)) == desa.id
        assert service.payer_in(conn, ids[1], date(2027, 1, 1)) is None  # self-paid again
    view = service.get_member(principal=JAKSEL, participant_number=b.participant_number, url=url)
    assert [(p.sponsor_code, str(Month.of(p.from_month))) for p in view.payers] == [
        ("PEMDA-3174", "2026-01"),
        ("DESA-TEBET", "2026-07"),
    ]
    (event,) = [
        e
        for e in _events(url)
        if e["action"] == "payer.assign" and e["after"]["sponsor_code"] == "DESA-TEBET"
    ]
    assert event["after"]["participant_numbers"] == [b.participant_number]
    assert audit.verify(url).intact


def _events(url: str) -> list[dict[str, object]]:
    with db.store(url).connect() as conn:
        return [dict(r) for r in conn.execute(select(audit_events).order_by(audit_events.c.seq)).mappings()]


def test_assignment_refusals(url: str) -> None:
    a = enrol(url, 1)
    pemda = sponsor(url, "PEMDA-3174")
    aceh = sponsor(url, "PEMDA-1101", region_code="1101")
    elsewhere = enrol(url, 2, principal=ACEH, region_code=KEUDE_BAKONGAN)
    kwargs = {"from_month": Month(2026, 1), "months": 3, "url": url}
    with pytest.raises(NotFound, match=f"participants not found: {elsewhere.participant_number}"):
        service.assign_payer(
            principal=JAKSEL,
            participant_numbers=[elsewhere.participant_number],
            sponsor_id=pemda.id,
            **kwargs,
        )
    with pytest.raises(NotFound, match=f"sponsor {aceh.id} not found"):
        service.assign_payer(
            principal=JAKSEL, participant_numbers=[a.participant_number], sponsor_id=aceh.id, **kwargs
        )
    with pytest.raises(BadInput, match="registered in 2026-01"):
        service.assign_payer(
            principal=JAKSEL,
            participant_numbers=[a.participant_number],
            sponsor_id=pemda.id,
            from_month=Month(2025, 12),
            months=3,
            url=url,
        )
    with pytest.raises(BadInput, match="months"):
        service.assign_payer(
            principal=JAKSEL,
            participant_numbers=[a.participant_number],
            sponsor_id=pemda.id,
            from_month=Month(2026, 1),
            months=0,
            url=url,
        )
    with pytest.raises(BadInput, match="check digit"):
        service.assign_payer(
            principal=JAKSEL,
            participant_numbers=[a.participant_number[:-1] + str((int(a.participant_number[-1]) + 3) % 10)],
            sponsor_id=pemda.id,
            **kwargs,
        )
    # A sponsor's finance officer assigns only to their own sponsor.
    finance = Principal("fina", SPONSOR_FINANCE, region_code="3174", sponsor_id=pemda.id)
    other = sponsor(url, "CSR-3174")
    with pytest.raises(NotFound):
        service.assign_payer(
            principal=finance, participant_numbers=[a.participant_number], sponsor_id=other.id, **kwargs
        )
    assert (
        service.assign_payer(
            principal=finance, participant_numbers=[a.participant_number], sponsor_id=pemda.id, **kwargs
        ).assigned
        == 1
    )


def test_ending_a_sponsorship_releases_future_months_only(url: str) -> None:
    member = enrol(url, 1)
    pemda = sponsor(url, "PEMDA-3174")
    this_month = Month.of(date.today())
    service.assign_payer(
        principal=JAKSEL,
        participant_numbers=[member.participant_number],
        sponsor_id=pemda.id,
        from_month=Month(2026, 1),
        months=24,
        url=url,
    )
    service.assign_payer(
        principal=ADMIN,
        participant_numbers=[member.participant_number],
        sponsor_id=pemda.id,
        from_month=Month(2028, 3),
        months=3,
        url=url,
    )
    with pytest.raises(BadInput, match="only future months"):
        service.end_payer(
            principal=JAKSEL,
            participant_number=member.participant_number,
            sponsor_id=pemda.id,
            until=this_month,
            url=url,
        )
    until = this_month.plus(2)
    ended = service.end_payer(
        principal=JAKSEL,
        participant_number=member.participant_number,
        sponsor_id=pemda.id,
        until=until,
        url=url,
    )
    assert ended.changed == 2
    member_id = numbers.serial_of(member.participant_number)
    assert _assignments(url) == [(member_id, pemda.id, date(2026, 1, 1), until.first_day)]
    again = service.end_payer(
        principal=JAKSEL,
        participant_number=member.participant_number,
        sponsor_id=pemda.id,
        until=until,
        url=url,
    )
    assert again.changed == 0
    (event,) = [e for e in _events(url) if e["action"] == "payer.end"]
    assert event["after"] == {"sponsor": "PEMDA-3174", "until": str(until)}
    assert len(event["before"]["assignments"]) == 2  # type: ignore[index]


def test_billable_select(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARING_BPU_INCOME", "any")
    self_paid = enrol(url, 1, registered_on=date(2026, 1, 31))
    sponsored = enrol(
        url, 2, registered_on=date(2026, 2, 1), programs=("jkk", "jkm", "jht"), sector="transport"
    )
    late = enrol(url, 3, registered_on=date(2026, 4, 1))
    elsewhere = enrol(url, 4, principal=ACEH, region_code=KEUDE_BAKONGAN, registered_on=date(2026, 3, 31))
    pemda = sponsor(url, "PEMDA-3174")
    service.assign_payer(
        principal=JAKSEL,
        participant_numbers=[sponsored.participant_number],
        sponsor_id=pemda.id,
        from_month=Month(2026, 3),
        months=2,
        url=url,
    )
    service.change_terms(
        principal=JAKSEL,
        participant_number=self_paid.participant_number,
        from_month=Month(2026, 4),
        income=2_500_000,
        url=url,
    )
    ids = {
        name: numbers.serial_of(m.participant_number)
        for name, m in (
            ("self", self_paid),
            ("sponsored", sponsored),
            ("late", late),
            ("elsewhere", elsewhere),
        )
    }

    def bill(period: date) -> dict[int, tuple[object, ...]]:
        with db.store(url).connect() as conn:
            query = service.billable_select(period)
            assert list(query.selected_columns.keys()) == [
                "member_id", "region_code", "income", "programs", "sector", "sponsor_id", "segment"
            ]  # fmt: skip
            return {row.member_id: tuple(row)[1:-1] for row in conn.execute(query)}

    assert bill(date(2026, 1, 1)) == {ids["self"]: ("3174011001", 1_000_000, 3, "other", None)}
    assert bill(date(2026, 3, 1)) == {
        ids["self"]: ("3174011001", 1_000_000, 3, "other", None),
        ids["sponsored"]: ("3174011001", 1_000_000, 7, "transport", pemda.id),
        ids["elsewhere"]: ("1101012001", 1_000_000, 3, "other", None),
    }
    assert bill(date(2026, 4, 1)) == {
        ids["self"]: ("3174011001", 2_500_000, 3, "other", None),
        ids["sponsored"]: ("3174011001", 1_000_000, 7, "transport", pemda.id),
        ids["late"]: ("3174011001", 1_000_000, 3, "other", None),
        ids["elsewhere"]: ("1101012001", 1_000_000, 3, "other", None),
    }
    assert bill(date(2026, 5, 1))[ids["sponsored"]][-1] is None  # the sponsorship ended with April
    with pytest.raises(ValueError, match="first day"):
        service.billable_select(date(2026, 5, 2))
    assert json.dumps(_events(url), default=str).count("payer.assign") == 1


def test_sponsored_members_whose_funding_ends_without_a_successor(url: str) -> None:
    a, b, c = enrol(url, 1), enrol(url, 2), enrol(url, 3)
    pemda, desa = sponsor(url, "PEMDA-3174"), sponsor(url, "DESA-TEBET")
    for member, code, start, months in (
        (a, pemda, Month(2026, 1), 6),  # ends with June, nobody after
        (b, pemda, Month(2026, 1), 6),  # ends with June, the desa takes over
        (b, desa, Month(2026, 7), 6),
        (c, pemda, Month(2026, 1), 12),  # ends after the window
    ):
        service.assign_payer(
            principal=JAKSEL,
            participant_numbers=[member.participant_number],
            sponsor_id=code.id,
            from_month=start,
            months=months,
            url=url,
        )
    with db.store(url).connect() as conn:
        found = service.funding_ending_in(
            conn, start=date(2026, 6, 15), end=date(2026, 8, 14), scope=region_filter, principal=JAKSEL
        )
        hidden = service.funding_ending_in(
            conn, start=date(2026, 6, 15), end=date(2026, 8, 14), scope=region_filter, principal=ACEH
        )
    assert found == [
        {
            "participant_number": a.participant_number,
            "region_code": "3174011001",
            "sponsor": "PEMDA-3174",
            "last_funded_month": "2026-06",
        }
    ]
    assert hidden == []
