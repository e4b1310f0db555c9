"""A billing run over a mix of payers, checked against the one-person calculator: every
billable member-month charged once, invoices equal to their charges, reruns and resumed runs
converging on the same ledger, region scope honoured, the ledger append-only."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from jaring.contributions.billing import SimulatedCrash, run_billing
from jaring.contributions.invoices import check_invoice_in
from jaring.contributions.model import billing_runs, billing_tariffs, charges, invoices
from jaring.kit import db
from jaring.kit.audit import audit_events
from jaring.kit.auth import AUDITOR, MEMBER, PROVINCE_OFFICER, REGENCY_OFFICER, Principal, system
from jaring.kit.errors import BadInput, Forbidden
from jaring.kit.periods import Month
from tests.contributions.billing_fixtures import MAY, mixed, world_id

ADMIN = system("test")


def ledger(url: str, month: Month | None = None) -> dict[int, tuple[str | None, int, dict[str, int]]]:
    """member id → (sponsor code, amount, non-zero lines) as charged."""
    with db.store(url).connect() as conn:
        codes = dict(conn.execute(text("SELECT id, code FROM sponsors")).all())
        query = select(charges)
        if month is not None:
            query = query.where(charges.c.month == month.first_day)
        out = {}
        for row in conn.execute(query):
            lines = {
                name: int(row._mapping[name])
                for name in ("jkk", "jkm", "jht", "jkk_relief", "jkm_relief")
                if row._mapping[name]
            }
            assert row.payer_kind == ("self" if row.sponsor_id is None else "sponsor")
            out[int(row.member_id)] = (codes.get(row.sponsor_id), int(row.amount), lines)
        return out


def count(url: str, table) -> int:
    with db.store(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def actions(url: str) -> list[str]:
    with db.store(url).connect() as conn:
        return [
            row.action for row in conn.execute(select(audit_events.c.action).order_by(audit_events.c.seq))
        ]


def test_a_run_bills_every_member_month_once_and_invoices_match(store_url):
    world = mixed(store_url)
    expected = world.expected(MAY)
    assert set(expected) == {world_id(n) for n in (1, 2, 3, 4, 5, 6, 9)}

    report = run_billing(principal=ADMIN, period=MAY, url=store_url)

    assert ledger(store_url) == expected
    assert world_id(8) not in expected  # the wage earner
    assert report.charges_created == report.members_billed == len(expected) == 7
    assert report.amount_total == sum(amount for _, amount, _ in expected.values())
    assert report.skipped == {"segment_not_billed_here": 1}
    assert report.already_billed == 0
    assert report.rows_in == report.charges_created + report.already_billed + sum(report.skipped.values())
    self_paid = [amount for code, amount, _ in expected.values() if code is None]
    sponsored = [amount for code, amount, _ in expected.values() if code is not None]
    assert (report.by_payer["self"].charges, report.by_payer["self"].amount) == (4, sum(self_paid))
    assert (report.by_payer["sponsor"].charges, report.by_payer["sponsor"].amount) == (3, sum(sponsored))
    assert sorted(report.invoices) == ["INV-CSR3507-202605", "INV-PROV35-202605"]

    with db.store(store_url).connect() as conn:
        rows = {row.number: row for row in conn.execute(select(invoices))}
        prov = rows["INV-PROV35-202605"]
        assert (prov.members, prov.total, prov.region_code) == (
            2,
            expected[world_id(4)][1] + expected[world_id(5)][1],
            "35",
        )
        assert rows["INV-CSR3507-202605"].total == expected[world_id(6)][1]
        for row in rows.values():
            assert check_invoice_in(conn, row.id).ok
        # Every sponsored charge sits on its sponsor's invoice; no self-paid charge does.
        on_invoice = conn.execute(
            select(charges.c.member_id, invoices.c.number).join(
                invoices, invoices.c.id == charges.c.invoice_id
            )
        ).all()
        assert {(m, n[4:-7]) for m, n in on_invoice} == {
            (m, code) for m, (code, _, _) in expected.items() if code is not None
        }
        run = conn.execute(select(billing_runs)).one()
        assert run.finished_at is not None
        assert run.counts["charges_created"] == 7
        assert conn.execute(select(func.count()).select_from(billing_tariffs)).scalar_one() == report.tariffs
    # One audit event per committed chunk and per invoice, never per member.
    assert actions(store_url).count("billing.charges") == 1
    assert actions(store_url).count("billing.invoice") == 2


def test_a_rerun_creates_nothing(store_url):
    world = mixed(store_url)
    run_billing(principal=ADMIN, period=MAY, url=store_url)
    before = ledger(store_url)
    events = len(actions(store_url))

    again = run_billing(principal=ADMIN, period=MAY, url=store_url)

    assert ledger(store_url) == before == world.expected(MAY)
    assert (again.charges_created, again.amount_total, again.invoices, again.tariffs) == (0, 0, [], 0)
    assert again.already_billed == 7
    assert again.skipped == {"segment_not_billed_here": 1}
    assert count(store_url, invoices) == 2
    # The rerun records itself, and nothing else.
    assert actions(store_url)[events:] == ["billing.run"]


def test_months_before_registration_are_never_billed_and_back_billing_works(store_url):
    world = mixed(store_url)
    late = world_id(7)
    march = run_billing(principal=ADMIN, period=Month(2026, 3), url=store_url)
    june = run_billing(principal=ADMIN, period=Month(2026, 6), url=store_url)
    assert late not in ledger(store_url, Month(2026, 3))
    assert ledger(store_url, Month(2026, 6))[late] == world.expected(Month(2026, 6))[late]
    assert (march.charges_created, june.charges_created) == (7, 8)
    assert ledger(store_url, Month(2026, 3)) == world.expected(Month(2026, 3))
    # March: the "other" relief had not started, the transport one had.
    assert ledger(store_url, Month(2026, 3))[world_id(1)][1] == 16_800
    assert ledger(store_url, Month(2026, 3))[world_id(9)][1] == 8_400


def test_a_sponsor_window_moves_the_month_onto_the_invoice(store_url):
    world = mixed(store_url)
    person = world.people[world_id(1)]
    world.sponsor_window(person, "PROV35", Month(2026, 4), Month(2026, 5))
    run_billing(principal=ADMIN, period=Month(2026, 4), url=store_url)
    run_billing(principal=ADMIN, period=MAY, url=store_url)
    april = ledger(store_url, Month(2026, 4))
    assert april == world.expected(Month(2026, 4))
    # APBD money gets no PP 50/2025 relief; the same member paying May himself does.
    assert april[person.id] == ("PROV35", 16_800, {"jkk": 10_000, "jkm": 6_800})
    assert ledger(store_url, MAY)[person.id][:2] == (None, 8_400)


def test_a_crash_leaves_whole_units_and_the_next_run_completes(store_url, tmp_path: Path):
    world = mixed(store_url)
    # Chunks of 2 member ids: self payers 1,2 | 3 | - | - | 9 → three chunks with work.
    with pytest.raises(SimulatedCrash):
        run_billing(principal=ADMIN, period=MAY, url=store_url, chunk=2, _fail_after_chunks=1)
    assert set(ledger(store_url)) == {world_id(1), world_id(2)}
    assert count(store_url, invoices) == 0

    # The second attempt commits two chunks and one invoice, then dies inside the next invoice.
    with pytest.raises(SimulatedCrash):
        run_billing(principal=ADMIN, period=MAY, url=store_url, chunk=2, _fail_after_chunks=3)
    partial = ledger(store_url)
    assert set(partial) == {world_id(n) for n in (1, 2, 3, 9, 4, 5)}
    with db.store(store_url).connect() as conn:
        (only,) = conn.execute(select(invoices)).all()
        assert only.number == "INV-PROV35-202605"
        assert check_invoice_in(conn, only.id).ok
        orphans = conn.execute(
            select(func.count()).where(charges.c.payer_kind == "sponsor", charges.c.invoice_id.is_(None))
        ).scalar_one()
        assert orphans == 0
        unfinished = conn.execute(
            select(func.count()).where(billing_runs.c.finished_at.is_(None))
        ).scalar_one()
        assert unfinished == 2

    final = run_billing(principal=ADMIN, period=MAY, url=store_url, chunk=2)
    assert (final.charges_created, final.invoices) == (1, ["INV-CSR3507-202605"])
    assert final.already_billed == 6

    # The same members on a second store, billed in one uninterrupted run.
    other = f"sqlite:///{tmp_path / 'uninterrupted.db'}"
    mixed(other)
    run_billing(principal=ADMIN, period=MAY, url=other)
    assert ledger(store_url) == ledger(other) == world.expected(MAY)
    with db.store(store_url).connect() as a, db.store(other).connect() as b:
        totals = select(invoices.c.number, invoices.c.members, invoices.c.total).order_by(invoices.c.number)
        assert a.execute(totals).all() == b.execute(totals).all()


def test_a_regency_officer_bills_only_their_region(store_url):
    world = mixed(store_url)
    officer = Principal(username="siti", role=REGENCY_OFFICER, region_code="3507")
    report = run_billing(principal=officer, period=MAY, url=store_url)
    expected = {
        member: row
        for member, row in world.expected(MAY).items()
        if (row[0] is None and world.people[member].region_code.startswith("3507")) or row[0] == "CSR3507"
    }
    assert ledger(store_url) == expected
    assert set(expected) == {world_id(1), world_id(2), world_id(6)}
    assert report.invoices == ["INV-CSR3507-202605"]
    # The province's APBD sponsor is not this officer's to invoice; the wage earner is not billed here.
    assert report.skipped == {"segment_not_billed_here": 1, "sponsor_outside_scope": 1}
    assert report.scope == "3507"

    province = Principal(username="budi", role=PROVINCE_OFFICER, region_code="35")
    second = run_billing(principal=province, period=MAY, url=store_url)
    assert second.invoices == ["INV-PROV35-202605"]
    assert world_id(9) not in ledger(store_url)  # Jakarta is outside Jawa Timur
    assert second.already_billed == 3
    run_billing(principal=ADMIN, period=MAY, url=store_url)
    assert ledger(store_url) == world.expected(MAY)


def test_members_added_to_an_invoiced_period_are_reported_not_billed(store_url):
    world = mixed(store_url)
    run_billing(principal=ADMIN, period=MAY, url=store_url)
    late = world.person(20, "3507010020", date(2026, 5, 20), sponsor="PROV35")
    report = run_billing(principal=ADMIN, period=MAY, url=store_url)
    assert report.skipped == {"already_invoiced_period": 1, "segment_not_billed_here": 1}
    assert report.charges_created == 0
    assert late.id not in ledger(store_url)
    assert report.rows_in == report.already_billed + sum(report.skipped.values())


def test_incomes_the_rules_refuse_are_skipped_with_a_reason(store_url, monkeypatch):
    world = mixed(store_url)
    odd = world.person(30, "3507010030", date(2026, 1, 5), income=2_750_000)
    report = run_billing(principal=ADMIN, period=MAY, url=store_url)
    assert report.skipped["income_not_accepted"] == 1
    assert odd.id not in ledger(store_url)
    # Once the operator accepts any income above the lowest level, the next run bills it.
    monkeypatch.setenv("JARING_BPU_INCOME", "any")
    again = run_billing(principal=ADMIN, period=MAY, url=store_url)
    assert again.charges_created == 1
    assert ledger(store_url)[odd.id] == world.expected(MAY, income_mode="any")[odd.id]
    assert ledger(store_url)[odd.id][1] == 13_750 + 3_400  # JKK 1% and JKM, both halved


def test_periods_and_permissions(store_url):
    mixed(store_url)
    too_far = Month.of(date.today()).plus(2)
    with pytest.raises(BadInput, match="too far ahead"):
        run_billing(principal=ADMIN, period=too_far, url=store_url)
    run_billing(principal=ADMIN, period=Month.of(date.today()).plus(1), url=store_url)
    for principal in (
        Principal(username="a", role=AUDITOR),
        Principal(username="m", role=MEMBER, member_id=world_id(1)),
    ):
        with pytest.raises(Forbidden):
            run_billing(principal=principal, period=MAY, url=store_url)
    with pytest.raises(Forbidden, match="no region"):
        run_billing(principal=Principal(username="x", role=REGENCY_OFFICER), period=MAY, url=store_url)
    with pytest.raises(BadInput, match="chunk"):
        run_billing(principal=ADMIN, period=MAY, url=store_url, chunk=0)


def test_the_ledger_is_append_only(store_url):
    mixed(store_url)
    run_billing(principal=ADMIN, period=MAY, url=store_url)
    for statement in (
        "UPDATE charges SET amount = amount + 1",
        "DELETE FROM charges",
        "UPDATE invoices SET total = 0",
        "DELETE FROM billing_tariffs",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.transaction(store_url) as conn:
            conn.execute(text(statement))
    assert count(store_url, charges) == 7


def test_progress_reports_every_unit(store_url):
    mixed(store_url)
    seen: list[tuple[int, int]] = []
    report = run_billing(
        principal=ADMIN, period=MAY, url=store_url, chunk=2, progress=lambda d, t: seen.append((d, t))
    )
    # Five id ranges of self payers (1..9 by two) and two sponsors.
    assert seen == [(i, 7) for i in range(1, 8)]
    assert report.chunks == 5


def test_two_runs_at_once_converge(store_url):
    world = mixed(store_url)
    outcomes: list[object] = []

    def bill() -> None:
        try:
            outcomes.append(run_billing(principal=ADMIN, period=MAY, url=store_url, chunk=1))
        except Exception as exc:  # the assertion below shows it
            outcomes.append(exc)

    threads = [threading.Thread(target=bill) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert ledger(store_url) == world.expected(MAY)
    assert sum(o.charges_created for o in outcomes) == 7  # type: ignore[attr-defined]
    assert count(store_url, invoices) == 2
