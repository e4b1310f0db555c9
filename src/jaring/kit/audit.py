"""Audit events: who changed what, when and where, in a hash chain that proves nothing was
altered, removed or slipped in afterwards.

Each event stores the SHA-256 of its own content together with the previous event's hash.
`record` is called inside the transaction that makes the change, so the event exists exactly
when the change does. Appends are serialised by first updating the single `audit_head` row
(a row lock on PostgreSQL, the write lock on SQLite), so concurrent writers cannot fork the
chain. Personal fields never enter an event: their values are replaced by a marker, so an
auditor still sees that they changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    select,
    update,
)

from jaring.kit import db
from jaring.kit.db import metadata

GENESIS = "0" * 64
REDACTED = "[personal]"
# Keys whose values are personal data (UU 27/2022) and never stored in an event.
PERSONAL_FIELDS = frozenset(
    {
        "nik",
        "nik_cipher",
        "kk",
        "kk_number",
        "kk_cipher",
        "name",
        "full_name",
        "birth_date",
        "address",
        "phone",
        "email",
        "bank_account",
        "claimant",
        "password",
        "password_hash",
    }
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(100), nullable=False),
    Column("entity", String(60), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("region_code", String(13), nullable=True, index=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)


def redact(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`values` with every personal field's value replaced by a marker (nested too)."""
    if values is None:
        return None
    result: dict[str, Any] = {}
    for key, value in values.items():
        if key in PERSONAL_FIELDS:
            result[key] = REDACTED
        elif isinstance(value, Mapping):
            result[key] = redact(value)
        else:
            result[key] = value
    return result


def _canonical(event: Mapping[str, Any]) -> bytes:
    fields = {
        "seq": int(event["seq"]),
        "occurred_at": _utc(event["occurred_at"]).isoformat(timespec="microseconds"),
        "actor": event["actor"],
        "action": event["action"],
        "entity": event["entity"],
        "entity_id": event["entity_id"],
        "region_code": event["region_code"],
        "before": event["before"],
        "after": event["after"],
        "prev_hash": event["prev_hash"],
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _utc(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; every stored moment is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def event_hash(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    conn: Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    region_code: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> int:
    """Append one event in the caller's transaction; returns its sequence number."""
    head = conn.execute(
        update(audit_head)
        .where(audit_head.c.id == 1)
        .values(last_seq=audit_head.c.last_seq + 1)
        .returning(audit_head.c.last_seq, audit_head.c.last_hash)
    ).first()
    if head is None:  # the migration creates the row; without it the chain cannot be kept
        raise RuntimeError("the audit head row is missing; run the migrations (jaring db upgrade)")
    seq, prev_hash = int(head.last_seq), str(head.last_hash)
    event = {
        "seq": seq,
        # Microseconds are what both stores keep; the hash covers exactly what is stored.
        "occurred_at": datetime.now(UTC),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "region_code": region_code,
        "before": _plain(redact(before)),
        "after": _plain(redact(after)),
        "prev_hash": prev_hash,
    }
    digest = event_hash(event)
    conn.execute(audit_events.insert().values(**event, hash=digest))
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(last_hash=digest))
    return seq


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """As JSON will give it back (dates as text), so the hash is the same when re-read."""
    return None if values is None else json.loads(json.dumps(values, default=str))


@dataclass(frozen=True)
class Verdict:
    events: int
    intact: bool
    broken_at: int | None = None  # the first event (seq) that does not hold
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "intact": self.intact,
            "broken_at": self.broken_at,
            "reason": self.reason,
        }


def _events(conn: Connection, batch: int = 10_000) -> Iterator[Mapping[str, Any]]:
    last = 0
    while True:
        rows = conn.execute(
            select(audit_events).where(audit_events.c.seq > last).order_by(audit_events.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield dict(row._mapping)
        last = int(rows[-1].seq)


def verify(url: str | None = None) -> Verdict:
    """Recompute the chain from the first event and name the first link that breaks."""
    with db.transaction(url) as conn:
        expected_prev, expected_seq, count = GENESIS, 1, 0
        for event in _events(conn):
            seq = int(event["seq"])
            if seq != expected_seq:
                return Verdict(count, False, expected_seq, f"event {expected_seq} is missing")
            if event["prev_hash"] != expected_prev:
                return Verdict(count, False, seq, "its link to the previous event does not match")
            if event_hash(event) != event["hash"]:
                return Verdict(count, False, seq, "its content was changed after it was written")
            expected_prev, expected_seq, count = str(event["hash"]), seq + 1, count + 1
        head = conn.execute(select(audit_head)).first()
        if head is None:
            return Verdict(count, False, None, "the chain's head record is gone")
        if int(head.last_seq) != count or head.last_hash != expected_prev:
            return Verdict(
                count, False, count + 1, f"events after {count} were removed (the head says {head.last_seq})"
            )
        return Verdict(count, True)
