"""Bank-statement reconciliation: every line matched, posted, or queued as an exception."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jaring.contributions import ledger, reconciliation
from jaring.kit.auth import Principal, system
from jaring.kit.errors import BadInput, NotFound
from tests.contributions.billing_fixtures import World
from tests.contributions.payment_fixtures import CHANNEL, pay


@pytest.fixture
def world(store_url: str) -> World:
    return World(store_url)


def _statement(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("bank_ref,date,reference,amount\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_each_line_has_one_outcome(world: World, tmp_path: Path) -> None:
    a = world.person(1, "3507010001", date(2026, 1, 10))
    b = world.person(2, "3507010001", date(2026, 1, 10))
    pay(world, a, 16_800, "2026-01-05", bank_ref="TX-1")
    pay(world, b, 16_800, "2026-01-05", bank_ref="TX-2")
    path = _statement(
        tmp_path,
        "jan.csv",
        [
            f"TX-1,2026-01-05,{a.participant_number},16800",  # matched
            f"TX-2,2026-01-05,{b.participant_number},20000",  # posted as 16,800: amount mismatch
            f"TX-3,2026-01-06,{b.participant_number},16800",  # never posted: posted now
            "TX-4,2026-01-06,3507015001900001,16800",  # a NIK: nobody has it as a reference
            f"TX-3,2026-01-06,{b.participant_number},16800",  # the same line twice
            f"TX-5,06/01/2026,{a.participant_number},16800",  # unreadable date
        ],
    )
    report = reconciliation.import_statement(
        principal=system("test"), path=path, channel=CHANNEL, url=world.url
    )
    assert (report.rows, report.matched, report.posted, report.exceptions) == (6, 1, 1, 4)
    assert report.by_kind == {"unknown_reference": 1, "amount_mismatch": 1, "duplicate": 1, "bad_line": 1}
    queue = reconciliation.list_exceptions(principal=system("test"), url=world.url)
    assert sorted((e.line, e.kind) for e in queue) == [
        (3, "amount_mismatch"),
        (5, "unknown_reference"),
        (6, "duplicate"),
        (7, "bad_line"),
    ]
    # A NIK given as the reference is kept masked in the queue.
    assert [e.reference for e in queue if e.kind == "unknown_reference"] == ["350701**********"]
    assert ledger.check(principal=system("test"), url=world.url).holds
    # The same file again changes nothing; another statement listing TX-1 is a duplicate.
    again = reconciliation.import_statement(
        principal=system("test"), path=path, channel=CHANNEL, url=world.url
    )
    assert again.repeat
    assert again.posted == 1
    later = _statement(tmp_path, "feb.csv", [f"TX-1,2026-01-05,{a.participant_number},16800"])
    second = reconciliation.import_statement(
        principal=system("test"), path=later, channel=CHANNEL, url=world.url
    )
    assert second.by_kind == {"duplicate": 1}


def test_exceptions_are_resolved_with_a_note_in_scope(world: World, tmp_path: Path) -> None:
    a = world.person(1, "3507010001", date(2026, 1, 10))
    pay(world, a, 16_800, "2026-01-05", bank_ref="TX-1")
    path = _statement(tmp_path, "s.csv", [f"TX-1,2026-01-05,{a.participant_number},1"])
    reconciliation.import_statement(principal=system("test"), path=path, channel=CHANNEL, url=world.url)
    (item,) = reconciliation.list_exceptions(principal=system("test"), url=world.url)
    foreign = Principal(username="x", role="regency_officer", region_code="3171")
    assert reconciliation.list_exceptions(principal=foreign, url=world.url) == []
    with pytest.raises(BadInput, match="say what was done"):
        reconciliation.resolve_exception(
            principal=system("test"), exception_id=item.id, note=" ", url=world.url
        )
    with pytest.raises(NotFound):
        reconciliation.resolve_exception(
            principal=Principal(username="a", role="national_admin", region_code="31"),
            exception_id=item.id,
            note="checked",
            url=world.url,
        )
    reconciliation.resolve_exception(
        principal=system("test"), exception_id=item.id, note="bank corrected", url=world.url
    )
    assert reconciliation.list_exceptions(principal=system("test"), url=world.url) == []


def test_a_statement_without_the_columns_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ref,amount\nX,1\n", encoding="utf-8")
    with pytest.raises(BadInput, match="lacks column"):
        reconciliation.import_statement(principal=system("test"), path=path, channel=CHANNEL, url=world.url)
