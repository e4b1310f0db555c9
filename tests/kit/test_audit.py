"""The audit chain: events written in the caller's transaction, tampering found and named,
concurrent writers kept on one chain, personal fields never stored. Both stores."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, text, update

from jaring.cli import cli
from jaring.kit import audit, db


def _write(url: str, count: int, *, actor: str = "officer-1") -> None:
    for number in range(count):
        with db.transaction(url) as conn:
            audit.record(
                conn,
                actor=actor,
                action="member.enrol",
                entity="member",
                entity_id=f"M{number}",
                region_code="3171",
                before=None,
                after={"status": "registered", "programs": ["jkk", "jkm"], "income": 1_000_000},
            )


def test_a_written_chain_holds(store_url: str) -> None:
    _write(store_url, 5)
    verdict = audit.verify(store_url)
    assert (verdict.intact, verdict.events) == (True, 5)
    with db.transaction(store_url) as conn:
        rows = conn.execute(select(audit.audit_events).order_by(audit.audit_events.c.seq)).all()
    assert [row.seq for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))


def test_an_event_is_rolled_back_with_its_change(store_url: str) -> None:
    _write(store_url, 2)

    def failing_change() -> None:
        with db.transaction(store_url) as conn:
            audit.record(conn, actor="a", action="x", entity="member", entity_id="M9")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    _write(store_url, 1)
    verdict = audit.verify(store_url)
    assert (verdict.intact, verdict.events) == (True, 3)


def test_a_changed_event_is_named(store_url: str) -> None:
    _write(store_url, 6)
    with db.transaction(store_url) as conn:
        conn.execute(
            update(audit.audit_events).where(audit.audit_events.c.seq == 4).values(after={"status": "active"})
        )
    verdict = audit.verify(store_url)
    assert (verdict.intact, verdict.broken_at, verdict.events) == (False, 4, 3)
    assert "changed" in (verdict.reason or "")


def test_a_removed_event_is_named(store_url: str) -> None:
    _write(store_url, 6)
    with db.transaction(store_url) as conn:
        conn.execute(delete(audit.audit_events).where(audit.audit_events.c.seq == 3))
    verdict = audit.verify(store_url)
    assert (verdict.intact, verdict.broken_at) == (False, 3)
    assert "missing" in (verdict.reason or "")


def test_removing_the_newest_events_is_found(store_url: str) -> None:
    _write(store_url, 6)
    with db.transaction(store_url) as conn:
        conn.execute(delete(audit.audit_events).where(audit.audit_events.c.seq >= 5))
    verdict = audit.verify(store_url)
    assert (verdict.intact, verdict.broken_at) == (False, 5)


def test_a_rewritten_event_with_a_fresh_hash_breaks_the_next_link(store_url: str) -> None:
    _write(store_url, 4)
    with db.transaction(store_url) as conn:
        row = dict(
            conn.execute(select(audit.audit_events).where(audit.audit_events.c.seq == 2)).one()._mapping
        )
        row["actor"] = "somebody-else"
        conn.execute(
            update(audit.audit_events)
            .where(audit.audit_events.c.seq == 2)
            .values(actor="somebody-else", hash=audit.event_hash(row))
        )
    verdict = audit.verify(store_url)
    assert (verdict.intact, verdict.broken_at) == (False, 3)
    assert "link" in (verdict.reason or "")


def test_concurrent_writers_share_one_chain(store_url: str) -> None:
    db.store(store_url)  # migrate once, before the threads start
    errors: list[BaseException] = []

    def work(actor: str) -> None:
        try:
            _write(store_url, 15, actor=actor)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"officer-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    verdict = audit.verify(store_url)
    assert (verdict.intact, verdict.events) == (True, 60)


def test_personal_fields_are_never_stored(store_url: str) -> None:
    with db.transaction(store_url) as conn:
        audit.record(
            conn,
            actor="officer-1",
            action="member.update",
            entity="member",
            entity_id="M1",
            before={"nik": "3171015708900001", "name": "Siti", "income": 1},
            after={"nik": "3171015708900001", "name": "Siti Aminah", "income": 2, "heir": {"name": "Budi"}},
        )
    with db.transaction(store_url) as conn:
        stored = conn.execute(text("SELECT * FROM audit_events")).one()._mapping
    dumped = json.dumps({k: str(v) for k, v in stored.items()})
    assert "3171015708900001" not in dumped
    assert "Siti" not in dumped
    assert "Budi" not in dumped
    assert audit.verify(store_url).intact


def test_cli_verify(jaring_env: Path, store_url: str) -> None:
    _write(store_url, 3)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", "--json"])
    assert ok.exit_code == 0
    assert json.loads(ok.output) == {"events": 3, "intact": True, "broken_at": None, "reason": None}
    with db.transaction(store_url) as conn:
        conn.execute(update(audit.audit_events).where(audit.audit_events.c.seq == 2).values(action="forged"))
    broken = runner.invoke(cli, ["audit", "verify"], env={"JARING_LANG": "en"})
    assert broken.exit_code == 1
    assert "event 2" in broken.output
