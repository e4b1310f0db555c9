"""Bulk enrolment from a NIK file and a generated, imported registry snapshot."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import func, select

from jaring.kit import audit, db
from jaring.kit.audit import audit_events
from jaring.kit.auth import Principal
from jaring.kit.errors import BadInput
from jaring.kit.nik import parse_nik
from jaring.kit.periods import Month
from jaring.membership import bulk, numbers, service
from jaring.membership.model import members, payer_assignments
from jaring.reference.stats import known_codes
from tests.membership.conftest import ADMIN, Snapshot, sponsor


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rejects(report: bulk.BulkReport) -> list[dict[str, str]]:
    with open(report.rejects_path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _count(url: str, table: object = members) -> int:
    with db.store(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _enrol_person(url: str, person: dict[str, str], principal: Principal = ADMIN) -> service.MemberView:
    return service.enrol(
        principal=principal,
        nik=person["nik"],
        name=person["name"],
        birth_date=date.fromisoformat(person["birth_date"]),
        region_code=person["village_code"],
        category="farmer",
        registered_on=date(2026, 1, 15),
        url=url,
    )


def test_every_row_is_enrolled_or_rejected_with_its_reason(
    url: str, snapshot: Snapshot, tmp_path: Path
) -> None:
    a1, a2, a3, member = snapshot.pick(inside=True)[:4]
    outside = snapshot.pick(inside=False)[0]
    dead = snapshot.pick(inside=True, deceased=True)[0]
    existing = _enrol_person(url, member)
    absent = "3171015708900001"
    assert absent not in {p["nik"] for p in snapshot.persons}
    file = _write(
        tmp_path / "niks.csv",
        [
            "NIK,note",
            f"{a1['nik']},first",  # 2
            "12345,short",  # 3
            f"{a2['nik']},",  # 4
            f"{a1['nik']},again",  # 5
            f"{absent},not registered",  # 6
            f"{outside['nik']},elsewhere",  # 7
            f"{dead['nik']},deceased",  # 8
            f"{member['nik']},member",  # 9
            "",  # 10
            f"  {a3['nik']} ,spaces",  # 11
            "x,y,z",  # 12: three fields under a two-field header
            "3171017202900001,no 32nd",  # 13
        ],
    )
    progress: list[tuple[int, int]] = []
    report = bulk.enrol_bulk(
        principal=snapshot.officer,
        nik_file=file,
        snapshot=snapshot.id,
        category="street_vendor",
        programs=("jkk", "jkm", "jht"),
        url=url,
        progress=lambda done, total: progress.append((done, total)),
    )
    expected = {
        3: "nik_invalid",
        5: "duplicate_in_file",
        6: "not_in_snapshot",
        7: "outside_region",
        8: "deceased",
        9: "already_member",
        10: "nik_invalid",
        12: "row_malformed",
        13: "nik_invalid",
    }
    assert (report.rows_in, report.accepted, report.rejected, report.enrolled) == (12, 3, 9, 3)
    assert report.rows_in == report.accepted + report.rejected
    assert report.by_reason == dict(Counter(expected.values()))
    rejects = _rejects(report)
    assert {int(r["line"]): r["reason"] for r in rejects} == expected
    masked = {int(r["line"]): r["nik_masked"] for r in rejects}
    assert masked[5] == a1["nik"][:6] + "*" * 10
    assert masked[12] == ""
    assert masked[3] == "*****"  # as kit.nik.mask shows a short value
    text = Path(report.rejects_path).read_text(encoding="utf-8")
    assert not any(p["nik"] in text for p in (a1, outside, dead, member))
    assert progress[-1] == (12, 12)

    # The enrolled, in file order, with their details from the snapshot.
    first = numbers.serial_of(existing.participant_number) + 1
    assert report.first_participant_number == numbers.participant_number(first)
    assert report.last_participant_number == numbers.participant_number(first + 2)
    for offset, person in enumerate((a1, a2, a3)):
        view = service.get_member(
            principal=snapshot.officer, participant_number=numbers.participant_number(first + offset), url=url
        )
        assert (view.name, view.birth_date.isoformat(), view.region_code) == (
            person["name"],
            person["birth_date"],
            person["village_code"],
        )
        assert view.sex == {"1": "L", "2": "P"}[person["sex"]]
        assert (view.channel, view.category, view.programs, view.income) == (
            "bulk",
            "street_vendor",
            ("jkk", "jkm", "jht"),
            1_000_000,
        )
        assert view.terms[0].valid_from == Month.of(date.today()).first_day
        assert (
            service.unmask_nik(
                principal=ADMIN, participant_number=view.participant_number, reason="bulk test", url=url
            )
            == person["nik"]
        )

    # One audit event for the batch, without NIKs or names.
    with db.store(url).connect() as conn:
        events = conn.execute(select(audit_events).where(audit_events.c.action == "member.enrol_bulk")).all()
    (event,) = events
    assert (event.entity, event.entity_id) == ("enrolment_batch", str(report.batch_id))
    assert (event.after["accepted"], event.after["by_reason"]) == (3, report.by_reason)
    dumped = json.dumps(event.after)
    assert not any(p["nik"] in dumped or p["name"] in dumped for p in (a1, a2, a3))
    assert audit.verify(url).intact


def test_a_repeat_returns_the_stored_report_and_changes_nothing(
    url: str, snapshot: Snapshot, tmp_path: Path
) -> None:
    people = snapshot.pick(inside=True)[:5]
    file = _write(tmp_path / "niks.csv", ["nik", *(p["nik"] for p in people), "bad"])
    kwargs = {
        "principal": snapshot.officer,
        "nik_file": file,
        "snapshot": snapshot.id,
        "category": "fisher",
        "url": url,
    }
    first = bulk.enrol_bulk(**kwargs)  # type: ignore[arg-type]
    assert (first.accepted, first.rejected, first.repeat) == (5, 1, False)
    events = _count(url, audit_events)
    again = bulk.enrol_bulk(**kwargs)  # type: ignore[arg-type]
    assert again.repeat
    assert again.to_json() | {"repeat": False} == first.to_json()
    assert (_count(url), _count(url, audit_events)) == (5, events)
    # Other parameters are another request: every person is a member already.
    other = bulk.enrol_bulk(**(kwargs | {"category": "trader"}))  # type: ignore[arg-type]
    assert (other.repeat, other.accepted, other.by_reason) == (
        False,
        0,
        {"nik_invalid": 1, "already_member": 5},
    )
    assert other.batch_id != first.batch_id
    assert _count(url) == 5
    assert audit.verify(url).intact


def test_with_a_sponsor_new_and_existing_members_get_the_payer(
    url: str, snapshot: Snapshot, tmp_path: Path
) -> None:
    new, known, taken = snapshot.pick(inside=True)[:3]
    known_member, taken_member = _enrol_person(url, known), _enrol_person(url, taken)
    pemda = sponsor(url, "PEMDA", region_code=snapshot.officer.region_code or "")
    desa = sponsor(url, "DESA", region_code=snapshot.officer.region_code or "")
    start = Month.of(date.today())
    service.assign_payer(
        principal=ADMIN,
        participant_numbers=[taken_member.participant_number],
        sponsor_id=desa.id,
        from_month=start.plus(2),
        months=3,
        url=url,
    )
    file = _write(tmp_path / "niks.csv", ["nik", new["nik"], known["nik"], taken["nik"]])
    report = bulk.enrol_bulk(
        principal=snapshot.officer,
        nik_file=file,
        snapshot=snapshot.id,
        category="village programme",
        sponsor_id=pemda.id,
        from_month=start,
        months=6,
        url=url,
    )
    assert (report.enrolled, report.assigned_existing, report.accepted) == (1, 1, 2)
    assert report.by_reason == {"payer_conflict": 1}
    assert {int(r["line"]): r["reason"] for r in _rejects(report)} == {4: "payer_conflict"}
    assert report.first_participant_number is not None
    with db.store(url).connect() as conn:
        for number in (report.first_participant_number, known_member.participant_number):
            member_id = numbers.serial_of(number)
            assert service.payer_in(conn, member_id, start.first_day) == pemda.id
            assert service.payer_in(conn, member_id, start.plus(5).first_day) == pemda.id
            assert service.payer_in(conn, member_id, start.plus(6).first_day) is None
        assert (
            service.payer_in(conn, numbers.serial_of(taken_member.participant_number), start.first_day)
            is None
        )
    assert _count(url, payer_assignments) == 3
    with pytest.raises(BadInput, match="all three"):
        bulk.enrol_bulk(
            principal=snapshot.officer,
            nik_file=file,
            snapshot=snapshot.id,
            category="x",
            sponsor_id=pemda.id,
            url=url,
        )


def test_a_concurrent_enrolment_of_the_same_person_is_reported_not_a_crash(
    url: str, snapshot: Snapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = snapshot.pick(inside=True)[:2]
    match = bulk._match

    def racing(*args: object, **kwargs: object) -> pa.Table:
        matched = match(*args, **kwargs)  # type: ignore[arg-type]
        _enrol_person(url, b)  # another officer gets there between matching and inserting
        return matched

    monkeypatch.setattr(bulk, "_match", racing)
    file = _write(tmp_path / "niks.csv", ["nik", a["nik"], b["nik"]])
    report = bulk.enrol_bulk(
        principal=snapshot.officer, nik_file=file, snapshot=snapshot.id, category="c", url=url
    )
    assert (report.enrolled, report.by_reason) == (1, {"already_member": 1})
    assert {int(r["line"]): r["reason"] for r in _rejects(report)} == {3: "already_member"}
    assert _count(url) == 2


def test_files_that_cannot_be_used(url: str, snapshot: Snapshot, tmp_path: Path) -> None:
    kwargs = {"principal": snapshot.officer, "snapshot": snapshot.id, "category": "c", "url": url}
    with pytest.raises(BadInput, match="no 'nik' column"):
        bulk.enrol_bulk(nik_file=_write(tmp_path / "a.csv", ["name", "x"]), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="header but no rows"):
        bulk.enrol_bulk(nik_file=_write(tmp_path / "b.csv", ["nik"]), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="no such file"):
        bulk.enrol_bulk(nik_file=tmp_path / "missing.csv", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="income"):
        bulk.enrol_bulk(nik_file=_write(tmp_path / "c.csv", ["nik", "1"]), income=1_234_567, **kwargs)  # type: ignore[arg-type]
    assert _count(url) == 0


def test_vectorised_nik_form_agrees_with_parse_nik(url: str) -> None:
    rng = random.Random(3)
    today = date.today()
    known = known_codes(url)
    provinces = sorted(known.provinces)
    texts = ["", "abc", "3171015708900001", "9901015708900001", "3100015708900001", " 3171015708900001"]
    for _ in range(3000):
        province = rng.choice([*provinces, "00", "10", "99"])
        day = rng.choice([rng.randrange(0, 72), 29, 31, 69, 71])
        serial = rng.choice([0, rng.randrange(1, 10_000)])
        texts.append(
            f"{province}{rng.randrange(0, 100):02d}{rng.randrange(0, 100):02d}{day:02d}"
            f"{rng.randrange(0, 14):02d}{rng.randrange(0, 100):02d}{serial:04d}"
        )
    valid, _ = bulk._valid_form(pa.array(texts, pa.string()), today, known.provinces)
    expected = [parse_nik(t, reference_date=today, known=known).valid and t == t.strip() for t in texts]
    assert valid.tolist() == expected
    assert 500 < sum(expected) < 2900
