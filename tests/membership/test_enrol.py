"""Enrolling one worker, reading members within scope, the masked and unmasked NIK, terms."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from jaring.kit import audit, db
from jaring.kit.audit import audit_events
from jaring.kit.auth import MEMBER, Principal
from jaring.kit.errors import BadInput, Conflict, Forbidden, NotFound
from jaring.kit.periods import Month
from jaring.membership import numbers, service
from tests.membership.conftest import ACEH, ADMIN, AUDIT, JAKSEL, KEUDE_BAKONGAN, enrol, nik

BORN = date(1990, 8, 17)


def _events(url: str, action: str) -> list[dict[str, object]]:
    with db.store(url).connect() as conn:
        rows = conn.execute(select(audit_events).where(audit_events.c.action == action)).mappings().all()
    return [dict(row) for row in rows]


def _count(url: str) -> int:
    with db.store(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


def test_enrolment_records_a_registered_member(url: str) -> None:
    view = enrol(url, 1, programs=("jkk", "jkm", "jht"))
    assert numbers.valid_participant_number(view.participant_number)
    assert numbers.serial_of(view.participant_number) == numbers.FIRST_SERIAL
    assert view.status == "registered"
    assert (view.sex, view.region_code, view.channel) == ("P", "3174011001", "officer")
    assert view.programs == ("jkk", "jkm", "jht")
    assert view.terms == (service.Terms(date(2026, 1, 1), None, 1_000_000, ("jkk", "jkm", "jht")),)
    # the NIK is never shown whole
    assert view.nik_masked == "317401" + "*" * 10
    event = _events(url, "member.enrol")[0]
    assert event["entity_id"] == view.participant_number
    assert event["after"]["participant_number"] == view.participant_number  # type: ignore[index]
    stored = json.dumps(event, default=str)
    for personal in (nik(BORN, 1, woman=True), "Siti", "1990"):
        assert personal not in stored


def test_participant_numbers_follow_each_other(url: str) -> None:
    first, second = enrol(url, 1), enrol(url, 2)
    assert numbers.serial_of(second.participant_number) == numbers.serial_of(first.participant_number) + 1


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"nik": "317401570890001"}, "nik", "must be 16 digits"),
        ({"nik": "31740157089O0001"}, "nik", "digits only"),
        ({"nik": "3174017202900001"}, "nik", "date of birth"),
        ({"nik": "3174015708900000"}, "nik", "serial"),
        ({"nik": "1074015708900001"}, "nik", "province"),
        ({"birth_date": date(1990, 8, 18)}, "birth_date", "does not match"),
        ({"birth_date": date(1890, 8, 17)}, "birth_date", "does not match"),
        ({"sex": "L"}, "sex", "does not match"),
        ({"sex": "X"}, "sex", "use L"),
        ({"name": "   "}, "name", "empty"),
        ({"category": ""}, "category", "empty"),
        ({"region_code": "31740110"}, "region_code", "village (10 digits) or regency"),
        ({"region_code": "3174019999"}, "region_code", "not in the region list"),
        ({"segment": "xyz"}, "segment", "not known"),
        ({"sector": "mining"}, "sector", "not known"),
        ({"programs": ("jkk",)}, "programs", "jkm is missing"),
        ({"programs": ("jkk", "jkm", "jp")}, "programs", "JP is for wage earners"),
        ({"programs": ("jkk", "jkm", "jkp")}, "programs", "not a program"),
        ({"income": 0}, "income", "positive"),
        ({"income": 1_500_000}, "income", "not a BPU declared income level"),
        ({"registered_on": date(2099, 1, 1)}, "registered_on", "future"),
        ({"channel": "fax"}, "channel", "use one of"),
    ],
)
def test_enrolment_refuses_bad_input_naming_field_and_reason(
    url: str, changes: dict[str, object], field: str, reason: str
) -> None:
    with pytest.raises(BadInput) as caught:
        enrol(url, 1, **changes)
    message = str(caught.value)
    assert message.startswith(f"{field}: ")
    assert reason in message
    assert getattr(caught.value, "field", None) == field
    # a NIK is never echoed back
    assert str(changes.get("nik", nik(BORN, 1, woman=True))) not in message
    assert _count(url) == 0


def test_income_mode_any_accepts_an_unlisted_level_above_the_lowest(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JARING_BPU_INCOME", "any")
    assert enrol(url, 1, income=1_500_000).income == 1_500_000
    with pytest.raises(BadInput, match="below the lowest BPU level"):
        enrol(url, 2, income=900_000)


def test_a_pu_member_may_hold_jp(url: str) -> None:
    view = enrol(url, 1, segment="pu", programs=("jkk", "jkm", "jht", "jp"), income=5_000_000)
    assert view.programs == ("jkk", "jkm", "jht", "jp")


def test_roles_without_enrolment_rights_are_refused(url: str) -> None:
    with pytest.raises(Forbidden, match=r"member\.enrol"):
        enrol(url, 1, principal=AUDIT)


def test_an_officer_cannot_enrol_into_a_foreign_region(url: str) -> None:
    with pytest.raises(Forbidden, match="region 1101012001 is outside your area"):
        enrol(url, 1, region_code=KEUDE_BAKONGAN)
    assert enrol(url, 1, principal=ACEH, region_code=KEUDE_BAKONGAN).region_code == KEUDE_BAKONGAN


def test_one_member_per_nik(url: str) -> None:
    first = enrol(url, 1)
    with pytest.raises(Conflict) as same_region:
        enrol(url, 1, name="Someone Else")
    assert str(same_region.value) == f"this NIK is already a member: participant {first.participant_number}"
    # An officer who may not see the member learns only that the NIK is taken.
    with pytest.raises(Conflict) as elsewhere:
        enrol(url, 1, principal=ACEH, region_code=KEUDE_BAKONGAN)
    assert str(elsewhere.value) == "this NIK is already a member"
    # and so does a worker registering themself
    with pytest.raises(Conflict) as themself:
        enrol(url, 1, principal=service.self_registration_principal(), channel="self")
    assert str(themself.value) == "this NIK is already a member"
    assert len(_events(url, "member.enrol")) == 1


def test_self_registration(url: str) -> None:
    view = enrol(url, 3, principal=service.self_registration_principal(), channel="self")
    assert (view.channel, view.status) == ("self", "registered")
    assert _events(url, "member.enrol")[0]["actor"].startswith("national_admin:self-registration")  # type: ignore[union-attr]


def test_reads_outside_scope_look_exactly_like_missing_members(url: str) -> None:
    member = enrol(url, 1)
    unused = numbers.participant_number(numbers.FIRST_SERIAL + 500)
    with pytest.raises(NotFound) as foreign:
        service.get_member(principal=ACEH, participant_number=member.participant_number, url=url)
    with pytest.raises(NotFound) as missing:
        service.get_member(principal=ACEH, participant_number=unused, url=url)
    assert str(foreign.value) == f"participant {member.participant_number} not found"
    assert str(missing.value) == f"participant {unused} not found"
    assert service.search_members(principal=ACEH, query="Siti", url=url) == []
    assert (
        service.get_member(principal=JAKSEL, participant_number=member.participant_number, url=url) == member
    )


def test_a_mistyped_participant_number_is_bad_input_not_a_lookup(url: str) -> None:
    member = enrol(url, 1)
    typo = member.participant_number[:-1] + str((int(member.participant_number[-1]) + 1) % 10)
    with pytest.raises(BadInput, match="check digit"):
        service.get_member(principal=ADMIN, participant_number=typo, url=url)


def test_a_member_sees_only_their_own_record(url: str) -> None:
    mine, other = enrol(url, 1), enrol(url, 2)
    me = Principal("siti", MEMBER, member_id=numbers.serial_of(mine.participant_number))
    assert service.get_member(principal=me, participant_number=mine.participant_number, url=url) == mine
    with pytest.raises(NotFound):
        service.get_member(principal=me, participant_number=other.participant_number, url=url)
    assert [m.participant_number for m in service.search_members(principal=me, url=url)] == [
        mine.participant_number
    ]


def test_search_by_number_prefix_name_and_region(url: str) -> None:
    a = enrol(url, 1, name="Siti Aminah")
    b = enrol(url, 2, name="Dewi Lestari")
    c = enrol(url, 3, name="Agus 100%_x", principal=ADMIN, region_code=KEUDE_BAKONGAN)
    found = service.search_members(principal=ADMIN, query="aminah", url=url)
    assert [m.participant_number for m in found] == [a.participant_number]
    assert found[0].nik_masked.endswith("*" * 10)
    by_number = service.search_members(principal=ADMIN, query=b.participant_number[:10], url=url)
    assert [m.participant_number for m in by_number] == [b.participant_number]
    # LIKE wildcards in the query are taken literally
    assert [m.name for m in service.search_members(principal=ADMIN, query="%_", url=url)] == [c.name]
    in_aceh = service.search_members(principal=ADMIN, region_code="11", url=url)
    assert [m.participant_number for m in in_aceh] == [c.participant_number]
    assert len(service.search_members(principal=JAKSEL, url=url)) == 2
    assert len(service.search_members(principal=ADMIN, limit=1, url=url)) == 1


def test_unmasking_is_audited_and_the_event_holds_no_nik(url: str) -> None:
    member = enrol(url, 1)
    full = nik(BORN, 1, woman=True)
    reason = f"verifikasi klaim JKK, KTP {full} dicocokkan"
    assert (
        service.unmask_nik(
            principal=JAKSEL, participant_number=member.participant_number, reason=reason, url=url
        )
        == full
    )
    (event,) = _events(url, "member.nik_unmasked")
    assert event["actor"] == "regency_officer:sari"
    assert event["entity_id"] == member.participant_number
    assert full not in json.dumps(event, default=str)
    assert event["after"]["reason"].startswith("verifikasi klaim JKK")  # type: ignore[index]
    with pytest.raises(BadInput, match="reason"):
        service.unmask_nik(
            principal=JAKSEL, participant_number=member.participant_number, reason=" ", url=url
        )
    with pytest.raises(Forbidden):
        service.unmask_nik(
            principal=AUDIT, participant_number=member.participant_number, reason="audit", url=url
        )
    with pytest.raises(NotFound):
        service.unmask_nik(
            principal=ACEH, participant_number=member.participant_number, reason="curious", url=url
        )
    assert len(_events(url, "member.nik_unmasked")) == 1
    assert audit.verify(url).intact


def test_terms_history(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARING_BPU_INCOME", "any")
    member = enrol(url, 1)
    pn = member.participant_number
    changed = service.change_terms(
        principal=JAKSEL, participant_number=pn, from_month=Month(2026, 4), income=2_000_000, url=url
    )
    assert changed.terms == (
        service.Terms(date(2026, 1, 1), date(2026, 4, 1), 1_000_000, ("jkk", "jkm")),
        service.Terms(date(2026, 4, 1), None, 2_000_000, ("jkk", "jkm")),
    )
    again = service.change_terms(
        principal=JAKSEL, participant_number=pn, from_month=Month(2026, 4), income=2_000_000, url=url
    )
    assert again == changed
    later = service.change_terms(
        principal=JAKSEL,
        participant_number=pn,
        from_month=Month(2026, 7),
        programs=("jkk", "jkm", "jht"),
        url=url,
    )
    assert [(t.valid_from.month, t.income, t.programs) for t in later.terms] == [
        (1, 1_000_000, ("jkk", "jkm")),
        (4, 2_000_000, ("jkk", "jkm")),
        (7, 2_000_000, ("jkk", "jkm", "jht")),
    ]
    with pytest.raises(BadInput, match=r"from_month: the terms in force from 2026-07 are the latest"):
        service.change_terms(
            principal=JAKSEL, participant_number=pn, from_month=Month(2026, 5), income=3_000_000, url=url
        )
    with pytest.raises(BadInput, match="programs"):
        service.change_terms(
            principal=JAKSEL,
            participant_number=pn,
            from_month=Month(2026, 9),
            programs=("jkk", "jkm", "jp"),
            url=url,
        )
    with pytest.raises(NotFound):
        service.change_terms(
            principal=ACEH, participant_number=pn, from_month=Month(2026, 9), income=3_000_000, url=url
        )
    events = _events(url, "member.change_terms")
    assert [(e["before"]["income"], e["after"]["income"]) for e in events] == [  # type: ignore[index]
        (1_000_000, 2_000_000),
        (2_000_000, 2_000_000),
    ]
    with db.store(url).connect() as conn:
        member_id = numbers.serial_of(pn)
        assert service.terms_in(conn, member_id, date(2026, 3, 1)) == (1_000_000, 3)
        assert service.terms_in(conn, member_id, date(2026, 8, 1)) == (2_000_000, 7)
        with pytest.raises(NotFound):
            service.terms_in(conn, member_id, date(2025, 12, 1))


def test_refs_for_other_domains(url: str) -> None:
    member = enrol(url, 1)
    with db.store(url).connect() as conn:
        ref = service.member_in(conn, member.participant_number)
        assert ref is not None
        assert (ref.participant_number, ref.region_code, ref.segment, ref.sector) == (
            member.participant_number,
            "3174011001",
            "bpu",
            "other",
        )
        assert (ref.registered_on, ref.birth_date) == (date(2026, 1, 15), BORN)
        assert service.member_by_id_in(conn, ref.id) == ref
        assert service.member_in(conn, numbers.participant_number(numbers.FIRST_SERIAL + 9)) is None
        assert service.member_in(conn, "12345") is None
        assert service.payer_in(conn, ref.id, date(2026, 2, 1)) is None
