"""Reconciliation of a bank statement against the payments the channel posted.

Each statement line (bank_ref, date, reference, amount) ends in exactly one outcome:

- ``matched``: the channel posted this transaction (same bank_ref) for the same amount;
- ``posted``: the channel never posted it, but the reference is known: it is recorded now,
  through the same idempotent path as the API (key ``stmt:<bank_ref>``);
- an exception, queued for an officer: ``unknown_reference``, ``amount_mismatch`` (posted
  with another amount), ``duplicate`` (the bank_ref appears twice in the file, or was
  reconciled by an earlier statement), or ``bad_line`` (unreadable).

A statement file is imported once (by its SHA-256); importing it again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from jaring.contributions import payments as payment_service
from jaring.contributions.model import (
    payments,
    reconciled_lines,
    reconciliation_exceptions,
    reconciliation_imports,
)
from jaring.kit import audit, db
from jaring.kit.auth import Principal, region_filter, require
from jaring.kit.errors import BadInput, NotFound
from jaring.kit.nik import mask

COLUMNS = ("bank_ref", "date", "reference", "amount")
EXCEPTION_KINDS = ("unknown_reference", "amount_mismatch", "duplicate", "bad_line")


@dataclass
class StatementReport:
    import_id: int
    file: str
    rows: int
    matched: int
    posted: int
    exceptions: int
    by_kind: dict[str, int] = field(default_factory=dict)
    repeat: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Line:
    number: int
    bank_ref: str
    day: str
    reference: str
    amount: int | None
    problem: str | None = None


def _read(data: bytes) -> list[Line]:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("the statement is not UTF-8 text; export it as CSV (UTF-8)") from None
    reader = csv.DictReader(io.StringIO(content))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise BadInput(
            f"the statement lacks column(s) {', '.join(missing)}; expected a header {','.join(COLUMNS)}"
        )
    lines = []
    for number, row in enumerate(reader, start=2):
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        problem = None
        amount: int | None = None
        if not values["bank_ref"]:
            problem = "no bank_ref"
        elif not values["amount"].isdigit() or int(values["amount"]) <= 0:
            problem = "amount is not a positive whole number of Rupiah"
        else:
            amount = int(values["amount"])
        if problem is None:
            try:
                datetime.fromisoformat(values["date"])
            except ValueError:
                problem = "date is not YYYY-MM-DD"
        lines.append(Line(number, values["bank_ref"], values["date"], values["reference"], amount, problem))
    return lines


def import_statement(
    *, principal: Principal, path: Path, channel: str, url: str | None = None
) -> StatementReport:
    require(principal, "payment.reconcile")
    channel = channel.strip().upper()
    data = path.read_bytes()
    digest = hashlib.sha256(channel.encode() + b"\n" + data).hexdigest()
    lines = _read(data)
    opened = _open_import(principal, digest, path.name, url)
    if isinstance(opened, StatementReport):
        return opened
    import_id, done = opened
    # Lines are settled one by one, each in its own transaction through the payment path, so
    # a statement of any size never holds a lock for long, and after a crash the same file
    # resumes where it stopped (settled lines are skipped).
    seen = {line.bank_ref for line in lines if line.number in done}
    for line in lines:
        if line.number not in done:
            _settle(line, channel, import_id, seen, url)
    report = _count(import_id, path.name, len(lines), url)
    assert report.rows == report.matched + report.posted + report.exceptions
    with db.transaction(url) as conn:
        # The one update of an import row: its counts, once every line is settled.
        conn.execute(
            reconciliation_imports.update()
            .where(reconciliation_imports.c.id == import_id)
            .values(counts=report.to_json())
        )
        audit.record(
            conn,
            actor=principal.actor,
            action="reconciliation.import",
            entity="reconciliation_import",
            entity_id=str(import_id),
            after={k: v for k, v in report.to_json().items() if k != "file"},
        )
    return report


def _open_import(
    principal: Principal, digest: str, name: str, url: str | None
) -> tuple[int, set[int]] | StatementReport:
    """(import id, line numbers already settled) of a new or interrupted import, or the
    report of one that finished before."""
    with db.transaction(url) as conn:
        previous = conn.execute(
            select(reconciliation_imports).where(reconciliation_imports.c.sha256 == digest)
        ).first()
        if previous is not None and previous.counts:
            return StatementReport(**{**previous.counts, "repeat": True})
        if previous is not None:
            import_id = int(previous.id)
            settled = {
                int(row[0])
                for table in (reconciled_lines, reconciliation_exceptions)
                for row in conn.execute(select(table.c.line).where(table.c.import_id == import_id))
            }
            return import_id, settled
        new_id: int = conn.execute(
            reconciliation_imports.insert()
            .values(
                sha256=digest,
                file_name=name[:300],
                imported_at=datetime.now(UTC),
                actor=principal.actor,
                counts={},
            )
            .returning(reconciliation_imports.c.id)
        ).scalar_one()
        return int(new_id), set()


def _count(import_id: int, name: str, rows: int, url: str | None) -> StatementReport:
    with db.store(url).connect() as conn:
        outcomes = Counter(
            {
                str(row[0]): int(row[1])
                for row in conn.execute(
                    select(reconciled_lines.c.outcome, func.count())
                    .where(reconciled_lines.c.import_id == import_id)
                    .group_by(reconciled_lines.c.outcome)
                ).all()
            }
        )
        kinds = {
            str(row[0]): int(row[1])
            for row in conn.execute(
                select(reconciliation_exceptions.c.kind, func.count())
                .where(reconciliation_exceptions.c.import_id == import_id)
                .group_by(reconciliation_exceptions.c.kind)
            ).all()
        }
    return StatementReport(
        import_id=import_id,
        file=name,
        rows=rows,
        matched=outcomes["matched"],
        posted=outcomes["posted"],
        exceptions=sum(kinds.values()),
        by_kind={k: kinds[k] for k in EXCEPTION_KINDS if k in kinds},
    )


def _settle(line: Line, channel: str, import_id: int, seen: set[str], url: str | None) -> str:
    if line.problem is not None or line.amount is None:
        return _exception(url, import_id, line, "bad_line", line.problem or "unreadable")
    if line.bank_ref in seen:
        return _exception(url, import_id, line, "duplicate", "the same bank_ref appears earlier in this file")
    seen.add(line.bank_ref)
    with db.store(url).connect() as conn:
        earlier = conn.execute(
            select(reconciled_lines.c.import_id).where(
                reconciled_lines.c.channel == channel, reconciled_lines.c.bank_ref == line.bank_ref
            )
        ).first()
        posted = conn.execute(
            select(payments.c.id, payments.c.amount).where(
                payments.c.channel == channel,
                payments.c.bank_ref == line.bank_ref,
                payments.c.kind == "payment",
            )
        ).first()
    if earlier is not None:
        return _exception(
            url, import_id, line, "duplicate", f"already reconciled by statement import {earlier.import_id}"
        )
    if posted is not None:
        if int(posted.amount) != line.amount:
            return _exception(
                url,
                import_id,
                line,
                "amount_mismatch",
                f"payment {posted.id} was posted for {posted.amount}, the statement says {line.amount}",
            )
        _mark(url, channel, line, import_id, int(posted.id), "matched")
        return "matched"
    try:
        paid_at = datetime.combine(datetime.fromisoformat(line.day).date(), time(12), tzinfo=UTC)
        result = payment_service.record_payment(
            channel=channel,
            idempotency_key=f"stmt:{line.bank_ref}"[:100],
            reference=line.reference,
            amount=line.amount,
            paid_at=min(paid_at, datetime.now(UTC)),
            bank_ref=line.bank_ref,
            url=url,
        )
    except BadInput:
        return _exception(
            url, import_id, line, "unknown_reference", "no member or invoice has this reference"
        )
    _mark(url, channel, line, import_id, result.payment_id, "posted")
    return "posted"


def _mark(url: str | None, channel: str, line: Line, import_id: int, payment_id: int, outcome: str) -> None:
    with db.transaction(url) as conn:
        conn.execute(
            reconciled_lines.insert().values(
                channel=channel,
                bank_ref=line.bank_ref,
                import_id=import_id,
                line=line.number,
                payment_id=payment_id,
                outcome=outcome,
            )
        )


def _exception(url: str | None, import_id: int, line: Line, kind: str, detail: str) -> str:
    with db.transaction(url) as conn:
        region = _region_of(conn, line.reference)
        conn.execute(
            reconciliation_exceptions.insert().values(
                import_id=import_id,
                line=line.number,
                kind=kind,
                bank_ref=line.bank_ref or None,
                reference=_kept_reference(line.reference),
                amount=line.amount,
                detail=detail[:300],
                region_code=region,
                status="open",
            )
        )
    return kind


def _kept_reference(reference: str) -> str | None:
    """The reference as the queue may keep it. BPU contributions can be paid with the NIK as
    the customer number (rules file §2.4), so a 16-digit reference that is not a virtual
    account is masked: the queue is read by officers and printed by the CLI."""
    text = reference.strip()[:40]
    if len(text) == 16 and text.isdigit() and not text.startswith(payment_service.VIRTUAL_ACCOUNT_PREFIX):
        return mask(text)
    return text or None


def _region_of(conn: Connection, reference: str) -> str | None:
    try:
        return payment_service.resolve_reference_in(conn, reference).region_code
    except BadInput:
        return None


@dataclass
class ExceptionItem:
    id: int
    import_id: int
    line: int
    kind: str
    bank_ref: str | None
    reference: str | None
    amount: int | None
    detail: str
    status: str
    resolution: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def list_exceptions(
    *, principal: Principal, open_only: bool = True, url: str | None = None
) -> list[ExceptionItem]:
    require(principal, "payment.read")
    t = reconciliation_exceptions
    # Exceptions without a known region (an unknown reference) are for national staff only.
    query = select(t).where(region_filter(principal, t.c.region_code)).order_by(t.c.id)
    if open_only:
        query = query.where(t.c.status == "open")
    with db.store(url).connect() as conn:
        return [
            ExceptionItem(
                r.id,
                r.import_id,
                r.line,
                r.kind,
                r.bank_ref,
                r.reference,
                r.amount,
                r.detail,
                r.status,
                r.resolution,
            )
            for r in conn.execute(query)
        ]


def resolve_exception(*, principal: Principal, exception_id: int, note: str, url: str | None = None) -> None:
    require(principal, "payment.reconcile")
    if not note.strip():
        raise BadInput("say what was done about the exception", field="note")
    t = reconciliation_exceptions
    with db.transaction(url) as conn:
        row = conn.execute(
            select(t).where(t.c.id == exception_id, region_filter(principal, t.c.region_code))
        ).first()
        if row is None:
            raise NotFound(f"exception {exception_id} not found")
        if row.status != "open":
            raise BadInput(f"exception {exception_id} is already resolved")
        conn.execute(
            t.update()
            .where(t.c.id == exception_id)
            .values(
                status="resolved", resolved_by=principal.actor, resolved_at=datetime.now(UTC), resolution=note
            )
        )
        audit.record(
            conn,
            actor=principal.actor,
            action="reconciliation.resolve",
            entity="reconciliation_exception",
            entity_id=str(exception_id),
            region_code=row.region_code,
            before={"status": "open"},
            after={"status": "resolved", "resolution": note.strip()},
        )
